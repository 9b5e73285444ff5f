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
