"""Tables a report's text sets out with spaces, read from a passage's own lines once their columns are collapsed:
a caption ("Programme spending by financial year (£ million):"), a heading row that ends with periods ("Item
2021-22 2022-23 2023-24"), and rows of a label and one figure under each period ("Nursery capital grants 6.2 9.8
7.1"). Each row is a sentence of its passage (`is_data_row`: ingestion never takes one for a section title), so a
quoted row is verbatim and its table can be shown around it. Written by hand: the table libraries we use
(pdfplumber) read a PDF's drawn cells, not columns of text inside a passage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# A column heading that is a period: a year or a financial year ("2021", "2021-22", "2023/24")
_PERIOD = re.compile(r"(?:19|20)\d\d(?:[-–/](?:\d\d|(?:19|20)\d\d))?")
# One cell of figures: "41.3", "1,870", "£6.2", "(3.4)" (a negative in accounts), "-2.1"
_CELL = re.compile(r"[(£$€+\-–]*\d[\d,]*(?:\.\d+)?\)?")
# The rows shown either side of a quoted row with its table (a bound, so a long table cannot swell a citation)
ROWS_SHOWN = 3
# Any figure a row of a table may end with: "41.3", "£6.2m", "12%", "(3.4)", "2021-22" ("n/a" is none: a row may
# lack a figure, but a row of figures ends with one)
_FIGURE = re.compile(r"[(£$€+\-–]*\d[\d,]*(?:\.\d+)?(?:[-–/]\d+)?(?:%|bn|m|k)?\)?")


def is_data_row(line: str) -> bool:
    """A row of a table set out with spaces, once its columns are collapsed ("Nursery capital grants 6.2 9.8 7.1",
    "Item 2021-22 2022-23 2023-24"): a line that ends with two figures or more. A section title ends with words,
    or with one number at most ("Progress since 2021"); ingestion keeps such a row as text of its passage."""
    tokens = line.split()
    return len(tokens) >= 2 and all(_FIGURE.fullmatch(t) for t in tokens[-2:])


@dataclass(frozen=True)
class TextRow:
    """One row: its line as written, its label, and its cells, each (period heading, cell as written, value)."""

    line: str
    label: str
    cells: tuple[tuple[str, str, Decimal], ...]


@dataclass(frozen=True)
class TextTable:
    """A caption ("" when the line before the heading row is none), the heading row's first words ("Item"),
    the period headings, and the rows under them."""

    caption: str
    corner: str
    periods: tuple[str, ...]
    rows: tuple[TextRow, ...]


def _periods_ending(line: str) -> tuple[list[str], list[str]]:
    """The words of `line` before its closing run of periods, and that run ("Item 2021-22 2022-23" -> ["Item"],
    ["2021-22", "2022-23"])."""
    tokens = line.split()
    periods: list[str] = []
    while tokens and _PERIOD.fullmatch(tokens[-1]):
        periods.insert(0, tokens.pop())
    return tokens, periods


def heads_table(line: str) -> bool:
    """Whether the line is a table's heading row: it ends with two periods or more ("Item 2021-22 2022-23")."""
    return len(_periods_ending(line)[1]) >= 2


def _number(cell: str) -> Decimal | None:
    negative = cell.startswith("(") and cell.endswith(")")
    digits = re.sub(r"[^\d.\-–]", "", cell).replace("–", "-")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return -value if negative else value


def _row(line: str, periods: list[str]) -> TextRow | None:
    words = line.split()
    if len(words) <= len(periods):
        return None
    cells = words[-len(periods):]
    values = [_number(c) if _CELL.fullmatch(c) else None for c in cells]
    if any(v is None for v in values):
        return None
    return TextRow(line, " ".join(words[:-len(periods)]), tuple(zip(periods, cells, values)))


def tables(text: str) -> list[TextTable]:
    """The tables of figures by period that `text` sets out: a heading row ending with two periods or more, the
    rows after it (blank lines between them allowed) that hold a label and a figure under each period, and the
    caption, the line before the heading row when it ends with a colon or names its unit in brackets."""
    lines = [line.strip() for line in text.split("\n")]
    out: list[TextTable] = []
    i = 0
    while i < len(lines):
        tokens, periods = _periods_ending(lines[i])
        if len(periods) < 2:
            i += 1
            continue
        before = next((line for line in reversed(lines[:i]) if line), "")
        caption = before if before.endswith(":") or "(" in before else ""
        found, j = [], i + 1
        while j < len(lines):
            if lines[j]:
                row = _row(lines[j], periods)
                if row is None:
                    break
                found.append(row)
            j += 1
        if found:
            out.append(TextTable(caption, " ".join(tokens), tuple(periods), tuple(found)))
        i = j
    return out


def table_around(text: str, quote: str) -> dict | None:
    """The table of `text` that the quoted row belongs to, as a citation shows a table row (caption, header row,
    the row and up to `ROWS_SHOWN` rows either side, which one it is); None when the quote is no such row."""
    wanted = " ".join(quote.split())
    for table in tables(text):
        for i, row in enumerate(table.rows):
            if " ".join(row.line.split()) == wanted:
                lo = max(0, i - ROWS_SHOWN)
                shown = table.rows[lo:i + ROWS_SHOWN + 1]
                return {"caption": table.caption, "columns": [table.corner, *table.periods],
                        "rows": [[r.label, *(raw for _, raw, _ in r.cells)] for r in shown], "row_at": i - lo}
    return None
