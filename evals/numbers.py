"""Reading quantities out of prose: "£382m", "£382 million", "382 million pounds" and "£0.38bn" alike.

Every figure becomes a `Quantity(value, unit)` with an exact `Decimal` value in base units (pounds, per cent,
or a plain count), so matching never depends on how a writer chose to spell it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["Quantity", "extract_quantities", "parse_quantity", "find_quantity", "normalise_unit",
           "strip_markers", "normalise_text", "sentence_at"]

_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100,
}
_SCALES = {"bn": 9, "billion": 9, "mn": 6, "m": 6, "million": 6, "k": 3, "thousand": 3}
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|(?:" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b"
_QTY = re.compile(
    rf"""
    (?P<cur>£\s?|\bGBP\s?)?
    (?<![\w.])(?P<num>{_NUM})           # not glued to a word or a decimal point ("services1", "Office.2")
    (?:\s?(?P<scale>bn|billion|mn|million|m|thousand|k)\b)?
    (?:\s?(?P<suffix>%|per\s?cent\b|percent\b|pounds?\b|sterling\b|GBP\b))?
    """,
    re.X | re.I,
)
_RANGE_GAP = re.compile(r"^\s*(?:-|to|and)\s*$", re.I)
_MARKER = re.compile(r"\[\d+(?:\s*[,;–-]\s*\d+)*\]")
_DASHES = str.maketrans({"–": "-", "—": "-", "‑": "-", "−": "-", "\u00a0": " ", "’": "'", "‘": "'",
                         "“": '"', "”": '"'})


@dataclass(frozen=True)
class Quantity:
    """A figure found in text: exact value in base units, unit "GBP", "%" or None, and where it was."""

    value: Decimal
    unit: str | None
    raw: str = ""
    start: int = 0
    end: int = 0

    def matches(self, other: "Quantity", tolerance: float = 0.0) -> bool:
        """Same unit and a value within `tolerance` (relative) of `other`'s."""
        if self.unit != other.unit:
            return False
        if tolerance == 0:
            return self.value == other.value
        return abs(self.value - other.value) <= Decimal(str(tolerance)) * abs(other.value)

    def canonical(self) -> str:
        """A spelling that parses back to the same quantity, e.g. "£382 million", "12.5%", "140000"."""
        if self.unit == "GBP":
            for exp, word in ((9, "billion"), (6, "million")):
                if abs(self.value) >= Decimal(10) ** exp:
                    return f"£{_fmt(self.value / Decimal(10) ** exp)} {word}"
            return f"£{_fmt(self.value)}"
        if self.unit == "%":
            return f"{_fmt(self.value)}%"
        return _fmt(self.value)


def _fmt(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return text


def normalise_unit(unit: str | None) -> str | None:
    """"GBP", "£", "pounds" -> "GBP"; "%", "percent", "per cent" -> "%"; anything else is a plain label -> None."""
    if not unit:
        return None
    u = unit.strip().lower()
    if u in {"gbp", "£", "pound", "pounds", "sterling"}:
        return "GBP"
    if u in {"%", "percent", "per cent", "percentage"}:
        return "%"
    return None


def normalise_text(text: str) -> str:
    """Unify dashes, quotes and non-breaking spaces so spelling variants compare equal."""
    return text.translate(_DASHES)


def strip_markers(text: str) -> str:
    """Blank out citation markers like [1] or [1, 2] (same length, so offsets stay valid)."""
    return _MARKER.sub(lambda m: " " * len(m.group()), text)


def extract_quantities(text: str) -> list[Quantity]:
    """Every figure in `text`, in order; ranges like "£382–403 million" share their scale and currency."""
    text = strip_markers(normalise_text(text))
    found: list[tuple[re.Match, Decimal, int, str | None]] = []
    for m in _QTY.finditer(text):
        num = m.group("num")
        try:
            value = Decimal(_WORDS[num.lower()]) if num.lower() in _WORDS else Decimal(num.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern only admits valid numerals
            continue
        scale = _SCALES[m.group("scale").lower()] if m.group("scale") else 0
        suffix = (m.group("suffix") or "").lower().replace(" ", "")
        if m.group("cur") or suffix in {"pound", "pounds", "sterling", "gbp"}:
            unit = "GBP"
        elif suffix in {"%", "percent"}:
            unit = "%"
        else:
            unit = None
        found.append((m, value, scale, unit))
    # "£382 to 403 million", "10 to 15%": the first figure of a range borrows what the second spells out.
    for i in range(len(found) - 1):
        (ma, va, sa, ua), (mb, vb, sb, ub) = found[i], found[i + 1]
        if sa == 0 and _RANGE_GAP.match(text[ma.end():mb.start()]):
            if sb:
                sa = sb
            ua = ua or ub
            if ub is None and ua is not None and sb:
                ub = ua
            found[i] = (ma, va, sa, ua)
            found[i + 1] = (mb, vb, sb, ub)
    return [Quantity(v * (Decimal(10) ** s), u, m.group().strip(), m.start(), m.end()) for m, v, s, u in found]


def parse_quantity(text: str, unit: str | None = None) -> Quantity:
    """The single figure a fact names, e.g. ("382 million", "GBP"); `unit` GBP or % overrides the text's own."""
    found = extract_quantities(str(text))
    if not found:
        raise ValueError(f"{text!r} is not a number")
    if len(found) > 1:
        raise ValueError(f"{text!r} holds more than one number; give one figure per fact")
    q = found[0]
    u = normalise_unit(unit)
    if unit and u is None and q.unit is not None:
        raise ValueError(f"{text!r} is in {q.unit} but the fact's unit is {unit!r}")
    return Quantity(q.value, u or q.unit, q.raw, q.start, q.end)


def find_quantity(text: str, target: Quantity, tolerance: float = 0.0) -> Quantity | None:
    """The first figure in `text` matching `target`, or None."""
    for q in extract_quantities(text):
        if q.matches(target, tolerance):
            return q
    return None


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def sentence_at(text: str, pos: int) -> tuple[int, int]:
    """The (start, end) of the sentence or line of `text` that holds offset `pos`."""
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() >= pos:
            return start, m.start()
        start = m.end()
    return start, len(text)
