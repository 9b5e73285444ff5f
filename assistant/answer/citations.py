"""The one place a `Citation` is built from a chunk and a quote, and an `Answer` is declined."""

from __future__ import annotations

import re
from typing import Any

from assistant.text.rows import table_around
from assistant.types import Answer, Chunk, Citation


def make_citation(n: int, chunk: Chunk, quote: str) -> Citation:
    """Citation number `n` quoting `quote` (verbatim text of `chunk`) with the chunk's document and page, the
    footnotes the quoted words refer to, and, for a table row, the table around it."""
    m = chunk.meta
    return Citation(n, chunk.id, chunk.doc_id, str(m.get("title") or chunk.doc_id), chunk.page, quote,
                    m.get("url"), m.get("publisher"), m.get("published"), chunk.text, chunk.section or None,
                    linked_notes(chunk, quote), table_of(chunk, quote))


def linked_notes(chunk: Chunk, quote: str) -> tuple[dict[str, Any], ...]:
    """The notes whose markers stood inside the quoted words (chunk meta `notes`, see `ingest.chunking`): a
    marker stands just after the word it is glued to, so one at the quote's very end is the quote's."""
    refs = chunk.meta.get("notes")
    if not refs or not isinstance(refs, list):
        return ()
    span = _find(chunk.text, quote)
    if span is None:
        return ()
    out: dict[tuple, dict[str, Any]] = {}
    for r in refs:
        if not isinstance(r, dict) or not isinstance(r.get("at"), int) or not isinstance(r.get("n"), int):
            continue  # stored meta is data from a file: take only what has the shape
        if span[0] < r["at"] <= span[1]:
            text = r.get("text")
            out.setdefault((r.get("page"), r["n"]), {"n": r["n"], "page": r.get("page", chunk.page),
                                                     "text": text if isinstance(text, str) else None})
    return tuple(out.values())


def table_of(chunk: Chunk, quote: str = "") -> dict[str, Any] | None:
    """A table row's table (caption, header row, the row and its neighbours, which one it is), or None when
    the chunk is not a table row and the quote is no row of a table its text sets out with spaces
    (`assistant.text.rows.table_around`: "Nursery capital grants 6.2 9.8 7.1" is shown under its years)."""
    m = chunk.meta
    rows, at = m.get("rows"), m.get("row_at")
    if not isinstance(m.get("table"), str) or not isinstance(rows, list) or not isinstance(at, int) \
            or not 0 <= at < len(rows) or not all(isinstance(r, list) for r in rows):
        return table_around(chunk.text, quote) if quote else None
    columns = m.get("columns")
    return {"caption": m["table"], "columns": [str(c) for c in columns] if isinstance(columns, list) else None,
            "rows": [[str(c) for c in r] for r in rows], "row_at": at}


def _find(text: str, quote: str) -> tuple[int, int] | None:
    """Where the quote sits in the text (whitespace may differ), or None."""
    i = text.find(quote)
    if i >= 0:
        return i, i + len(quote)
    words = quote.split()
    m = re.search(r"\s+".join(map(re.escape, words)), text) if words else None
    return m.span() if m else None


def decline(question: str, text: str, nearest: list[tuple[Chunk, str]] = ()) -> Answer:
    """A declined answer: why, and the closest passages found (quoted, for the reader to judge)."""
    near = tuple(make_citation(i + 1, chunk, quote) for i, (chunk, quote) in enumerate(nearest))
    return Answer(question, text, declined=True, nearest=near)
