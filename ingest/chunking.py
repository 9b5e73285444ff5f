"""Structure-aware chunking: headings, paragraphs, sentences; chunks are exact slices of the cleaned page.
Sentences come from the one splitter, `assistant.text.sentences` (offsets kept, so quotes trace back).

Headings become the section of the chunks under them (a path such as "Part Two > Progress and savings"),
never text of a chunk. A table row and a footnote, marked as `ingest.structure` describes, are chunks of
their own: the row's section is the table's caption, the footnote's is "page 7, note 3".

Chunk meta, for the catalog to keep and citations to show (all of it data, bounded in size):
- a table row: `table` (caption), `row` (label), `cells`, `under` (the section around the table), and for
  showing the row in its table `columns` (the header row, when the table has one), `rows` (the row and up to
  TABLE_WINDOW rows either side, each [label, cell, ...] under the columns) and `row_at` (its index there);
- a footnote: `note` (its number);
- a passage whose sentences referred to footnotes: `notes`, one {n, page, at, text} per reference, `at` the
  offset in the chunk's text where the marker stood and `text` the note's text on that page (None if the note
  is not on the page).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from assistant.config import Settings
from assistant.text.rows import heads_table, is_data_row
from assistant.text.sentences import Span, split_sentences
from assistant.types import Chunk
from ingest import structure
from ingest.tables import is_caption, with_unit

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*")
_LINE = re.compile(r"[^\n]+")
_NOT_TITLE = re.compile(r"(?:Sources?|Notes?)\s*:", re.I)  # "Source: NAO analysis" under a figure
# Bounds on what a chunk's meta repeats of its table and notes, so a huge table or note cannot swell the
# catalog: rows shown either side of a cited row, columns, characters of a cell or a note, notes per chunk.
TABLE_WINDOW, MAX_COLUMNS, MAX_CELL, MAX_NOTE, MAX_NOTES = 3, 12, 80, 600, 10
# The longest line without marks taken for a section title (set by hand): a title is a few words; a longer line
# without closing punctuation is a wrapped sentence or a list item. A marked heading ('## ...') may be any length.
TITLE_MAX_CHARS = 80


def is_heading(paragraph: str) -> bool:
    """A marked heading ('## Title'), or a short line with no sentence-ending punctuation: a section title. Not a
    row of figures: `ingest.cleaning.rows_apart` sets a table's rows apart so that each is a sentence of the passage
    (its figures quotable and found by search), not the name of the section under it."""
    p = paragraph.strip()
    if structure.HEADING.match(p) and "\n" not in p:
        return True
    if _NOT_TITLE.match(p) or is_caption(p) or is_data_row(p):
        return False  # a source line, a figure's caption or a table's row names no section
    return 0 < len(p) <= TITLE_MAX_CHARS and "\n" not in p and not re.search(r"[.!?:;,”\"]$", p) \
        and p[0].isupper() and "," not in p


def _heading_text(paragraph: str) -> str:
    m = structure.HEADING.match(paragraph.strip())
    return m.group("text") if m else paragraph.strip()


def chunk_id(doc_id: str, page: int | None, start: int, text: str) -> str:
    """Stable id from the document and content: re-ingesting the same text gives the same ids."""
    digest = hashlib.sha256(f"{doc_id}\x1f{page}\x1f{start}\x1f{text}".encode()).hexdigest()[:20]
    return f"{doc_id}:{digest}"


@dataclass(frozen=True)
class _Unit:
    span: Span
    section: str | None
    alone: bool = False  # a table row or a footnote: a chunk by itself
    meta: dict = field(default_factory=dict)


def _units(text: str, page: int | None, path: list[str]) -> tuple[list[_Unit], list[str]]:
    """The sentences, rows and notes of a page in reading order, and the section path in force at its end."""
    units: list[_Unit] = []
    for para in _PARAGRAPH.finditer(text):
        lines = [(m.start() + para.start(), m.end() + para.start()) for m in _LINE.finditer(para.group())]
        first = text[lines[0][0]:lines[0][1]]
        cap = structure.CAPTION.match(first)
        if cap:
            units += _table(text, lines[1:], cap.group("text"), path)
            continue
        if structure.FOOTNOTE.match(first):
            units += _notes(text, lines, page)
            continue
        if is_heading(para.group()):
            path = structure.enter(path, _heading_text(para.group()))
            continue
        # Marked headings may sit on the first lines of a paragraph ("# Title\ntext" in Markdown).
        body_start = para.start()
        for a, b in lines:
            if structure.HEADING.match(text[a:b]) and a == body_start:
                path = structure.enter(path, _heading_text(text[a:b]))
                body_start = b + 1
        if body_start < para.end():
            section = structure.to_section(path)
            units += [_Unit(s, section) for s in split_sentences(text[body_start:para.end()], body_start)]
    return units, path


def _table(text: str, lines: list[tuple[int, int]], caption: str, path: list[str]) -> list[_Unit]:
    out = []
    columns: list[str] | None = None
    grid: list[list[str]] = []  # every row as [label, cell, ...], for the rows shown around a cited one
    rows: list[int] = []  # the index in `out` of each row's unit
    for a, b in lines:
        header = structure.parse_columns(text[a:b])
        if header is not None and columns is None and not rows:
            columns = [_bounded(h, MAX_CELL) for h in header[:MAX_COLUMNS]]
            continue
        row = structure.parse_row(text[a:b])
        if row is None:  # a source line or note under the table: ordinary text, under the table's caption
            out += [_Unit(s, caption) for s in split_sentences(text[a:b], a)]
            continue
        _, label, cells = row
        grid.append([_bounded(c, MAX_CELL) for c in _under_columns(columns, label, cells)[:MAX_COLUMNS]])
        rows.append(len(out))
        meta = {"table": caption, "row": label, "cells": cells, "under": structure.to_section(path)}
        out.append(_Unit(Span(a, b, text[a:b]), caption, alone=True, meta=meta))
    for k, i in enumerate(rows):
        lo = max(0, k - TABLE_WINDOW)
        out[i].meta.update(rows=grid[lo:k + TABLE_WINDOW + 1], row_at=k - lo)
        if columns:
            out[i].meta["columns"] = columns
    return out


def _under_columns(columns: list[str] | None, label: str, cells: list[str]) -> list[str]:
    """A row line's cells placed under the table's columns, each without its column name ("Actual £52
    million" under "Actual (£m)" is "£52 million"); as they are when the columns are unknown or do not fit."""
    if not columns:
        return [label, *cells]
    out, j = [label] + [""] * (len(columns) - 1), 1
    for cell in cells:
        for k in range(j, len(columns)):
            names = sorted({columns[k], with_unit(columns[k], "1")[0]} - {""}, key=len, reverse=True)
            name = next((n for n in names if cell.startswith(n + " ")), None)
            if name is not None or not columns[k]:
                out[k], j = (cell[len(name) + 1:] if name is not None else cell), k + 1
                break
        else:
            return [label, *cells]
    return out


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _notes(text: str, lines: list[tuple[int, int]], page: int | None) -> list[_Unit]:
    """Each footnote of a block, without its '[^n]:' mark; continuation lines belong to the note above."""
    out: list[_Unit] = []
    note: list = []  # [number, start, end]
    for a, b in lines + [(len(text), len(text))]:
        m = structure.FOOTNOTE.match(text[a:b]) if a < b else None
        if (m or a >= b) and note:
            n, s, e = note
            where = f"page {page}, note {n}" if page is not None else f"note {n}"
            out.append(_Unit(Span(s, e, text[s:e]), where, alone=True, meta={"note": n}))
            note = []
        if m:
            note = [int(m.group("n")), a + m.end(), b]
        elif a < b and note:
            note[2] = b
        elif a < b:  # text before any note mark: ordinary sentences
            out += [_Unit(s, None) for s in split_sentences(text[a:b], a)]
    return [u for u in out if u.span.text.strip()]


# How far past the chunk size a passage may run to keep a table set out with spaces whole (a bound, so a long
# table is still cut; set by hand: a few rows of a summary table fit within it)
TABLE_STRETCH = 3


def _same_table(units: list[_Unit], j: int, length: int, size: int) -> bool:
    """Whether unit `j` is the next row of the table set out with spaces that the passage has reached (each row a
    sentence ending in figures, `is_data_row`): a passage runs on to the table's end, up to `TABLE_STRETCH` times
    its size, so its rows are read under their heading row and caption, not cut from them."""
    return length < TABLE_STRETCH * size and is_data_row(units[j].span.text) and is_data_row(units[j - 1].span.text)


def chunk_page(doc_id: str, page: int | None, text: str, size: int = Settings.chunk_size,
               overlap: int = Settings.chunk_overlap_sentences,
               meta: dict | None = None, section: str | None = None,
               refs: tuple[tuple[int, int], ...] = ()) -> tuple[list[Chunk], str | None]:
    """Chunks of one cleaned page, and the section path in force at its end (carried to the next page).
    `refs`: where the page's footnote markers stood, (offset in `text`, note number), as cleaning found them."""
    meta = meta or {}
    units, path = _units(text, page, structure.from_section(section))
    notes = {u.meta["note"]: u.span.text for u in units if "note" in u.meta}

    def make(a: int, b: int, sec: str | None, extra: dict) -> Chunk:
        body = text[a:b]
        extra = dict(extra)
        if "note" not in extra:
            # A marker belongs to the passage that holds the words it is glued to: it stood just after them.
            linked = [{"n": n, "page": page, "at": at - a, "text": _bounded(notes[n], MAX_NOTE) if n in notes else None}
                      for at, n in refs if a < at <= b][:MAX_NOTES]
            if linked:
                extra["notes"] = linked
        return Chunk(chunk_id(doc_id, page, a, body), doc_id, body, page, sec, a, b, {**meta, **extra})

    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        unit = units[i]
        if unit.alone:
            chunks.append(make(unit.span.start, unit.span.end, unit.section, unit.meta))
            i += 1
            continue
        sec = unit.section
        j, length = i, 0
        while j < len(units) and not units[j].alone and units[j].section == sec \
                and (j == i or length + len(units[j].span.text) <= size or _same_table(units, j, length, size)):
            length += len(units[j].span.text) + 1
            j += 1
        chunks.append(make(units[i].span.start, units[j - 1].span.end, sec, {}))
        if j >= len(units):
            break
        # Overlap by whole sentences, within a section, and always move forward.
        same = not units[j].alone and units[j].section == sec
        nxt = j - overlap if same and overlap > 0 else j
        start, i = i, max(nxt, i + 1)
        # A passage that opens at a table's heading row ("Item 2021-22 2022-23") opens at its caption line instead
        # ("Spending by year (£ million):"): the caption says what unit the rows' figures are in.
        if i - 1 > start and heads_table(units[i].span.text) and units[i - 1].span.text.rstrip().endswith(":") \
                and units[i - 1].section == units[i].section:
            i -= 1
    return chunks, structure.to_section(path)
