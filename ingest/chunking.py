"""Structure-aware chunking: headings, paragraphs, sentences; chunks are exact slices of the cleaned page.

Sentence splitting is hand-written on purpose: every sentence must keep its character offsets in the
cleaned text (so a quote can be traced back), must never split inside a figure ("£9.8 million",
"2024-25"), and must run offline; nltk's punkt needs a data download and pysbd loses offsets.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from assistant.types import Chunk

_ABBREVIATIONS = {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "no", "vol", "fig", "para", "paras", "cf",
                  "st", "hon", "rt", "approx", "inc", "ltd", "co", "vs", "op", "cit", "p", "pp", "ch"}
# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before whitespace and
# an opening capital, quote, bracket, digit or £.
_BOUNDARY = re.compile(r"[.!?][”’\"')\]]*\s+(?=[A-Z“‘\"'(£0-9])")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentences of `text` with offsets (plus `offset`); paragraph breaks always end a sentence."""
    spans: list[Span] = []
    for para in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text):
        pstart, ptext = para.start(), para.group()
        start = 0
        for m in _BOUNDARY.finditer(ptext):
            cut = m.start() + 1
            while cut < len(ptext) and ptext[cut] in "”’\"')]":
                cut += 1
            word = re.search(r"(\S+)$", ptext[start:m.start()])
            token = word.group(1).lower().rstrip(".") if word else ""
            if token in _ABBREVIATIONS or re.fullmatch(r"\d{1,2}|[a-z]", token) and cut - start <= 4:
                continue  # "e.g. The", a list number "1. All", or an initial "J. Smith"
            _add(spans, ptext, start, cut, pstart + offset)
            start = m.end()
        _add(spans, ptext, start, len(ptext), pstart + offset)
    return spans


def _add(spans: list[Span], text: str, start: int, end: int, base: int) -> None:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    piece = piece.strip()
    if piece:
        spans.append(Span(base + start + lead, base + start + lead + len(piece), piece))


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
