"""`audit-assistant bench`: the scale benchmark of benchmarks/run.py, from a source checkout."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent  # benchmarks/ sits beside assistant/ in a checkout


def _benchmarks_run():
    """benchmarks.run, or None when this installation has no benchmarks/ (it is not a packaged module)."""
    try:
        return importlib.import_module("benchmarks.run")
    except ModuleNotFoundError as exc:
        if exc.name not in ("benchmarks", "benchmarks.run"):
            raise
    if (CHECKOUT / "benchmarks" / "run.py").is_file():
        sys.path.insert(0, str(CHECKOUT))
        return importlib.import_module("benchmarks.run")
    return None


def add_parser(subparsers, parent: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Register `bench` (its own store in a scratch directory, so the store options do not apply)."""
    p = subparsers.add_parser(
        "bench", help="measure ingestion, latency, memory and quality at 1k-100k chunks",
        description="Grow a store of synthetic audit reports (plus the real corpus) to each size given and "
        "measure ingestion against the embedding-only ceiling, search/ask latency, peak memory and eval "
        "correctness; writes OUT/{mode}-{chunks}.json and OUT/RESULTS.md. Same as `python -m benchmarks.run`.",
        epilog="example:\n  audit-assistant bench --chunks 1k 10k --server",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    module = _benchmarks_run()
    if module is not None:
        module.add_arguments(p)
    p.set_defaults(func=run, bench=module)
    return p


def run(args: argparse.Namespace, settings) -> int:
    from assistant.errors import AssistantError

    if args.bench is None:
        raise AssistantError("the benchmarks are not installed; run `python -m benchmarks.run` from a checkout")
    return args.bench.execute(args)
