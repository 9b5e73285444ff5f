"""Unit tests of the evaluation metrics: number reading, fact matching, citations, quotes, declines, latency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evals.dataset import Case, parse_fact
from evals.metrics import find_fact, percentile, quote_is_faithful, score_case, summarise, summarise_by_tag
from evals.numbers import extract_quantities, find_quantity, parse_quantity

D22 = "nao-2022-government-shared-services"
D14 = "nao-2014-next-generation-shared-services"
TREASURY = "However, the Treasury only approved a funding package of £300 million."
FORECAST = "Clusters have forecast they need £382 million to £403 million to deliver their preferred options."


def cite(n, doc_id=D22, quote=TREASURY, chunk_id=None, page=None):
    return {"n": n, "doc_id": doc_id, "title": doc_id, "page": page, "quote": quote,
            "chunk_id": chunk_id or f"{doc_id}#c{n}", "url": None}


def answer(text, citations=(), declined=False, calculations=()):
    return {"question": "q", "answer": text, "declined": declined, "mode": "grounded",
            "citations": list(citations), "calculations": list(calculations), "timings_ms": {}}


def case(**kw):
    base = {"id": "c1", "question": "How much did the Treasury approve?", "facts": [], "sources": [D22]}
    return Case.model_validate({**base, **kw})


class Sources:
    """Chunk and document texts for quote checks."""

    def __init__(self, chunks=None, docs=None):
        self.chunks, self.docs = chunks or {}, docs or {}

    def chunk_text(self, chunk_id):
        return self.chunks.get(chunk_id)

    def document_text(self, doc_id):
        if doc_id not in self.docs:
            raise KeyError(doc_id)
        return self.docs[doc_id]


# --- numbers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["£382m", "£382 million", "382 million pounds", "£0.382bn", "GBP 382m",
                                  "£382,000,000", "£ 382 million", "382m GBP"])
def test_money_spellings_normalise_to_the_same_value(text):
    [q] = extract_quantities(text)
    assert (q.value, q.unit) == (Decimal(382_000_000), "GBP")


def test_fractional_billions_are_exact():
    [q] = extract_quantities("£0.3bn")
    assert q.value == Decimal(300_000_000) and q.canonical() == "£300 million"


@pytest.mark.parametrize("text, expected", [
    ("£382–403 million", [(382_000_000, "GBP"), (403_000_000, "GBP")]),
    ("£82 to 103 million", [(82_000_000, "GBP"), (103_000_000, "GBP")]),
    ("between £44 million and £95 million", [(44_000_000, "GBP"), (95_000_000, "GBP")]),
    ("10 to 15 per cent", [(10, "%"), (15, "%")]),
    ("10%–15%", [(10, "%"), (15, "%")]),
    ("£300 million and 140,000 customers", [(300_000_000, "GBP"), (140_000, None)]),
    ("only two of the seven", [(2, None), (7, None)]),
    ("2024-25", [(2024, None), (25, None)]),
])
def test_ranges_share_scale_and_unit_but_lists_do_not(text, expected):
    assert [(q.value, q.unit) for q in extract_quantities(text)] == [(Decimal(v), u) for v, u in expected]


@pytest.mark.parametrize("text", ["services1 across Whitehall", "the National Audit Office.2 The", "[1] [2, 3]"])
def test_footnote_digits_and_citation_markers_are_not_figures(text):
    assert extract_quantities(text) == []


def test_units_must_agree_and_tolerance_is_relative():
    assert find_quantity("140,000 customers", parse_quantity("140000", "GBP")) is None
    assert find_quantity("140,000 customers", parse_quantity("140,000", "customers")).value == 140_000
    target = parse_quantity("28.6%")
    assert find_quantity("28.57%", target) is None
    assert find_quantity("28.57 per cent", target, 0.005).raw == "28.57 per cent"
    assert find_quantity("29%", target, 0.005) is None
    assert find_quantity("29%", target, 0.015).value == 29


@pytest.mark.parametrize("text, unit, message", [
    ("lots", None, "'lots' is not a number"),
    ("1 or 2", None, "'1 or 2' holds more than one number; give one figure per fact"),
    ("£5", "customers", "'£5' is in GBP but the fact's unit is 'customers'"),
])
def test_parse_quantity_errors_read_well(text, unit, message):
    with pytest.raises(ValueError) as err:
        parse_quantity(text, unit)
    assert str(err.value) == message


# --- facts --------------------------------------------------------------------------------------------

def test_terms_match_whole_words_case_and_quote_insensitively():
    five = parse_fact({"term": ["five", "5"]})
    assert find_fact("Five delivery clusters", five)[2] == "Five"
    assert find_fact("a fivefold rise", five) is None
    assert find_fact("departments' plans", parse_fact({"term": "departments’ plans"})) is not None
    assert find_fact("end–to–end  risk\nmanagement", parse_fact({"term": "end-to-end risk management"})) is not None


def test_number_fact_matches_any_spelling_in_an_answer():
    fact = parse_fact({"number": "382 million", "unit": "GBP"})
    for text in ("£382m [1]", "382 million pounds", "£0.382bn", "£382–403 million"):
        assert find_fact(text, fact) is not None, text
    assert find_fact("£38.2 million", fact) is None


@pytest.mark.parametrize("text, stated", [
    ("The Treasury approved £1 billion [1].", True),
    ("The Treasury approved £1bn.", True),
    ("It did not approve £1 billion; it approved £300 million [1].", False),
    ("The corpus does not support the figure £1 billion.", False),
    ("The Treasury approved £300 million [1].", False),
])
def test_absent_number_fails_only_when_asserted(text, stated):
    c = case(facts=[{"absent_number": "1 billion", "unit": "GBP"}])
    s = score_case(c, answer(text, [cite(1)]))
    assert s.correct is (not stated)
    assert s.facts[0].ok is (not stated)


# --- correctness, citations, evidence -----------------------------------------------------------------

def test_correct_answer_with_supporting_quote_passes():
    c = case(facts=[{"number": "300 million", "unit": "GBP"}])
    s = score_case(c, answer("The Treasury approved £300m [1].", [cite(1)]))
    assert (s.correct, s.citation_precision, s.citation_recall, s.evidence_supported) == (True, 1.0, 1.0, True)
    assert s.passed and s.failures == []


def test_fact_stated_but_not_in_the_cited_quote_is_unsupported():
    c = case(facts=[{"number": "300 million", "unit": "GBP"}])
    s = score_case(c, answer("The Treasury approved £300 million [1].", [cite(1, quote=FORECAST)]))
    assert s.correct is True and s.evidence_supported is False
    assert s.failures == ["unsupported by its citation: number 300 million (GBP)"]


def test_support_is_judged_on_the_citations_of_the_facts_own_sentence():
    c = case(facts=[{"number": "300 million", "unit": "GBP"}, {"number": "382 million", "unit": "GBP"}])
    text = "Clusters need £382 million [2]. The Treasury approved £300 million [1]."
    good = score_case(c, answer(text, [cite(1), cite(2, quote=FORECAST)]))
    assert [f.supported for f in good.facts] == [True, True]
    swapped = score_case(c, answer(text, [cite(1, quote=FORECAST), cite(2)]))
    assert [f.supported for f in swapped.facts] == [False, False]


def test_a_computed_figure_is_supported_by_its_cited_operands():
    c = case(facts=[{"number": "82 million", "unit": "GBP"}])
    calc = {"operation": "difference", "expression": "£382 million − £300 million = £82 million", "result": "82",
            "unit": "GBP million", "operands": [{"value": "382", "unit": "GBP million", "citation": 1},
                                                {"value": "300", "unit": "GBP million", "citation": 2}]}
    cites = [cite(1, quote=FORECAST), cite(2)]
    s = score_case(c, answer("The shortfall is £82 million [1][2].", cites, calculations=[calc]))
    assert (s.correct, s.evidence_supported) == (True, True)
    wrong_operand = {**calc, "operands": [{"value": "999", "unit": "GBP million", "citation": 1}]}
    s = score_case(c, answer("The shortfall is £82 million [1][2].", cites, calculations=[wrong_operand]))
    assert s.evidence_supported is False


def test_a_total_of_a_quoted_table_row_is_supported_under_its_captions_unit():
    """A row of bare figures ("Nursery capital grants 6.2 9.8 7.1") cited with its table, captioned "(£ million)",
    supports operands of £6.2 million and so on; the same quote without a table, or under a caption that names no
    money, does not."""
    row = "Nursery capital grants 6.2 9.8 7.1"
    table = {"caption": "Programme spending by financial year (£ million):", "columns": ["Item", "2021-22"],
             "rows": [["Nursery capital grants", "6.2", "9.8", "7.1"]]}
    c = case(facts=[{"number": "23.1 million", "unit": "GBP"}])
    calc = {"operation": "total", "expression": "£6.2 million + £9.8 million + £7.1 million = £23.1 million",
            "result": "£23.1 million", "unit": "GBP",
            "operands": [{"value": f"£{v} million", "unit": "GBP", "citation": 1} for v in ("6.2", "9.8", "7.1")]}
    text = "“Nursery capital grants” totals £23.1 million. [1]"
    s = score_case(c, answer(text, [{**cite(1, quote=row), "table": table}], calculations=[calc]))
    assert (s.correct, s.evidence_supported) == (True, True)
    s = score_case(c, answer(text, [cite(1, quote=row)], calculations=[calc]))
    assert s.evidence_supported is False
    counts = {**table, "caption": "Trees planted by financial year (thousands):"}
    s = score_case(c, answer(text, [{**cite(1, quote=row), "table": counts}], calculations=[calc]))
    assert s.evidence_supported is False


def test_a_computed_span_written_as_a_pattern_is_supported_by_its_cited_operands():
    """A fact written as a pattern ("4 years and 10 months") is supported by a calculation whose result it matches
    and whose operands sit in the cited quote, as a number is; not by a calculation of something else."""
    window = "The commitment was for three million starts between May 2015 and March 2020."
    c = case(facts=[{"regex": "(4|four) years,? (and )?(10|ten) months|58 months"}])
    calc = {"operation": "years_between", "expression": "March 2020 − May 2015 = 58 months = 4 years and 10 months",
            "result": "4 years and 10 months", "unit": "years",
            "operands": [{"value": "May 2015", "unit": "date", "citation": 1},
                         {"value": "March 2020", "unit": "date", "citation": 1}]}
    text = "March 2020 is 4 years and 10 months after May 2015. [1]"
    s = score_case(c, answer(text, [cite(1, quote=window)], calculations=[calc]))
    assert (s.correct, s.evidence_supported) == (True, True)
    other = {**calc, "result": "5 years"}
    s = score_case(c, answer(text, [cite(1, quote=window)], calculations=[other]))
    assert s.evidence_supported is False


def test_a_difference_in_percentage_points_is_supported_by_its_cited_operands():
    """A calculator's "percentage_points" is a plain label, as a fact's "percentage points" is: not "%" (the word
    "percentage" holds "percent")."""
    rates = "A reoffending rate of 44.7% against the 2011 baseline of 45.2%."
    c = case(facts=[{"number": "0.5", "unit": "percentage points", "tolerance": 0.02}])
    calc = {"operation": "difference", "expression": "45.2% − 44.7% = 0.5 percentage points",
            "result": "0.5 percentage points", "unit": "percentage_points",
            "operands": [{"value": "45.2%", "unit": "percent", "citation": 1},
                         {"value": "44.7%", "unit": "percent", "citation": 1}]}
    s = score_case(c, answer("The difference is 0.5 percentage points. [1]", [cite(1, quote=rates)],
                             calculations=[calc]))
    assert (s.correct, s.evidence_supported) == (True, True)


def test_missing_fact_and_declined_answerable_are_incorrect():
    c = case(facts=[{"number": "300 million", "unit": "GBP"}])
    wrong = score_case(c, answer("The Treasury approved £400 million [1].", [cite(1)]))
    assert wrong.correct is False and wrong.failures == ["missing: number 300 million (GBP)"]
    declined = score_case(c, answer("The corpus does not say.", declined=True))
    assert declined.correct is False and declined.citation_recall == 0.0 and declined.citation_precision is None
    assert declined.failures[:2] == ["declined an answerable question", f"did not cite: {D22}"]


def test_decline_ok_accepts_a_decline_and_a_correction():
    c = case(facts=[{"absent_number": "1 billion", "unit": "GBP"}, {"number": "300 million", "unit": "GBP"}],
             decline_ok=True)
    assert score_case(c, answer("The corpus does not say.", declined=True)).passed
    assert score_case(c, answer("It approved £300 million [1].", [cite(1)])).passed
    assert not score_case(c, answer("It approved £1 billion [1].", [cite(1)])).passed


@pytest.mark.parametrize("sources, cited, precision, recall", [
    ([D22], [D22], 1.0, 1.0),
    ([D22], [D22, D14], 0.5, 1.0),
    ([D22, D14], [D22], 1.0, 0.5),
    ([D22, D14], [D14, D22], 1.0, 1.0),
    ([D22], [D14], 0.0, 0.0),
    ([D22], [D22, D22], 1.0, 1.0),  # document level: two quotes from one report count once
])
def test_citation_precision_and_recall_are_per_document(sources, cited, precision, recall):
    c = case(sources=sources)
    s = score_case(c, answer("text [1]", [cite(i + 1, doc_id=d) for i, d in enumerate(cited)]))
    assert (s.citation_precision, s.citation_recall) == (precision, recall)


def test_expected_pages_restrict_what_counts_as_cited():
    c = case(sources=[{"doc_id": D22, "pages": [2]}])
    assert score_case(c, answer("x [1]", [cite(1, page=2)])).citation_recall == 1.0
    s = score_case(c, answer("x [1]", [cite(1, page=3)]))
    assert (s.citation_precision, s.citation_recall) == (0.0, 0.0)


# --- quotes --------------------------------------------------------------------------------------------

def test_quote_faithfulness_normalises_whitespace_only():
    source = "The Treasury only approved\na funding   package of £300 million.3 There is"
    assert quote_is_faithful("the Treasury only approved a funding package", source) is False  # case matters
    assert quote_is_faithful("Treasury only approved a funding package of £300 million", source)
    assert quote_is_faithful("…Treasury only approved … £300 million…", source)
    assert not quote_is_faithful("£300 million ... Treasury only approved", source)  # pieces out of order
    assert not quote_is_faithful("Treasury approved a funding package of £1 billion", source)
    assert not quote_is_faithful("   ", source)


def test_quotes_are_checked_against_their_chunk_then_their_document():
    src = Sources(chunks={"c1": TREASURY}, docs={D14: "The overall programme is broadly on track."})
    cites = [cite(1, chunk_id="c1"), cite(2, chunk_id="c1", quote="approved £900 million"),
             cite(3, doc_id=D14, chunk_id="gone", quote="broadly on track"),
             cite(4, doc_id="unknown", chunk_id="gone", quote="anything")]
    s = score_case(case(), answer("x [1][2][3][4]", cites), src)
    assert [(q.n, q.faithful) for q in s.quotes] == [(1, True), (2, False), (3, True), (4, False)]
    assert s.quotes[1].reason == "not in the cited chunk"
    assert s.quotes[3].reason == "source unavailable ('unknown')"
    assert s.quotes_faithful is False


# --- aggregation --------------------------------------------------------------------------------------

def test_percentile_interpolates_like_numpy():
    assert percentile([100, 200, 300, 400], 50) == 250
    assert percentile([100, 200, 300, 400], 95) == pytest.approx(385)
    assert percentile([7], 95) == 7
    assert percentile([], 50) is None


def test_decline_precision_and_recall():
    unanswerable = case(id="u", answerable=False, sources=[])
    answerable = case(id="a", facts=[{"number": "300 million", "unit": "GBP"}])
    premise = case(id="p", decline_ok=True, facts=[{"absent_number": "1 billion", "unit": "GBP"}])
    yes, no = answer("The corpus does not say.", declined=True), answer("£300 million [1]", [cite(1)])
    items = [(unanswerable, score_case(unanswerable, yes), 10.0),  # true positive
             (unanswerable, score_case(unanswerable, no), 20.0),  # missed decline
             (answerable, score_case(answerable, yes), 30.0),  # needless decline
             (answerable, score_case(answerable, no), 40.0),  # true negative
             (premise, score_case(premise, yes), 50.0)]  # decline_ok: left out of decline metrics
    m = summarise(items)
    assert (m["decline_precision"], m["decline_recall"]) == (0.5, 0.5)
    assert m["correctness"] == 0.6  # u-yes, a-no, p-yes correct; u-no, a-yes not
    assert (m["latency_p50_ms"], m["latency_p95_ms"]) == (30.0, 48.0)
    assert m["cases"] == 5 and m["errors"] == 0


def test_summary_metrics_exact_values():
    c1 = case(id="c1", facts=[{"number": "300 million", "unit": "GBP"}, {"term": "Treasury"}], tags=["fact"])
    c2 = case(id="c2", facts=[{"number": "382 million", "unit": "GBP"}], sources=[D22, D14], tags=["comparison"])
    src = Sources(chunks={f"{D22}#c1": TREASURY})
    s1 = score_case(c1, answer("The Treasury approved £300 million [1].", [cite(1)]), src)
    s2 = score_case(c2, answer("They need £382 million [1].", [cite(1, quote="made up £382 million")]), src)
    items = [(c1, s1, 100.0), (c2, s2, 300.0)]
    m = summarise(items)
    assert m["correctness"] == 1.0
    assert m["fact_recall"] == 1.0
    assert m["citation_precision"] == 1.0
    assert m["citation_recall"] == 0.75  # (1 + 0.5) / 2
    assert m["evidence_support"] == 1.0  # the made-up quote does hold the figure...
    assert m["quote_faithfulness"] == 0.5  # ...but is not in its chunk
    assert m["pass_rate"] == 0.5
    assert m["decline_precision"] is None and m["decline_recall"] is None
    by_tag = summarise_by_tag(items)
    assert list(by_tag) == ["comparison", "fact"]
    assert by_tag["comparison"]["citation_recall"] == 0.5 and by_tag["fact"]["pass_rate"] == 1.0


def test_range_calculations_support_both_ends():
    c = case(facts=[{"number": "82 million", "unit": "GBP"}, {"number": "103 million", "unit": "GBP"}])
    calc = {"operation": "difference", "expression": "…", "result": "£82 million to £103 million", "unit": "GBP",
            "operands": [{"value": "£382 million to £403 million", "unit": "GBP", "citation": 1},
                         {"value": "£300 million", "unit": "GBP", "citation": 2}]}
    text = "The shortfall is £82 million to £103 million. [1][2] Working: … [1][2]"
    s = score_case(c, answer(text, [cite(1, quote=FORECAST), cite(2)], calculations=[calc]))
    assert [(f.ok, f.supported) for f in s.facts] == [(True, True), (True, True)]
    share = {"operation": "share", "expression": "2 ÷ 7 × 100 ≈ 28.6%", "result": "28.6%", "unit": "percent",
             "operands": [{"value": "2", "unit": "count", "citation": 1},
                          {"value": "7", "unit": "count", "citation": 1}]}
    c = case(facts=[{"number": "28.6%", "tolerance": 0.015}], sources=[D14])
    quote = "only two of the seven recommendations have been implemented in full"
    s = score_case(c, answer("2 of 7 is about 28.6%. [1]", [cite(1, D14, quote)], calculations=[share]))
    assert (s.correct, s.evidence_supported) == (True, True)
