"""Evaluations: test sets (`dataset`), scoring (`metrics`), running and comparing (`runner`), reports, the baseline.

Names are imported on first use so that `audit-assistant --help`, which imports `evals.cli`, stays instant.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Case": "evals.dataset", "DatasetError": "evals.dataset", "load_set": "evals.dataset",
    "load_ragas": "evals.dataset", "write_ragas": "evals.dataset",
    "score_case": "evals.metrics", "summarise": "evals.metrics",
    "evaluate": "evals.runner", "write_run": "evals.runner", "load_run": "evals.runner",
    "compare_runs": "evals.runner", "check_thresholds": "evals.runner",
    "BaselinePipeline": "evals.baseline",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'evals' has no attribute {name!r}")
