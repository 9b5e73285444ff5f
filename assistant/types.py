"""The shapes every reader shares: chunks, citations, calculations and answers (one `to_dict` each)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Chunk:
    """A passage of a cleaned document page, with where it came from."""

    id: str
    doc_id: str
    text: str
    page: int | None = None
    section: str | None = None
    char_start: int = 0
    char_end: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.doc_id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ScoredChunk:
    """A chunk with its retrieval score (higher is better) and the ranks that produced it."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    similarity: float | None = None  # cosine similarity to the query, when dense search saw it

    def to_dict(self) -> dict[str, Any]:
        d = self.chunk.to_dict()
        d.update(score=self.score, dense_rank=self.dense_rank, lexical_rank=self.lexical_rank,
                 similarity=self.similarity)
        return d


@dataclass(frozen=True)
class Citation:
    """A numbered reference: the exact quoted words of a source, its document and page."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    page: int | None
    quote: str
    url: str | None = None
    publisher: str | None = None
    published: str | None = None
    context: str | None = None  # the passage the quote sits in, for display
    section: str | None = None  # where in the document: "Part Two > Progress and savings", "page 7, note 3"
    # The footnotes the quoted words refer to: {"n": 3, "page": 7, "text": "..." or None}, "see note 3".
    notes: tuple[dict[str, Any], ...] = ()
    # A quoted table row in its table: {"caption", "columns" (the header row, or None), "rows" (the row and
    # its neighbours, [label, cell, ...] each), "row_at" (the quoted row's index in "rows")}.
    table: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Operand:
    """One input of a calculation: its value, unit, and the citation that supports it."""

    value: str
    unit: str
    citation: int | None = None
    label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Calculation:
    """A computed figure with its working: `expression` shows the arithmetic, operands are cited."""

    operation: str
    expression: str
    result: str
    unit: str
    operands: tuple[Operand, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "expression": self.expression,
            "result": self.result,
            "unit": self.unit,
            "operands": [o.to_dict() for o in self.operands],
        }


@dataclass(frozen=True)
class Answer:
    """An answer: text with [n] markers, its citations and calculations, or a plain decline."""

    question: str
    text: str
    declined: bool
    citations: tuple[Citation, ...] = ()
    calculations: tuple[Calculation, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    mode: str = "grounded"
    nearest: tuple[Citation, ...] = ()  # the closest passages, shown with a decline
    fallback: str | None = None  # why an LLM answer was replaced by the grounded one
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "question": self.question,
            "answer": self.text,
            "declined": self.declined,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "calculations": [c.to_dict() for c in self.calculations],
            "timings_ms": {k: round(v, 2) for k, v in self.timings.items()},
        }
        if self.nearest:
            d["nearest"] = [c.to_dict() for c in self.nearest]
        if self.fallback:
            d["fallback"] = self.fallback
        if self.error:
            d["error"] = self.error
        return d
