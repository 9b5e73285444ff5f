"""Structure-aware chunking: headings, paragraphs, sentences; chunks are exact slices of the cleaned page.
Sentences come from the one splitter, `assistant.text.sentences` (offsets kept, so quotes trace back)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from assistant.text.sentences import Span, split_sentences
from assistant.types import Chunk

def is_heading(paragraph: str) -> bool:
    """A short line with no sentence-ending punctuation: a section title."""
    p = paragraph.strip()
    return 0 < len(p) <= 80 and "\n" not in p and not re.search(r"[.!?:;,”\"]$", p) and p[0].isupper() \
        and "," not in p


def chunk_id(doc_id: str, page: int | None, start: int, text: str) -> str:
    """Stable id from the document and content: re-ingesting the same text gives the same ids."""
    digest = hashlib.sha256(f"{doc_id}\x1f{page}\x1f{start}\x1f{text}".encode()).hexdigest()[:20]
    return f"{doc_id}:{digest}"


def chunk_page(doc_id: str, page: int | None, text: str, size: int = 700, overlap: int = 1,
               meta: dict | None = None, section: str | None = None) -> tuple[list[Chunk], str | None]:
    """Chunks of one cleaned page, and the section title in force at its end (carried to the next page)."""
    meta = meta or {}
    units: list[tuple[Span, str | None]] = []  # sentence, section title it belongs to
    for para in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text):
        if is_heading(para.group()):
            section = para.group().strip()
            continue
        for s in split_sentences(para.group(), para.start()):
            units.append((s, section))
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        sec = units[i][1]
        j, length = i, 0
        while j < len(units) and units[j][1] == sec and (j == i or length + len(units[j][0].text) <= size):
            length += len(units[j][0].text) + 1
            j += 1
        start, end = units[i][0].start, units[j - 1][0].end
        body = text[start:end]
        chunks.append(Chunk(chunk_id(doc_id, page, start, body), doc_id, body, page, sec, start, end, dict(meta)))
        if j >= len(units):
            break
        # Overlap by whole sentences, within a section, and always move forward.
        nxt = j - overlap if units[j][1] == sec and overlap > 0 else j
        i = max(nxt, i + 1)
    return chunks, section
