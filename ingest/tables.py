"""Tables as citable rows: a caption, a header and one line per row that reads on its own.

"Figure 3: Planned and actual spending, row 2021-22: Planned £40 million, Actual £52 million"
names the table, the row and each cell's column, so a quote of one row says what its figures measure.
"""

from __future__ import annotations

import re

from ingest import structure

_CAPTION = re.compile(r"^(?:Figure|Table|Chart|Exhibit|Box)\s+\d+[A-Za-z]?\b", re.I)
_DIGIT = re.compile(r"\d")


def is_caption(text: str) -> bool:
    """Whether a line opens a figure or table caption ("Figure 3: ...", "Table 2 ...")."""
    return bool(_CAPTION.match(text.strip()))


def _clean(cell) -> str:
    return " ".join(str(cell).split()) if cell is not None else ""


def header_and_body(rows: list[list]) -> tuple[list[str], list[list[str]]]:
    """The column names and the data rows. Two header rows (a merged top row over sub-columns) are joined:
    "Spending" over "Planned" and "Actual" gives "Spending Planned" and "Spending Actual"."""
    rows = [[_clean(c) for c in r] for r in rows if r and any(c not in (None, "") for c in r)]
    if not rows:
        return [], []
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header = rows[0]
    body = rows[1:]
    merged_top = any(c == "" for c in header[1:])
    if merged_top and body and not any(_DIGIT.search(c) for c in body[0][1:]):
        top, last = [], ""
        for c in header:  # a merged cell is spread over the columns it spans
            last = c or last
            top.append(last)
        header = [" ".join(x for x in (t, s) if x) for t, s in zip(top, body[0])]
        body = body[1:]
    return header, body


# A unit stated once in the column header ("Savings (£ million)", "Actual £m", "Share (%)"): each bare number
# under it is written with the unit, so the row reads, and figure extraction finds, "£12.5 million".
_UNITS = r"£\s?(?:m|million|bn|billion|000|k|thousand)|£|%|per cent"
_UNIT = re.compile(rf"\s*\(\s*(?P<u>{_UNITS})\s*\)|\s+(?P<e>{_UNITS})\s*$", re.I)
_SCALE_WORD = {"m": " million", "million": " million", "bn": " billion", "billion": " billion",
               "000": " thousand", "k": " thousand", "thousand": " thousand", "": ""}
_BARE = re.compile(r"^-?\d[\d,]*(?:\.\d+)?$")


def with_unit(header: str, cell: str) -> tuple[str, str]:
    """The header without a unit it states, and the cell with that unit: ("Actual (£m)", "52") ->
    ("Actual", "£52 million"). Headers without a unit and cells that are not bare numbers are left as they are."""
    m = _UNIT.search(header)
    rest = " ".join((header[:m.start()] + " " + header[m.end():]).split()) if m else ""
    if not m or not _BARE.match(cell) or not rest:
        return header, cell
    unit = (m.group("u") or m.group("e")).lower().replace(" ", "")
    if unit in ("%", "percent"):
        return rest, f"{cell}%"
    return rest, f"£{cell}{_SCALE_WORD[unit[1:]]}"


def table_lines(caption: str, rows: list[list]) -> list[str]:
    """The table as markup: its caption line, its header row, then one row line per data row (see
    `ingest.structure`)."""
    header, body = header_and_body(rows)
    if not body:
        return []
    lines = [structure.caption_line(caption)]
    if any(header):
        lines.append(structure.columns_line(header))
    for row in body:
        label = row[0] or "(unlabelled)"
        cells = [with_unit(header[j] if j < len(header) else "", row[j]) for j in range(1, len(row))]
        if not any(v for _, v in cells):
            continue  # a sub-heading row inside the table
        lines.append(structure.row_line(caption, label.replace(":", " -"), cells))
    return lines if any(structure.parse_row(l) for l in lines) else []
