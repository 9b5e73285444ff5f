"""The one place a `Citation` is built from a chunk and a quote, and an `Answer` is declined."""

from __future__ import annotations

from assistant.types import Answer, Chunk, Citation


def make_citation(n: int, chunk: Chunk, quote: str) -> Citation:
    """Citation number `n` quoting `quote` (verbatim text of `chunk`) with the chunk's document and page."""
    m = chunk.meta
    return Citation(n, chunk.id, chunk.doc_id, str(m.get("title") or chunk.doc_id), chunk.page, quote,
                    m.get("url"), m.get("publisher"), m.get("published"), chunk.text, chunk.section or None)


def decline(question: str, text: str, nearest: list[tuple[Chunk, str]] = ()) -> Answer:
    """A declined answer: why, and the closest passages found (quoted, for the reader to judge)."""
    near = tuple(make_citation(i + 1, chunk, quote) for i, (chunk, quote) in enumerate(nearest))
    return Answer(question, text, declined=True, nearest=near)
