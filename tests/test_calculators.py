"""Calculators: worked examples from the corpus, the error sentences users see, and the algebra (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.calc import calculators as calc
from assistant.calc.calculators import Quantity, parse_quantity
from assistant.errors import CalculationError
from assistant.types import Calculation, Operand

D = Decimal


# --- worked examples from the corpus -------------------------------------------------------------

def test_shortfall_between_forecast_range_and_approved_funding():
    c = calc.difference("£382 million to £403 million", "£300 million")
    assert isinstance(c, Calculation)
    assert c.operation == "difference"
    assert c.result == "£82 million to £103 million"
    assert c.unit == "GBP"
    assert c.expression == ("low: £382 million − £300 million = £82 million; "
                            "high: £403 million − £300 million = £103 million")
    assert c.operands == (Operand("£382 million to £403 million", "GBP"), Operand("£300 million", "GBP"))
    assert (c.quantity.low, c.quantity.high) == (D(82_000_000), D(103_000_000))


def test_difference_of_single_figures_shows_one_line_of_working():
    c = calc.difference("£403 million", "£300 million")
    assert c.expression == "£403 million − £300 million = £103 million"
    assert c.result == "£103 million"
    assert c.quantity.value == D(103_000_000)


def test_difference_of_percentages_is_in_percentage_points():
    c = calc.difference("15%", "10%")
    assert (c.result, c.unit) == ("5 percentage points", "percentage_points")


def test_negative_difference_is_written_with_a_minus_sign():
    assert calc.difference("£300m", "£403m").result == "−£103 million"


def test_cloud_deadline_pushed_back_three_years():
    c = calc.years_between("2025", "2028")
    assert (c.operation, c.result, c.unit) == ("years_between", "3 years", "years")
    assert c.expression == "2028 − 2025 = 3 years"
    assert [o.value for o in c.operands] == ["2025", "2028"]


def test_difference_of_two_years_is_a_number_of_years():
    assert calc.difference("2028", "2025").result == "3 years"


def test_years_between_financial_year_and_date():
    c = calc.years_between("2024-25", "30 November 2030")
    assert c.result == "6 years"
    assert c.operands[0].value == "2024-25"


def test_time_between_two_months_is_counted_in_months():
    """Two dates that name their months are months apart, not whole years: September 2016 to December 2024 is 8
    years and 3 months (8.25 years), not the 8 of their years."""
    c = calc.years_between("September 2016", "December 2024")
    assert (c.result, c.unit, c.quantity.value) == ("8 years and 3 months", "years", D(99) / D(12))
    assert c.expression == "December 2024 − September 2016 = 99 months = 8 years and 3 months"
    assert [o.value for o in c.operands] == ["September 2016", "December 2024"]
    assert calc.years_between("October 2020", "March 2021").result == "5 months"
    assert calc.years_between("March 2021", "March 2023").result == "2 years"
    assert calc.years_between("2016", "December 2024").result == "8 years"  # a bare year has no month to count
    asked_in_months = calc.years_between("October 2020", "September 2022", in_months=True)
    assert (asked_in_months.result, asked_in_months.expression) == ("23 months", "September 2022 − October 2020 = 23 months")


def test_share_of_recommendations_implemented_in_full():
    c = calc.share("2", "seven")
    assert (c.result, c.unit) == ("28.6%", "percent")
    assert c.expression == "2 ÷ 7 × 100 ≈ 28.6%"  # ≈ because the display rounds
    assert c.quantity.value == D(2) / D(7) * 100


@pytest.mark.parametrize("fn, a, b, result, low, high", [
    pytest.param(calc.share, "£300 million", "£382 million to £403 million", "74.4% to 78.5%",
                 "£300 million ÷ £403 million × 100 ≈ 74.4%", "£300 million ÷ £382 million × 100 ≈ 78.5%",
                 id="share of a range: its high end gives the low share"),
    pytest.param(calc.total, "between £44 million and £95 million", "£9.8 million", "£53.8 million to £104.8 million",
                 "£44 million + £9.8 million = £53.8 million", "£95 million + £9.8 million = £104.8 million",
                 id="implementation cost range and spending to date"),
    pytest.param(calc.annual_to_total, "£400 million to £600 million", "10 years", "£4 billion to £6 billion",
                 "£400 million × 10 years = £4 billion", "£600 million × 10 years = £6 billion",
                 id="annual savings over ten years"),
    pytest.param(calc.rate_to_total, "£2 million to £3 million", "6", "£12 million to £18 million",
                 "£2 million × 6 = £12 million", "£3 million × 6 = £18 million",
                 id="a monthly cost over six months"),
])
def test_a_range_operand_is_worked_out_at_each_end(fn, a, b, result, low, high):
    c = fn(a, b)
    assert c.result == result
    assert c.expression == f"low: {low}; high: {high}"


def test_ratio_how_many_times():
    c = calc.ratio("£403 million", "£300 million")
    assert (c.result, c.unit) == ("1.34 times", "times")
    assert c.expression == "£403 million ÷ £300 million ≈ 1.34 times"


def test_exceeds_by_percent_and_percent_change_agree():
    a = calc.exceeds_by_percent("£403 million", "£300 million")
    b = calc.percent_change("£300 million", "£403 million")
    assert a.result == b.result == "34.3%"
    assert a.quantity == b.quantity
    assert b.expression == "(£403 million − £300 million) ÷ £300 million × 100 ≈ 34.3%"
    assert calc.percent_change("£403m", "£300m").result == "−25.6%"


def test_midpoint_of_a_range_and_of_two_figures():
    c = calc.midpoint("between £400 million and £600 million")
    assert c.result == "£500 million"
    assert c.expression == "(£400 million + £600 million) ÷ 2 = £500 million"
    assert calc.midpoint("£382m to £403m").result == "£392.5 million"
    assert calc.midpoint("2", "7").result == "4.5"


def test_a_total_spread_over_years():
    down = calc.total_to_annual("£300 million", 3)
    assert (down.result, down.expression) == ("£100 million", "£300 million ÷ 3 years = £100 million")


def test_average_of_the_rejected_bids_is_their_combined_value_over_their_count():
    c = calc.average("£759 million", "3")
    assert (c.operation, c.result, c.unit) == ("average", "£253 million", "GBP")
    assert c.expression == "£759 million ÷ 3 = £253 million"
    assert [(o.value, o.unit) for o in c.operands] == [("£759 million", "GBP"), ("3", "count")]
    assert c.quantity == Quantity(D(253_000_000), "GBP")


def test_average_of_a_range_and_of_a_count():
    c = calc.average("£382 million to £403 million", 3)
    assert c.result == "£127.33 million to £134.33 million"
    assert c.expression == ("low: £382 million ÷ 3 ≈ £127.33 million; "
                            "high: £403 million ÷ 3 ≈ £134.33 million")
    assert calc.average("140,000", "2").result == "70,000"


def test_convert_between_scales():
    assert calc.convert("£382 million", "billion").expression == "£382 million = £0.382 billion"
    assert calc.convert("£1.2bn", "million").result == "£1,200 million"
    assert calc.convert("£9.8m", "units").result == "£9,800,000"


def test_calculation_to_dict_is_the_shared_shape():
    d = calc.difference("£403m", "£300m").to_dict()
    assert d == {"operation": "difference", "expression": "£403 million − £300 million = £103 million",
                 "result": "£103 million", "unit": "GBP",
                 "operands": [{"value": "£403 million", "unit": "GBP", "citation": None, "label": None},
                              {"value": "£300 million", "unit": "GBP", "citation": None, "label": None}]}


# --- errors a user understands --------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: calc.difference("10% to 15%", "£300 million"),
     "I cannot subtract a money amount (£300 million) from a percentage (10% to 15%): a percentage is a share"),
    (lambda: calc.total("£300 million", "2028"),
     "I cannot add a year (2028) to a money amount (£300 million): 2028 is a year, not an amount of money."),
    (lambda: calc.years_between("£300 million", "2028"),
     "£300 million is a money amount, not a year, so I cannot count years from it."),
    (lambda: calc.ratio("£3m", "£0"), "I cannot divide by zero: the second figure (£0) is zero."),
    (lambda: calc.share("2", "0"), "I cannot divide by zero: the whole (0) is zero."),
    (lambda: calc.percent_change("£0 to £5m", "£3m"),
     "I cannot divide by zero: the starting figure (£0 to £5 million) includes zero."),
    (lambda: calc.difference(None, "£3m"), "The first figure is missing, so there is nothing to calculate with."),
    (lambda: calc.difference("£3m", "  "), "The second figure is missing, so there is nothing to calculate with."),
    (lambda: calc.total("2025", "2028"), "2025 is a year, a point in time rather than an amount, so I cannot add it."),
    (lambda: calc.annual_to_total("£3m", "2028"), "2028 is a calendar year, not a number of years."),
    (lambda: calc.total_to_annual("£3m", "0"), "The number of years must be more than zero, not 0."),
    (lambda: calc.rate_to_total("£3.1m", "2028"), "2028 is not a number of months to multiply by."),
    (lambda: calc.rate_to_total("15%", "6"),
     "I can only multiply money or counts by a number of months, not a percentage (15%)."),
    (lambda: calc.annual_to_total("15%", "3"),
     "I can only multiply money or counts over years, not a percentage (15%)."),
    (lambda: calc.ratio("£3m", "7"),
     "I cannot divide a money amount (£3 million) by a count (7): they are measured in different units."),
    (lambda: calc.total("£3m"), "I need at least two figures to add up."),
    (lambda: calc.average("£759m", "£3"), "£3 is a money amount, not a number of things to share among."),
    (lambda: calc.average("£759m", "0"), "The number of things must be more than zero, not 0."),
    (lambda: calc.average("10% to 15%", "2"), "I can only average money or counts, not a percentage (10% to 15%)."),
    (lambda: calc.average("2028", "3"),
     "2028 is a year, a point in time rather than an amount, so I cannot average it."),
    (lambda: calc.midpoint("£3m"), "£3 million is a single figure; a midpoint needs a range or two figures."),
    (lambda: calc.convert("15%", "billion"), "Only money and counts change scale; a percentage (15%) does not."),
    (lambda: calc.convert("£3m", "furlongs"),
     "I can convert to thousand, million, billion or units, not 'furlongs'."),
    (lambda: Quantity(D(1), "furlongs"),
     "I do not know the unit 'furlongs'; I can work with money (GBP), percentages"),
    (lambda: Quantity(None, "GBP", D(5), D(3)), "A range must run from low to high, not from 5 to 3."),
    (lambda: parse_quantity("lots of money"), "I cannot read “lots of money” as a figure"),
    (lambda: parse_quantity("£3m and £4m"),
     "“£3m and £4m” holds more than one figure; give me one at a time."),
])
def test_errors_are_sentences_a_user_understands(call, message):
    with pytest.raises(CalculationError) as err:
        call()
    assert str(err.value).startswith(message)


# --- reading figures ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value, unit, scale", [
    ("£382m", D(382_000_000), "GBP", "million"),
    ("£382 million", D(382_000_000), "GBP", "million"),
    ("382 million pounds", D(382_000_000), "GBP", "million"),
    ("£1.2bn", D(1_200_000_000), "GBP", "billion"),
    ("£750,000", D(750_000), "GBP", None),
    ("15%", D(15), "percent", None),
    ("10 per cent", D(10), "percent", None),
    ("2028", D(2028), "year", None),
    ("2024-25", D(2024), "financial_year", None),
    ("7", D(7), "count", None),
    ("seven", D(7), "count", None),
    ("3 years", D(3), "years", None),
    ("1.34 times", D("1.34"), "times", None),
    ("-£5m", D(-5_000_000), "GBP", "million"),
])
def test_parse_quantity(text, value, unit, scale):
    q = parse_quantity(text)
    assert (q.value, q.unit, q.scale) == (value, unit, scale)


def test_parse_quantity_reads_ranges():
    q = parse_quantity("£382 million to £403 million")
    assert (q.value, q.low, q.high, q.unit) == (None, D(382_000_000), D(403_000_000), "GBP")
    assert q.display() == "£382 million to £403 million"
    assert parse_quantity("between 10% and 15%").display() == "10% to 15%"


def test_quantity_display():
    assert Quantity(D(82_000_000), "GBP").display() == "£82 million"
    assert Quantity(D("9800000"), "GBP", scale="million").display() == "£9.8 million"
    assert Quantity(D(1_162_000_000), "GBP").display() == "£1.162 billion"
    assert Quantity(D(140_000), "count").display() == "140,000"
    assert Quantity(D(1), "years").display() == "1 year"
    assert Quantity(D(2024), "financial_year").display() == "2024-25"
    assert Quantity(None, "GBP", D(5), D(5)).value == D(5)  # a range of one value is that value


# --- the LangChain edge ---------------------------------------------------------------------------

def test_as_tools_wraps_the_same_functions():
    from assistant.calc.tools import as_tools

    tools = {t.name: t for t in as_tools()}
    assert set(tools) == {"difference", "exceeds_by_percent", "total", "ratio", "share", "average", "percent_change",
                          "midpoint", "years_between", "annual_to_total", "total_to_annual", "rate_to_total",
                          "convert"}
    assert tools["rate_to_total"].invoke({"rate": "£3.1 million", "periods": "6", "period": "month"})["result"] \
        == "£18.6 million"
    assert tools["average"].invoke({"amount": "£759 million", "count": "3"})["result"] == "£253 million"
    out = tools["difference"].invoke({"a": "£382 million to £403 million", "b": "£300 million"})
    assert out["result"] == "£82 million to £103 million"
    assert tools["total"].invoke({"figures": ["£44 million", "£9.8 million"]})["result"] == "£53.8 million"
    assert tools["share"].invoke({"part": "2", "whole": "7"})["result"] == "28.6%"
    assert tools["midpoint"].invoke({"a": "£400m to £600m"})["result"] == "£500 million"
    assert tools["years_between"].args_schema.model_json_schema()["required"] == ["start", "end"]
    # A bad input comes back to the model as the same sentence, not as a crash.
    err = tools["difference"].invoke({"a": "10% to 15%", "b": "£300 million"})
    assert err.startswith("I cannot subtract a money amount (£300 million) from a percentage (10% to 15%)")


# --- the algebra ----------------------------------------------------------------------------------

amounts = st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False, allow_infinity=False)
positive = st.decimals(min_value=D("0.01"), max_value=10**12, places=2, allow_nan=False, allow_infinity=False)
fractions = st.decimals(min_value=0, max_value=1, places=3)


def _quantity(pair: tuple[Decimal, Decimal], ranged: bool) -> Quantity:
    lo, hi = sorted(pair)
    return Quantity(None, "GBP", lo, hi) if ranged and lo != hi else Quantity(lo, "GBP")


gbp = st.builds(_quantity, st.tuples(amounts, amounts), st.booleans())
gbp_positive = st.builds(_quantity, st.tuples(positive, positive), st.booleans())


def _inside(q: Quantity, t: Decimal) -> Decimal:
    return q.lo + t * (q.hi - q.lo)


def _ends(c) -> tuple[Decimal, Decimal]:
    return c.quantity.lo, c.quantity.hi


@settings(max_examples=200, deadline=None)
@given(gbp, gbp)
def test_sum_is_commutative(a, b):
    assert _ends(calc.total(a, b)) == _ends(calc.total(b, a))
    assert calc.total(a, b).result == calc.total(b, a).result


@settings(max_examples=200, deadline=None)
@given(amounts, amounts)
def test_difference_undoes_sum_for_single_values(x, y):
    a, b = Quantity(x, "GBP"), Quantity(y, "GBP")
    assert calc.difference(calc.total(a, b).quantity, b).quantity.value == x


@settings(max_examples=200, deadline=None)
@given(gbp, gbp)
def test_difference_after_sum_contains_the_original_range(a, b):
    # Interval arithmetic widens: (a + b) − b holds every value of a, and is exactly a when b is one value.
    back = calc.difference(calc.total(a, b).quantity, b).quantity
    assert back.lo <= a.lo and a.hi <= back.hi
    if not b.is_range:
        assert (back.lo, back.hi) == (a.lo, a.hi)


@settings(max_examples=200, deadline=None)
@given(amounts, amounts.filter(lambda d: d != 0))
def test_ratio_times_denominator_is_numerator(x, y):
    r = calc.ratio(Quantity(x, "GBP"), Quantity(y, "GBP")).quantity.value
    # Division is exact to 28 significant digits, so the product matches to that precision.
    assert abs(r * y - x) <= max(abs(x), D(1)) * D("1e-25")


@settings(max_examples=200, deadline=None)
@given(gbp, gbp, fractions, fractions)
def test_difference_and_sum_ranges_contain_every_combination(a, b, s, t):
    x, y = _inside(a, s), _inside(b, t)
    lo, hi = _ends(calc.difference(a, b))
    assert lo <= x - y <= hi
    lo, hi = _ends(calc.total(a, b))
    assert lo <= x + y <= hi


@settings(max_examples=200, deadline=None)
@given(gbp_positive, gbp_positive, fractions, fractions)
def test_ratio_share_and_change_ranges_contain_every_combination(a, b, s, t):
    x, y = _inside(a, s), _inside(b, t)
    slack = D("1e-20")
    lo, hi = _ends(calc.ratio(a, b))
    assert lo - slack <= x / y <= hi + slack
    lo, hi = _ends(calc.share(a, b))
    assert lo - slack <= x / y * 100 <= hi + slack
    lo, hi = _ends(calc.exceeds_by_percent(a, b))
    assert lo - slack <= (x - y) / y * 100 <= hi + slack


@settings(max_examples=100, deadline=None)
@given(gbp_positive, st.integers(min_value=1, max_value=50), fractions)
def test_annual_to_total_and_back(a, n, t):
    up = calc.annual_to_total(a, n)
    assert _ends(up) == (a.lo * n, a.hi * n)
    back = calc.total_to_annual(up.quantity, n).quantity
    assert abs(back.lo - a.lo) <= D("1e-20") * a.lo and abs(back.hi - a.hi) <= D("1e-20") * a.hi
    assert up.quantity.lo <= _inside(a, t) * n <= up.quantity.hi


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1900, max_value=2100), st.integers(min_value=1900, max_value=2100))
def test_years_between_is_the_difference_of_the_years(y1, y2):
    c = calc.years_between(Quantity(D(y1), "year"), Quantity(D(y2), "year"))
    assert c.quantity.value == y2 - y1


@settings(max_examples=200, deadline=None)
@given(gbp)
def test_result_text_is_the_display_of_the_exact_result(a):
    c = calc.total(a, Quantity(D(1), "GBP"))
    assert c.result == c.quantity.display()
    # What the calculators write, they can read back; "£0.01 to £1 million" is left out because people
    # read it as £0.01 million to £1 million, and so does the parser.
    if a.lo >= 0 and (a.hi < 10**6 or a.lo >= 10**6):
        assert parse_quantity(c.operands[0].value).display() == c.operands[0].value
