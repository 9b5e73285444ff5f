"""Strategies side by side, and a cited timeline of their dates.

A column is a strategy (a `strategy` name from the manifest) or a document. For each aspect (objectives,
savings, costs...) a cell holds the source sentences that speak about the column's strategy, each cited,
or "not stated in the corpus". A report often covers more than one strategy, so every sentence is first
attributed (`read_document`): to the strategies it names (a year, a distinctive word of the name), to
the strategy of its paragraph, to earlier initiatives ("Previous NAO studies ...", never used), or to
the document as a whole. Pure logic: the CLI (`cli_compare`) and the UI only render what is returned.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from assistant import calculators
from assistant.errors import AssistantError, CalculationError
from assistant.figures import Figure, extract_figures
from assistant.types import Calculation, Chunk, Citation, Operand
from ingest.chunking import split_sentences

NOT_STATED = "not stated in the corpus"
DEBUG = False


class CompareError(AssistantError):
    """A comparison or timeline was asked for strategies or documents the store does not hold."""


# --- aspects ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Aspect:
    """One row of a comparison: what to retrieve, the cue words a supporting sentence must use, and the
    figures (units and measures) that can be compared across columns."""

    key: str
    label: str
    query: str
    cues: tuple[tuple[str, float], ...]  # (regex, weight); a sentence with no cue never supports the aspect
    units: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()  # figure measures in order of preference; empty = any measure
    max_sentences: int = 2

    def cue_score(self, text: str) -> float:
        return sum(w for p, w in self.cues if re.search(p, text, re.I))

    def figures(self, text: str) -> list[Figure]:
        """The figures of `text` this aspect compares, best measure first."""
        found = [f for f in extract_figures(text) if f.unit in self.units
                 and (not self.measures or (f.measure or "") in self.measures)]
        rank = {m: i for i, m in enumerate(self.measures)}
        return sorted(found, key=lambda f: rank.get(f.measure or "", len(rank)))

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "query": self.query}


# Hand-written cues, because audit prose states each aspect with stock phrases ("broadly on track", "the
# NAO recommends"); a table can be audited, and a cue missing costs a sentence, never a wrong one.
ASPECTS: tuple[Aspect, ...] = (
    Aspect("objectives", "Objectives", "objectives of the strategy: what it aimed or set out to do",
           ((r"\bobjectives\s*:|\baim(?:s|ed)? to\b|\bset out how\b|\bintended to\b", 2.0),
            (r"\bobjectives?\b|\bgoals?\b|\bpurpose\b", 1.0))),
    Aspect("savings", "Expected savings or benefits", "expected savings and benefits of the strategy",
           ((r"\bsavings?\b|\bsave\b", 1.5), (r"\bbenefits?\b", 1.0)), units=("GBP", "percent"),
           measures=("savings per annum", "savings")),
    Aspect("costs", "Implementation cost and funding", "implementation cost, spending and funding",
           ((r"implementation cost|\btotal cost\b|\bcost to date\b|implementation has cost", 2.5),
            (r"\bspen(?:t|ding|d)\b|\bfunding\b|\bforecast\b|\bbudget\b", 1.5),
            (r"(?<!operating )(?<!reduce the )\bcosts?\b(?! of administering)", 1.0)),
           units=("GBP",), measures=("implementation cost", "cost", "spending to date", "funding forecast",
                                     "funding requested", "funding approved", "funding", "budget", "spending"),
           max_sentences=3),
    Aspect("deadlines", "Deadlines and timescales", "deadlines and timescales: by when it must be delivered",
           ((r"\bby (?:19|20)\d\d\b|\bat the latest\b|\bdeadlines?\b", 2.0),
            (r"\btimetable\b|\btimescales?\b|\blater than (?:originally )?planned\b|\bten-year\b", 1.5),
            (r"\bexpir\w*", 1.0)), units=("year", "date"), measures=("deadline",), max_sentences=3),
    Aspect("governance", "Governance", "governance, responsibility and accountability for delivery",
           ((r"\bgovernance\b", 2.0), (r"\bresponsib\w*|\baccountab\w*|\bdecision-making\b|\boversight\b", 1.5),
            (r"\bdelegated\b|\bstrategic management\b|\brole of\b", 1.0))),
    Aspect("monitoring", "How progress is monitored", "how progress and benefits are monitored, tracked and reported",
           ((r"\bmonitor\w*", 2.0), (r"\bperformance indicators?\b|\bmanagement information\b|\bbenchmarks?\b", 2.0),
            (r"\btracked\b|\breporting\b|\bmeasur\w*", 1.0))),
    Aspect("verdict", "The NAO's verdict", "the NAO's overall conclusion: is it on track, is it value for money",
           ((r"\bon track\b", 2.5), (r"\bvalue for money\b", 1.0), (r"\bmade progress\b", 0.5))),
    Aspect("recommendations", "Recommendations", "what the NAO recommends should be done",
           ((r"\brecommend(?:s|ed|ations?)?\b", 2.0), (r"\bshould\b", 1.0)), max_sentences=3),
)
ASPECT_KEYS = {a.key: a for a in ASPECTS}


def aspects_named(keys: Iterable[str] | None) -> tuple[Aspect, ...]:
    """The aspects with these keys (all of them for None), or a CompareError naming the known ones."""
    if not keys:
        return ASPECTS
    unknown = [k for k in keys if k not in ASPECT_KEYS]
    if unknown:
        raise CompareError(f"unknown aspect {', '.join(map(repr, unknown))}; known aspects: {', '.join(ASPECT_KEYS)}")
    return tuple(ASPECT_KEYS[k] for k in dict.fromkeys(keys))


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
        if exact or len(partial) == 1:
            s = (exact or partial)[0]
            columns.append(Column(s, tuple(d["doc_id"] for d in documents if s in (d.get("strategy") or [])), s))
        elif name.strip() in doc_ids:
            columns.append(Column(name.strip(), (name.strip(),)))
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
_PREVIOUS = re.compile(r"\b(?:previous(?:ly)?|past|successive|earlier|former|prior|predecessors?)\b", re.I)
# "learn from past failings", "lessons from previous strategies": the subject is the current work.
_LEARNING = re.compile(r"\b(?:learn\w*|lessons?|repeat\w*|avoid\w*)\b(?:\W+\w+){0,4}?\W+"
                       r"(?:previous|past|earlier|former|prior)\b", re.I)
_CURRENT = re.compile(r"\b(?:new|latest|current|revised)\s+(?:\w+\s+){0,2}(?:strategy|approach|programme|model)\b",
                      re.I)
_YEAR = re.compile(r"(?<![\d£$.,/\-–])(?:19|20)\d\d(?![\d%]|\s?-\s?\d)")
_BREAK = re.compile(r"\n\s*\n|\n\s*(?:\(?\d{1,2}[.)]|[•*\-–])\s")
_LIST = re.compile(r"^\(?\d{1,2}[.)]\s+")


def _words(text: str) -> set[str]:
    from assistant.answering import stem

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
            if named:
                about, previous = named + dated, False
            elif looks_back or (before and not dated):
                about, previous = (), True
            else:
                about, previous = dated or inherited, False
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


# --- the comparison ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """The sentences that support one aspect of one column, cited; none means "not stated in the corpus"."""

    column: str
    citations: tuple[Citation, ...] = ()
    about: tuple[tuple[str, ...], ...] = ()  # per citation: the strategies its sentence names, () = the document

    @property
    def stated(self) -> bool:
        return bool(self.citations)

    @property
    def text(self) -> str:
        """The quoted sentences, each followed by its citation marker."""
        return " ".join(f"{c.quote} [{c.n}]" for c in self.citations) if self.citations else NOT_STATED

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "stated": self.stated, "text": self.text,
                "citations": [{**c.to_dict(), "about": list(a)} for c, a in zip(self.citations, self.about)]}


@dataclass(frozen=True)
class Row:
    """One aspect across the columns, with calculations between comparable figures and notes where none is."""

    aspect: Aspect
    cells: tuple[Cell, ...]
    calculations: tuple[Calculation, ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"aspect": self.aspect.key, "label": self.aspect.label, "cells": [c.to_dict() for c in self.cells],
                "calculations": [c.to_dict() for c in self.calculations], "notes": list(self.notes)}


@dataclass(frozen=True)
class Comparison:
    """A table: one row per aspect, one cell per column."""

    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    @property
    def citations(self) -> list[Citation]:
        """Every citation of the table once, by number."""
        seen = {c.n: c for r in self.rows for cell in r.cells for c in cell.citations}
        return [seen[n] for n in sorted(seen)]

    def row(self, aspect: str) -> Row:
        return next(r for r in self.rows if r.aspect.key == aspect)

    def cell(self, aspect: str, column: str) -> Cell:
        return next(c for c in self.row(aspect).cells if c.column == column)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [c.to_dict() for c in self.columns], "rows": [r.to_dict() for r in self.rows],
                "citations": [c.to_dict() for c in self.citations]}

    def to_markdown(self) -> str:
        """A Markdown table, then the calculations and notes, then the numbered sources."""
        def esc(s: str) -> str:
            return " ".join(s.split()).replace("|", "\\|")

        lines = [f"## Comparison: {' vs '.join(c.label for c in self.columns)}", "",
                 "| Aspect | " + " | ".join(esc(c.label) for c in self.columns) + " |",
                 "|---" * (len(self.columns) + 1) + "|"]
        lines += ["| " + " | ".join([esc(r.aspect.label)] + [esc(c.text) for c in r.cells]) + " |" for r in self.rows]
        extra = [f"- **{r.aspect.label}**: {line}" for r in self.rows for line in _row_lines(r)]
        if extra:
            lines += ["", "### Calculations and notes", ""] + extra
        lines += ["", "### Sources", ""] + [f"{c.n}. {_source(c)}: “{esc(c.quote)}”" for c in self.citations]
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        """One row per aspect, one column per strategy; every quote carries its source, for spreadsheets."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["aspect"] + [c.label for c in self.columns] + ["calculations and notes"])
        for r in self.rows:
            cells = ["\n".join(f"“{c.quote}” [{c.n}] ({_source(c)})" for c in cell.citations) or NOT_STATED
                     for cell in r.cells]
            w.writerow([r.aspect.label] + cells + ["\n".join(_row_lines(r))])
        return out.getvalue()

    def to_text(self, width: int = 120) -> str:
        """A plain-text grid for a terminal `width` characters wide, then the numbered sources."""
        import textwrap

        first = 18
        each = max(24, (width - first - 3 * len(self.columns)) // len(self.columns))
        widths = [first] + [each] * len(self.columns)

        def grid(cells: list[str]) -> list[str]:
            wrapped = [textwrap.wrap(" ".join(t.split()), w) or [""] for t, w in zip(cells, widths)]
            return [" | ".join((col[i] if i < len(col) else "").ljust(w) for col, w in zip(wrapped, widths)).rstrip()
                    for i in range(max(map(len, wrapped)))]

        rule = "-+-".join("-" * w for w in widths)
        lines = grid(["Aspect"] + [c.label for c in self.columns]) + [rule]
        for r in self.rows:
            lines += grid([r.aspect.label] + [c.text for c in r.cells])
            for note in _row_lines(r):
                lines += textwrap.wrap(note, width - 4, initial_indent="  » ", subsequent_indent="    ")
            lines.append(rule)
        lines += ["", "Sources:"]
        for c in self.citations:
            lines += textwrap.wrap(f"[{c.n}] {_source(c)}: “{' '.join(c.quote.split())}”", width,
                                   subsequent_indent="     ")
        return "\n".join(lines)


def _source(c: Citation) -> str:
    page = f", page {c.page}" if c.page is not None else ""
    return f"{c.title} ({c.doc_id}{page})"


def _row_lines(r: Row) -> list[str]:
    return [f"{c.result}: {c.expression} ({', '.join(_operand(o) for o in c.operands)})" for c in r.calculations] \
        + list(r.notes)


def _operand(o: Operand) -> str:
    return f"{o.label}: {o.value}" + (f" [{o.citation}]" if o.citation else "")


class _Citations:
    """Numbers citations across a whole table, so one sentence cited twice keeps one number."""

    def __init__(self):
        self.by_key: dict[tuple, Citation] = {}

    def cite(self, s: Sentence, doc: dict) -> Citation:
        key = (s.doc_id, s.page, s.start, s.end)
        if key not in self.by_key:
            self.by_key[key] = Citation(len(self.by_key) + 1, s.chunk.id, s.doc_id, str(doc.get("title") or s.doc_id),
                                        s.page, s.text, doc.get("url"), doc.get("publisher"), doc.get("published"),
                                        s.chunk.text)
        return self.by_key[key]


class _Vectors:
    def __init__(self, embedder):
        self.embedder, self.cache = embedder, {}

    def similarity(self, query: str, texts: list[str]) -> list[float]:
        todo = [t for t in dict.fromkeys([query] + texts) if t not in self.cache]
        if todo:
            self.cache.update(zip(todo, self.embedder.embed_documents(todo)))
        q = self.cache[query]
        return [float(sum(x * y for x, y in zip(q, self.cache[t]))) for t in texts]


def compare_strategies(assistant, columns: Iterable[str | Column], aspects: Iterable[str | Aspect] | None = None,
                       k: int = 8) -> Comparison:
    """Compare two or more strategies (or documents) aspect by aspect, every cell cited or "not stated"."""
    from assistant.retrieval import Filters

    docs = {d["doc_id"]: d for d in assistant.catalog.documents()}
    cols = [c if isinstance(c, Column) else resolve_columns(list(docs.values()), [c])[0] for c in columns]
    if len({c.label for c in cols}) < 2:
        raise CompareError("a comparison needs two or more different strategies or documents")
    chosen = tuple(a if isinstance(a, Aspect) else aspects_named([a])[0] for a in aspects) if aspects else ASPECTS
    sentences = {d: read_document(assistant.catalog, docs[d]) for c in cols for d in c.doc_ids}
    numbers, vectors = _Citations(), _Vectors(assistant.embedder)
    rows = []
    for aspect in chosen:
        cells = []
        for col in cols:
            hits = assistant.searcher.search(aspect.query, k, Filters(doc_ids=col.doc_ids))
            picked = _pick(aspect, [s for d in col.doc_ids for s in sentences[d] if usable_for(s, col, docs[d])],
                           hits, k, vectors)
            cells.append(Cell(col.label, tuple(numbers.cite(s, docs[s.doc_id]) for s in picked),
                              tuple(s.about for s in picked)))
        rows.append(_with_figures(Row(aspect, tuple(cells)), cols))
    return Comparison(tuple(cols), tuple(rows))


def _pick(aspect: Aspect, sentences: list[Sentence], hits: list, k: int, vectors: _Vectors) -> list[Sentence]:
    """The best supporting sentences: cue words first, then the aspect's figures, retrieval rank and meaning."""
    def prior(s: Sentence) -> float:
        ranks = [i for i, h in enumerate(hits) if h.chunk.doc_id == s.doc_id and h.chunk.page == s.page
                 and h.chunk.char_start <= s.start and s.end <= h.chunk.char_end]
        return 1.0 - min(ranks) / k if ranks else 0.0

    scored = [(min(3.0, aspect.cue_score(s.text)) + (1.0 if aspect.units and aspect.figures(s.text) else 0.0)
               + 0.5 * prior(s), s) for s in sentences if aspect.cue_score(s.text) > 0]
    scored = sorted(scored, key=lambda x: -x[0])[:12]  # only the most promising are embedded
    if not scored:
        return []
    sims = vectors.similarity(aspect.query, [s.text for _, s in scored])
    ranked = sorted(((p + 1.5 * max(0.0, sim), s) for (p, s), sim in zip(scored, sims)), key=lambda x: -x[0])
    if DEBUG:
        for score, s in ranked:
            print(f"  {aspect.key:12} {score:5.2f} {s.text[:90]}")
    best = ranked[0][0]
    picked = [s for score, s in ranked if score >= 0.6 * best][: aspect.max_sentences]
    return sorted(picked, key=lambda s: (sentences.index(s)))  # in reading order


def _kind(f: Figure, text: str) -> str:
    """What kind of figure this is, in words, for a note that two figures cannot be compared."""
    if f.unit == "GBP":
        return "a sum of money" + (" a year" if (f.measure or "").endswith("per annum") else "")
    if f.unit == "percent":
        of = re.match(r"\s+(?:in|of)\s+([a-z-]+(?:\s+(?!(?:by|to|for|in|of|and|from)\b)[a-z-]+)?)", text[f.end:])
        return "a percentage" + (f" of {of.group(1)}" if of else "")
    return {"year": "a year", "date": "a date", "count": "a count"}.get(f.unit, f"a figure in {f.unit}")


def _shown(f: Figure) -> str:
    return calculators.Quantity.from_figure(f).display()


def _with_figures(row: Row, cols: list[Column]) -> Row:
    """The row with a difference (and, for money, a ratio) between each column's headline figure and the
    first column's, computed by the calculators; a note instead where the figures cannot be compared."""
    if not row.aspect.units:
        return row
    heads = []
    for cell in row.cells:
        found = [(f, c) for c in cell.citations for f in row.aspect.figures(c.quote)]
        heads.append(found[0] if found else None)
    calcs, notes = [], []
    for i in range(1, len(cols)):
        if heads[0] is None or heads[i] is None:
            continue
        (fb, cb), (fa, ca) = heads[0], heads[i]
        ka, kb = _kind(fa, ca.quote), _kind(fb, cb.quote)
        if fa.unit != fb.unit or ka.endswith(" a year") != kb.endswith(" a year"):
            notes.append(f"Not comparable: {_shown(fb)} ({cols[0].label}) is {kb}, {_shown(fa)} ({cols[i].label}) "
                         f"is {ka}; figures of different kinds are not combined.")
            continue
        qa, qb = calculators.Quantity.from_figure(fa), calculators.Quantity.from_figure(fb)
        ops = [(f, c, col) for f, c, col in ((fa, ca, cols[i]), (fb, cb, cols[0]))]
        wanted = [calculators.difference] + ([calculators.ratio] if fa.unit == "GBP" else [])
        for fn in wanted:
            try:
                res = fn(qa, qb)
            except CalculationError as exc:
                notes.append(f"Not calculated: {exc}")
                continue
            operands = list(res.operands)
            if res.operation == "years_between":  # operands come earliest first
                operands.reverse()
            calcs.append(replace(res, operands=tuple(
                Operand(o.value, o.unit, c.n, f"{col.label}, {f.measure or _kind(f, c.quote)}")
                for o, (f, c, col) in zip(operands, ops))))
        if fa.measure and fb.measure and fa.measure != fb.measure:
            notes.append(f"Read with care: {fb.measure} ({cols[0].label}) is set against {fa.measure} "
                         f"({cols[i].label}).")
    return replace(row, calculations=tuple(calcs), notes=tuple(notes))


def timeline(assistant, strategy: str | None = None) -> list:
    """Every dated event and deadline in date order, each cited (see `assistant.timeline`)."""
    from assistant.timeline import timeline as build

    return build(assistant, strategy)
