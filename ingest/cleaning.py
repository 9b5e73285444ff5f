"""Cleaning: normalise the text (`assistant.text.normalise`), drop navigation and boilerplate, repeated PDF
headers/footers, hyphenation and footnote markers. A marked footnote reference ('services[^3]', as the PDF
reader writes a raised marker) leaves the text too, and the page keeps where it stood and which note it names."""

from __future__ import annotations

import re
from collections import Counter

from assistant.text.data import back_matter_headings, navigation_lines
from assistant.text.normalise import normalise
from ingest import structure
from ingest.loaders import Page

# Navigation and boilerplate lines of publisher web pages: publisher data, kept in one file with its source.
# Headings that carry meaning ("Notes for editors") are not there: the chunker keeps them as section titles.
BOILERPLATE = navigation_lines()
_BOILER_RE = "|".join(re.escape(b) for b in sorted(BOILERPLATE, key=len, reverse=True))
# A boilerplate phrase that is the whole line, or glued to the start or end of a line of text
# (web scrapes lose the break: "Latest reportsThe Government has ...").
_LINE_ONLY = re.compile(rf"^\s*(?:{_BOILER_RE})\s*$", re.I)
_GLUED_START = re.compile(rf"^\s*(?:{_BOILER_RE})(?=[A-Z\"“‘])")
_GLUED_END = re.compile(rf"(?<=[.!?”\"’])\s*(?:{_BOILER_RE})\s*$")
_NUMBER_ONLY = re.compile(r"^\s*\d{1,2}\.\s*$")  # what is left of a numbered note that was all boilerplate

# Footnote markers: 1-2 digits stuck to a word ("services1 across") or after closing punctuation
# ("Office.2 ", "million.3 There"). Digits after £, inside numbers or in years are left alone.
_NOTE_AFTER_WORD = re.compile(r"(?<=[a-z]{3})(\d{1,2})(?=[\s,;:.)]|$)")
_NOTE_AFTER_PUNCT = re.compile(r"(?<=[a-z)][.,;:!?”’\"])(\d{1,2})(?=\s|$)")
_HYPHEN_BREAK = re.compile(r"(\w)-\n\s*([a-z])")

# Running headers and footers, set by hand from how reports are laid out: not fitted, and not Settings, since they
# say what a running line is rather than a preference (the stored text and its chunk offsets are cleaned with them).
MARGIN_LINES = 3  # lines searched at the top and at the bottom of a page: a title, a chapter, a page number
RUNNING_SHARE = 0.5  # share of the pages a line's shape must be on: left and right pages often run different lines
RUNNING_MIN_PAGES = 2  # and on this many pages at least: a line on one page only is that page's own text
RUNNING_MIN_DOC_PAGES = 3  # fewer cannot tell: on two pages, any line both open or close with would be taken


def strip_boilerplate(text: str) -> str:
    """Remove navigation lines, whole or glued to neighbouring text."""
    out = []
    for line in text.splitlines():
        if _LINE_ONLY.match(line):
            out.append("")
            continue
        stripped = _GLUED_START.sub("", line)
        while (shorter := _GLUED_END.sub("", stripped)) != stripped:  # a line may end in more than one
            stripped = shorter
        out.append("" if stripped != line and _NUMBER_ONLY.match(stripped) else stripped)
    return "\n".join(out)


def strip_footnote_markers(text: str) -> str:
    """Detach footnote markers from the words they touch ("services1" -> "services")."""
    text = _NOTE_AFTER_WORD.sub("", text)
    return _NOTE_AFTER_PUNCT.sub("", text)


def join_hyphenation(text: str) -> str:
    """Join words split across lines with a hyphen ("imple-\\nmentation" -> "implementation")."""
    return _HYPHEN_BREAK.sub(r"\1\2", text)


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().lower())


def repeated_margin_lines(pages: list[Page], margin: int = MARGIN_LINES, min_share: float = RUNNING_SHARE) -> set[str]:
    """Line shapes found in the top or bottom margin of most pages: running headers and footers."""
    if len(pages) < RUNNING_MIN_DOC_PAGES:
        return set()
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [l for l in page.text.splitlines() if l.strip()]
        edge = set(_shape(l) for l in lines[:margin] + lines[-margin:])
        counts.update(edge)
    threshold = max(RUNNING_MIN_PAGES, int(len(pages) * min_share + 0.5))  # the share rounded half up
    return {shape for shape, n in counts.items() if n >= threshold and shape}


def take_note_refs(text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The text without its footnote references ('[^3]' after a word; a line starting '[^3]:' is the note
    itself and stays), and (offset in the new text, note number) for each: the offset is where the marker
    stood, just after the word or punctuation it was glued to."""
    out, refs, last = [], [], 0
    removed = 0
    for m in structure.NOTE_REF.finditer(text):
        if m.start() == 0 or text[m.start() - 1] == "\n":
            continue  # '[^3]: text' at the start of a line is a footnote, not a reference to one
        start = m.start()
        while start > last and text[start - 1] in " \t":  # 'word [^3]': the space before goes too
            start -= 1
        out.append(text[last:start])
        removed += m.end() - start
        refs.append((m.end() - removed, int(m.group("n"))))
        last = m.end()
    out.append(text[last:])
    return "".join(out), tuple(refs)


# A gap of two or more spaces between words: a column gap in a table set out with spaces.
_COLUMN_GAP = re.compile(r"\S[ \t]{2,}\S")


def rows_apart(text: str) -> str:
    """A table set out in columns of spaces ("375 miles      smart motorway in England, March 2020"), which most
    of a paragraph's lines, two at least, show by a column gap that wrapped prose does not have, gets a blank line
    between its rows: each row is then a sentence of its own, and a quote is the row asked about. Done before
    runs of spaces are collapsed, which would hide the columns."""
    out = []
    for para in re.split(r"(\n[ \t]*\n)", text):
        lines = para.split("\n")
        gaps = sum(bool(_COLUMN_GAP.search(line.strip())) for line in lines)
        out.append("\n\n".join(lines) if gaps >= 2 and gaps * 2 >= len(lines) else para)
    return "".join(out)


def normalise_whitespace(text: str) -> str:
    """Table rows apart (`rows_apart`), trailing spaces off, runs of blank lines to one, non-breaking spaces to
    spaces."""
    text = text.replace("\u00a0", " ").replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t]+", " ", l).strip() for l in rows_apart(text).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_BACK_MATTER = {" ".join(h.lower().split()) for h in back_matter_headings()}


def without_back_matter(pages: list[Page]) -> list[Page]:
    """The pages without a committee's list of its other reports (publisher data, `back_matter`): from the last
    line that is its heading to the end of the report, when that line lies in the report's second half; the same
    heading in the contents at the front names the section without opening it."""
    total = sum(len(p.text) for p in pages)
    seen, at = 0, None
    for i, page in enumerate(pages):
        offset = 0
        for line in page.text.splitlines(keepends=True):
            if " ".join(line.lower().split()) in _BACK_MATTER and seen + offset >= total / 2:
                at = (i, offset)
            offset += len(line)
        seen += len(page.text)
    if at is None:
        return pages
    i, offset = at
    return [*pages[:i], Page(pages[i].number, pages[i].text[:offset]), *(Page(p.number, "") for p in pages[i + 1:])]


def clean_pages(pages: list[Page]) -> list[Page]:
    """The cleaned text of every page, numbers kept; character offsets of chunks refer to this text."""
    # Normalised first, whatever the loader: look-alike and invisible characters must not hide a running
    # header from the margin check, and spelled-out letters need their spacing before it is collapsed below.
    pages = without_back_matter([Page(p.number, normalise(p.text)) for p in pages])
    repeated = repeated_margin_lines(pages)
    cleaned = []
    for page in pages:
        lines = page.text.splitlines()
        if repeated:
            lines = [l for l in lines if _shape(l) not in repeated]
        text = "\n".join(lines)
        text = join_hyphenation(text)
        text = strip_boilerplate(text)
        text = strip_footnote_markers(text)
        text, refs = take_note_refs(normalise_whitespace(text))
        cleaned.append(Page(page.number, text, refs))
    return cleaned
