"""Strategies side by side: one row per aspect, one column per strategy (or document).

Each cell holds the source sentences that support the aspect and speak about the column's strategy
(`assistant.compare.strategies` decides which those are), each cited, or "not stated in the corpus". Where two
cells hold figures of the same kind, the calculators add a difference or ratio with its working. Pure
logic: the CLI (`cli_compare`) and the UI render what `compare_strategies` and `timeline` return.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable

from assistant.calc import calculators
from assistant.config import Settings
from assistant.errors import CalculationError
from assistant.text.figures import Figure, extract_figures
from assistant.text.patterns import Y
from assistant.compare.strategies import (Column, CompareError, Sentence, known_names, read_document, resolve_columns,
                                  usable_for)
from assistant.compare.timeline import Event, timeline
from assistant.answer.citations import make_citation
from assistant.types import Calculation, Citation, Operand

__all__ = ["ASPECTS", "Aspect", "Cell", "Column", "Comparison", "CompareError", "Event", "NOT_STATED", "Row",
           "compare_strategies", "known_names", "timeline"]

NOT_STATED = "not stated in the corpus"


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


def _load_aspects() -> tuple[Aspect, ...]:
    """The aspects of the data file `aspects.toml` (hand-written cue words and weights), in row order."""
    data = tomllib.loads(_ASPECTS_FILE.read_text(encoding="utf-8"))
    out = []
    for a in data["aspect"]:
        cues = tuple((c["pattern"].replace("{year}", Y), float(c["weight"])) for c in a.pop("cues"))
        out.append(Aspect(cues=cues, **{k: tuple(v) if isinstance(v, list) else v for k, v in a.items()}))
    return tuple(out)


_ASPECTS_FILE = Path(__file__).with_name("aspects.toml")
ASPECTS: tuple[Aspect, ...] = _load_aspects()
ASPECT_KEYS = {a.key: a for a in ASPECTS}


def aspects_named(keys: Iterable[str] | None) -> tuple[Aspect, ...]:
    """The aspects with these keys (all of them for None), or a CompareError naming the known ones."""
    if not keys:
        return ASPECTS
    unknown = [k for k in keys if k not in ASPECT_KEYS]
    if unknown:
        raise CompareError(f"unknown aspect {', '.join(map(repr, unknown))}; known aspects: {', '.join(ASPECT_KEYS)}")
    return tuple(ASPECT_KEYS[k] for k in dict.fromkeys(keys))


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
    working: tuple[str, ...] = ()  # per calculation: what was computed and how, in words
    notes: tuple[str, ...] = ()  # figures that could not be compared, and cautions

    @property
    def lines(self) -> list[str]:
        """The calculations and notes, one sentence each, for display under the row."""
        return list(self.working) + list(self.notes)

    def to_dict(self) -> dict[str, Any]:
        return {"aspect": self.aspect.key, "label": self.aspect.label, "cells": [c.to_dict() for c in self.cells],
                "calculations": [{**c.to_dict(), "working": w} for c, w in zip(self.calculations, self.working)],
                "notes": list(self.notes)}


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
        """The row of an aspect, by key ("savings")."""
        for r in self.rows:
            if r.aspect.key == aspect:
                return r
        raise KeyError(f"no row for aspect {aspect!r}")

    def cell(self, aspect: str, column: str) -> Cell:
        """The cell of an aspect (by key) and a column (by label)."""
        for c in self.row(aspect).cells:
            if c.column == column:
                return c
        raise KeyError(f"no column {column!r}")

    def _sources(self, links: bool) -> list[tuple[str, str]]:
        """("[1] [3]", "Title (doc_id, page 1)") per page cited: the cells hold the quotes themselves."""
        groups: dict[str, list[int]] = {}
        for c in self.citations:
            groups.setdefault(_source(c) + (f" <{c.url}>" if links and c.url else ""), []).append(c.n)
        return [(" ".join(f"[{n}]" for n in ns), where) for where, ns in groups.items()]

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
        extra = [f"- **{r.aspect.label}**: {line}" for r in self.rows for line in r.lines]
        if extra:
            lines += ["", "### Calculations and notes", ""] + extra
        lines += ["", "### Sources", ""] + [f"- {marks}: {where}" for marks, where in self._sources(True)]
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        """One row per aspect, one column per strategy; every quote carries its source, for spreadsheets."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["aspect"] + [c.label for c in self.columns] + ["calculations and notes"])
        for r in self.rows:
            cells = ["\n".join(f"“{c.quote}” [{c.n}] — {_source(c)}" for c in cell.citations) or NOT_STATED
                     for cell in r.cells]
            w.writerow([r.aspect.label] + cells + ["\n".join(r.lines)])
        return out.getvalue()

    def to_text(self, width: int = 120) -> str:
        """A plain-text grid for a terminal `width` characters wide, then the numbered sources."""
        import textwrap

        first = 18
        each = max(24, (width - first - 3 * len(self.columns)) // len(self.columns))
        widths = [first] + [each] * len(self.columns)

        def grid(cells: list[str]) -> list[str]:
            wrapped = [textwrap.wrap(" ".join(t.split()), w, break_on_hyphens=False) or [""]
                       for t, w in zip(cells, widths)]
            return [" | ".join((col[i] if i < len(col) else "").ljust(w) for col, w in zip(wrapped, widths)).rstrip()
                    for i in range(max(map(len, wrapped)))]

        rule = "-+-".join("-" * w for w in widths)
        lines = grid(["Aspect"] + [c.label for c in self.columns]) + [rule]
        for r in self.rows:
            lines += grid([r.aspect.label] + [c.text for c in r.cells])
            for note in r.lines:
                lines += textwrap.wrap(note, width - 4, initial_indent="  » ", subsequent_indent="    ")
            lines.append(rule)
        lines += ["", "Sources:"]
        lines += [f"{marks}: {where}" for marks, where in self._sources(False)]
        return "\n".join(lines)


def _source(c: Citation) -> str:
    page = f", page {c.page}" if c.page is not None else ""
    return f"{c.title} ({c.doc_id}{page})"


class _Citations:
    """Numbers citations across a whole table, so one sentence cited twice keeps one number."""

    def __init__(self):
        self.by_key: dict[tuple, Citation] = {}

    def cite(self, s: Sentence, doc: dict) -> Citation:
        key = (s.doc_id, s.page, s.start, s.end)
        if key not in self.by_key:
            self.by_key[key] = make_citation(len(self.by_key) + 1, s.chunk, s.text)
        return self.by_key[key]


class _Vectors:
    """An embedder's vectors, cached and computed in batches: the queries once, then every candidate
    sentence of the table in one pass (the model is the main cost of a comparison)."""

    def __init__(self, embedder):
        self.embedder, self.cache = embedder, {}

    def prime(self, texts: Iterable[str]) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            self.cache.update(zip(todo, self.embedder.embed_documents(todo)))

    def embed_query(self, text: str) -> list[float]:  # what the Searcher needs of an embedder
        self.prime([text])
        return self.cache[text]

    def similarity(self, query: str, text: str) -> float:
        self.prime([query, text])
        return float(sum(x * y for x, y in zip(self.cache[query], self.cache[text])))


def compare_strategies(assistant, columns: Iterable[str | Column], aspects: Iterable[str | Aspect] | None = None,
                       k: int | None = None) -> Comparison:
    """Compare two or more strategies (or documents) aspect by aspect, every cell cited or "not stated".

    Its hand-set weights are the assistant's `compare_*` settings; `k` passages per aspect and column
    (`compare_passages` by default)."""
    from assistant.query.retrieval import Filters, Searcher

    settings: Settings = assistant.settings
    k = k or settings.compare_passages
    docs = {d["doc_id"]: d for d in assistant.catalog.documents()}
    cols = [c if isinstance(c, Column) else resolve_columns(list(docs.values()), [c])[0] for c in columns]
    if len({c.label for c in cols}) < 2:
        raise CompareError("a comparison needs two or more different strategies or documents")
    chosen = tuple(a if isinstance(a, Aspect) else aspects_named([a])[0] for a in aspects) if aspects else ASPECTS
    sentences = {d: read_document(assistant.catalog, docs[d]) for c in cols for d in c.doc_ids}
    vectors = _Vectors(assistant.embedder)
    vectors.prime(a.query for a in chosen)
    # the assistant's own searcher's library vectors, where it has one, so a comparison does not read them again
    shared = getattr(getattr(assistant, "searcher", None), "library", None)
    searcher = Searcher(vectors, assistant.store, assistant.catalog, settings.retrieval_candidates,
                        settings.exact_search_max_chunks, shared)
    shortlists = {}
    for aspect in chosen:
        for col in cols:  # retrieval within the column's own documents, so every column gets its share
            hits = searcher.search(aspect.query, k, Filters(doc_ids=col.doc_ids))
            usable = [s for d in col.doc_ids for s in sentences[d] if usable_for(s, col, docs[d])]
            shortlists[aspect.key, col.label] = _shortlist(aspect, usable, hits, k, settings)
    vectors.prime(s.text for short in shortlists.values() for _, _, s in short)
    numbers, rows = _Citations(), []
    for aspect in chosen:
        cells = []
        for col in cols:
            picked = _pick(aspect, shortlists[aspect.key, col.label], vectors, settings)
            cells.append(Cell(col.label, tuple(numbers.cite(s, docs[s.doc_id]) for s in picked),
                              tuple(s.about for s in picked)))
        rows.append(_with_figures(Row(aspect, tuple(cells)), cols))
    return Comparison(tuple(cols), tuple(rows))


def _shortlist(aspect: Aspect, sentences: list[Sentence], hits: list, k: int,
               settings: Settings) -> list[tuple[float, int, Sentence]]:
    """Sentences that use the aspect's cue words, scored by cues (capped), the aspect's figures and retrieval
    rank; the `compare_shortlist` best (only they are embedded), each with its position in reading order."""
    def prior(s: Sentence) -> float:
        ranks = [i for i, h in enumerate(hits) if h.chunk.doc_id == s.doc_id and h.chunk.page == s.page
                 and h.chunk.char_start <= s.start and s.end <= h.chunk.char_end]
        return 1.0 - min(ranks) / k if ranks else 0.0

    def score(s: Sentence) -> float:
        figures = settings.compare_figure_bonus if aspect.units and aspect.figures(s.text) else 0.0
        return (min(settings.compare_cue_cap, aspect.cue_score(s.text)) + figures
                + settings.compare_rank_weight * prior(s))

    scored = [(score(s), i, s) for i, s in enumerate(sentences) if aspect.cue_score(s.text) > 0]
    return sorted(scored, key=lambda x: (-x[0], x[1]))[:settings.compare_shortlist]


def _pick(aspect: Aspect, shortlist: list[tuple[float, int, Sentence]], vectors: _Vectors,
          settings: Settings) -> list[Sentence]:
    """The best supporting sentences (meaning added to the shortlist's score), in reading order."""
    if not shortlist:
        return []
    meaning = settings.compare_meaning_weight
    ranked = sorted(((p + meaning * max(0.0, vectors.similarity(aspect.query, s.text)), i, s) for p, i, s in shortlist),
                    key=lambda x: -x[0])
    best = ranked[0][0]
    picked = [(i, s) for score, i, s in ranked if score >= settings.compare_keep_share * best][: aspect.max_sentences]
    return [s for _, s in sorted(picked, key=lambda x: x[0])]


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

    def closeness(col: Column, about: tuple[str, ...]) -> int:
        # A figure from a sentence about this strategy alone beats one about the whole report or a later
        # strategy: the 2018 column's deadline is its own 2025, not the cluster model's 2028.
        return 0 if about == (col.strategy,) else 1 if col.strategy in about else 2 if not about else 3

    heads = []
    for col, cell in zip(cols, row.cells):
        found = [((closeness(col, about), j, n), f, c) for j, (c, about) in enumerate(zip(cell.citations, cell.about))
                 for n, f in enumerate(row.aspect.figures(c.quote))]
        heads.append(min(found, key=lambda x: x[0])[1:] if found else None)
    calcs, working, notes = [], [], []
    for i in range(1, len(cols)):
        if heads[0] is None or heads[i] is None:
            continue
        (fb, cb), (fa, ca) = heads[0], heads[i]
        if ca.n == cb.n and fa.start == fb.start:
            continue  # both columns cite the same figure: nothing to compare
        ka, kb = _kind(fa, ca.quote), _kind(fb, cb.quote)
        if fa.unit != fb.unit or ka.endswith(" a year") != kb.endswith(" a year"):
            notes.append(f"Not comparable: {_shown(fb)} ({cols[0].label}) is {kb}, {_shown(fa)} ({cols[i].label}) "
                         f"is {ka}; figures of different kinds are not combined.")
            continue
        qa, qb = calculators.Quantity.from_figure(fa), calculators.Quantity.from_figure(fb)
        ops = ((fa, ca, cols[i]), (fb, cb, cols[0]))
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
            sign = "÷" if res.operation == "ratio" else "−"
            working.append(f"{res.operation.replace('_', ' ').capitalize()}, {cols[i].label} {sign} {cols[0].label}: "
                           f"{res.result} ({res.expression}) [{ca.n}] [{cb.n}]")
        if fa.measure and fb.measure and fa.measure != fb.measure:
            notes.append(f"Read with care: the figures measure different things, {fb.measure} "
                         f"({cols[0].label}) and {fa.measure} ({cols[i].label}).")
    return replace(row, calculations=tuple(calcs), working=tuple(working), notes=tuple(notes))

