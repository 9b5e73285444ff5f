"""The `compare` and `timeline` subcommands: strategies side by side, and a cited timeline of their dates."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from assistant.cli.output import printable
from assistant.config import Settings

FORMATS = ("table", "markdown", "csv", "json")
_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".json": "json", ".txt": "table"}

COMPARE_EPILOG = """examples:
  audit-assistant compare "Next Generation Shared Services 2012" "Shared Services Strategy 2018"
  audit-assistant compare "Next Generation Shared Services 2012" "cluster model 2021" --aspect savings --aspect verdict
  audit-assistant compare nao-2014-next-generation-shared-services nao-2022-government-shared-services --out table.md
  audit-assistant compare "Shared Services Strategy 2018" "cluster model 2021" --format csv --out table.csv"""


def add_parser(subparsers: Any, parent: argparse.ArgumentParser) -> None:
    """Register `compare` and `timeline` on the CLI's subparsers; `parent` carries the store options."""
    from assistant.compare.table import ASPECTS  # light: no model or store is loaded

    p = subparsers.add_parser(
        "compare", parents=[parent], help="compare strategies or documents side by side, with citations",
        description="One row per aspect, one column per strategy (a manifest `strategy` name, or part of one) "
        "or document (a doc_id). Each cell quotes the sentences that support it, with citations, or says "
        "\"not stated in the corpus\"; comparable figures get a calculated difference or ratio.",
        epilog=COMPARE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("columns", nargs="+", metavar="STRATEGY_OR_DOC", help="two or more strategies or doc_ids")
    p.add_argument("--aspect", action="append", choices=[a.key for a in ASPECTS], metavar="ASPECT",
                   help="an aspect to compare (repeatable; default all): " + ", ".join(a.key for a in ASPECTS))
    p.add_argument("--format", choices=FORMATS, help="output format (default: table, or from --out's extension)")
    p.add_argument("--json", action="store_true", help="same as --format json")
    p.add_argument("--out", metavar="FILE", type=Path, help="write to FILE instead of standard output")
    p.add_argument("--width", type=int, help="table width in characters (default: the terminal's)")
    p.set_defaults(func=run_compare)

    t = subparsers.add_parser(
        "timeline", parents=[parent], help="every dated event and deadline in date order, with citations",
        description="Dates from the manifest (documents published) and from the text (events and deadlines), "
        "in date order, each with its citation and the strategy it belongs to.")
    t.add_argument("--strategy", metavar="NAME", help="only this strategy's events (a name, part of one, or a doc_id)")
    t.add_argument("--json", action="store_true", help="print a JSON list")
    t.set_defaults(func=run_timeline)


def _format(args: argparse.Namespace) -> str:
    if args.json:
        return "json"
    if args.format:
        return args.format
    return _SUFFIXES.get(args.out.suffix.lower(), "table") if args.out else "table"


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        text = printable(text, keep_newlines=True)  # a terminal shows document text, never its escapes
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    out.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)


def run_compare(args: argparse.Namespace, settings: Settings) -> int:
    """Print (or write) the comparison table; 2 with a clear message for an unknown strategy or aspect."""
    from assistant.compare.table import compare_strategies
    from assistant.answer.pipeline import Assistant

    comparison = compare_strategies(Assistant(settings), args.columns, args.aspect)
    fmt = _format(args)
    if fmt == "json":
        text = json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2)
    elif fmt == "markdown":
        text = comparison.to_markdown()
    elif fmt == "csv":
        text = comparison.to_csv()
    else:
        width = args.width or max(80, min(200, shutil.get_terminal_size((120, 40)).columns))
        text = comparison.to_text(width)
    _emit(text, args.out)
    return 0


def run_timeline(args: argparse.Namespace, settings: Settings) -> int:
    """Print the timeline as text or JSON."""
    from assistant.answer.pipeline import Assistant
    from assistant.compare.timeline import format_timeline, timeline

    events = timeline(Assistant(settings), args.strategy)
    if args.json:
        print(json.dumps([e.to_dict() for e in events], ensure_ascii=False, indent=2))
    elif events:
        print(printable(format_timeline(events), keep_newlines=True))
    else:
        print("no dated events found", file=sys.stderr)
    return 0
