"""Footnotes of an HTML page, written as `ingest.structure` marks them, so they are cleaned, linked and chunked
as a PDF's or a Markdown file's are: each reference ('<sup>3</sup>', '<a href="#fn3">3</a>') becomes '[^3]'
glued to the word before it, and each note ('<li id="fn3">', the items of a "Notes"/"Footnotes" list) a
'[^3]: text' block of its own, taken out of the body."""

from __future__ import annotations

import re

from ingest import structure

# ids and link targets of notes, as publishers and Markdown converters write them: fn3, fn:3, footnote-3,
# note3, endnote_3, ftn3 (and the back-references fnref3 are left out: they point the other way).
_NOTE_ID = re.compile(r"^(?:fn|footnote|note|endnote|ftn|en)[-_:.]?(?P<n>\d{1,3})$", re.I)
_BACKREF = re.compile(r"^#?(?:fnref|footnote-ref|noteref|ref)[-_:.]?\d{1,3}$|^#?fn-?ref", re.I)
_MARKER_TEXT = re.compile(r"^\s*[\[(]?\s*(?P<n>\d{1,3})\s*[\])]?\s*$")
_LEADING_NUMBER = re.compile(r"^\s*[\[(]?(?P<n>\d{1,3})[\]).:]?\s+")
_EXPONENT_BASE = re.compile(r"\d\s*[A-Za-zµ]{1,3}$")
_NOTES_TITLE = re.compile(r"^\s*(?:foot|end)?notes?\s*:?\s*$", re.I)
_NOTES_CLASS = re.compile(r"foot-?notes?|end-?notes?", re.I)


def _note_number(tag) -> int | None:
    m = _NOTE_ID.match(str(tag.get("id") or ""))
    return int(m.group("n")) if m else None


def _notes_lists(soup) -> list:
    """The lists (<ol>/<ul>) that hold notes: inside an element whose class or id says footnotes, or right
    after a heading or paragraph reading "Notes"/"Footnotes"."""
    found = []
    for lst in soup.find_all(["ol", "ul"]):
        holder = any(_NOTES_CLASS.search(" ".join(p.get("class") or []) + " " + str(p.get("id") or ""))
                     for p in [lst] + list(lst.find_parents()))
        title = lst.find_previous_sibling()
        if holder or (title is not None and title.name in {"h1", "h2", "h3", "h4", "h5", "h6", "p", "strong"}
                      and _NOTES_TITLE.match(title.get_text(" ", strip=True))):
            found.append(lst)
    return found


def _take_notes(soup) -> dict:
    """Each note element by its number, its text without the back-reference links or a leading number."""
    notes: dict = {}
    for el in soup.find_all(["li", "div", "p", "aside", "section"]):
        n = _note_number(el)
        if n is not None and n not in notes and not el.find(_is_note_element):
            notes[n] = el
    for lst in _notes_lists(soup):
        start = int(lst.get("start")) if str(lst.get("start") or "").isdigit() else 1
        for k, li in enumerate(lst.find_all("li", recursive=False)):
            n = _note_number(li)
            notes.setdefault(n if n is not None else start + k, li)
    return notes


def _is_note_element(tag) -> bool:
    return tag.name in {"li", "div", "p"} and _note_number(tag) is not None


def _ref_number(tag, known: dict) -> int | None:
    """The note a reference element points to: a link to a note's id, or a raised number naming a known note."""
    links = [tag] if tag.name == "a" else tag.find_all("a")
    for a in links:
        href = str(a.get("href") or "")
        if href.startswith("#") and not _BACKREF.match(href):
            m = _NOTE_ID.match(href[1:])
            if m:
                return int(m.group("n"))
    m = _MARKER_TEXT.match(tag.get_text("", strip=True))
    before = tag.previous_sibling
    if isinstance(before, str) and _EXPONENT_BASE.search(before):
        return None  # '40 m<sup>2</sup>': a unit's power, not a note
    if tag.name == "sup" and m and int(m.group("n")) in known:
        return int(m.group("n"))
    return None


def _glue(tag, mark: str) -> None:
    """Put the mark where the reference was, in one text node with the words either side, so the text reads
    'million.[^1] It' rather than 'million. [^1] It' (a text node boundary becomes a space when read)."""
    from bs4 import NavigableString

    prev, nxt = tag.previous_sibling, tag.next_sibling
    text = mark
    if type(prev) is NavigableString:
        text = str(prev) + text
        prev.extract()
    if type(nxt) is NavigableString:
        text = text + str(nxt)
        nxt.extract()
    tag.replace_with(NavigableString(text))


def mark_footnotes(soup) -> list[str]:
    """Rewrite the page's footnote references as '[^n]' in place and take its notes out of it; returns the
    notes as '[^n]: text' lines, in number order, for the end of the page's text."""
    notes = _take_notes(soup)
    texts = {}
    for n, el in notes.items():
        for a in el.find_all("a"):
            if _BACKREF.match(str(a.get("href") or "")) or a.get_text(strip=True) in {"↩", "↑", "^", "↩︎"}:
                a.decompose()
        text = " ".join(el.get_text(" ", strip=True).split())
        m = _LEADING_NUMBER.match(text)
        if m and int(m.group("n")) == n:
            text = text[m.end():]
        if text:
            texts[n] = text
    for el in notes.values():
        if el.parent is not None:
            el.decompose()
    for lst in _notes_lists(soup):  # an emptied notes list and the "Notes" title over it
        if not lst.get_text(strip=True):
            title = lst.find_previous_sibling()
            if title is not None and _NOTES_TITLE.match(title.get_text(" ", strip=True)):
                title.decompose()
            lst.decompose()
    for tag in soup.find_all(["sup", "a"]):
        if tag.parent is None or (tag.name == "a" and tag.find_parent("sup") is not None):
            continue  # gone with its note, or read as part of the <sup> around it
        n = _ref_number(tag, texts)
        if n is not None:
            _glue(tag, structure.note_ref(n))
        elif tag.name == "sup" and _MARKER_TEXT.match(tag.get_text("", strip=True)):
            _glue(tag, tag.get_text("", strip=True))  # '40 m2', not '40 m 2' (a node boundary reads as a space)
    return [structure.footnote_line(n, texts[n]) for n in sorted(texts)]
