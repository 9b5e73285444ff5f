"""The rule settings' search: coordinate ascent keeps the shipped values unless another answers more cases."""

from assistant.config import Settings
from evals.fit_settings import GROUPS, search, shipped_values

GRID = GROUPS["operand"][0]


def _shipped() -> dict:
    return shipped_values(GRID)


def test_search_moves_a_setting_only_for_more_cases_answered():
    # Cases answered rise with the clause weight up to 3 and fall with the least score; nothing else matters.
    def correct(values):
        return 10 * values["operand_clause_weight"] - values["operand_min_score"]

    chosen, n = search(correct, GRID)
    assert chosen["operand_clause_weight"] == 3 and chosen["operand_min_score"] == 1
    assert n == 29
    untouched = {k: v for k, v in chosen.items() if k not in ("operand_clause_weight", "operand_min_score")}
    assert untouched == {k: v for k, v in _shipped().items() if k in untouched}


def test_search_keeps_the_shipped_values_on_a_tie():
    chosen, n = search(lambda values: 7, GRID)
    assert chosen == _shipped() and n == 7


def test_the_grid_holds_every_shipped_value():
    # A tie keeps the shipped value only if the grid offers it (two thirds exactly, not 0.6667).
    for group, (grid, _) in GROUPS.items():
        for key, options in grid.items():
            assert getattr(Settings(), key) in options, (group, key)
