"""A row of figures under year columns, as a report's text sets out a table with spaces ("Nursery capital grants
6.2 9.8 7.1" under "Item 2021-22 2022-23 2023-24", captioned "Programme spending by financial year (£ million):"):
read from the passage's own lines, so that "how much did it spend on nursery capital grants across the three
years?" adds the row's cells. Each row is a sentence of its passage (see `ingest.chunking.is_data_row`), so the
row quoted is verbatim. Written by hand: the table libraries we use (pdfplumber) read a PDF's drawn cells, not
columns of text inside a passage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from assistant.calc.calculators import SCALE_WORDS, SCALES, Quantity
from assistant.text.terms import stems
from assistant.types import Chunk

# A column heading that is a period: a year or a financial year ("2021", "2021-22", "2023/24")
_PERIOD = re.compile(r"(?:19|20)\d\d(?:[-–/](?:\d\d|(?:19|20)\d\d))?")
# One cell of figures: "41.3", "1,870", "£6.2", "(3.4)" (a negative in accounts), "-2.1"
_CELL = re.compile(r"[(£$€+\-–]*\d[\d,]*(?:\.\d+)?\)?")
# A caption that gives its cells in pounds: "(£ million)", "(£m)", "£bn" (any other caption: the cells are counts)
_MONEY_SCALE = re.compile(r"£\s*(million|billion|thousand|mn|m|bn|k)\b", re.I)


@dataclass(frozen=True)
class Row:
    """One row of a table of figures by period: its passage, its line as written, its label, caption, and the
    cells under each period heading."""

    chunk: Chunk
    line: str
    label: str
    caption: str
    cells: tuple[tuple[str, Decimal], ...]  # (period heading, value)

    def quantity(self, period: str, value: Decimal) -> Quantity:
        """One cell as a figure: pounds at the caption's scale when it gives one ("£ million"), else a count."""
        m = _MONEY_SCALE.search(self.caption)
        label = f"{self.label}, {period}"
        if not m:
            return Quantity(value, "count", label=label)
        scale = SCALE_WORDS.get(m.group(1).lower(), m.group(1).lower())
        return Quantity(value * SCALES[scale], "GBP", scale=scale, label=label)


def _number(cell: str) -> Decimal | None:
    negative = cell.startswith("(") and cell.endswith(")")
    digits = re.sub(r"[^\d.\-–]", "", cell).replace("–", "-")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return -value if negative else value


def rows(chunk: Chunk) -> list[Row]:
    """The rows of figures under period headings that the passage's text sets out, each with its caption (the
    line before the heading row, when it ends with a colon or names a unit in brackets)."""
    lines = [line.strip() for line in chunk.text.split("\n")]
    out: list[Row] = []
    i = 0
    while i < len(lines):
        tokens = lines[i].split()
        periods = []
        while tokens and _PERIOD.fullmatch(tokens[-1]):
            periods.insert(0, tokens.pop())
        if len(periods) < 2:
            i += 1
            continue
        before = [line for line in lines[:i] if line]
        caption = before[-1] if before and (before[-1].endswith(":") or "(" in before[-1]) else ""
        j = i + 1
        while j < len(lines):
            if not lines[j]:
                j += 1
                continue
            words = lines[j].split()
            cells = words[-len(periods):]
            label = " ".join(words[:-len(periods)])
            values = [_number(c) if _CELL.fullmatch(c) else None for c in cells]
            if len(words) <= len(periods) or not label or any(v is None for v in values):
                break
            out.append(Row(chunk, lines[j], label, caption, tuple(zip(periods, values))))
            j += 1
        i = j
    return out


def row_asked(question: str, chunks: list[Chunk]) -> Row | None:
    """The one row whose label the question names, every word of it ("nursery capital grants"), and more of
    them than any other row's; None when no row, or more than one, fits."""
    asked = stems(question)
    fits = []
    for chunk in chunks:
        for row in rows(chunk):
            label = stems(row.label)
            if label and label <= asked:
                fits.append((len(label), row))
    if not fits:
        return None
    fits.sort(key=lambda x: -x[0])
    best = [r for n, r in fits if n == fits[0][0]]
    if len({(r.label, r.cells) for r in best}) != 1:
        return None
    return best[0]


def columns_asked(question: str, row: Row) -> list[tuple[str, Decimal]]:
    """The row's cells the question names by their periods ("across 2021-22, 2022-23 and 2023-24", "from
    2021-22 to 2023-24" takes those between too), or all of them when it names none."""
    named = [p for p, _ in row.cells if re.search(rf"(?<![\d-]){re.escape(p)}(?![\d])", question)]
    if len(named) == 2 and re.search(r"\b(?:to|until|through)\b", question):
        order = [p for p, _ in row.cells]
        a, b = sorted(order.index(p) for p in named)
        named = order[a:b + 1]
    if not named:
        return list(row.cells)
    return [(p, v) for p, v in row.cells if p in named]
