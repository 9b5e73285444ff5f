"""Check the calculators' operand settings (`Settings.operand_*`) on the tuning set's calculation questions.

    python -m evals.fit_operands --store S [--tuning evals/sets/tuning] [--extra evals/sets/tuning-extra]

S must hold corpus/ and evals/library/* (see `make fit`). The operand settings say how a figure of the passages is
scored against a phrase of a calculation question (`assistant/calc/operands.py`): what a word counts for by where
it sits around the figure, how much of the phrase the figure's passage must hold, the least score that names a
figure, and the least similarity by meaning when no word matches. They are counts and shares the code reads as
rules, so they are chosen here by a search over a grid of values, not by a gradient: each is scored by how many
of the tuning set's calculation questions (tag `calculation`) the assistant then passes (see `search`). The best
is reported, ties keeping the values shipped (`Settings()`); `--extra` (a set read but never fitted on) is scored
for the chosen and the shipped values, never used to choose. The script writes nothing: a new best is copied into
`assistant/config.py` by hand, with its figures, as the settings are code.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

from assistant.config import Settings
from evals.dataset import Case, load_set
from evals.runner import evaluate

ROOT = Path(__file__).resolve().parent.parent

# The grid: around each shipped value, the values either side that mean something different (a weight of 1, 2
# or 3 words, a share of a half to all of a phrase). Fractions, so a share of two thirds is exactly the shipped one.
GRID: dict[str, tuple[Any, ...]] = {
    "operand_measure_weight": (2, 3, 4),
    "operand_clause_weight": (1, 2, 3),
    "operand_sentence_weight": (0, 1),
    "operand_min_score": (1, 2, 3),
    "operand_coverage": (0.5, float(Fraction(2, 3)), 0.8, 1.0),
    "operand_status_bonus": (0, 3, 5),
    "operand_min_similarity": (0.35, 0.45, 0.55),
}


def calculation_cases(path: str) -> list[Case]:
    """The cases of a set that ask for a calculation."""
    return [c for c in load_set(path) if "calculation" in c.tags]


def search(passed: Callable[[dict[str, Any]], int], grid: dict[str, tuple] = GRID,
           start: dict[str, Any] | None = None, rounds: int = 3) -> tuple[dict[str, Any], int]:
    """Coordinate ascent from `start` (the shipped values): each setting in turn takes the value of its grid that
    passes the most cases (`passed(values)`), the others held, and a change is kept only when it passes strictly
    more, so a tie keeps the value shipped; repeated until a round changes nothing. Returns the values chosen and
    the cases they pass. Why not the whole grid: its 1,944 combinations take hours; a round here is about twenty
    evaluations."""
    shipped = Settings()
    current = dict(start) if start is not None else {k: getattr(shipped, k) for k in grid}
    cache: dict[tuple, int] = {}

    def score(values: dict[str, Any]) -> int:
        key = tuple(values[k] for k in grid)
        if key not in cache:
            cache[key] = passed(values)
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


def _passed(run) -> int:
    return sum(1 for r in run.results if r.score.passed)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.fit_operands", description=__doc__.split("\n\n")[0])
    p.add_argument("--store", required=True, help="store holding corpus/ and evals/library/*")
    p.add_argument("--tuning", default=str(ROOT / "evals/sets/tuning"))
    p.add_argument("--extra", default=str(ROOT / "evals/sets/tuning-extra"),
                   help="a set read but never fitted on: printed beside each combination, never used to choose")
    args = p.parse_args(argv)

    from assistant.answer.pipeline import Assistant

    base = Assistant(Settings.from_env(store_dir=args.store)).warm_up()
    shared = ("embedder", "store", "catalog", "searcher", "reports")  # loaded once; only the answerer changes

    def assistant_for(values: dict[str, Any]):
        a = Assistant(base.settings.with_(**values))
        for name in shared:
            a.__dict__[name] = getattr(base, name)
        return a

    tuning, extra = calculation_cases(args.tuning), calculation_cases(args.extra) if args.extra else []

    def passed(values: dict[str, Any]) -> int:
        n = _passed(evaluate(tuning, assistant_for(values)))
        print(f"{values}: tuning {n}/{len(tuning)}", flush=True)
        return n

    chosen, n = search(passed)
    shipped = {k: getattr(Settings(), k) for k in GRID}
    print(f"best on tuning: {n}/{len(tuning)} calculation cases with {chosen}")
    if chosen == shipped:
        print("the shipped values are the best found")
    else:
        print(f"shipped: {shipped}")
    if extra:  # read, never fitted on: shown for the chosen and the shipped values only
        for name, values in (("chosen", chosen), ("shipped", shipped)):
            print(f"extra ({name}): {_passed(evaluate(extra, assistant_for(values)))}/{len(extra)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
