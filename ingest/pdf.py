"""PDF pages as structured text (see `ingest.structure`), read with pdfplumber, which knows each word's
font, size and position where pypdf gives only text.

What the layout says, and how it is read:
- the body size is the commonest font size of the document; a bold or larger short line is a heading;
- a digit in a smaller or raised font glued to the word before it is a footnote marker, marked as a reference
  to its note ('[^3]', taken out of the text by cleaning);
- smaller lines below the body that start with a number are the page's footnotes;
- ruled tables (pdfplumber's table finder), and three or more rows of short pieces apart by wide gaps (a table
  set without column rules), become row lines under their caption, and their cells leave the body;
- a line that breaks at a wide gap is two columns: each two-column stretch is read left column first.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ingest import structure, tables

_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.I)
_MARKER = re.compile(r"^\d{1,3}[,;]?$")
_NOTE_START = re.compile(r"^(\d{1,3})$")
_DIGIT = re.compile(r"\d")
_LEADER = re.compile(r"(?:\.\s?){4,}|…{2,}")

# The typographic geometry the reader goes by. Each value is set by hand from how reports are typeset, not fitted
# on a set of files, and not a Settings field: it is part of what the layout means, read inside the parse worker.
# "em" is a font size, of the body type or of the line measured (each says which); "pt" is a PDF point (1/72 in).
#
# Font sizes. A footnote is set at about 7-9 points against a 10-12 point body; a heading a step up the scale.
SMALL = 0.9  # share of the body size: a line set smaller is a footnote or small print
LARGE = 1.15  # share of the body size: a line set this large or larger (or bold, and short) is a heading
MARKER = 0.85  # share of the type beside it: a digit glued to a word and set smaller is a footnote marker
BODY_SAMPLE_PAGES = 12  # pages read for the body size, spread through the document: they outvote a cover and tables
SIZE_DECIMALS = 1  # sizes are counted to a tenth of a point: one font's size carries float noise (9.9999) in a PDF
DEFAULT_BODY_PT = 10.0  # the body size taken when the sampled pages have no text at all: a usual report body size
# Words into lines.
MIN_WORD_HEIGHT_PT = 0.1  # the least height a word's box counts as, so a flat (zero-height) box still needs overlap
ROW_LOOKBACK = 4  # a word joins one of the last lines started (words come top first): lines side by side are recent
ROW_OVERLAP = 0.5  # share of a word's height that must overlap a line's: a raised marker stays, the next line does not
# Words split at a gap of 0.15 em of their type (pdfplumber's x_tolerance_ratio): its fixed 3 points glues the words
# of tightly set text ("directoryisaddedtothe") when the PDF draws no space characters.
WORD_SPLIT_EM = 0.15
WORD_GAP_EM = 0.1  # of the line's type: pieces of one word (cut where the font changes) are closer; a space is ~0.25 em
GUTTER_EM = 2.0  # of the row's largest type: a wider gap in a visual line is a column gutter or between table cells
GUTTER_MIN_PT = 15.0  # and at least this: justified word spaces in small type stay well under it
MARKER_GLUE_PT = 1.0  # a footnote marker is set with no space after its word; a word space is 2.5 pt or more
MARKER_RISE_EM = 0.25  # of the line's type: a digit whose baseline is this far above its word's is raised (~0.33 em)
# Page regions.
FOOTER_ZONE = 0.94  # share of the page height: the bottom 6% holds running footers, not footnotes
EDGE_SLACK_PT = 1  # drawn edges are off by fractions of a point: a word this close to a table's box is in it
MID_SLACK_PT = 2  # a column's line may touch the page's middle by this much; a full-width line crosses it by more
# Tables: captions, and tables set without rules.
CAPTION_REACH_PT = 40  # a table's caption ends at most this far above it: about three lines of body type
CAPTION_LINES = 3  # lines above a table searched for its caption: "Figure 3:" and a title wrapped once or twice
ROW_MIN_CELLS = 2  # a row of an unruled table breaks at wide gaps into a label and a cell at least
CELL_MAX_CHARS = 40  # a piece of a row no longer than this may be a cell (a label, a figure); text columns run longer
ROW_GAP_EM = 1.5  # of the body: rows of one unruled table are at most this far apart; a wider gap ends the table
TABLE_MIN_ROWS = 3  # a header and two rows at least: two rows of short pieces are as often a form or a sign-off
TABLE_MIN_FIGURE_ROWS = 2  # rows holding a digit, at least: columns of words alone (a list of names) are no data
# Headings.
HEADING_MAX_CHARS = 150  # a bold or large line longer than this is emphasis in the text, not a heading
PART_MAX_CHARS = 100  # a line in body type taken for a part heading ("Part Three: Lessons"); longer is a sentence
# Paragraphs.
LINE_GAP_MAX_EM = 3  # of the body: gaps counted for a page's usual line gap; wider ones surround tables and figures
USUAL_GAP_EM = 0.4  # of the body: the line gap taken on a page with no two body lines in a row (leading of 1.4 em)
PARAGRAPH_EXTRA_EM = 0.5  # of the body: a gap this much over the usual starts a paragraph (spacing of half a line)
PARAGRAPH_GAP_MAX_EM = 1.2  # of the body: a gap over a line's height starts a paragraph, however loose the leading
FLOW_GAP_EM = 0.7  # of the line's type (small print's at least): a heading or a note runs on across a smaller gap
COLUMN_JUMP_EM = 8  # of the body: a line starting this far left or right of the one above is in the other column


@dataclass
class _Line:
    words: list
    top: float
    bottom: float
    x0: float = 0.0
    x1: float = 0.0
    size: float = 0.0
    bold: bool = False
    text: str = ""
    kind: str = "body"  # body | heading | note | small | table
    row: int = -1  # the visual row (across columns) the line was cut from
    lines: list = field(default_factory=list)  # a table's rendered lines


def body_size(pages, sample: int = BODY_SAMPLE_PAGES) -> float:
    """The commonest font size of the document, weighted by characters, from up to `sample` pages spread
    through it (their parsed objects are kept for the pass that reads them, so none is parsed twice)."""
    step = max(1, len(pages) // sample)
    sizes: Counter = Counter()
    for page in list(pages)[::step][:sample]:
        for ch in page.chars:
            if ch.get("text", "").strip():
                sizes[round(float(ch["size"]), SIZE_DECIMALS)] += 1
    return sizes.most_common(1)[0][0] if sizes else DEFAULT_BODY_PT


def _rows(words: list) -> list[list]:
    """Words grouped into visual lines by vertical overlap (a raised footnote marker stays on its line)."""
    lines: list[list] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        h = max(w["bottom"] - w["top"], MIN_WORD_HEIGHT_PT)
        for line in reversed(lines[-ROW_LOOKBACK:]):
            top, bottom = min(x["top"] for x in line), max(x["bottom"] for x in line)
            if min(bottom, w["bottom"]) - max(top, w["top"]) >= ROW_OVERLAP * h:
                line.append(w)
                break
        else:
            lines.append([w])
    return lines


def _segments(row: list, gutter: float) -> list[list]:
    """A visual line split at gaps wider than `gutter`: the pieces of a line that crosses columns."""
    row = sorted(row, key=lambda w: w["x0"])
    out = [[row[0]]]
    for w in row[1:]:
        if w["x0"] - out[-1][-1]["x1"] > gutter:
            out.append([w])
        else:
            out[-1].append(w)
    return out


def _line(words: list) -> _Line:
    sizes: Counter = Counter()
    for w in words:
        sizes[round(float(w["size"]), SIZE_DECIMALS)] += len(w["text"])
    size = sizes.most_common(1)[0][0]
    kept, text = [], ""
    for i, w in enumerate(words):
        prev = words[i - 1] if i else None
        # A footnote marker: a number glued to the word before it ("services1", "2018-19.2"), set smaller or
        # raised above the line. It is written as a reference ("services[^1]"), which cleaning takes out of the
        # text and keeps beside it, so the passage knows its note and no quote holds the digit.
        if prev is not None and _MARKER.match(w["text"]) and w["x0"] - prev["x1"] < MARKER_GLUE_PT \
                and (float(w["size"]) < MARKER * min(size, float(prev["size"]))
                     or prev["bottom"] - w["bottom"] > MARKER_RISE_EM * size):
            number = w["text"].rstrip(",;")
            text += structure.note_ref(number) + w["text"][len(number):]
            continue
        if kept:
            gap = w["x0"] - kept[-1]["x1"]
            text += "" if gap < WORD_GAP_EM * size else " "
        text += w["text"]
        kept.append(w)
    kept = kept or words
    bold = all(_BOLD.search(str(w.get("fontname", ""))) for w in kept)
    return _Line(kept, min(w["top"] for w in kept), max(w["bottom"] for w in kept), min(w["x0"] for w in kept),
                 max(w["x1"] for w in kept), size, bold, text)


def _inside(w: dict, box: tuple) -> bool:
    x, y = (w["x0"] + w["x1"]) / 2, (w["top"] + w["bottom"]) / 2
    slack = EDGE_SLACK_PT
    return box[0] - slack <= x <= box[2] + slack and box[1] - slack <= y <= box[3] + slack


def _reading_order(lines: list[_Line], width: float) -> list[_Line]:
    """Top to bottom, except that a stretch of lines in two columns is read left column, then right."""
    mid = width / 2
    out: list[_Line] = []
    run: list[_Line] = []

    def flush():
        left = [l for l in run if l.x1 <= mid + MID_SLACK_PT]
        right = [l for l in run if l not in left]
        out.extend(sorted(left, key=lambda l: l.top) + sorted(right, key=lambda l: l.top))
        run.clear()

    for line in sorted(lines, key=lambda l: (l.top, l.x0)):
        full = line.x0 < mid - MID_SLACK_PT and line.x1 > mid + MID_SLACK_PT
        if full:
            flush()
            out.append(line)
        else:
            run.append(line)
    flush()
    return out


def page_text(page, body: float) -> str:
    """The structured text of one pdfplumber page (headings, body, tables, footnotes), in reading order."""
    found = page.find_tables()
    boxes = [t.bbox for t in found]
    words = page.extract_words(extra_attrs=["size", "fontname"], x_tolerance_ratio=WORD_SPLIT_EM)
    words = [w for w in words if not any(_inside(w, b) for b in boxes)]
    lines: list[_Line] = []
    for i, row in enumerate(sorted(_rows(words), key=lambda r: min(w["top"] for w in r))):
        size = max(float(w["size"]) for w in row)
        for seg in _segments(row, max(GUTTER_EM * size, GUTTER_MIN_PT)):
            line = _line(seg)
            line.row = i
            lines.append(line)
    lines = _unruled_tables(_tables(lines, found), body, len(found))
    _classify(lines, body, page.height)
    return _render(_reading_order(lines, page.width), body)


def _caption_above(lines: list[_Line], x0: float, top: float, x1: float) -> tuple[str | None, list[_Line]]:
    """The caption ("Figure 3: ...") in the few lines just above a table, and the lines it takes."""
    above = sorted((l for l in lines if l.kind != "table" and l.bottom <= top + EDGE_SLACK_PT
                    and top - l.bottom < CAPTION_REACH_PT and l.x1 > x0 and l.x0 < x1),
                   key=lambda l: l.top, reverse=True)
    taken: list[_Line] = []
    for l in above[:CAPTION_LINES]:
        taken.insert(0, l)
        if tables.is_caption(l.text):
            return " ".join(x.text for x in taken), taken
    return None, []


def _table_line(lines: list[_Line], box: tuple, rows: list[list], n: int) -> list[_Line] | None:
    """`lines` with a table's pseudo-line (its rendered rows) in place of its caption lines; None when the
    rows hold no data."""
    x0, top, x1, bottom = box
    caption, taken = _caption_above(lines, x0, top, x1)
    rendered = tables.table_lines(caption or f"Table {n}", rows)
    if not rendered:
        return None
    start = min([top] + [l.top for l in taken])
    return [l for l in lines if l not in taken] + [_Line([], start, bottom, x0, x1, 0.0, False, "", "table", lines=rendered)]


def _tables(lines: list[_Line], found) -> list[_Line]:
    """Each ruled table as one pseudo-line holding its rendered rows; the caption lines above it are taken in."""
    for i, t in enumerate(found, 1):
        lines = _table_line(lines, t.bbox, t.extract(), i) or lines
    return lines


def _unruled_tables(lines: list[_Line], body: float, n: int) -> list[_Line]:
    """Tables drawn without rules: three or more consecutive visual rows, each broken by wide gaps into short
    pieces, some holding figures. Their columns are the pieces of the row with the most of them."""
    rows: dict[int, list[_Line]] = {}
    for l in lines:
        if l.kind != "table" and l.row >= 0:
            rows.setdefault(l.row, []).append(l)
    ordered = [sorted(r, key=lambda l: l.x0) for _, r in sorted(rows.items())]
    runs: list[list[list[_Line]]] = []
    for r in ordered:
        cell_like = len(r) >= ROW_MIN_CELLS and all(len(l.text) <= CELL_MAX_CHARS for l in r)
        if cell_like and runs and runs[-1] and r[0].top - max(l.bottom for l in runs[-1][-1]) <= ROW_GAP_EM * body:
            runs[-1].append(r)
        elif cell_like:
            runs.append([r])
        else:
            runs.append([])
    for run in runs:
        with_figures = sum(any(_DIGIT.search(l.text) for l in r) for r in run)
        if len(run) < TABLE_MIN_ROWS or with_figures < TABLE_MIN_FIGURE_ROWS:
            continue
        n += 1
        template = max(run, key=len)
        cols = [(l.x0, l.x1) for l in template]
        grid = []
        for r in run:
            cells = [""] * len(cols)
            for l in r:
                k = max(range(len(cols)), key=lambda c: (min(l.x1, cols[c][1]) - max(l.x0, cols[c][0]),
                                                         -abs(l.x0 - cols[c][0])))
                cells[k] = f"{cells[k]} {l.text}".strip()
            grid.append(cells)
        members = [l for r in run for l in r]
        box = (min(l.x0 for l in members), min(l.top for l in members), max(l.x1 for l in members),
               max(l.bottom for l in members))
        # Not a table after all (no data rows): the lines stay as text.
        lines = _table_line([l for l in lines if l not in members], box, grid, n) or lines
    return lines


def _classify(lines: list[_Line], body: float, height: float) -> None:
    """Mark each line a heading, a footnote, small print or body text, from its size, weight and place."""
    # The notes sit below the last line of body text; a running header or footer set at body size is not it.
    last_body = max((l.bottom for l in lines if l.kind == "body" and l.size >= SMALL * body
                     and (1 - FOOTER_ZONE) * height < l.top < FOOTER_ZONE * height), default=0.0)
    for l in lines:
        if l.kind == "table":
            continue
        if l.size < SMALL * body:
            l.kind = "note" if l.top >= last_body and l.top < FOOTER_ZONE * height else "small"
        elif tables.is_caption(l.text):
            continue  # the caption of a figure (a chart, say) names it, not the section that follows
        elif _LEADER.search(l.text):
            continue  # a contents line ("2 Progress ........ 14") names a section elsewhere
        elif (l.bold or l.size >= LARGE * body) and len(l.text) <= HEADING_MAX_CHARS and not l.text.endswith("."):
            l.kind = "heading"
        elif structure.is_part(l.text, loose=False) and len(l.text) <= PART_MAX_CHARS:
            l.kind = "heading"  # "Part Three: Lessons" in body type (an OCR text layer has one font)


def _paragraph_gap(lines: list[_Line], body: float) -> float:
    """The vertical gap above a line that starts a new paragraph: wider than the page's usual line gap."""
    gaps: Counter = Counter()
    for a, b in zip(lines, lines[1:]):
        gap = b.top - a.bottom
        if a.kind == b.kind == "body" and 0 <= gap < LINE_GAP_MAX_EM * body:
            gaps[round(gap)] += 1
    usual = gaps.most_common(1)[0][0] if gaps else USUAL_GAP_EM * body
    return min(usual + PARAGRAPH_EXTRA_EM * body, PARAGRAPH_GAP_MAX_EM * body)


def _render(lines: list[_Line], body: float) -> str:
    """The page's lines, in reading order, as marked-up text: paragraphs apart by blank lines."""
    blocks: list[list[str]] = []
    wide = _paragraph_gap(lines, body)
    prev: _Line | None = None
    note_open = False
    for l in lines:
        if l.kind == "table":
            blocks.append(l.lines)
            prev, note_open = l, False
            continue
        gap = l.top - prev.bottom if prev is not None else 1e9
        limit = wide if l.kind == "body" else FLOW_GAP_EM * max(l.size, body * SMALL)
        same_flow = prev is not None and prev.kind == l.kind and 0 <= gap <= limit
        if l.kind == "note":
            first = l.words[0]["text"] if l.words else ""
            m = _NOTE_START.match(first)
            if m and len(l.words) > 1:
                text = l.text[len(first):].strip()
                line = structure.footnote_line(m.group(1), text)
                if note_open and same_flow:
                    blocks[-1].append(line)
                else:
                    blocks.append([line])
                note_open = True
            elif note_open and same_flow:
                blocks[-1].append(l.text)  # the note above continues
            else:
                blocks.append([l.text])
                note_open = False
            prev = l
            continue
        note_open = False
        if l.kind == "heading":
            if same_flow and prev.size == l.size and blocks and blocks[-1][0].startswith("## "):
                blocks[-1][0] += " " + l.text  # a heading wrapped over two lines
            else:
                blocks.append([structure.heading(l.text)])
        elif same_flow and abs(l.x0 - prev.x0) < COLUMN_JUMP_EM * body:  # a jump to the other column: a new paragraph
            blocks[-1].append(l.text)
        else:
            blocks.append([l.text])
        prev = l
    return "\n\n".join("\n".join(b) for b in blocks if b)
