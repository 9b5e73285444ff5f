"""Structure-aware chunking: headings, paragraphs, sentences; chunks are exact slices of the cleaned page.
Sentences come from the one splitter, `assistant.text.sentences` (offsets kept, so quotes trace back).

Headings become the section of the chunks under them (a path such as "Part Two > Progress and savings"),
never text of a chunk. A table row and a footnote, marked as `ingest.structure` describes, are chunks of
their own: the row's section is the table's caption, the footnote's is "page 7, note 3".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from assistant.text.sentences import Span, split_sentences
from assistant.types import Chunk
from ingest import structure
from ingest.tables import is_caption

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*")
_LINE = re.compile(r"[^\n]+")
_NOT_TITLE = re.compile(r"(?:Sources?|Notes?)\s*:", re.I)  # "Source: NAO analysis" under a figure


def is_heading(paragraph: str) -> bool:
    """A marked heading ('## Title'), or a short line with no sentence-ending punctuation: a section title."""
    p = paragraph.strip()
    if structure.HEADING.match(p) and "\n" not in p:
        return True
    if _NOT_TITLE.match(p) or is_caption(p):
        return False  # a source line or a figure's caption names no section
    return 0 < len(p) <= 80 and "\n" not in p and not re.search(r"[.!?:;,”\"]$", p) and p[0].isupper() \
        and "," not in p


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
    for a, b in lines:
        row = structure.parse_row(text[a:b])
        if row is None:  # a source line or note under the table: ordinary text, under the table's caption
            out += [_Unit(s, caption) for s in split_sentences(text[a:b], a)]
            continue
        _, label, cells = row
        meta = {"table": caption, "row": label, "cells": cells, "under": structure.to_section(path)}
        out.append(_Unit(Span(a, b, text[a:b]), caption, alone=True, meta=meta))
    return out


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


def chunk_page(doc_id: str, page: int | None, text: str, size: int = 700, overlap: int = 1,
               meta: dict | None = None, section: str | None = None) -> tuple[list[Chunk], str | None]:
    """Chunks of one cleaned page, and the section path in force at its end (carried to the next page)."""
    meta = meta or {}
    units, path = _units(text, page, structure.from_section(section))

    def make(a: int, b: int, sec: str | None, extra: dict) -> Chunk:
        body = text[a:b]
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
                and (j == i or length + len(units[j].span.text) <= size):
            length += len(units[j].span.text) + 1
            j += 1
        chunks.append(make(units[i].span.start, units[j - 1].span.end, sec, {}))
        if j >= len(units):
            break
        # Overlap by whole sentences, within a section, and always move forward.
        same = not units[j].alone and units[j].section == sec
        nxt = j - overlap if same and overlap > 0 else j
        i = max(nxt, i + 1)
    return chunks, structure.to_section(path)
