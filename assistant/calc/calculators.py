"""Exact arithmetic on cited figures: range-aware Decimal calculators that show their working."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable, Union

from assistant.errors import CalculationError
from assistant.types import Calculation, Operand

UNITS = frozenset({"GBP", "percent", "count", "year", "financial_year", "date", "years", "times",
                   "percentage_points"})
CALENDAR = frozenset({"year", "financial_year", "date"})
SCALES = {"thousand": Decimal(10**3), "million": Decimal(10**6), "billion": Decimal(10**9)}
MINUS = "−"
# Shorthand for a scale as reports and users write it ("£1.1bn", "£382m")
SCALE_WORDS = {"k": "thousand", "m": "million", "mn": "million", "bn": "billion"}
_KIND = {"GBP": "a money amount", "percent": "a percentage", "count": "a count", "year": "a year",
         "financial_year": "a financial year", "date": "a date", "years": "a number of years",
         "times": "a ratio", "percentage_points": "a difference in percentage points"}
_SUFFIXES = {"percent": ("%", "%"), "percentage_points": (" percentage point", " percentage points"),
             "years": (" year", " years"), "times": (" times", " times")}
# Display precision: what a reader of an audit report expects, never used for the arithmetic itself.
_PLACES = {"GBP": 2, "percent": 1, "percentage_points": 1, "years": 1, "times": 2, "count": 2}


@dataclass(frozen=True)
class Quantity:
    """A number with its unit: one value or a low..high range; `scale` keeps "million"/"billion" for display."""

    value: Decimal | None = None
    unit: str = "count"
    low: Decimal | None = None
    high: Decimal | None = None
    scale: str | None = None
    label: str | None = None
    month: int | None = None  # a date's month (1-12) when it names one ("September 2016"); its value is the year

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise CalculationError(f"I do not know the unit {self.unit!r}; I can work with money (GBP), "
                                   "percentages, counts, years, financial years and dates.")
        if self.scale is not None and self.scale not in SCALES:
            raise CalculationError(f"I do not know the scale {self.scale!r}; use thousand, million or billion.")
        for name in ("value", "low", "high"):
            object.__setattr__(self, name, _decimal(getattr(self, name)))
        if self.value is not None and (self.low is not None or self.high is not None):
            raise CalculationError("A figure is either one value or a range, not both.")
        if self.value is None:
            if self.low is None or self.high is None:
                raise CalculationError("A figure needs a value, or both ends of a range.")
            if self.low > self.high:
                raise CalculationError(f"A range must run from low to high, not from {self.low} to {self.high}.")
            if self.low == self.high:  # a range of one value is that value
                for name, v in (("value", self.low), ("low", None), ("high", None)):
                    object.__setattr__(self, name, v)

    @property
    def is_range(self) -> bool:
        """True for a low..high range."""
        return self.value is None

    @property
    def lo(self) -> Decimal:
        """The low end (the value itself for a single figure)."""
        return self.low if self.value is None else self.value

    @property
    def hi(self) -> Decimal:
        """The high end (the value itself for a single figure)."""
        return self.high if self.value is None else self.value

    def end(self, x: Decimal) -> str:
        """One end (or any value) of this quantity written as this quantity is written."""
        return format_value(x, self.unit, self.scale)

    def display(self) -> str:
        """The quantity for people: "£382 million to £403 million", "28.6%", "2024-25", "September 2016"."""
        if self.unit == "date" and self.month and not self.is_range:
            return f"{calendar.month_name[self.month]} {self.end(self.value)}"
        if self.is_range:
            lo, hi = self.end(self.lo), self.end(self.hi)
            return lo if lo == hi else f"{lo} to {hi}"  # ends equal at the shown precision: one figure
        return self.end(self.value)

    __str__ = display

    @classmethod
    def from_figure(cls, fig: Any) -> "Quantity":
        """The quantity of an extracted `assistant.text.figures.Figure`, labelled with what it measures."""
        scale = None
        if fig.unit in ("GBP", "count"):
            words = {SCALE_WORDS.get(w.lower(), w.lower()) for w in
                     re.findall(r"(?<=[\d\s])(thousand|million|billion|k|mn|m|bn)\b", fig.raw, re.I)}
            # "£900 million to £1.1 billion" has no one scale: each end then picks its own.
            scale = words.pop() if len(words) == 1 else None
        if fig.low is not None:
            return cls(None, fig.unit, fig.low, fig.high, scale, fig.measure)
        iso = getattr(fig, "iso_date", None) if fig.unit == "date" else None
        return cls(fig.value, fig.unit, scale=scale, label=fig.measure, month=int(iso[5:7]) if iso else None)


@dataclass(frozen=True)
class CalculationResult(Calculation):
    """A `Calculation` that also carries its exact result, for code that needs the number, not the words."""

    quantity: Quantity | None = None


Figureish = Union[Quantity, str, int, Decimal, None]


def _decimal(v: Any) -> Decimal | None:
    if v is None or (isinstance(v, Decimal) and v.is_finite()):
        return v
    try:
        d = Decimal(str(v)) if isinstance(v, (int, float, str)) and not isinstance(v, bool) else None
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite():
        raise CalculationError(f"{v!r} is not a number I can calculate with.")
    return d


def _num(d: Decimal) -> str:
    s = format(d, ",f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def _round(x: Decimal, places: int) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _rendered(x: Decimal, unit: str, scale: str | None = None) -> tuple[str, bool]:
    """(text, exact?) for one number: exact is False when the text had to round."""
    sign = MINUS if x < 0 else ""
    a = abs(x)
    if unit in CALENDAR:
        y = int(a)
        if a != y:
            return f"{sign}{_num(a)}", True
        return (f"{sign}{y}-{(y + 1) % 100:02d}" if unit == "financial_year" else f"{sign}{y}"), True
    places = _PLACES[unit]
    word = scale if a else None  # "£0", not "£0 million"
    if word:
        places = 6  # a scale the writer chose (or a conversion asked for) is shown in full
    elif unit == "GBP":
        word = "billion" if a >= SCALES["billion"] else "million" if a >= SCALES["million"] else None
        places = 3 if word == "billion" else 2
    n = a / SCALES[word] if word else a
    r = _round(n, places)
    text = _num(r)
    if word:
        text += f" {word}"
    one, many = _SUFFIXES.get(unit, ("", ""))
    return sign + ("£" if unit == "GBP" else "") + text + (one if r == 1 else many), r == n


def format_value(x: Decimal, unit: str, scale: str | None = None) -> str:
    """A number written for people in its unit: £82 million, 28.6%, 3 years, 2024-25, 140,000."""
    return _rendered(x, unit, scale)[0]


def _eq(x: Decimal, unit: str) -> str:
    return "=" if _rendered(x, unit)[1] else "≈"


def _desc(q: Quantity) -> str:
    return f"{_KIND[q.unit]} ({q.display()})"


def _q(x: Figureish, what: str) -> Quantity:
    if x is None or (isinstance(x, str) and not x.strip()):
        raise CalculationError(f"The {what} is missing, so there is nothing to calculate with.")
    if isinstance(x, Quantity):
        return x
    if isinstance(x, str):
        return parse_quantity(x)
    if isinstance(x, (int, Decimal)) and not isinstance(x, bool):
        return Quantity(Decimal(x), "count")
    raise CalculationError(f"The {what} ({x!r}) is not a figure I can read.")


def _same_unit(a: Quantity, b: Quantity, action: str) -> None:
    """Refuse to combine different units, with the reason a user needs (action: "subtract {b} from {a}")."""
    if a.unit == b.unit:
        return
    what = action.format(a=_desc(a), b=_desc(b))
    money, other = (a, b) if a.unit == "GBP" else (b, a)
    if money.unit == "GBP" and other.unit in CALENDAR:
        raise CalculationError(f"I cannot {what}: {other.display()} is {_KIND[other.unit]}, not an amount of money.")
    if money.unit == "GBP" and other.unit == "percent":
        raise CalculationError(f"I cannot {what}: a percentage is a share of something, not an amount of money, "
                               "so I would need the amount it is a percentage of.")
    raise CalculationError(f"I cannot {what}: they are measured in different units.")


def _amount(q: Quantity, verb: str) -> None:
    if q.unit in CALENDAR:
        raise CalculationError(f"{q.display()} is {_KIND[q.unit]}, a point in time rather than an amount, "
                               f"so I cannot {verb} it.")


def _result(operation: str, expression: str, result: Quantity, *operands: Quantity) -> CalculationResult:
    return CalculationResult(operation=operation, expression=expression, result=result.display(), unit=result.unit,
                             operands=tuple(Operand(value=q.display(), unit=q.unit, label=q.label) for q in operands),
                             quantity=result)


def _working(lo: tuple[str, Decimal], hi: tuple[str, Decimal], unit: str) -> str:
    """The expression for a result: one line of working, or both ends' working for a range."""
    (wl, vl), (wh, vh) = lo, hi
    fl = f"{wl} {_eq(vl, unit)} {format_value(vl, unit)}"
    if vl == vh and wl == wh:
        return fl
    return f"low: {fl}; high: {wh} {_eq(vh, unit)} {format_value(vh, unit)}"


def _binary(a: Quantity, b: Quantity, f: Callable[[Decimal, Decimal], Decimal], template: str,
            unit: str) -> tuple[str, Quantity]:
    """f(a, b) over ranges, with its working ("{a} − {b}"): the expression and the result.

    Every calculator here is monotone in each operand (−, +, ×, and ÷ by a range without zero), so the
    extremes sit at the pairs of range ends: this is exact interval arithmetic.
    """
    found = sorted(((f(x, y), x, y) for x in {a.lo, a.hi} for y in {b.lo, b.hi}), key=lambda t: t[0])
    (vl, al, bl), (vh, ah, bh) = found[0], found[-1]
    result = Quantity(None, unit, vl, vh) if vl != vh else Quantity(vl, unit)
    return _working((template.format(a=a.end(al), b=b.end(bl)), vl),
                    (template.format(a=a.end(ah), b=b.end(bh)), vh), unit), result


def _nonzero(b: Quantity, role: str) -> None:
    if b.lo <= 0 <= b.hi:
        what = "is zero" if not b.is_range else "includes zero"
        raise CalculationError(f"I cannot divide by zero: the {role} ({b.display()}) {what}.")


# --- the calculators --------------------------------------------------------------------------------

def difference(a: Figureish, b: Figureish) -> CalculationResult:
    """a − b, range-aware: £382m to £403m minus £300m is £82m to £103m."""
    a, b = _q(a, "first figure"), _q(b, "second figure")
    if a.unit in CALENDAR and b.unit in CALENDAR:
        return years_between(b, a)
    _same_unit(a, b, "subtract {b} from {a}")
    unit = "percentage_points" if a.unit == "percent" else a.unit
    return _result("difference", *_binary(a, b, lambda x, y: x - y, f"{{a}} {MINUS} {{b}}", unit), a, b)


def total(*amounts: Figureish) -> CalculationResult:
    """The sum of two or more figures of one unit; ranges add end to end."""
    qs = [_q(x, "figure to add") for x in amounts]
    if len(qs) < 2:
        raise CalculationError("I need at least two figures to add up.")
    for q in qs[1:]:
        _same_unit(qs[0], q, "add {b} to {a}")
    _amount(qs[0], "add")
    lo, hi = sum((q.lo for q in qs), Decimal(0)), sum((q.hi for q in qs), Decimal(0))
    res = Quantity(None, qs[0].unit, lo, hi) if lo != hi else Quantity(lo, qs[0].unit)
    work = _working((" + ".join(q.end(q.lo) for q in qs), lo), (" + ".join(q.end(q.hi) for q in qs), hi), res.unit)
    return _result("total", work, res, *qs)


def ratio(numerator: Figureish, denominator: Figureish) -> CalculationResult:
    """How many times the numerator is the denominator: £403m ÷ £300m ≈ 1.34 times."""
    a, b = _q(numerator, "first figure"), _q(denominator, "second figure")
    _same_unit(a, b, "divide {a} by {b}")
    _amount(a, "divide")
    _nonzero(b, "second figure")
    return _result("ratio", *_binary(a, b, lambda x, y: x / y, "{a} ÷ {b}", "times"), a, b)


def share(part: Figureish, whole: Figureish) -> CalculationResult:
    """The part as a percentage of the whole: 2 of 7 ≈ 28.6%."""
    p, w = _q(part, "part"), _q(whole, "whole")
    _same_unit(p, w, "take {a} as a share of {b}")
    _amount(p, "take a share of")
    _nonzero(w, "whole")
    return _result("share", *_binary(p, w, lambda x, y: x / y * 100, "{a} ÷ {b} × 100", "percent"), p, w)


def average(amount: Figureish, count: Figureish) -> CalculationResult:
    """A total shared evenly among a count of things: £759 million over 3 bids is £253 million each."""
    a, n = _q(amount, "total"), _q(count, "number of things")
    _amount(a, "average")
    if a.unit not in ("GBP", "count"):
        raise CalculationError(f"I can only average money or counts, not {_desc(a)}.")
    if n.unit != "count":
        raise CalculationError(f"{n.display()} is {_KIND[n.unit]}, not a number of things to share among.")
    if n.lo <= 0:
        raise CalculationError(f"The number of things must be more than zero, not {n.display()}.")
    return _result("average", *_binary(a, n, lambda x, y: x / y, "{a} ÷ {b}", a.unit), a, n)


def _change(new: Quantity, old: Quantity, operation: str) -> CalculationResult:
    _same_unit(new, old, "compare {a} with {b}")
    _amount(new, "compare")
    _nonzero(old, "starting figure" if operation == "percent_change" else "second figure")
    work, res = _binary(new, old, lambda x, y: (x / y - 1) * 100, f"({{a}} {MINUS} {{b}}) ÷ {{b}} × 100", "percent")
    return _result(operation, work, res, *((old, new) if operation == "percent_change" else (new, old)))


def percent_change(old: Figureish, new: Figureish) -> CalculationResult:
    """The change from old to new as a percentage of old (negative for a fall)."""
    return _change(_q(new, "new figure"), _q(old, "starting figure"), "percent_change")


def exceeds_by_percent(a: Figureish, b: Figureish) -> CalculationResult:
    """By what percentage a exceeds b: (a − b) ÷ b × 100."""
    return _change(_q(a, "first figure"), _q(b, "second figure"), "exceeds_by_percent")


def midpoint(a: Figureish, b: Figureish = None) -> CalculationResult:
    """The middle of a range (£382m to £403m -> £392.5m), or of two single figures."""
    a = _q(a, "range")
    if b is None or (isinstance(b, str) and not b.strip()):
        if not a.is_range:
            raise CalculationError(f"{a.display()} is a single figure; a midpoint needs a range or two figures.")
        first, second, operands = (a, a.lo), (a, a.hi), (a,)
    else:
        b = _q(b, "second figure")
        _same_unit(a, b, "find the midpoint of {a} and {b}")
        if a.is_range or b.is_range:
            raise CalculationError("A midpoint of two figures needs two single values, not ranges.")
        first, second, operands = (a, a.value), (b, b.value), (a, b)
    _amount(a, "find the midpoint of")
    res = Quantity((first[1] + second[1]) / 2, a.unit)
    line = (f"({first[0].end(first[1])} + {second[0].end(second[1])}) ÷ 2", res.value)
    return _result("midpoint", _working(line, line, a.unit), res, *operands)


def years_between(start: Figureish, end: Figureish, in_months: bool = False) -> CalculationResult:
    """Years from one year, financial year or date to another: 2025 to 2028 is 3 years. Between two dates that
    name their months, months: "8 years and 3 months", or "99 months" `in_months` (when that is what was asked)."""
    s, e = _q(start, "first year"), _q(end, "second year")
    for q in (s, e):
        if q.unit not in CALENDAR:
            raise CalculationError(f"{q.display()} is {_KIND[q.unit]}, not a year, so I cannot count years from it.")
    if s.month and e.month and not (s.is_range or e.is_range):
        # two months named ("September 2016" to "December 2024"): counted in months, not in whole years
        months = int(e.value * 12 + e.month) - int(s.value * 12 + s.month)
        work = f"{e.display()} {MINUS} {s.display()} = {_num(Decimal(months))} months"
        whole, left = divmod(abs(months), 12)
        if in_months:
            said = f"{abs(months)} month{'s' * (abs(months) != 1)}"
        else:
            said = " and ".join(part for part in (f"{whole} year{'s' * (whole != 1)}" if whole else "",
                                                  f"{left} month{'s' * (left != 1)}" if left else "") if part)
            said = said or "0 months"
            work += f" = {MINUS if months < 0 else ''}{said}" if whole else ""
        said = (MINUS if months < 0 else "") + said
        return replace(_result("years_between", work, Quantity(Decimal(months) / 12, "years"), s, e), result=said)
    work, res = _binary(e, s, lambda x, y: x - y, f"{{a}} {MINUS} {{b}}", "years")
    return _result("years_between", work, res, s, e)


def _years(n: Figureish) -> Quantity:
    q = _q(n, "number of years")
    if q.unit in CALENDAR:
        raise CalculationError(f"{q.display()} is a calendar year, not a number of years.")
    if q.unit not in ("years", "count"):
        raise CalculationError(f"{q.display()} is {_KIND[q.unit]}, not a number of years.")
    if q.lo <= 0:
        raise CalculationError(f"The number of years must be more than zero, not {q.display()}.")
    return Quantity(q.value, "years", q.low, q.high, label=q.label)


def _per_year(q: Quantity, verb: str) -> None:
    _amount(q, verb)
    if q.unit not in ("GBP", "count"):
        raise CalculationError(f"I can only {verb} money or counts over years, not {_desc(q)}.")


def annual_to_total(annual: Figureish, years: Figureish) -> CalculationResult:
    """A yearly amount over N years: £400m a year for 10 years is £4 billion."""
    a, n = _q(annual, "yearly amount"), _years(years)
    _per_year(a, "multiply")
    return _result("annual_to_total", *_binary(a, n, lambda x, y: x * y, "{a} × {b}", a.unit), a, n)


def total_to_annual(amount: Figureish, years: Figureish) -> CalculationResult:
    """A total spread evenly over N years: £300m over 3 years is £100m a year."""
    a, n = _q(amount, "total"), _years(years)
    _per_year(a, "spread")
    return _result("total_to_annual", *_binary(a, n, lambda x, y: x / y, "{a} ÷ {b}", a.unit), a, n)


def rate_to_total(rate: Figureish, periods: Figureish, period: str = "month") -> CalculationResult:
    """An amount a period (a month, a year) over N such periods: £3.1m a month for 6 months is £18.6 million."""
    a, n = _q(rate, f"amount a {period}"), _q(periods, f"number of {period}s")
    _amount(a, "multiply")
    if a.unit not in ("GBP", "count"):
        raise CalculationError(f"I can only multiply money or counts by a number of {period}s, not {_desc(a)}.")
    if n.unit not in ("count", "years") or n.lo <= 0:
        raise CalculationError(f"{n.display()} is not a number of {period}s to multiply by.")
    return _result("rate_to_total", *_binary(a, n, lambda x, y: x * y, "{a} × {b}", a.unit), a, n)


def convert(amount: Figureish, to: str) -> CalculationResult:
    """The same amount in another scale: £382 million = £0.382 billion ("units" for plain pounds)."""
    a = _q(amount, "amount")
    target = (to or "").strip().lower()
    target = {"bn": "billion", "m": "million", "mn": "million", "k": "thousand", "pounds": "units"}.get(target, target)
    if target not in (*SCALES, "units"):
        raise CalculationError(f"I can convert to thousand, million, billion or units, not {to!r}.")
    if a.unit not in ("GBP", "count"):
        raise CalculationError(f"Only money and counts change scale; {_desc(a)} does not.")
    scale = None if target == "units" else target
    res = Quantity(a.value, a.unit, a.low, a.high, scale=scale)
    if scale is None:  # plain pounds: show every digit rather than an automatic million/billion
        ends = (a.lo,) if a.lo == a.hi else (a.lo, a.hi)
        text = " to ".join(f"{'£' if a.unit == 'GBP' else ''}{_num(x)}" for x in ends)
        return CalculationResult("convert", f"{a.display()} = {text}", text, a.unit,
                                 (Operand(a.display(), a.unit, label=a.label),), res)
    return _result("convert", f"{a.display()} = {res.display()}", res, a)


# --- reading figures from text, and the LangChain edge --------------------------------------------

def parse_quantity(text: str) -> Quantity:
    """Read one figure as people write it: "£382m", "382 million pounds", "10% to 15%", "2028", "3 years"."""
    from assistant.text.figures import extract_figures  # figures is the one parser of numbers in prose

    if text is None or not str(text).strip():
        raise CalculationError("The figure is empty, so there is nothing to calculate with.")
    s = str(text).strip()
    negative = s[0] in "-−"
    body = s[1:].strip() if negative else s
    times = re.fullmatch(r"(\d[\d,]*(?:\.\d+)?)\s*(?:times|x)", body, re.I)
    figs = extract_figures(body)
    if times:
        q = Quantity(Decimal(times.group(1).replace(",", "")), "times")
    elif len(figs) > 1:
        raise CalculationError(f"“{s}” holds more than one figure; give me one at a time.")
    elif figs:
        q = Quantity.from_figure(figs[0])
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?", body):
        q = Quantity(Decimal(body.replace(",", "")), "count")
    else:
        raise CalculationError(f"I cannot read “{s}” as a figure "
                               "(try “£382 million”, “15%” or “2028”).")
    if negative:
        q = Quantity(None if q.is_range else -q.value, q.unit, None if not q.is_range else -q.hi,
                     None if not q.is_range else -q.lo, q.scale, q.label)
    return q
