"""A cited timeline: every dated event and deadline in the stored documents, in date order.

Dates come from two places: the manifest (`published`: the document itself is the event, and the
citation is the document) and the text (every year, financial year and date the figure extractor finds,
with the sentence it sits in as the citation). Each event carries the strategies its sentence speaks
about, found the same way as for comparisons (`assistant.compare.strategies.read_document`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from assistant.config import Settings
from assistant.compare.strategies import Column, Sentence, ordered_strategies, read_document, resolve_columns, usable_for
from assistant.text.figures import Figure, extract_figures
from assistant.answer.citations import make_citation
from assistant.types import Citation

KINDS = ("publication", "event", "period end", "deadline")  # the order of events on the same date
_DEADLINE = re.compile(r"\bdeadlines?\b|\bexpir\w*|\bdue (?:by|in)\b|\bat the latest\b", re.I)
_CUTS = re.compile(r"[,;:]\s|\s\(|\)\s")


@dataclass(frozen=True)
class Event:
    """One dated event or deadline, with its citation and the strategies it belongs to."""

    date: str  # ISO, as precise as the source: "2012-12", "2014-03-31", "2028"
    when: str  # the date as written: "December 2012", "2024-25"
    kind: str  # one of KINDS
    text: str  # what happened or is due, in the source's own words
    strategies: tuple[str, ...]  # () for earlier initiatives
    citation: Citation
    source: str = "text"  # "text" (the quote holds the date) or "manifest" (the document's own date)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["strategies"] = list(self.strategies)
        d["citation"] = self.citation.to_dict()
        return d


def _long_date(iso: str) -> str:
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d:%B %Y}"


def _excerpt(text: str, start: int, end: int, settings: Settings) -> str:
    """The sentence, or for a long one the clauses around text[start:end] (at least `timeline_quote_min_chars`
    of them), with ellipses where cut."""
    if len(text) <= settings.timeline_quote_max_chars:
        return text
    least = settings.timeline_quote_min_chars
    cuts = [0] + [m.end() for m in _CUTS.finditer(text)] + [len(text)]
    lo = max(c for c in cuts if c <= start)
    hi = min(c for c in cuts if c >= end)
    while hi - lo < least and (lo > 0 or hi < len(text)):
        hi = min([c for c in cuts if c > hi] or [len(text)])
        if hi - lo < least and lo > 0:
            lo = max(c for c in cuts if c < lo)
    piece = text[lo:hi].strip(" ,;:(")
    return ("…" if lo > 0 else "") + piece + ("…" if hi < len(text) else "")


def _dating(f: Figure) -> tuple[str, str] | None:
    """(ISO date, kind) of a date figure, or None for a figure that is not a date."""
    if f.unit == "date":
        return f.iso_date or str(f.value), "event"
    if f.unit == "financial_year":  # a financial year ends on 31 March of its second year
        return f"{int(f.value) + 1}-03", "period end" if f.measure == "end of period" else "event"
    if f.unit == "year":
        return str(int(f.value)), "event"
    return None


def _text_events(s: Sentence, doc: dict, cite, settings: Settings) -> list[Event]:
    out = []
    before, after = settings.deadline_cue_chars_before, settings.deadline_cue_chars_after
    for f in extract_figures(s.text):
        dated = _dating(f)
        if dated is None:
            continue
        iso, kind = dated
        near = s.text[max(0, f.start - before):f.end + after]
        if f.measure == "deadline" or (kind == "event" and _DEADLINE.search(near)):
            kind = "deadline"
        strategies = () if s.previous else (s.about or tuple(ordered_strategies(doc)))
        out.append(Event(iso, f.raw, kind, _excerpt(s.text, f.start, f.end, settings), strategies, cite(s)))
    return out


def timeline(assistant, strategy: str | None = None) -> list[Event]:
    """Every dated event and deadline in date order, each cited; only those of one strategy when given. How
    quotes are cut and which dates are deadlines follow the assistant's `timeline_*` and `deadline_*` settings."""
    settings: Settings = assistant.settings
    docs = assistant.catalog.documents()
    column: Column | None = resolve_columns(docs, [strategy])[0] if strategy else None
    if column:
        docs = [d for d in docs if d["doc_id"] in column.doc_ids]
    events: list[Event] = []
    n = 0

    def number() -> int:
        nonlocal n
        n += 1
        return n

    for doc in docs:
        chunks = list(assistant.catalog.iter_chunks(doc["doc_id"]))
        meta = (str(doc.get("title") or doc["doc_id"]), doc.get("url"), doc.get("publisher"), doc.get("published"))
        if doc.get("published") and chunks:
            c = Citation(number(), chunks[0].id, doc["doc_id"], meta[0], None, "", *meta[1:])
            events.append(Event(doc["published"], _long_date(doc["published"]), "publication",
                                f"{doc.get('publisher') or 'The publisher'} publishes “{meta[0]}”",
                                tuple(ordered_strategies(doc)), c, source="manifest"))

        def cite(s: Sentence) -> Citation:
            return make_citation(number(), s.chunk, s.text)

        for s in read_document(assistant.catalog, doc):
            if column is None or usable_for(s, column, doc):
                events += _text_events(s, doc, cite, settings)
    order = {d["doc_id"]: i for i, d in enumerate(docs)}
    events.sort(key=lambda e: (e.date, KINDS.index(e.kind), order[e.citation.doc_id]))
    return events


def format_timeline(events: list[Event]) -> str:
    """Events as plain text: the date, kind and strategies, then what happened and where it is written."""
    lines = []
    for e in events:
        page = f", page {e.citation.page}" if e.citation.page is not None else ""
        where = f"{e.citation.title} ({e.citation.doc_id}{page}{', manifest date' if e.source == 'manifest' else ''})"
        lines += [f"{e.date:<10}  {e.kind:<11}  {'; '.join(e.strategies) or 'earlier initiatives'}",
                  f"{'':<10}  {e.text}", f"{'':<10}  — {where}"]
    return "\n".join(lines)
