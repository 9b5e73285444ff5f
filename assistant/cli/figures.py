"""The `figures` subcommand: list the figures found in ingested documents, as a table or as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from assistant.cli.output import printable
from assistant.config import Settings

_COLUMNS = (("doc_id", 40), ("page", 4), ("unit", 14), ("value", 24), ("measure", 32), ("raw", 50))  # widest


def add_parser(subparsers: Any, parent: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Register `figures` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "figures", help="list the figures (money, percentages, counts, years) found in the documents",
        description="List the figures extracted from ingested documents, with what each measures.")
    p.add_argument("--doc", metavar="DOC_ID", help="only this document")
    p.add_argument("--grep", metavar="TEXT", help="only figures whose text, measure or sentence contains TEXT, "
                                                  "or whose unit is TEXT (GBP, percent, count, year...)")
    p.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    p.add_argument("--store", metavar="DIR", help="the store directory (default: the configured one)")
    p.set_defaults(func=run)
    return p


def _value(d: dict[str, Any]) -> str:
    value = f"{d['low']}..{d['high']}" if d["low"] is not None else d["value"]
    return f"{value} of {d['of_total']}" if d["of_total"] is not None else value


def _cell(text: Any, width: int) -> str:
    s = "" if text is None else " ".join(str(text).split())
    return s if len(s) <= width else s[: width - 1] + "…"


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the stored figures; 1 when nothing has been indexed at the store."""
    from assistant.store.figures import list_figures  # sqlite only, but keep `--help` free of it

    if getattr(args, "store", None):
        settings = settings.with_(store_dir=args.store)
    path = settings.sqlite_path
    if not path.exists():
        print(f"No figures indexed: {path} does not exist. Ingest some documents first.", file=sys.stderr)
        return 1
    records = [r.to_dict() for r in list_figures(path, doc_id=args.doc, grep=args.grep)]
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    if not records:
        print("No figures match.", file=sys.stderr)
        return 0
    rows = [{name: _cell({**d, "value": _value(d)}[name], cap) for name, cap in _COLUMNS} for d in records]
    widths = {name: max(len(name), *(len(r[name]) for r in rows)) for name, _ in _COLUMNS}
    for row in [{name: name for name in widths}, *rows]:
        print(printable("  ".join(row[name].ljust(widths[name]) for name in widths).rstrip()))
    print(f"{len(records)} figure{'s' if len(records) != 1 else ''}", file=sys.stderr)
    return 0
