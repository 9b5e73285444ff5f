"""Check the answerer's hand-set rule settings (`assistant/config.py`) on the tuning set, a group at a time.

    python -m evals.fit_settings --store S --group operand|report|answer|reading [--tuning evals/sets/tuning]
                                 [--extra evals/sets/tuning-extra]

S must hold corpus/ and evals/library/* (see `make fit`). These settings are counts and shares the code reads as
rules (how a calculation's operands are scored, which reports a question names, how many passages and sentences
an answer reads), not weights of a model, so they are chosen by a search over a grid of values, not by a
gradient: each combination is scored by how many of the group's tuning cases the assistant then answers
correctly (see `search`). The best is reported, ties keeping the values shipped (`Settings()`); `--extra` (a set
read but never fitted on) is scored for the chosen and the shipped values, never used to choose. The script writes
nothing: a new best is copied into `assistant/config.py` by hand, with its figures, as the settings are code.
Settings that define the fitted model's features (`feature_*`) are not here: changing one means refitting
`params.json`.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

from assistant.config import Settings
from evals.dataset import Case, load_set
from evals.runner import evaluate

ROOT = Path(__file__).resolve().parent.parent

# Each group: its settings with the values around each shipped one that mean something different (a weight of
# one word more or less, a share of a half to all of a phrase, a pool of passages or reports smaller or larger),
# and the tuning cases it is judged on. Fractions, so a share of two thirds is exactly the shipped one.
GROUPS: dict[str, tuple[dict[str, tuple[Any, ...]], Callable[[Case], bool]]] = {
    # how a figure is scored against a phrase of a calculation question (assistant/calc/operands.py)
    "operand": ({
        "operand_measure_weight": (2, 3, 4),
        "operand_clause_weight": (1, 2, 3),
        "operand_sentence_weight": (0, 1),
        "operand_min_score": (1, 2, 3),
        "operand_coverage": (0.5, float(Fraction(2, 3)), 0.8, 1.0),
        "operand_status_bonus": (0, 3, 5),
        "operand_min_similarity": (0.35, 0.45, 0.55),
    }, lambda c: "calculation" in c.tags),
    # which reports a question names or compares (assistant/query/reports.py), and the passages read of each
    "report": ({
        "report_search_hits": (6, 12, 24),
        "report_candidates": (2, 3, 5),
        "report_rank_penalty": (0.05, 0.1, 0.2),
        "report_compare_pool": (2, 4, 6),
        "answer_passages_per_report": (2, 3, 5),
    }, lambda c: True),
    # how much an answer reads and quotes (assistant/answer/grounded.py)
    "answer": ({
        "answer_passages": (8, 10, 12),
        "answer_runner_up_window": (3, 5, 8, 12),
        "answer_compare_floor": (0.25, 0.5, 0.75),
        "answer_context_term_weight": (0.25, 0.5, 1.0),
        "answer_naming_term_weight": (0.25, 0.5, 1.0),
        "answer_list_short_chars": (80, 120, 160),
        "answer_list_tail_words": (1, 2, 3),
        "answer_list_max_items": (4, 6, 8),
    }, lambda c: True),
    # how widely the searches look, and how a question's words and an answer's quotes are read
    "reading": ({
        "retrieval_candidates": (20, 30, 45),
        "query_slip_min_chars": (4, 5, 6),
        "answer_quote_min_chars": (30, 40, 60),
        "answer_reason_reach": (2, 3, 4),
    }, lambda c: True),
}


def group_cases(path: str, keep: Callable[[Case], bool]) -> list[Case]:
    """The cases of a set a group is judged on."""
    return [c for c in load_set(path) if keep(c)]


def shipped_values(grid: dict[str, tuple]) -> dict[str, Any]:
    """The values `assistant/config.py` ships for the grid's settings."""
    defaults = Settings()
    return {k: getattr(defaults, k) for k in grid}


def search(correct: Callable[[dict[str, Any]], int], grid: dict[str, tuple],
           rounds: int = 3) -> tuple[dict[str, Any], int]:
    """Coordinate ascent from the shipped values: each setting in turn takes the value of its grid that
    answers the most cases correctly (`correct(values)`), the others held, and a change is kept only when it
    answers strictly more, so a tie keeps the value shipped; repeated until a round changes nothing. Returns the
    values chosen and the cases they answer. Why not the whole grid: its combinations multiply (the operand
    group's are 1,944, hours of evaluation); a round here is one evaluation per value of the grid."""
    current = shipped_values(grid)
    cache: dict[tuple, int] = {}

    def score(values: dict[str, Any]) -> int:
        key = tuple(values[k] for k in grid)
        if key not in cache:
            cache[key] = correct(values)
        return cache[key]

    best_score = score(current)
    for _ in range(rounds):
        changed = False
        for key, options in grid.items():
            for value in options:
                trial = {**current, key: value}
                n = score(trial)
                if n > best_score:
                    current, best_score, changed = trial, n, True
        if not changed:
            break
    return current, best_score


def _correct(run) -> int:
    """The cases answered correctly (the project's `correctness`: the required facts present, an unanswerable
    question declined)."""
    return sum(1 for r in run.results if r.score.correct)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.fit_settings", description=__doc__.split("\n\n")[0])
    p.add_argument("--store", required=True, help="store holding corpus/ and evals/library/*")
    p.add_argument("--group", choices=sorted(GROUPS), default="operand")
    p.add_argument("--tuning", default=str(ROOT / "evals/sets/tuning"))
    p.add_argument("--extra", default=str(ROOT / "evals/sets/tuning-extra"),
                   help="a set read but never fitted on: scored for the chosen and shipped values, never to choose")
    args = p.parse_args(argv)

    from assistant.answer.pipeline import Assistant

    base = Assistant(Settings.from_env(store_dir=args.store)).warm_up()
    shared = ("embedder", "store", "catalog", "searcher")  # loaded once; what reads the settings is made anew

    def assistant_for(values: dict[str, Any]):
        a = Assistant(base.settings.with_(**values))
        for name in shared:
            a.__dict__[name] = getattr(base, name)
        return a

    grid, keep = GROUPS[args.group]
    tuning = group_cases(args.tuning, keep)
    extra = group_cases(args.extra, keep) if args.extra else []

    def correct(values: dict[str, Any]) -> int:
        n = _correct(evaluate(tuning, assistant_for(values)))
        print(f"{values}: tuning {n}/{len(tuning)}", flush=True)
        return n

    chosen, n = search(correct, grid)
    shipped = shipped_values(grid)
    print(f"best on tuning: {n}/{len(tuning)} cases with {chosen}")
    print("the shipped values are the best found" if chosen == shipped else f"shipped: {shipped}")
    if extra:  # read, never fitted on: shown for the chosen and the shipped values only
        for name, values in (("chosen", chosen), ("shipped", shipped)):
            print(f"extra ({name}): {_correct(evaluate(extra, assistant_for(values)))}/{len(extra)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
