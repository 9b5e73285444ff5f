"""A total along a row of a table by period that a report's text sets out with spaces (`assistant.text.rows`):
"how much did it spend on nursery capital grants across the three years?" adds the row's cells, each operand
citing the row as written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from assistant.calc.calculators import SCALE_WORDS, SCALES, Quantity
from assistant.text.rows import tables
from assistant.text.terms import stems
from assistant.types import Chunk

# A caption that gives its cells in pounds: "(£ million)", "(£m)", "£bn" (any other caption: the cells are counts)
_MONEY_SCALE = re.compile(r"£\s*(million|billion|thousand|mn|m|bn|k)\b", re.I)


@dataclass(frozen=True)
class Row:
    """One row of a table of figures by period: its passage, its line as written, its label, its table's caption,
    and the value under each period heading."""

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


def rows(chunk: Chunk) -> list[Row]:
    """The rows of the passage's tables of figures by period."""
    return [Row(chunk, r.line, r.label, t.caption, tuple((p, v) for p, _, v in r.cells))
            for t in tables(chunk.text) for r in t.rows]


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


# A year or a financial year as a question writes it, once shorthand is read ("2020-21", "2023/24", "2021")
_ASKED_PERIOD = re.compile(r"(?<!\d)(?:19|20)\d\d(?:[-–/]\d\d(?:\d\d)?)?(?!\d)")


def _periods_named(question: str, row: Row) -> list[re.Match]:
    """Where the question names one of the row's periods, in the question's order."""
    order = {p for p, _ in row.cells}
    return [m for m in _ASKED_PERIOD.finditer(question) if m.group() in order]


def columns_asked(question: str, row: Row) -> list[tuple[str, Decimal]]:
    """The row's cells the question names by their periods ("across 2021-22, 2022-23 and 2023-24"; "from
    2021-22 to 2023-24" and "2020-21-2022-23" take those between too), or all of them when it names none."""
    order = [p for p, _ in row.cells]
    found = _periods_named(question, row)
    named = list(dict.fromkeys(m.group() for m in found))
    if len(found) == 2 and re.fullmatch(r"\s*(?:to|until|through|[-–])\s*|.*\b(?:to|until|through)\b.*",
                                        question[found[0].end():found[1].start()]):
        a, b = sorted(order.index(p) for p in named)
        named = order[a:b + 1]
    if not named:
        return list(row.cells)
    return [(p, v) for p, v in row.cells if p in named]


# What a caption's brackets say its counts are: "(kilometres)", "(number of schools)"
_COUNTED = re.compile(r"\(([^()£$€]+)\)\s*:?\s*$")


def cell_asked(question: str, chunks: list[Chunk]) -> tuple[Row, str, str] | None:
    """The one cell a question asks for: the row it names (`row_asked`) under the one period it names ("What did
    programme administration cost in 2023-24?"), as (row, period, the cell's figure in the caption's unit: "£2.8
    million", "5.4 kilometres"); None when it names no row, or not exactly one of the row's periods."""
    row = row_asked(question, chunks)
    if row is None:
        return None
    named = list(dict.fromkeys(m.group() for m in _periods_named(question, row)))
    if len(named) != 1:
        return None
    q = row.quantity(named[0], dict(row.cells)[named[0]])
    counted = _COUNTED.search(row.caption) if q.unit == "count" else None
    return row, named[0], f"{q.display()} {counted.group(1).strip()}" if counted else q.display()
