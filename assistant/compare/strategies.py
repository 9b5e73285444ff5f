"""Which strategy a sentence speaks about, and columns for comparisons and timelines.

A column is a strategy (a `strategy` name from the manifest) or a document. A report often covers more
than one strategy, so every sentence is attributed (`read_document`): to the strategies it names (a
year, a distinctive word of the name), else to the strategy its paragraph named, to earlier initiatives
("Previous NAO studies ...": never used for any column), or to the document as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from assistant.errors import AssistantError, CompareError  # noqa: F401 (re-exported)
from assistant.query.safety import is_instruction
from assistant.types import Chunk
from assistant.text.patterns import Y
from assistant.text.sentences import split_sentences


# --- columns ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """A column: a strategy and the documents that cover it, or one document (strategy None)."""

    label: str
    doc_ids: tuple[str, ...]
    strategy: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "strategy": self.strategy, "doc_ids": list(self.doc_ids)}


def known_names(documents: list[dict]) -> tuple[list[str], list[str]]:
    """(strategy names, doc_ids) the store holds, for choosing columns and for error messages."""
    strategies = list(dict.fromkeys(s for d in documents for s in d.get("strategy") or []))
    return strategies, [d["doc_id"] for d in documents]


def resolve_columns(documents: list[dict], names: Iterable[str]) -> list[Column]:
    """Columns for strategy names or doc_ids (exact, any case; or a part of one strategy's name)."""
    strategies, doc_ids = known_names(documents)
    if not documents:
        raise CompareError("no documents are stored; run `audit-assistant ingest` first")
    columns = []
    for name in names:
        low = name.strip().casefold()
        exact = [s for s in strategies if s.casefold() == low]
        partial = [s for s in strategies if low and low in s.casefold()]
        if name.strip() in doc_ids and not exact:
            columns.append(Column(name.strip(), (name.strip(),)))
        elif exact or len(partial) == 1:
            s = (exact or partial)[0]
            columns.append(Column(s, tuple(d["doc_id"] for d in documents if s in (d.get("strategy") or [])), s))
        else:
            hint = f" (it matches {', '.join(map(repr, partial))}: give one)" if partial else ""
            raise CompareError(f"unknown strategy or document {name!r}{hint}. Known strategies: "
                               f"{', '.join(map(repr, strategies)) or 'none'}; documents: {', '.join(doc_ids)}")
    return columns


# --- reading a document: sentences and what they are about ------------------------------------------

@dataclass(frozen=True)
class Sentence:
    """A sentence of a stored page, with the chunk that holds it and the strategies it speaks about."""

    doc_id: str
    page: int | None
    start: int  # offsets in the cleaned page text
    end: int
    text: str
    chunk: Chunk
    about: tuple[str, ...] = ()  # strategies it names or inherits from its paragraph; () = the document
    previous: bool = False  # it speaks of earlier initiatives, not of the document's strategies


_GENERIC = set("""shared service services strategy strategies government model approach programme program plan
initiative initiatives the of and for new national update review""".split())
# Words that point back to earlier initiatives ("Previous NAO studies", "successive strategies"); not
# "the past year" or "earlier than planned", which are about time.
_PREVIOUS = re.compile(r"\b(?:previous(?:ly)?|successive|former|prior|predecessors?)\b|\bearlier\b(?!\s+than)"
                       r"|\bpast\b(?!\s+(?:year|month|decade|few|\d|two|three|four|five|six|ten)\w*)", re.I)
# "learn from past failings", "lessons from previous strategies": the subject is the current work.
_LEARNING = re.compile(r"\b(?:learn\w*|lessons?|repeat\w*|avoid\w*)\b(?:\W+\w+){0,4}?\W+"
                       r"(?:previous|past|earlier|former|prior)\b", re.I)
_CURRENT = re.compile(r"\b(?:new|latest|current|revised)\s+(?:\w+\s+){0,2}(?:strategy|approach|programme|model)\b",
                      re.I)
_YEAR = re.compile(rf"(?<![\d£$.,/\-–]){Y}(?![\d%]|\s?-\s?\d)")  # a year, not a figure or a financial year
_BREAK = re.compile(r"\n\s*\n|\n\s*(?:\(?\d{1,2}[.)]|[•*\-–])\s")
_LIST = re.compile(r"^\(?\d{1,2}[.)]\s+")


def _words(text: str) -> set[str]:
    from assistant.text.terms import stem

    return {stem(w) for w in re.findall(r"[a-z0-9]+", text.lower())}


def strategy_year(name: str) -> int | None:
    m = _YEAR.search(name)
    return int(m.group()) if m else None


def ordered_strategies(doc: dict) -> list[str]:
    """A document's strategies, earliest first (names without a year keep the manifest's order)."""
    names = list(doc.get("strategy") or [])
    return sorted(names, key=lambda s: (strategy_year(s) or 10**4, names.index(s)))


def _markers(names: list[str]) -> dict[str, tuple[set[str], str | None]]:
    """Per strategy: the distinctive words of its name (all must appear) and its year."""
    out = {}
    for s in names:
        words = {w for w in _words(re.sub(r"\d+", " ", s)) if w not in _words(" ".join(_GENERIC)) and len(w) > 2}
        out[s] = (words, str(strategy_year(s)) if strategy_year(s) else None)
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """A sentence without its list number, trailing footnote digit or unbalanced quotation mark."""
    s = text[start:end]
    m = _LIST.match(s)
    if m:
        start += m.end()
    m = re.search(r"(?<=[.!?”’])\d{1,2}$", text[start:end])
    if m:
        end -= len(m.group())
    if text[start] in "“\"" and "”" not in text[start + 1:end]:
        start += 1
    if text[end - 1] in "”\"" and "“" not in text[start:end - 1]:
        end -= 1
    return start, end


def read_document(catalog, doc: dict) -> list[Sentence]:
    """Every sentence of a stored document, attributed to the strategies it speaks about."""
    chunks = list(catalog.iter_chunks(doc["doc_id"]))
    names = ordered_strategies(doc)
    markers = _markers(names)
    first_year = min((strategy_year(s) for s in names if strategy_year(s)), default=None)
    out: list[Sentence] = []
    for page in dict.fromkeys(c.page for c in chunks):
        text = catalog.page_text(doc["doc_id"], page) or ""
        held = [c for c in chunks if c.page == page]
        inherited: tuple[str, ...] = ()
        last_end = 0
        for span in split_sentences(text):
            if _BREAK.search(text[last_end:span.start + 4]):
                inherited = ()  # a new paragraph or list item starts afresh
            last_end = span.end
            start, end = _trim(text, span.start, span.end)
            if end - start < 3:
                continue
            sent = text[start:end]
            if is_instruction(sent):
                continue  # a sentence addressed to an answerer is not evidence, in a table cell either
            chunk = next((c for c in held if c.char_start <= start and end <= c.char_end), None)
            if chunk is None:
                continue  # (a sentence longer than any chunk: never happens with whole-sentence chunks)
            words, years = _words(sent), set(_YEAR.findall(sent))
            named = tuple(s for s in names if markers[s][0] and markers[s][0] <= words)
            dated = tuple(s for s in names if markers[s][1] in years and s not in named
                          and not re.search(rf"\bby {markers[s][1]}", sent))
            looks_back = any(not any(l.start() <= m.start() < l.end() for l in _LEARNING.finditer(sent))
                             for m in _PREVIOUS.finditer(sent)) and not _CURRENT.search(sent)
            before = bool(years) and first_year is not None and all(int(y) < first_year for y in years)
            if looks_back or (before and not named and not dated):
                about, previous = (), True  # even when it names a strategy's topic: "earlier estates programmes"
            else:
                about, previous = named + dated or inherited, False
            out.append(Sentence(doc["doc_id"], page, start, end, sent, chunk, tuple(s for s in names if s in about),
                                previous))
            if about:
                inherited = tuple(s for s in names if s in about)
    return out


def usable_for(sentence: Sentence, column: Column, doc: dict) -> bool:
    """Whether a sentence may support a cell of this column.

    Never a sentence about earlier initiatives. For a strategy column: a sentence about the document as a
    whole, about this strategy, or about a later strategy of the same report only. A report that covers
    several strategies reviews the later ones as developments of the earlier (the 2022 report: the 2021
    cluster model is how the 2018 strategy is now delivered), while what it says of the earlier strategy
    (its original 2025 deadline) no longer holds for the later one.
    """
    if sentence.previous:
        return False
    if column.strategy is None or not sentence.about or column.strategy in sentence.about:
        return True
    order = ordered_strategies(doc)
    if column.strategy not in order:
        return False
    mine = order.index(column.strategy)
    return all(order.index(s) > mine for s in sentence.about)
