"""`audit-assistant eval`: run a set against the assistant (and the baseline), gate on thresholds, compare runs.

Only argparse and the standard library are imported at module level, so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run", "build_assistant", "THRESHOLD_FLAGS", "load_floors"]

# --min-* / --max-* flag -> summary metric it gates.
THRESHOLD_FLAGS = {
    "min_correct": "correctness", "min_fact_recall": "fact_recall",
    "min_citation_precision": "citation_precision", "min_citation_recall": "citation_recall",
    "min_evidence_support": "evidence_support", "min_faithfulness": "quote_faithfulness",
    "min_decline_precision": "decline_precision", "min_decline_recall": "decline_recall",
    "min_pass_rate": "pass_rate", "max_p50_ms": "latency_p50_ms", "max_p95_ms": "latency_p95_ms",
}

EPILOG = """examples:
  audit-assistant eval evals/sets/shared_services.jsonl --baseline --out runs/today
  audit-assistant eval evals/sets/shared_services.jsonl --floors evals/floors.json
  audit-assistant eval my_ragas_set.csv --min-correct 0.8
  audit-assistant eval compare runs/yesterday runs/today
exit status: 0 all thresholds met, 1 a threshold missed, 2 bad input (set file, store, arguments)."""


def add_parser(subparsers, parent: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Register `eval` (and `eval compare A B`) on the main parser's subparsers."""
    p = subparsers.add_parser(
        "eval", parents=[parent] if parent is not None else [], help="score the assistant on an evaluation set",
        usage="audit-assistant eval SET [options]\n       audit-assistant eval compare RUN_A RUN_B",
        description="Ask every case of SET (our JSONL, or a RAGAS-layout CSV/JSONL), score answers, citations, "
        "quotes, declines and latency, and write results.jsonl, summary.json, report.md and report.html under "
        "OUT/ours (and OUT/baseline with --baseline). `eval compare RUN_A RUN_B` compares two written runs.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", nargs="+", metavar="SET",
                   help="the set file, or `compare` and two run directories")
    if parent is None:
        p.add_argument("--store", metavar="DIR", help="store directory (default .audit-assistant/store)")
    p.add_argument("--mode", choices=["grounded", "llm"], help="answerer (default grounded)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output directory (default .audit-assistant/evals/SETNAME-TIMESTAMP)")
    p.add_argument("--baseline", action="store_true",
                   help="also run the LangChain-defaults baseline on the same set and compare (OUT/comparison.md)")
    p.add_argument("--corpus", type=Path, metavar="DIR", action="append",
                   help="files the baseline indexes (repeatable; default: corpus/)")
    p.add_argument("--tag", action="append", metavar="TAG", help="only cases with this tag (repeatable)")
    p.add_argument("--quiet", action="store_true", help="no line per case")
    g = p.add_argument_group("thresholds (exit status 1 when one is missed)")
    g.add_argument("--floors", type=Path, metavar="FILE", help="JSON of metric minimums, e.g. evals/floors.json")
    for flag, metric in THRESHOLD_FLAGS.items():
        g.add_argument("--" + flag.replace("_", "-"), type=float, metavar="X", help=f"{metric} threshold")
    p.set_defaults(func=run)
    return p


def load_floors(path: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Minimums and maximums from a floors file: metric -> value; latency metrics are maximums, keys
    starting with "_" are comments."""
    from assistant.errors import AssistantError
    from evals.metrics import METRICS

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AssistantError(f"{path}: cannot read floors ({exc})") from None
    mins, maxs = {}, {}
    for key, value in data.items():
        if key.startswith("_"):
            continue
        if key not in METRICS or not isinstance(value, (int, float)):
            raise AssistantError(f"{path}: {key!r} is not a metric with a numeric floor; metrics: {', '.join(METRICS)}")
        (maxs if key.startswith("latency") else mins)[key] = float(value)
    return mins, maxs


def _thresholds(args) -> tuple[dict[str, float], dict[str, float]]:
    mins, maxs = load_floors(args.floors) if args.floors else ({}, {})
    for flag, metric in THRESHOLD_FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            (maxs if flag.startswith("max") else mins)[metric] = value
    return mins, maxs


def _progress(label: str = ""):
    """A per-case line on standard error: status, id, latency, the first failed check."""
    from assistant.cli.output import printable  # the case id and failure text come from the set file

    prefix = f"[{label}] " if label else ""

    def show(result) -> None:
        status = "ok  " if result.score.passed else "FAIL"
        why = f"  {result.score.failures[0]}" if result.score.failures else ""
        print(printable(f"{prefix}{status} {result.case.id:<12} {result.latency_ms:7.0f} ms{why}"), file=sys.stderr)

    return show


def build_assistant(settings):
    """The assistant under evaluation (a seam: tests swap in a broken answerer here)."""
    from assistant.answer.pipeline import Assistant

    return Assistant(settings)


def run(args: argparse.Namespace, settings) -> int:
    """The `eval` command; returns the exit status."""
    from assistant.errors import AssistantError

    target = list(args.target)
    if target[0] == "compare":
        if len(target) != 3:
            print("error: usage: audit-assistant eval compare RUN_A RUN_B", file=sys.stderr)
            return 2
        from evals.runner import compare_runs

        print(compare_runs(Path(target[1]), Path(target[2])), end="")
        return 0
    if len(target) != 1:
        print("error: give one set file (or `compare RUN_A RUN_B`)", file=sys.stderr)
        return 2

    from evals.dataset import load_set
    from evals.report import render_comparison
    from evals.runner import check_thresholds, evaluate, metric_table, write_run

    set_path = Path(target[0])
    cases = load_set(set_path)  # DatasetError: one line per problem, exit status 2 (from the CLI's edge)
    if args.tag:
        cases = [c for c in cases if set(args.tag) & set(c.tags)]
        if not cases:
            raise AssistantError(f"no case in {set_path} has the tag(s) {', '.join(args.tag)}")
    mins, maxs = _thresholds(args)
    settings = settings.with_(store_dir=getattr(args, "store", None), answer_mode=args.mode)
    out = args.out or Path(".audit-assistant/evals") / f"{set_path.stem}-{datetime.now():%Y%m%d-%H%M%S}"

    assistant = build_assistant(settings)
    if not assistant.documents():
        raise AssistantError(f"the store at {settings.store_dir} holds no documents; "
                             "run `audit-assistant ingest corpus/` first, or pass --store")
    assistant.warm_up()
    quiet = args.quiet
    meta: dict[str, Any] = {"set": str(set_path), "mode": settings.answer_mode, "store": str(settings.store_dir)}
    ours = evaluate(cases, assistant, label="ours", meta=meta,
                    progress=None if quiet else _progress("ours" if args.baseline else ""))
    paths = write_run(ours, out / "ours")
    columns = {"ours": ours.summary()}
    if args.baseline:
        from evals.baseline import BaselinePipeline

        corpora = [Path(c) for c in (args.corpus or [settings.corpus_dir])]
        corpus = " ".join(str(c) for c in corpora)
        pipeline = BaselinePipeline(settings, corpora)
        try:
            base = evaluate(cases, pipeline, label="baseline", progress=None if quiet else _progress("baseline"),
                            meta={"set": str(set_path), "corpus": str(corpus),
                                  "mode": "baseline: RecursiveCharacterTextSplitter(1000, 200), dense Chroma top-4, "
                                          "top chunk as the answer"})
        finally:
            pipeline.close()
        write_run(base, out / "baseline")
        columns = {"baseline": base.summary(), "ours": columns["ours"]}  # "change" reads as ours vs baseline
        (out / "comparison.md").write_text(render_comparison(columns), encoding="utf-8")
    print(metric_table({k: v["overall"] for k, v in columns.items()}), end="")
    print(f"wrote {paths['report.html']}" + (f" and {out / 'comparison.md'}" if args.baseline else ""))
    if args.tag and args.floors:
        # A floor from the file for a metric the chosen tags cannot measure (decline precision on facts only)
        # is skipped, and said so; a threshold given as a flag stays strict.
        flagged = {m for f, m in THRESHOLD_FLAGS.items() if getattr(args, f, None) is not None}
        for limits in (mins, maxs):
            for name in [n for n in limits if ours.overall.get(n) is None and n not in flagged]:
                print(f"floor skipped: {name} is not measured by the cases tagged {', '.join(args.tag)}",
                      file=sys.stderr)
                del limits[name]
    missed = check_thresholds(ours.overall, mins, maxs)
    for line in missed:
        print(f"threshold missed: {line}", file=sys.stderr)
    return 1 if missed else 0
