"""The one sentence and clause splitter. Sentences keep their character offsets in the source text, so
every quote can be traced back to the exact words of its page.

Built on syntok (a maintained rule-based segmenter that keeps token offsets and knows abbreviations,
initials and figures such as "Mr. J. Smith" or "£9.8 million"; blingfire split "Mr." from its name and pysbd
was 100 times slower). Two things it does not know are handled here, because they are
conventions of printed reports rather than of English: a line break inside a paragraph is a PDF wrap,
not a boundary ("by\\n2025." stays one sentence), and a list number or footnote marker standing alone
("1.", "(a)") is a label, not a sentence, so no quote starts with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.patterns import MONTHS, Y
from assistant.text.terms import stop_words


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*")
# A list item's marker: a bullet, "1." or "12)", "(a)" or "b.", "(iv)" or "iv)".
_MARKER = r"(?:[-•*–▪·]|\(?\d{1,3}[.)]|\(?[a-z][.)]|\((?:[ivx]{1,5})\)|[ivx]{1,5}\))"
# Lines that are layout, not wrapped prose: a bulleted or lettered item ("- Interest rates.", "b. produce a
# workforce plan;", "(ii) ...", "3) ..."), or a "key facts" row with a dot leader ("Transition cost (final) ........
# £447 million"). Each is its own unit, so a quote is the one item asked about.
_BULLET_LINE = re.compile(rf"^\s*{_MARKER}\s")
_LEADER_LINE = re.compile(r"\.{4,}|…{2,}|(?:\. ){3,}")
# A label before a sentence: "1.", "12)", "(a)", "b.", "iv)", or a footnote number glued to the end of the
# previous sentence ("...in 2018-19.2 The supplier..." -> marker "2" is cut off the next sentence).
# A numbered paragraph of a report's parts ("1.4 The Permanent Secretary ...", "2.17 HM Passport Office ..."): its
# part and paragraph number before a capital, a label as "1." is; a figure opening a sentence ("2.5 million people")
# is followed by a word in lower case.
_PARAGRAPH_NUMBER = r"\d{1,2}\.\d{1,3}(?=\s+[A-Z“\"‘'])"
_LABEL = re.compile(rf"^(?:{_MARKER}|{_PARAGRAPH_NUMBER})\s+")
# A boundary blingfire misses: a footnote marker glued to a full stop before a capital ("2024-25.2 See").
_GLUED_MARKER = re.compile(rf"(?:(?<=[a-z%)])|(?<=\d\d-\d\d)|(?<=\b{Y}))\.(\d{{1,2}})\s+(?=[A-Z“\"‘'(£])")


def item_marker(prefix: str) -> str | None:
    """The kind of list-item marker that `prefix` (a line's text before a sentence) is: "-" for a bullet, "1." for
    a number, "a." or "(a)" for a letter or roman numeral; None when it is no marker. Items of one list share a kind."""
    text = prefix.strip()
    if not text or not _LABEL.fullmatch(text + " "):
        return None
    return re.sub(r"[a-zA-Z]+", "a", re.sub(r"\d+", "1", text))


def lead_in(text: str, at: int) -> str:
    """The line that announces the list whose item holds offset `at` of `text` ("New woodland created with
    programme funding:" for "- 2021-22: 3,120 hectares (target 5,000)"): walking back over the list's items (and
    blank lines) to the first line that is not one, when it ends with a colon; "" when `at` is in no item or the
    list's announcer is not in `text`. English punctuation: the colon makes the line and each item one sentence,
    so the item's figure measures what the line names."""
    start = text.rfind("\n", 0, at) + 1
    line = text[start:text.find("\n", at) if "\n" in text[at:] else len(text)]
    if not _BULLET_LINE.match(line):
        return ""
    while start > 0:
        end = start - 1
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if not line.strip() or _BULLET_LINE.match(line):
            continue
        return line.strip() if line.rstrip().endswith(":") else ""
    return ""


def _segment(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence syntok finds in one paragraph."""
    import syntok.segmenter as segmenter

    out = []
    for paragraph in segmenter.analyze(text):
        for sentence in paragraph:
            if sentence:
                out.append((sentence[0].offset, sentence[-1].offset + len(sentence[-1].value)))
    return out


def _joined(pieces: list[tuple[int, int]], ptext: str) -> list[tuple[int, int]]:
    """syntok ends a sentence at a semicolon before a capital ("...from Sir Richard Ellwood, Permanent Secretary;
    Claire Pemberton; and Dr Imogen Falk"); within a line a semicolon separates parts of one sentence, so those
    pieces are joined again. At a line's end it closes a list item ("(i) to fund 4,000 buses;"), which stays apart."""
    out: list[tuple[int, int]] = []
    for start, end in pieces:
        if out and ptext[out[-1][0]:out[-1][1]].rstrip().endswith(";") and "\n" not in ptext[out[-1][1]:start] \
                and not _LABEL.match(ptext[start:end]):
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def split_sentences(text: str, offset: int = 0, bare: bool = False) -> list[Span]:
    """Sentences of `text` with offsets (plus `offset`); a blank line always ends a sentence. With `bare`, a
    piece without words ("15%", "£300 million.") is kept as a sentence too (figures are read from it)."""
    spans: list[Span] = []
    blocks = [b for para in _PARAGRAPH.finditer(text) for b in _blocks(para.start(), para.group())]
    for base, ptext in blocks:
        flat = ptext.replace("\n", " ")  # same length: offsets stay valid
        for start, end in _joined(_segment(flat), ptext):
            cut = start
            for m in _GLUED_MARKER.finditer(flat, start, end):
                _add(spans, ptext, cut, m.start() + 1, base + offset, bare)
                cut = m.end(1)
            _add(spans, ptext, cut, end, base + offset, bare)
    return spans


# A line that ends a unit of its own although no full stop ends it: a title-page line ("House of Commons Committee
# of Public Accounts", "HC 712"), a heading. A wrapped line of prose fills the column; this one stops well short of
# the paragraph's longest line, ends on a word that can end a phrase (not "by", "the", "of") and the next line
# starts anew (a capital or a digit). How much shorter is layout, not wording: a wrap leaves at most a long word's
# room, well under a quarter of a column.
_SHORT_LINE = 0.75


def _ends_unit(line: str, nxt: str, longest: int) -> bool:
    text, first = line.rstrip(), nxt.lstrip()[:1]
    if not text or text[-1] in ".!?:;,-–—(" or not (first.isupper() or first.isdigit()):
        return False  # punctuation ends or continues a sentence itself; a lower-case next line continues it
    last = re.findall(r"[A-Za-z]+", text[-20:])
    return len(text) < _SHORT_LINE * longest and not (last and last[-1].lower() in stop_words())


# A signature: a few lines without closing punctuation (a name, a post, a body) ending on a date line ("Alasdair
# Cowley / Comptroller and Auditor General / National Audit Office / 1 March 2024"), as reports and forewords are
# signed. It is one unit, whatever its lines' lengths: who signed, as what, and when.
_DATE_LINE = re.compile(rf"\s*(?:\d{{1,2}}\s+)?(?:{MONTHS})\s+\d{{4}}\s*")


def _signature(lines: list[str]) -> bool:
    return 3 <= len(lines) <= 6 and bool(_DATE_LINE.fullmatch(lines[-1])) and all(
        line.strip() and line.rstrip()[-1] not in ".!?:;," for line in lines[:-1])


def _blocks(base: int, para: str) -> list[tuple[int, str]]:
    """A paragraph cut where a line is a list item or a leader row (see _BULLET_LINE, _LEADER_LINE), or a unit
    of its own (`_ends_unit`); a plain line break stays a wrap. A signature (`_signature`) stays whole."""
    lines = para.split("\n")
    if _signature(lines):
        return [(base, para)]
    longest = max(len(line.rstrip()) for line in lines)
    out, start, pos = [], 0, 0
    for i, line in enumerate(lines[:-1]):
        pos += len(line) + 1
        nxt = lines[i + 1]
        if (_BULLET_LINE.match(nxt) or _LEADER_LINE.search(line) or _LEADER_LINE.search(nxt)
                or _ends_unit(line, nxt, longest)):
            out.append((base + start, para[start:pos - 1]))
            start = pos
    out.append((base + start, para[start:]))
    return out


def _add(spans: list[Span], text: str, start: int, end: int, base: int, bare: bool = False) -> None:
    piece = text[start:end]  # the original paragraph: a wrapped line keeps its newline
    lead = len(piece) - len(piece.lstrip())
    start, piece = start + lead, piece.strip()
    label = _LABEL.match(piece)
    if label:  # "1. All departments..." -> the sentence starts after its number
        start, piece = start + label.end(), piece[label.end():]
    if not piece or (not bare and (len(piece) < 2 or not re.search(r"[A-Za-z]{2}", piece))):
        return  # a bare list number or marker
    spans.append(Span(base + start, base + start + len(piece), piece))


# Where a long sentence may be cut into clauses: after , ; : and before a conjunction that starts a clause.
_CLAUSE_CUT = re.compile(r"[,;:]\s+|\s+(?=(?:and|but|which|while|although|because|whereas)\b)")
# The edges of an aside: a bracket, or a dash between spaces ("£5 million (the funding approved)").
_ASIDE_CUT = re.compile(r"[()\[\]]|\s[—–]\s")


def split_clauses(sentence: str, asides: bool = False) -> list[int]:
    """Offsets inside `sentence` where a clause may start (0 and len(sentence) included). With `asides`, a
    bracketed or dashed aside is a clause of its own too (what a figure measures is read from its clause)."""
    cuts = [m.end() for m in _CLAUSE_CUT.finditer(sentence)]
    if asides:
        cuts = sorted(set(cuts) | {m.end() for m in _ASIDE_CUT.finditer(sentence)})
    return [0] + cuts + [len(sentence)]
