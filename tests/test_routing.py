"""Routing calculation questions to calculators over the corpus: the done-when examples and the refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.calc.routing import Evidence, RoutedCalculation, route_calculation
from assistant.config import Settings
from assistant.types import Chunk

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DOC_2022 = "nao-2022-government-shared-services"
DOC_2014 = "nao-2014-next-generation-shared-services"


def _chunks() -> list[Chunk]:
    """One chunk per paragraph of each corpus file, with its offset in the file."""
    chunks = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for i, m in enumerate(re.finditer(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*", text)):
            chunks.append(Chunk(id=f"{path.stem}-{i}", doc_id=path.stem, text=m.group(), page=1,
                                char_start=m.start(), char_end=m.end()))
    return chunks


CHUNKS = _chunks()


def _one_passage(doc_id: str, text: str) -> list[Chunk]:
    """A generated report of one passage."""
    return [Chunk(id=f"{doc_id}-0", doc_id=doc_id, text=text, page=1, char_start=0, char_end=len(text))]


_MEANING: list = []  # the real model's meaning match, as the answerer passes it (set by the fixture below)


@pytest.fixture(autouse=True)
def _meaning(embedder):
    """Route with the shipped model bridging wording, exactly as the answerer does (no thesaurus)."""
    from assistant.answer.features import VectorCache
    from assistant.answer.grounded import MeaningMatch
    from assistant.config import Settings

    if not _MEANING:
        _MEANING.append(MeaningMatch(embedder, VectorCache(embedder), Settings().operand_min_similarity))
    yield


def route(question: str) -> RoutedCalculation | None:
    routed = route_calculation(question, CHUNKS, similar=_MEANING[0] if _MEANING else None)
    if routed is not None:
        for e in routed.evidence:  # every quote is verbatim from its chunk
            assert isinstance(e, Evidence) and e.quote in e.chunk.text
    return routed


# --- the done-when examples ---------------------------------------------------------------------

def test_shortfall_between_what_clusters_asked_for_and_what_treasury_approved():
    r = route("What is the shortfall between what the clusters forecast they need and what the Treasury approved?")
    assert r.error is None and r.operation == "difference"
    c = r.calculation
    assert c.result == "£82 million to £103 million"
    assert [(o.value, o.unit, o.label) for o in c.operands] == [
        ("£382 million to £403 million", "GBP", "funding forecast"), ("£300 million", "GBP", "funding approved")]
    assert c.expression == ("low: £382 million − £300 million = £82 million; "
                            "high: £403 million − £300 million = £103 million")
    assert [e.chunk.doc_id for e in r.evidence] == [DOC_2022, DOC_2022]
    assert r.evidence[0].quote == ("Clusters have forecast they need £382 million to £403 million to deliver their "
                                   "preferred options in the current Spending Review period up to 2024-25.")
    assert r.evidence[1].quote == "However, the Treasury only approved a funding package of £300 million."
    assert r.summary == ("The shortfall between the funding forecast (£382 million to £403 million) and the funding "
                         "approved (£300 million) is £82 million to £103 million.")


def test_cloud_deadline_pushed_back_three_years():
    r = route("By how many years was the cloud deadline pushed back?")
    assert r.error is None and r.operation == "years_between"
    assert (r.calculation.result, r.calculation.expression) == ("3 years", "2028 − 2025 = 3 years")
    assert [o.value for o in r.calculation.operands] == ["2025", "2028"]
    assert all("cloud-based technology by" in e.quote and e.chunk.doc_id == DOC_2022 for e in r.evidence)
    assert "by 2025" in r.evidence[0].quote and "by 2028 at the latest" in r.evidence[1].quote
    assert r.summary == "It moved from 2025 to 2028, 3 years later."


def test_share_of_committee_recommendations_implemented_in_full():
    r = route("What percentage of the Public Accounts Committee's recommendations had been implemented in full?")
    assert r.error is None and r.operation == "share"
    assert (r.calculation.result, r.calculation.expression) == ("28.6%", "2 ÷ 7 × 100 ≈ 28.6%")
    assert [(o.value, o.label) for o in r.calculation.operands] == [("2", "recommendations implemented"),
                                                                    ("7", "all recommendations")]
    assert [e.chunk.doc_id for e in r.evidence] == [DOC_2014, DOC_2014]
    assert "only two of the seven recommendations have been implemented in full" in r.evidence[0].quote
    assert r.summary == "2 of 7 (recommendations implemented) is about 28.6%."


def test_mixing_a_percentage_and_money_is_refused_without_a_number():
    r = route("What is the difference between the 10% to 15% savings and the £300 million funding?")
    assert r.calculation is None
    assert r.error == ("I cannot subtract a money amount (£300 million) from a percentage (10% to 15%): a percentage "
                       "is a share of something, not an amount of money, so I would need the amount it is a "
                       "percentage of.")
    assert not re.search(r"\d+ million to|£\d+ million −", r.summary)
    assert [e.label for e in r.evidence] == ["savings", "funding approved"]  # what was found, to cite


def test_a_question_without_a_calculation_is_not_routed():
    assert route("Who is the head of the NAO?") is None


# --- other calculations over the corpus -----------------------------------------------------------

@pytest.mark.parametrize("question, operation, result", [
    ("What is the funding gap for the clusters?", "difference", "£82 million to £103 million"),
    ("How much more did the clusters forecast than the Treasury approved?", "difference",
     "£82 million to £103 million"),
    ("By what percentage does the clusters' forecast exceed the funding the Treasury approved?", "percent_change",
     "27.3% to 34.3%"),
    ("What proportion of the forecast did the Treasury approve?", "share", "74.4% to 78.5%"),
    ("How many times larger is the clusters' forecast than the funding the Treasury approved?", "ratio",
     "1.27 times to 1.34 times"),
    ("What percentage of recommendations are still being implemented?", "share", "71.4%"),
    ("What is the midpoint of the estimated savings per annum?", "midpoint", "£500 million"),
    ("How much would the savings per annum come to over 10 years?", "per_year", "£4 billion to £6 billion"),
    ("What is the total of the implementation cost and the spending to date?", "total",
     "£53.8 million to £104.8 million"),
    ("How many years between the 2018 strategy and the 2028 deadline?", "years_between", "10 years"),
])
def test_other_calculations(question, operation, result):
    r = route(question)
    assert (r.operation, r.error) == (operation, None)
    assert r.calculation.result == result
    cited = [o for o in r.calculation.operands if o.label != "from the question"]
    assert len(r.evidence) == len(cited) and [e.label for e in r.evidence] == [o.label for o in cited]


@pytest.mark.parametrize("question", [
    "What was the total cost of participating departments?",  # one figure, stated or not: nothing to add up
    "What is the skills gap in the Cabinet Office?",  # sounds like a gap, names no figures
    "What percentage of operating costs will the strategy save?",  # the passage states the percentage
    "What was the total cost and who paid it?",  # a bare "and" is not two figures to add
    "What is the gap and why does it matter?",
    # an "and" that opens a second question joins two questions, not two addends
    "What was the total funding approved for the clusters and what did the clusters forecast?",
])
def test_calculation_words_without_a_calculation_are_not_routed(question):
    assert route(question) is None


@pytest.mark.parametrize("question", [
    "How did the shortfall between the clusters' forecasts and the funding approved change between the reports?",
    "What happened to the unspent savings?",
    "Where did the overspend on the clusters go?",
    "Shared services: how has the funding gap developed since 2021?",
])
def test_asking_how_something_came_about_or_where_it_went_is_not_a_calculation(question):
    # the figure nouns ("shortfall", "unspent", "overspend", "gap") are what the question is about; it asks how
    # they came about or where they went, which the passages' sentences answer, not a figure worked out
    assert route(question) is None


def test_a_later_interrogative_asking_for_a_figure_is_still_a_calculation():
    routed = route("Clusters: how does the funding approved compare with their forecast need - what multiple is it?")
    assert routed is not None and routed.operation == "ratio"


def test_a_how_question_that_words_its_calculation_is_still_one():
    from assistant.calc.wording import _operation

    # the frame asks how, but "in percentage terms" asks for the figure itself, not a noun that sounds like one
    assert _operation("How has the cost per mile risen in percentage terms?") == "percent_change"


# --- refusals that say what is missing -----------------------------------------------------------

def test_a_side_the_passages_do_not_cover_is_named_instead_of_computing_something_else():
    r = route("What is the shortfall between what the clusters forecast they need and what the Department for "
              "Education approved?")
    assert r.calculation is None
    assert r.error == ("I could not find a figure for “what the Department for Education approved” in the "
                       "passages I retrieved, so I cannot work out the difference.")
    assert [e.label for e in r.evidence] == ["funding forecast"]


def test_summaries_are_plain_sentences():
    assert route("How much would the savings per annum come to over 10 years?").summary == (
        "10 years of the savings per annum (£400 million to £600 million) is £4 billion to £6 billion in total.")
    assert route("What proportion of the forecast did the Treasury approve?").summary == (
        "The funding approved (£300 million) is about 74.4% to 78.5% of the funding forecast "
        "(£382 million to £403 million).")
    exceeds = route("By what percentage does the clusters' forecast exceed the funding the Treasury approved?")
    assert exceeds.summary == (
        "The funding forecast (£382 million to £403 million) exceeds the funding approved (£300 million) by about "
        "27.3% to 34.3%.")


def test_a_figure_quoted_in_the_question_must_be_in_the_passages():
    r = route("What is the difference between £500 million and £300 million?")
    assert r.calculation is None
    assert r.error == ("I could not find £500 million in the passages I retrieved, "
                       "so I cannot work out the difference.")


def test_no_passages_means_a_refusal_not_a_guess():
    r = route_calculation("What is the shortfall between what the clusters asked for and what the Treasury "
                          "approved?", [])
    assert r.calculation is None and r.evidence == ()
    assert r.error.startswith("I could not find a figure for “what the clusters asked for”")


def test_overlapping_chunks_give_the_same_answer():
    text = (CORPUS / f"{DOC_2022}.txt").read_text(encoding="utf-8")
    # Overlapping windows of the whole document: a figure appears in several chunks.
    windows = [Chunk(id=f"w{i}", doc_id=DOC_2022, text=text[i:i + 1500], page=1, char_start=i)
               for i in range(0, len(text), 700)]
    r = route_calculation("What is the shortfall between what the clusters forecast they need and what the "
                          "Treasury approved?", windows)
    assert r.calculation.result == "£82 million to £103 million"
    assert all(e.quote in e.chunk.text for e in r.evidence)


def test_routed_to_dict_is_json_ready():
    d = route("By how many years was the cloud deadline pushed back?").to_dict()
    assert d["operation"] == "years_between" and d["error"] is None
    assert d["calculation"]["result"] == "3 years"
    assert [e["doc_id"] for e in d["evidence"]] == [DOC_2022, DOC_2022]
    assert set(d["evidence"][0]) == {"chunk_id", "doc_id", "page", "quote", "label"}


# --- ends of a range ------------------------------------------------------------------------------

def test_highest_and_lowest_of_one_range_are_its_two_ends():
    r = route("What is the difference between the highest and lowest estimated implementation cost of the Next "
              "Generation Shared Services strategy?")
    assert (r.operation, r.error) == ("difference", None)
    c = r.calculation
    assert (c.result, c.expression) == ("£51 million", "£95 million − £44 million = £51 million")
    assert [(o.value, o.label) for o in c.operands] == [("£95 million", "highest implementation cost"),
                                                       ("£44 million", "lowest implementation cost")]
    assert [e.quote for e in r.evidence] == ["The estimated implementation cost was between £44 million and "
                                             "£95 million."] * 2
    assert r.summary == ("The difference between the highest implementation cost (£95 million) and the lowest "
                         "implementation cost (£44 million) is £51 million.")


def test_an_end_word_without_its_noun_borrows_the_other_sides_words():
    r = route("What is the difference between the clusters' highest and lowest funding forecasts?")
    assert (r.calculation.result, r.calculation.expression) == ("£21 million",
                                                                "£403 million − £382 million = £21 million")
    # Each side with its own noun keeps it: the lowest savings are not the lowest implementation cost.
    r = route("What is the ratio of the lowest savings estimate to the highest implementation cost?")
    assert [(o.value, o.label) for o in r.calculation.operands] == [("£400 million", "lowest savings per annum"),
                                                                   ("£95 million", "highest implementation cost")]
    assert r.calculation.result == "4.21 times"


def test_maximum_picks_the_top_of_each_range():
    r = route("What is the ratio of the maximum estimated annual savings to the maximum estimated implementation "
              "cost of Next Generation Shared Services?")
    assert (r.operation, r.error) == ("ratio", None)
    assert (r.calculation.result, r.calculation.expression) == ("6.32 times",
                                                                "£600 million ÷ £95 million ≈ 6.32 times")
    assert r.summary == ("The highest savings per annum (£600 million) is about 6.32 times the highest "
                         "implementation cost (£95 million).")


def test_a_comparative_compares_whole_figures_rather_than_picking_an_end():
    r = route("How much lower is the Treasury's funding than the clusters' forecast?")
    assert r.calculation.result == "£82 million to £103 million"
    assert [o.value for o in r.calculation.operands] == ["£382 million to £403 million", "£300 million"]


@pytest.mark.parametrize("question, result, expression, labels", [
    ("What percentage of the clusters' lower funding forecast of £382 million does the Treasury's £300 million "
     "cover?", "78.5%", "£300 million ÷ £382 million × 100 ≈ 78.5%",
     ["funding approved", "lowest funding forecast"]),
    ("What percentage of the maximum estimated implementation cost of £95 million had the Cabinet Office spent to "
     "date?", "10.3%", "£9.8 million ÷ £95 million × 100 ≈ 10.3%",
     ["spending to date", "highest implementation cost"]),
])
def test_a_figure_the_question_quotes_may_be_one_end_of_a_passage_range(question, result, expression, labels):
    r = route(question)
    assert (r.operation, r.error) == ("share", None)
    assert (r.calculation.result, r.calculation.expression) == (result, expression)
    assert [e.label for e in r.evidence] == [o.label for o in r.calculation.operands] == labels


def test_midpoint_finds_the_range_through_its_documents_title():
    question = ("What is the midpoint of the Cabinet Office's estimated annual savings range for Next Generation "
                "Shared Services?")
    assert route(question).calculation.result == "£500 million"
    # A passage that never names the strategy still belongs to the report about it.
    text = "The Cabinet Office estimated that the savings would be between £400 million and £600 million per annum."
    bare = Chunk(id="s", doc_id=DOC_2014, text=text, page=1)
    titled = Chunk(id="s", doc_id=DOC_2014, text=text, page=1,
                   meta={"title": "Update on the Next Generation Shared Services strategy"})
    assert route_calculation(question, [bare]).error.startswith("I could not find a figure for")
    assert route_calculation(question, [titled]).calculation.result == "£500 million"


# --- statuses -------------------------------------------------------------------------------------

def test_still_being_implemented_is_the_five_not_the_two():
    r = route("What percentage of the seven Committee of Public Accounts recommendations were still being "
              "implemented?")
    assert (r.calculation.result, r.calculation.expression) == ("71.4%", "5 ÷ 7 × 100 ≈ 71.4%")
    assert [o.label for o in r.calculation.operands] == ["recommendations being implemented", "all recommendations"]


@pytest.mark.parametrize("question", [
    "By how much did the value of the rejected Spending Review bids exceed the funding HM Treasury approved?",
    "By how much did the rejected bids exceed the approved funding?",
])
def test_rejected_bids_are_not_the_forecast_nor_the_funding_approved(question):
    r = route(question)
    assert (r.operation, r.error) == ("difference", None)
    assert (r.calculation.result, r.calculation.expression) == ("£459 million",
                                                                "£759 million − £300 million = £459 million")
    assert [e.label for e in r.evidence] == ["combined value", "funding approved"]


# --- averages -------------------------------------------------------------------------------------

def test_average_is_the_total_over_the_count_its_sentence_gives():
    r = route("What was the average value of each of the three rejected Spending Review bids?")
    assert (r.operation, r.error) == ("average", None)
    c = r.calculation
    assert (c.result, c.expression) == ("£253 million", "£759 million ÷ 3 = £253 million")
    assert [(o.value, o.label) for o in c.operands] == [("£759 million", "combined value"), ("3", "bids rejected")]
    assert all(e.quote.startswith("In 2021, HM Treasury rejected all three Spending Review bids") for e in r.evidence)
    assert r.summary == "The combined value (£759 million) shared among 3 (bids rejected) is £253 million each."


def test_average_over_a_count_only_the_question_gives():
    r = route("What would be the average implementation cost for each of two departments?")
    c = r.calculation
    assert c.result == "£22 million to £47.5 million"
    assert c.expression == "low: £44 million ÷ 2 = £22 million; high: £95 million ÷ 2 = £47.5 million"
    assert [o.label for o in c.operands] == ["implementation cost", "from the question"]
    assert [e.label for e in r.evidence] == ["implementation cost"]  # the question's own count is not cited


def test_average_over_a_count_the_passage_contradicts_is_refused():
    r = route("What was the average value of each of the four rejected bids?")
    assert r.calculation is None
    assert r.error == ("The passage counts all three Spending Review bids, not four rejected bids, so I cannot work "
                       "out the average.")


def test_an_average_divides_by_a_count_of_what_the_question_is_about():
    """"£1.3 billion allocated to 84 trusts" gives an average per trust; the "nine months" of a delay in the
    sentence of a programme's cost is not a count to share a cost among."""
    chunks = [Chunk(id="fund-0", doc_id="fund", page=1, char_start=0, char_end=120,
                    text="By the end of August 2022, £1.3 billion had been allocated to 84 trusts."),
              Chunk(id="courts-0", doc_id="courts", page=1, char_start=0, char_end=160,
                    text="The Crown Court programme is now expected to finish in December 2024, three years and "
                         "nine months later than first planned, and to cost £1.34 billion.")]
    r = route_calculation("What is the average allocation per trust?", chunks[:1], similar=_MEANING[0])
    assert r.calculation.result == "£15.48 million", r.calculation
    assert route_calculation("What's the average wait between charge and trial in the Crown Court?", chunks[1:],
                             similar=_MEANING[0]) is None


@pytest.mark.parametrize("question", ["What is the average annual saving?",
                                      "Is the programme's performance above average?"])
def test_average_with_nothing_to_divide_is_not_routed(question):
    assert route(question) is None


# --- years ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("question, result, operands", [
    ("How many years later than originally planned is the new deadline for moving all departments to cloud-based "
     "technology?", "3 years", ["2025", "2028"]),
    ("How many years after the 2018 strategy was launched is the revised 2028 deadline for cloud-based technology?",
     "10 years", ["2018", "2028"]),
])
def test_years_from_a_one_subject_question_or_two_quoted_years(question, result, operands):
    r = route(question)
    assert (r.operation, r.error) == ("years_between", None)
    assert r.calculation.result == result and [o.value for o in r.calculation.operands] == operands
    assert all(e.chunk.doc_id == DOC_2022 for e in r.evidence)


# --- follow-ups -----------------------------------------------------------------------------------

def test_a_follow_up_takes_its_subject_from_the_previous_question():
    r = route_calculation("What percentage is that?", CHUNKS, context="How many of the Committee of Public "
                          "Accounts' seven recommendations had been implemented in full?")
    assert (r.operation, r.calculation.result) == ("share", "28.6%")
    assert r.summary == "2 of 7 (recommendations implemented) is about 28.6%."
    r = route_calculation("How much later is that than originally planned?", CHUNKS,
                          context="By when must all departments be on cloud-based technology?")
    assert (r.calculation.result, r.summary) == ("3 years", "It moved from 2025 to 2028, 3 years later.")
    # Without the previous question there is no subject to find.
    assert route_calculation("What percentage is that?", CHUNKS).calculation is None


def test_the_previous_question_neither_chooses_the_calculation_nor_overrides_a_whole_question():
    assert route_calculation("How many centres are there?", CHUNKS, context="How many years later is it?") is None
    r = route_calculation("What percentage of recommendations are still being implemented?", CHUNKS,
                          context="What is the shortfall in funding?")
    assert r.calculation.result == "71.4%"


@pytest.mark.parametrize("question", [
    "By what percentage did the shortfall the clusters forecast by 2024-25 exceed what the Treasury approved?",
    "By how much did what the clusters forecast they need up to 2024-25 exceed the funding the Treasury approved?",
])
def test_a_period_inside_a_side_dates_it_and_is_never_an_operand(question):
    r = route(question)
    assert r is not None
    units = {o.unit for o in r.calculation.operands} if r.calculation else set()
    assert "financial_year" not in units and "year" not in units
    assert "financial year" not in (r.error or ""), r.error


def test_the_times_of_a_shares_sides_date_them_and_are_never_its_figures():
    """"What share of the funding allowed for 2020-25 had been spent by March 2023?": neither the period nor
    the month is the part or the whole."""
    chunk = Chunk(id="leak-0", doc_id="leak", page=1, char_start=0, char_end=200, text=(
        "Ofwat allowed companies £1.6 billion of leakage funding for 2020-25. By March 2023 companies had "
        "spent £0.9 billion of it."))
    r = route_calculation("What share of the leakage funding allowed for 2020-25 had companies actually spent "
                          "by March 2023?", [chunk], similar=_MEANING[0])
    assert r is not None and r.error is None, r and r.error
    assert {o.unit for o in r.calculation.operands} == {"GBP"}, r.calculation
    assert r.calculation.result == "56.3%"


def test_a_share_whose_part_is_named_only_by_its_date_takes_the_figure_of_that_date():
    """"How much of the £2.4bn grant had been paid out by 30 June 2024, as a percentage?": no figure's words say
    "paid out"; the time, no operand itself, says which figure the part is."""
    text = ("The grant scheme's budget was raised to £2.4 billion in 2022. By 30 June 2024 the department had "
            "disbursed £1.5 billion. A further £300 million is committed for 2025-26.")
    r = route_calculation("How much of the £2.4bn grant had been paid out by 30 June 2024, as a percentage?",
                          _one_passage("grants", text), similar=_MEANING[0])
    assert r is not None and r.error is None, r and r.error
    assert r.calculation.result == "62.5%", r.calculation


# --- the hand-set weights are settings ------------------------------------------------------------

_APPROVED = ("HM Treasury approved funding of £300 million for the programme. The departments asked for "
             "£500 million in total.")


def test_the_least_operand_score_is_a_setting():
    from assistant.config import Settings

    chunk = Chunk(id="c", doc_id="d", text=_APPROVED, page=1, char_start=0, char_end=len(_APPROVED))
    question = "What is the gap between the funding HM Treasury approved and what the departments asked for?"
    assert route_calculation(question, [chunk]).calculation.result == "£200 million"
    strict = route_calculation(question, [chunk], settings=Settings(operand_min_score=99))
    assert strict.calculation is None
    assert strict.error.startswith("I could not find a figure for “the funding HM Treasury approved”")


def test_the_share_of_a_phrase_a_passage_must_hold_is_a_setting():
    from assistant.calc.operands import Refusal, candidates, pick
    from assistant.config import Settings

    chunk = Chunk(id="c", doc_id="d", text=_APPROVED, page=1, char_start=0, char_end=len(_APPROVED))
    cands = candidates([chunk])
    # two of the phrase's three words ("funding", "approved"; not "schools") meet the default two thirds
    assert pick(cands, "the funding approved for schools", ("GBP",)).figure.raw == "£300 million"
    with pytest.raises(Refusal):
        pick(cands, "the funding approved for schools", ("GBP",), settings=Settings(operand_coverage=1.0))


def test_how_much_a_count_grew_is_not_taken_for_money():
    """"How much" asks for a quantity of any kind: the growth of a backlog of cases is a count, and the money
    figures beside it are not its operands."""
    text = ("The backlog grew to 62,400 cases in September 2022, from 39,300 cases in March 2020. "
            "The programme has cost £235 million so far, against £190 million planned.")
    chunks = _one_passage("backlog", text)
    r = route_calculation("By how much did the backlog of cases grow between March 2020 and September 2022?", chunks)
    assert r.error is None and r.operation == "difference", r.summary
    assert r.calculation.result == "23,100" and "£" not in r.summary, r.summary


@pytest.mark.parametrize("question", [
    "By what percentage did the homes insulated with the grant increase between 2021-22 and 2023-24?",
    "By what percentage did homes funded by the grant increase between 2021-22 and 2023-24?",
    "By what percentage did homes paid for by the scheme increase between 2021-22 and 2023-24?",
])
def test_a_money_participle_after_a_noun_says_which_things_are_counted_not_that_they_are_money(question):
    """"homes funded by the grant" counts homes: the participle is a reduced relative clause, and the sums of money
    dated in the same years are not the operands."""
    text = ("In 2021-22 the grant insulated 3,120 homes; in 2023-24 it insulated 5,080 homes. "
            "The grant paid up to £10,200 per home from 2021-22, and raised its top-up from £1,000 in 2023-24.")
    r = route_calculation(question, _one_passage("homes", text))
    assert r.error is None and r.operation == "percent_change", r.summary
    assert "5,080" in r.summary and "3,120" in r.summary and "£" not in r.summary, r.summary


def test_a_money_verb_after_an_auxiliary_still_asks_for_money():
    from assistant.calc.wording import _units

    assert _units("How much had been funded by March 2023?", ("count",)) == ("GBP",)
    assert _units("How much money was spent on the homes?", ("count",)) == ("GBP",)


@pytest.mark.parametrize("question", [
    "How many homes short of target was the scheme in 2023-24?",
    "grant scheme 23/24 - how many homes below target?",
])
def test_the_one_period_a_question_names_dates_both_operands(question):
    """A table of years: the period the question names picks its row, both figures of it; it is no operand."""
    from assistant.query.analysis import analyse

    text = ("Homes insulated each year against the target:\n"
            "- 2021-22: 3,120 homes (target 5,000)\n"
            "- 2022-23: 4,260 homes (target 6,000)\n"
            "- 2023-24: 5,080 homes (target 7,000)")
    r = route_calculation(analyse(question).clean, _one_passage("homes", text), similar=_MEANING[0])
    assert r.error is None and r.operation == "difference", r.summary
    assert r.calculation.result == "1,920", r.summary


@pytest.mark.parametrize("question, bounded", [
    ("How much further must leakage fall after 2022-23 to hit the target?", True),  # a bound, not the row asked
    ("How much more is it budgeted to cost than in 2021?", True),  # one side of the comparison
    ("How many homes had it insulated by March 2018?", True),
    ("How many homes short of target was the scheme in 2023-24?", False),  # the time of the whole question
    ("grant scheme 2023-24 - how many homes below target?", False),
])
def test_a_period_after_a_bounding_word_does_not_pick_the_row(question, bounded):
    from assistant.calc.routing import _BOUNDED

    assert bool(_BOUNDED.search(question)) is bounded


def test_a_financial_year_asked_is_not_met_by_a_calendar_year_that_dates_something_else():
    """"between 2017-18 and 2018-19": "since 6 April 2017" dates the charging of the levy, not a figure of 2017-18;
    the £3 million threshold in that sentence is no 2017-18 receipts to grow from."""
    text = ("The levy has been charged since 6 April 2017 at 0.5% of an employer's pay bill above £3 million. "
            "Levy receipts were £2.8 billion in 2018-19.")
    r = route_calculation("By what percentage did levy receipts grow between 2017-18 and 2018-19?",
                          _one_passage("levy", text), similar=_MEANING[0])
    assert r is None or r.calculation is None or "£3 million" not in r.summary, r.summary


def test_a_comparison_sentence_that_names_its_measure_once_gives_both_operands():
    """"62,400 cases ... in September 2022, compared with 39,300 at the end of March 2020": the bare 39,300
    counts the same cases, and the two figures of one measure at two times are the operands, not a count of
    something else that shares a year with one of them."""
    text = ("In 2020 the service moved 232 staff to new offices across the region. "
            "Waiting lists have grown: 62,400 cases were open at the tribunal in September 2022, compared with "
            "39,300 at the end of March 2020.")
    chunks = _one_passage("waits", text)
    for q in ("By how much did the tribunal's waiting list grow between March 2020 and September 2022?",
              "By how much did the tribunal's waiting list grow between the end of March 2020 and September 2022, "
              "in cases and as a percentage?"):
        r = route_calculation(q, chunks)
        assert r.error is None and r.operation == "difference", r.summary
        assert r.calculation.result == "23,100", r.summary


def test_in_percentage_terms_asks_for_a_percentage_change():
    text = ("The new licensing system went live in May 2021, at a cost of £45 million compared with the "
            "£30 million budgeted when the contract was let.")
    chunks = _one_passage("lic", text)
    r = route_calculation("In percentage terms, how far over budget did the licensing system come in?", chunks,
                          similar=_MEANING[0])
    assert r.error is None and r.operation == "percent_change", r.summary
    assert r.calculation.result == "50%", r.summary


def test_two_figures_of_one_clause_are_told_apart_by_the_words_on_their_own_side():
    """One clause holds both figures, so clause and sentence match either side equally: the words between a
    figure and its neighbours ("at a cost of" £58 million, £37 million "budgeted") say which is which, and the
    words naming the calculation ("% overrun") name no figure."""
    text = ("The case system, originally due in April 2015, went live in September 2016, at a cost of "
            "£58 million compared with the £37 million budgeted when the supplier was appointed.")
    r = route_calculation("case system: final cost vs budget, % overrun?", _one_passage("cases", text),
                          similar=_MEANING[0])
    assert r.error is None and r.operation == "percent_change", r.summary
    assert r.calculation.result == "56.8%", r.summary
    assert [o.value for o in r.calculation.operands] == ["£58 million", "£37 million"], r.calculation


def test_a_change_between_two_periods_is_worked_out_from_the_sentence_that_states_both_ends():
    text = ("The backlog of assessments grew from 118,000 in March 2019 to 246,000 in March 2021. "
            "New claims registered rose from 552,000 in 2020-21 to 701,000 in 2022-23.")
    chunks = _one_passage("claims", text)
    for question, result in (("By what percentage did the backlog grow between March 2019 and March 2021?", "108.5%"),
                             ("how much did new claims go up in % from 2020-21 to 2022-23?", "27%")):
        r = route_calculation(question, chunks, similar=_MEANING[0])
        assert r is not None and r.error is None and r.operation == "percent_change", (question, r)
        assert r.calculation.result.endswith(result), r.summary


def test_counts_of_different_things_are_not_added_up():
    """"total leakage across England and Wales" splits on "and", but megalitres and trusts make no total."""
    text = ("Leakage in England and Wales fell to 2,950 megalitres a day in 2023-24. "
            "Some 35 trusts completed their upgrades.")
    r = route_calculation("What was total leakage across England and Wales in 2023-24?", _one_passage("leaks", text),
                          similar=_MEANING[0])
    assert r is None or r.calculation is None or "35" not in r.calculation.expression, r


def test_figures_tied_on_a_side_are_told_apart_by_the_whole_question():
    """"the budget" alone fits two figures; the rest of the question (the fleet renewal) says which."""
    text = ("The department budgeted £120 million for the fleet renewal. By March 2022 it had spent £150 million "
            "on the fleet renewal. Separately, the depot upgrade cost £9 million against a budget of £7 million.")
    chunks = _one_passage("fleet", text)
    r = route_calculation("By what percentage did spending on the fleet renewal exceed the budget?", chunks)
    assert r.error is None, r.summary
    assert r.calculation.result == "25%", r.summary
    assert "£9 million" not in r.summary and "£7 million" not in r.summary, r.summary


def test_an_average_per_thing_shares_the_total_whose_sentence_counts_those_things():
    """Two totals fit "the fund's allocation" as well; the one shared "among 84 trusts" is the total for an
    average per trust, and a total beside a count of one is no average."""
    text = ("The Digital Fund has £2.1 billion of funding for trusts. By August 2022, £1.3 billion of Digital Fund "
            "funding had gone to 84 trusts. Package 1 (one trust) had £24 million of Digital Fund funding.")
    chunks = _one_passage("fund", text)
    r = route_calculation("What is the average Digital Fund funding per trust?", chunks, similar=_MEANING[0])
    assert r.error is None and r.operation == "average", r.summary
    assert r.calculation.result.startswith("£15.4"), r.summary


@pytest.mark.parametrize("question, operation, result", [
    ("Of the £90m agreed for the depots, how much was left to pay after the £35m paid in 2021?", "difference",
     "£55 million"),
    ("avg grant per council from the £300m allocated?", "average", "£5 million"),
    ("depot programme: % rise in cost per depot, 2019 estimate vs now?", "percent_change", "25%"),
    ("how much of the £300m allocated to councils had been spent by March 2023, as a percentage?", "share", "40%"),
])
def test_ordinary_wordings_of_a_calculation_are_routed(question, operation, result):
    text = ("In 2021 the department agreed £90 million for the depots and paid £35 million of it that year. "
            "By March 2023, £300 million had been allocated to 60 councils, of which £120 million had been spent. "
            "The cost per depot rose from £8 million in the 2019 estimate to £10 million now.")
    chunks = _one_passage("depots", text)
    r = route_calculation(question, chunks, similar=_MEANING[0])
    assert r is not None and r.error is None and r.operation == operation, r and r.summary
    assert r.calculation.result == result, r.summary


def test_one_value_found_on_both_sides_is_no_difference():
    text = "The target is a 15% cut. The programme has delivered a 15% cut in the south, ahead of the north."
    chunks = _one_passage("cut", text)
    r = route_calculation("How much further does the cut need to go to hit the 15% target?", chunks)
    assert r is None or r.calculation is None, r.summary


def test_which_of_two_figures_is_larger_is_worked_out_either_way_it_is_asked():
    """"Which is larger: X or Y?" and "Was X more or less than Y?" compare the two figures and show the
    difference; a duration describing a side ("the three-year fund") is not its figure."""
    chunks = _one_passage("ferries", "The department's three-year ferry fund is worth £210 million. Fares brought "
                                     "in £185 million over the same period.")
    r = route_calculation("Which is larger: the three-year ferry fund or the fares brought in?", chunks,
                          similar=_MEANING[0])
    assert r.error is None and r.operation == "larger", r.summary
    assert r.calculation.result == "£25 million" and r.summary == (
        "The three-year ferry fund (£210 million) is larger than the fares brought in (£185 million), by £25 million.")
    r = route_calculation("Were the fares brought in more or less than the three-year ferry fund?", chunks,
                          similar=_MEANING[0])
    assert r.error is None and r.summary.startswith("The fares brought in (£185 million) is less than the three-year"
                                                    " ferry fund (£210 million)"), r.summary
    assert route_calculation("Which is the larger programme?", chunks) is None  # one subject, nothing to weigh


def test_each_side_of_a_comparison_is_searched_for_in_its_own_report(tmp_path, embedder):
    """The two figures are in two reports about different things: each side's passages are read, not only the
    passages the whole question matches best."""
    from assistant.answer.pipeline import Assistant
    from ingest.pipeline import ingest_paths

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ferries.txt").write_text(
        "Review of island ferries\n\nThe department replaced four island ferries between 2019 and 2023. The "
        "ferry replacement budget was £210 million. Two harbours still need deeper berths.\n", encoding="utf-8")
    (docs / "libraries.txt").write_text(
        "Review of public libraries\n\nCouncils closed 180 libraries between 2010 and 2020. The library "
        "modernisation fund totalled £95 million. Visits fell by a third.\n", encoding="utf-8")
    for i in range(6):  # other ferry passages, which a search for the whole question would fill up on
        (docs / f"ferry-note-{i}.txt").write_text(
            f"Ferry note {i}\n\nThe ferry crossing timetable for route {i} was revised to cut waiting at "
            f"the harbour; the ferry operator budget and the ferry fleet plan were reviewed.\n", encoding="utf-8")
    settings = Settings(store_dir=tmp_path / "store", top_k=3, answer_passages=3)
    assert not ingest_paths(settings, [docs], progress=False).failed
    answer = Assistant(settings).ask("Which is bigger: the ferry replacement budget or the library modernisation fund?")
    assert answer.calculations and answer.calculations[0].result == "£115 million", answer.text
    assert {c.doc_id for c in answer.citations} == {"ferries", "libraries"}


def test_a_share_takes_its_part_and_whole_from_one_report():
    """Another report's figure must not be lent to a share: "£1.45 billion spent to date" on prisons is no part of
    the £1.6 billion allowed for leakage."""
    chunks = _one_passage("water", "Leakage funding, 2020-25\nAllowed in price determinations ........ £1.6 billion\n"
                                   "Spent by companies to March 2023 ....... £0.9 billion") + _one_passage(
        "prisons", "We have spent £1.45 billion to date, and we expect the remaining construction work to cost "
                   "between £2.3 billion and £2.5 billion.")
    routed = route_calculation("how much of the leakage funding allowed for 2020-25 had been spent by March 2023, as "
                               "a percentage?", chunks, similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None, routed
    assert {e.chunk.doc_id for e in routed.evidence} == {"water"}, routed.summary
    assert "56.3%" in routed.summary, routed.summary


def test_a_side_takes_the_figure_that_measures_what_it_names_over_one_near_its_other_words():
    """"the Ministry's spending on the transition": the £330 million budgeted sits beside "Ministry" and
    "transition", but measures a budget; the £412 million spent measures what the side names."""
    question = "By what percentage did the Ministry's spending on the ferry transition by 2015 exceed its budget?"
    chunks = _one_passage("ferries", "The Ministry had budgeted £330 million for the ferry transition, covering "
                                     "staff and IT. By the end of 2015 it had spent £412 million, more than planned.")
    routed = route_calculation(question, chunks, similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None, routed
    assert "24.8%" in routed.summary, routed.summary
    assert [e.quote.split(" ")[-1] for e in routed.evidence] == ["planned.", "IT."], routed.evidence


def test_a_share_whose_picked_figure_is_the_whole_of_an_of_which_part_takes_that_part():
    """"2,830 stops, of which 310 occurred on sections with detection": the question's words sit by the 2,830,
    which is the whole; the part is the 310 counted of it, never 2,830 of 2,830."""
    question = "What proportion of the live-lane stops happened on sections with stopped vehicle detection?"
    chunks = _one_passage("motorways", "The timings are based on 2,830 live-lane stops recorded between January "
                                       "and October 2020, of which 310 occurred on sections with detection.")
    routed = route_calculation(question, chunks, similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None, routed
    assert [str(o.value) for o in routed.calculation.operands] == ["310", "2,830"], routed.calculation
    assert "100%" not in routed.summary and "11%" in routed.summary, routed.summary


def test_an_amount_after_of_which_is_a_share_of_the_amount_before_it():
    """"payments totalling £117 million ..., of which £64 million came from the three poorest performers": the
    £64 million is the part and the £117 million the whole, as with counts; never £117 million of £64 million."""
    from assistant.text.figures import extract_figures

    text = ("Companies paid underperformance payments totalling £117 million for leakage in 2022-23, of which "
            "£64 million came from the three poorest performers.")
    assert [(f.raw, f.of_total) for f in extract_figures(text) if f.unit == "GBP"] == [
        ("£117 million", None), ("£64 million", 117000000)]
    question = ("What share of the 2022-23 leakage underperformance payments came from the three worst-performing "
                "companies?")
    routed = route_calculation(question, _one_passage("leakage", text), similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None, routed
    assert routed.calculation.result == "54.7%", routed.summary
    assert routed.summary.startswith("£64 million of £117 million"), routed.summary


def test_a_whole_fronted_by_of_and_a_relative_clause_in_the_whole_are_read_as_english():
    """"Of those 176, 121 meet the standard": the 121 is a part of the 176 (and each count after "Of the 50
    projects," a part of 50). "the trusts that have an EPR meet ...": the verb after "that" belongs to the whole."""
    from assistant.text.figures import extract_figures

    got = [(f.raw, f.of_total) for f in extract_figures(
        "Of the 50 projects, eight had been completed and nine had not started.") if f.unit == "count"]
    assert got == [("50 projects", None), ("eight", 50), ("nine", 50)], got
    text = ("At 31 August 2022, 176 of the 213 NHS trusts in England had an EPR in place. Of those 176, 121 meet "
            "the core capability standard.")
    routed = route_calculation("What share of the trusts that have an EPR meet the core capability standard?",
                               _one_passage("records", text), similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None, routed
    assert routed.calculation.result == "68.8%", routed.summary


def test_a_difference_with_no_sides_is_not_taken_between_counts_of_different_things():
    """"By how much have the companies cut their headcount?" names no two sides: the passage states the cut, and
    "1,050 left" less "11 companies" is no answer, so no difference is computed."""
    text = ("The companies have reduced headcount by around 1,600 since February 2015, of whom roughly 1,050 left "
            "through voluntary redundancy, and caseloads per officer have risen in 11 of the 18 companies.")
    routed = route_calculation("By how much have the companies cut their headcount since February 2015, and how "
                               "many of those left through voluntary redundancy?", _one_passage("probation", text),
                               similar=_MEANING[0])
    assert routed is None or routed.calculation is None, routed.summary


def test_one_value_on_both_sides_is_refused_whatever_each_is_labelled():
    """The same 15% for both sides ("the share approved", and "the 15% requested" the question quotes) is one
    figure, not two to subtract: the refusal says so, rather than "the difference ... is 0 percentage points"."""
    chunks = _one_passage("ferries", "The share approved was 15% of the programme's cost, and the share requested "
                                     "was 15% as well.")
    routed = route_calculation("What is the difference between the share approved and the 15% requested?",
                               chunks, similar=_MEANING[0])
    assert routed is not None and routed.calculation is None, routed
    assert "on both sides" in routed.error, routed.error


def test_a_side_that_refers_back_takes_its_figure_from_the_first_sides_report():
    """"exceed its budget": the budget is the first side's programme's, never another report's budget; where the
    programme's own report gives none, the refusal says so rather than weighing other reports' budgets; where its
    own sentence sets the spending against a plan, that sentence gives both figures."""
    question = "By how much did the ferry programme's spending exceed its budget?"
    other = _one_passage("courts", "The programme's budget is £1.1 billion. Its budget for estates is £738 million.")

    def route_over(ferries: str):
        return route_calculation(question, _one_passage("ferries", ferries) + other, similar=_MEANING[0])

    for ferries in ("The ferry programme has spent £412 million so far. Its budget was £330 million.",
                    "The ferry programme has spent £412 million so far, against £330 million planned."):
        routed = route_over(ferries)
        assert routed is not None and routed.calculation is not None, routed
        assert {e.chunk.doc_id for e in routed.evidence} == {"ferries"}, routed.summary
        assert "£82 million" in routed.summary, routed.summary
    routed = route_over("The ferry programme has spent £412 million so far. Its crews number 300.")
    assert routed is not None and routed.calculation is None, routed
    assert "its budget" in routed.error and "£1.1 billion" not in routed.error, routed.error
    assert {e.chunk.doc_id for e in routed.evidence} == {"ferries"}, routed.error


@pytest.mark.parametrize("question", [
    "How far short of the clusters' forecast funding need did the Treasury's package fall?",
    "By the top of the clusters' forecast, the Treasury's funding fell short by what amount?",
])
def test_falling_short_is_a_difference(question):
    """"Short of" and "fall short" ask for the gap between two figures, as "shortfall" does (English, not a
    corpus phrase): not a quote of the two figures left for the reader to subtract."""
    r = route(question)
    assert r.error is None and r.operation == "difference"
    assert r.calculation.result == "£82 million to £103 million"


# One generated report each: the wording of the question picks the calculation, the report's own figures its
# operands.
# - "how much further": a difference;
# - "How far below X was Y?": the verb after the first side opens the second (English word order), and the gap
#   between two percentages is in percentage points;
# - two dates that name their months are counted in months, in months when the question asks how many;
# - "funded" hints at money, but when no sum of money fits, the count that measures what the whole names
#   (ambulances) gives the share, and the part is taken from the same report;
# - "unspent" is budget less spending.
@pytest.mark.parametrize("doc_id, passage, question, operation, result", [
    ("gen-appeal", "By June 2024 the hospital appeal had raised £40 million. Its fundraising goal is £65 million, to "
                   "be met by 2026.",
     "How much further does the appeal have to go to reach its fundraising goal?", "difference", "£25 million"),
    ("gen-exams", "In 2023 the pass rate was 61%, against a target of 70% set in 2020.",
     "How far below its target was the pass rate in 2023?", "difference", "9 percentage points"),
    ("gen-depot", "The depot programme was launched in September 2016. Its final depot is now expected to open in "
                  "December 2024.",
     "How long will the depot programme have run from its launch to the final depot opening?", "years_between",
     "8 years and 3 months"),
    ("gen-plan", "A benefits plan was due in October 2020. The Department finally agreed the benefits plan in "
                 "September 2022.",
     "How many months late was the benefits plan agreed?", "years_between", "23 months"),
    ("gen-ambulance", "The scheme had £60 million in 2022 and £45 million in 2023. By March 2024 it had funded 500 "
                      "ambulances, and 400 funded ambulances were answering emergency calls.",
     "What proportion of the ambulances funded by March 2024 were answering emergency calls?", "share", "80%"),
    ("gen-parks", "Spending on the parks scheme over its four years was £41.5 million, against budgets of "
                  "£50 million.",
     "How much of its budget did the parks scheme leave unspent?", "difference", "£8.5 million"),
    # a side that names no figure ("than in the year before the fee came in"): the one sentence that sets the two
    # figures side by side gives them; "against" says which is the start, whatever the order written
    ("gen-ferry", "There were 491,300 ferry crossings in 2016-17, the last year before the fee took effect, but "
                  "only 393,600 in 2018-19.",
     "In raw numbers, how many fewer ferry crossings were there in 2018-19 than in the year before the fee came in?",
     "difference", "97,700"),
    ("gen-fraud", "Of the expected losses, an estimated £410 million is expected to arise from fraud, against £150 "
                  "million assumed at launch. Only £12.3 million of suspected fraud losses has been recovered.",
     "so the fraud loss estimate compared with what they assumed at launch - how many times bigger is it now?",
     "ratio", "2.73 times"),
    ("gen-fraud", "Of the expected losses, an estimated £410 million is expected to arise from fraud, against £150 "
                  "million assumed at launch. Only £12.3 million of suspected fraud losses has been recovered.",
     "By what percentage has the fraud loss estimate grown since launch?", "percent_change", "173.3%"),
    # of a sentence's figures, two of one unit: the money of "27 bids worth £612 million against £170 million"
    ("gen-bids", "The first bidding round, which closed in June 2020, attracted 27 bids worth £612 million against "
                 "£170 million available.",
     "How many times over was the first bidding round oversubscribed by value?", "ratio", "3.6 times"),
    # the sentence found by meaning where the question's words are not the report's ("wait" and "took")
    ("gen-grants", "The scheme opened in April 2017. Applicants faced long delays: it took an average of 11 weeks to "
                   "approve an application, against a target of four weeks.",
     "How many times longer than the target was the average wait for an application to be approved?", "ratio",
     "2.75 times"),
    # "how many hectares below target": a quantity word, its noun, a side
    ("gen-planting", "The programme planted 5,080 hectares in 2023-24, against a target of 7,000 hectares.",
     "How many hectares below target was the programme?", "difference", "1,920"),
    # "in 2023-24" picks that year's row of a table, the sentence that sets two figures side by side
    ("gen-forest", "New woodland created: 2021-22: 3,120 hectares (target 5,000). 2022-23: 4,260 hectares (target "
                   "6,000). 2023-24: 5,080 hectares (target 7,000).",
     "forest programme in 2023-24 - how far below target were they, in hectares?", "difference", "1,920"),
    ("gen-wards", "At 31 August 2022, 37 of the 213 wards had no digital record; 22 of those 37 were in community "
                  "hospitals.",
     "What % of the wards with no digital record were in community hospitals?", "share", "59.5%"),
    ("gen-sales", "Receipts from selling closed sites were £112 million by March 2018 and had reached £336 million "
                  "by March 2023.",
     "Site sale receipts: the March 2023 amount against March 2018 - what multiple is it?", "ratio", "3 times"),
    ("gen-trusts", "Probation trusts were abolished on 1 June 2014. Ownership of the companies passed to the new "
                   "providers on 1 February 2015.",
     "How much time passed between the trusts being abolished and ownership passing to the new providers?",
     "years_between", "8 months"),
    ("gen-plan", "A benefits plan was due in October 2020. The Department finally agreed the benefits plan in "
                 "September 2022.",
     "The benefits plan was due in October 2020. How long after that was it agreed?", "years_between",
     "1 year and 11 months"),
    # "the 412 buses" says which buses: it is the count to share among, never the total shared
    ("gen-buses", "By 30 September 2020 the Department had approved grants for 412 buses across 11 local "
                  "authorities, committing £96.4 million.",
     "For the 412 buses approved by September 2020, what was the average grant commitment per bus?", "average",
     "£233,980.58"),
    # two months of one year ("between January and August 2022") date the two figures of one measure
    ("gen-wards", "At 31 August 2022, 176 of the 213 hospital trusts had an electronic record in place, up from 161 "
                  "in January 2022.",
     "Between January and August 2022, by what percentage did the number of hospital trusts with an electronic "
     "record go up?", "percent_change", "9.3%"),
    # "by how many per cent" asks for a percentage, not for a count of anything
    ("gen-tuition", "Because learners choose longer courses, the average cost of a course rose from £9,000 in 2016 "
                    "to £18,600 in 2019. There were 491,300 learners in 2016 and 393,600 in 2019.",
     "By how many percent did the average cost of a course go up?", "percent_change", "106.7%"),
    # the question gives one operand ("2,770 Ml/d"); the rest of it names the other, in the same unit
    ("gen-leaks", "Leakage was 2,950 megalitres a day (Ml/d) in 2019-20. Meeting the 15% target would require "
                  "leakage to fall to about 2,510 Ml/d by 2024-25. By 2022-23 it had fallen to 2,770 Ml/d.",
     "So leakage was at 2,770 Ml/d in 2022-23 - how much further does it have to come down to reach the target?",
     "difference", "260"),
    # a plain "how long": the one sentence that states both ends of the span
    ("gen-starts", "The government's commitment was for three million starts between May 2015 and March 2020; on "
                   "current trends, the total is likely to be around 2.05 million.",
     "How long a window did the government give itself to hit three million starts?", "years_between",
     "4 years and 10 months"),
    # "adding A to B": a sum asked without "and"
    ("gen-loans", "Lenders had submitted 2,310 claims under the guarantee by June 2023, and the department had paid "
                  "out £286 million. Administration costs for the scheme since 2021-22 were £38.6 million.",
     "Adding the guarantee payouts made by June 2023 to the scheme's administration costs, what has the scheme "
     "cost in total?", "total", "£324.6 million"),
    # the sentence the question's words fit best has one figure; the next one states the change "from A to B"
    ("gen-ferry", "Running the ferries cost the council £9.8 million in 2023, paid from its transport budget. Fuel "
                  "is the largest cost. The council's fuel bill for the ferries went from £2.1 million in 2019 to "
                  "£3.4 million in 2023, as diesel prices rose.",
     "How much more did running the council's ferries cost in fuel than before prices rose?", "difference",
     "£1.3 million"),
])
def test_a_calculation_asked_in_other_words_over_a_generated_report(doc_id, passage, question, operation, result):
    r = route_calculation(question, _one_passage(doc_id, passage), similar=_MEANING[0])
    assert r.error is None and r.operation == operation
    assert r.calculation.result == result


def test_a_refusal_names_the_side_without_its_dates_day_or_the_results_unit():
    """"how much of the £815m budget had been used up by 31 March 2023, as a percentage?": the side the passages
    lack is "been used up by": not "been used up by 31 , as a percentage" (the day of the date left behind)."""
    chunks = _one_passage("gen-assess", "The programme's budget has risen from £640 million to £815 million.")
    r = route_calculation("How much of the enlarged £815m budget had been used up by 31 March 2023, as a percentage?",
                          chunks, similar=_MEANING[0])
    assert r is not None and r.calculation is None and r.operation == "share"
    assert "“been used up by”" in r.error, r.error


def test_what_percent_asks_for_the_result_not_for_percentages_as_operands():
    """"what % are community trusts?": the percentage is the answer, so the passage's own "83%" is neither the part
    nor, by its "176 of the 213", a whole of "213%" ("83% of 213% is about 39%" was computed). With no count of
    community trusts in the passage, nothing is computed."""
    chunks = _one_passage("gen-records", "At 31 August 2022, 176 of the 213 hospital trusts (83%) had an electronic "
                                         "record in place. The 37 trusts without one are not evenly spread.")
    r = route_calculation("trusts lacking a record aug 2022 - what % are community trusts?", chunks,
                          similar=_MEANING[0])
    assert r is None or r.calculation is None, r.summary


def test_a_change_stated_from_one_figure_to_another_gives_the_operands_in_its_order():
    """Both sides of "schemes finished before 2020 vs current ones" fit both figures of one sentence; that
    sentence says "from A ... to B", so A is where the change starts: a percentage change, not a refusal."""
    chunks = _one_passage("gen-tunnels", "The average cost of a tunnel scheme has risen from £40 million per kilometre "
                                         "for schemes finished before 2020 to £50 million per kilometre for current "
                                         "schemes.")
    r = route_calculation("tunnels: % rise in cost per kilometre, schemes finished before 2020 vs current ones?",
                          chunks, similar=_MEANING[0])
    assert r.error is None and r.operation == "percent_change"
    assert r.calculation.result == "25%"
    assert [o.value for o in r.calculation.operands] == ["£40 million", "£50 million"]


def test_a_rate_compared_takes_the_figures_stated_as_that_rate_not_a_total():
    """"all lane running cost per mile pre-2017 vs schemes under way": the two figures the report states per mile,
    each side the one whose own words it shares; the £4.2 billion to £4.8 billion that 22 further schemes will cost
    in all is no cost per mile ("£4.2 billion exceeds £14.6 million by 28,667%" was computed). A tuning document."""
    path = CORPUS.parent / "evals" / "library" / "tuning" / "nao-2021-smart-motorways.txt"
    text = path.read_text(encoding="utf-8")
    chunks = [Chunk(id=f"sm-{i}", doc_id=path.stem, text=m.group(), page=1, char_start=m.start(), char_end=m.end())
              for i, m in enumerate(re.finditer(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*", text))]
    r = route_calculation("smart motorways all lane running cost per mile pre-2017 vs schemes under way: % increase?",
                          chunks, similar=_MEANING[0])
    assert r.error is None and r.operation == "percent_change", r.summary
    assert r.calculation.result.endswith("30.4%") and "billion" not in r.summary, r.summary


def test_a_rate_asked_keeps_the_figures_stated_as_that_rate():
    from assistant.calc.operands import candidates
    from assistant.calc.pairs import _rates_asked

    cands = candidates(_one_passage("gen-tunnels", "The cost has risen from £40 million per kilometre to £50 million "
                                                   "per kilometre. The 12 schemes will cost £2.4 billion in all."))
    kept = _rates_asked("tunnel cost per kilometre: % increase?", cands)
    assert {c.figure.raw for c in kept} == {"£40 million", "£50 million"}
    assert _rates_asked("tunnel cost: % increase?", cands) is cands  # no rate asked: every figure


def test_a_part_beside_its_whole_is_told_by_the_words_after_it():
    """"to come from the Treasury" shares one word with the passage, too few to pick a figure by; of the two parts
    the whole's sentence gives, the one followed by "of Treasury funding" is it, not the one "to be met by the
    Ministry"."""
    chunks = _one_passage("gen-courts", "The original £1.1 billion budget comprised £738 million of Treasury funding "
                                        "and £362 million to be met by the Ministry, partly from the proceeds of "
                                        "selling court buildings.")
    r = route_calculation("What proportion of the programme's original £1.1bn budget was to come from the Treasury?",
                          chunks, similar=_MEANING[0])
    assert r.error is None and r.operation == "share", r.summary
    assert r.calculation.result == "67.1%" and "£738 million" in r.summary, r.summary


@pytest.mark.parametrize("question", [
    "Of the £2.1bn fund, how much was still unallocated at the end of August 2022?",
    "Of the £2.1bn fund, how much remained unclaimed at the end of August 2022?",
])
def test_what_is_not_yet_so_of_a_whole_is_what_is_left_of_it(question):
    """"un-" and a participle ("unallocated", "unclaimed") ask what is left of the whole the question gives; of the
    passage's sums, the one dated as the question is ("By the end of August 2022") is the part taken from it."""
    chunks = _one_passage("gen-fund", "We have made £2.1 billion available through the fund over three years. By the "
                                      "end of August 2022, £1.3 billion had been allocated to 84 trusts. Trusts had "
                                      "asked for between £2.6 billion and £2.9 billion.")
    r = route_calculation(question, chunks, similar=_MEANING[0])
    assert r is not None and r.error is None and r.operation == "difference", r and r.summary
    assert r.calculation.result == "£800 million", r.summary


@pytest.mark.parametrize("question", [
    "Once Westgate takes on Harbour's two companies, what's the combined annual value it will be running?",
    "Westgate contracts after absorbing Harbour's companies - total yearly value?",
])
def test_a_total_of_the_rows_the_question_names(question):
    """A table set out with leader dots: the rows the question's names open are added, and no other row (not the
    table's own total)."""
    text = ("Contract packages at a glance (annual contract value, first full year)\n\n"
            "  Northgate Justice Partnership ........ 4 CSCs ... £142 million\n"
            "  Westgate Offender Services ........... 2 CSCs ... £53 million\n"
            "  Harbour Third Sector Consortium ...... 2 CSCs ... £41 million\n"
            "  Total ................................ 8 CSCs .. £236 million\n")
    r = route_calculation(question, _one_passage("gen-packages", text), similar=_MEANING[0])
    assert r is not None and r.error is None and r.operation == "total", r and r.summary
    assert r.calculation.result == "£94 million", r.summary
    assert "Westgate Offender Services" in r.summary and "Harbour Third Sector Consortium" in r.summary


def test_a_total_needs_every_name_to_open_one_row():
    text = ("  Westgate Offender Services ........... 2 CSCs ... £53 million\n"
            "  Harbour Third Sector Consortium ...... 2 CSCs ... £41 million\n")
    r = route_calculation("What is the combined value of Westgate's contracts?", _one_passage("gen-packages", text),
                          similar=_MEANING[0])
    assert r is None or r.calculation is None or "£94 million" not in r.summary


def test_a_total_of_underspends_is_not_added_up_from_unrelated_sums():
    """"Underspend" is how reports state a figure, not a cue that any two sums of money are the operands: a total
    the passages do not give per year is not computed from a budget and a grant size."""
    chunks = _one_passage("gen-woods", "The Woodland Programme began on 1 April 2021, with a budget of £500 million "
                                       "to March 2026. From 1 April 2023 the grant for woodland near water courses "
                                       "was raised from £1,000 to £2,000 per hectare.")
    r = route_calculation("What was the total underspend on the Woodland Programme across 2021-22, 2022-23 and "
                          "2023-24?", chunks, similar=_MEANING[0])
    assert r is None or r.calculation is None


def test_a_percentage_that_names_a_target_is_not_the_operand_the_question_gives():
    """"How many megalitres ... to hit the 15% target?" asks a count: its 15% only names the target, so it is not
    taken as the one operand the question gives."""
    passage = ("Leakage was 2,950 megalitres a day (Ml/d) in 2019-20, around 20% of water put into supply. Meeting "
               "the 15% target would require leakage to fall to about 2,510 Ml/d by 2024-25. By 2022-23 it had "
               "fallen to 2,770 Ml/d.")
    r = route_calculation("How many more megalitres a day does leakage need to fall after 2022-23 to hit the 15% "
                          "target?", _one_passage("gen-leaks", passage), similar=_MEANING[0])
    assert r is None or r.calculation is None or r.calculation.result != "5 percentage points"


def test_a_plain_how_long_is_no_calculation_where_the_sentence_states_the_span():
    """"How long a period did the strategy cover?" is answered by "a new ten-year strategy": its two years (2018,
    2025) are not the span's ends."""
    passage = ("In 2018, the Cabinet Office published a new ten-year strategy for shared services, with the aim of "
               "moving to cloud-based technology by 2025 at the latest.")
    r = route_calculation("How long a period did the shared services strategy published in 2018 cover?",
                          _one_passage("gen-strategy", passage), similar=_MEANING[0])
    assert r is None


def test_a_span_that_would_run_backwards_is_refused_not_shown():
    """"How much later ... than the date the NAO was given in 2021?" whose passages give no such date found 2021
    itself as the earlier end: "September 2025 to 2021, −4 years later" is no answer, so the calculation is refused,
    saying why."""
    passage = ("The NAO last reported on the programme in 2021. National rollout of the new platform is now "
               "expected in September 2025.")
    r = route_calculation("How much later is national rollout of the platform now expected than the date the NAO "
                          "was given in 2021?", _one_passage("gen-platform", passage), similar=_MEANING[0])
    assert r is not None and r.calculation is None and "before" in r.error, r


def test_two_figures_of_a_sentence_the_question_fits_less_well_are_no_change():
    """Only the sentence the question's words fit best may give its two figures as they stand; a sentence they fit
    less well gives them only where it states the change ("from A to B"): "£3.4 million ..., while the harbour
    authority charged £2.1 million" measures two things."""
    passage = ("Running the ferries cost the council £9.8 million in 2023, paid from its transport budget. Fuel is the "
               "largest cost. The council's fuel bill for the ferries was £3.4 million in 2023, while the harbour "
               "authority charged £2.1 million in fees.")
    r = route_calculation("How much more did running the council's ferries cost in fuel than before prices rose?",
                          _one_passage("gen-ferry", passage), similar=_MEANING[0])
    assert r is None or r.calculation is None or "£1.3 million" != r.calculation.result


@pytest.mark.parametrize("question, result, count", [
    # "per home" asks for an amount shared among homes, though no word says "average"
    ("Household grant scheme: what was the spend per home upgraded by the end of March 2019?", "£2,791.67",
     "96,000"),
    # the count is of what follows "per", not of the other things the sentence counts ("22 schemes")
    ("How much will the new schemes cost per mile?", "£15.52 million", "290"),
])
def test_an_amount_per_thing_is_shared_among_the_count_of_that_thing(question, result, count):
    text = ("By the end of March 2019, 96,000 homes had received upgrades, and the department had spent £268 million. "
            "The new strategy provides for 22 further schemes adding around 290 miles, at an estimated cost of "
            "£4.5 billion.")
    r = route_calculation(question, _one_passage("gen-per", text), similar=_MEANING[0])
    assert (r.operation, r.error) == ("average", None), r.summary
    assert r.calculation.result.endswith(result) and r.calculation.operands[1].value == count, r.calculation


def test_per_before_a_unit_of_time_or_cent_asks_for_no_average():
    """"£400 million per annum" is a rate a report states, and "per cent" a percentage: English grammar, no list."""
    from assistant.calc.wording import _operation

    assert _operation("What savings per annum did the strategy expect?") is None
    assert _operation("What is the cost per mile of the schemes?") == "average"


def test_by_what_percent_sign_asks_for_a_change_as_by_what_percentage_does():
    """"by what %" is "by what percentage" written with its sign: a change in per cent, not a share ("what % of")."""
    from assistant.calc.wording import _operation

    text = "HM Passport Office increased the standard fee for a certificate from £12.50 to £14.00 in April 2028."
    r = route_calculation("certificate fee went up in april 2028 - by what % ?", _one_passage("gen-fee", text),
                          similar=_MEANING[0])
    assert (r.operation, r.error) == ("percent_change", None), r.summary
    assert r.calculation.result.startswith("12"), r.calculation
    assert _operation("what % of the fee went to councils?") == "share"


def test_how_long_after_a_fronted_from_is_the_span_between_two_dates():
    """"From its launch, how long …?" names the start before "how long", as "how long … from …" names it after."""
    text = ("Launched in September 2016, the reform programme brings together 50 projects. The department originally "
            "planned to complete the programme by March 2021.")
    r = route_calculation("From its launch, how long was the reform programme originally meant to take?",
                          _one_passage("gen-span", text), similar=_MEANING[0])
    assert (r.operation, r.error) == ("years_between", None), r.summary
    assert r.summary == "March 2021 is 4 years and 6 months after September 2016."


def test_a_financial_year_in_shorthand_dates_the_figures_as_the_reports_write_it():
    """"in 22/23" is 2022-23 (two years in a row); "12/05" and "1/2" are left alone."""
    from assistant.query.analysis import analyse

    text = ("New woodland created: 2021-22: 3,120 hectares (target 5,000). 2022-23: 4,260 hectares (target 6,000). "
            "2023-24: 5,080 hectares (target 7,000).")
    q = analyse("forest programme in 22/23 - how far below target were they, in hectares?")
    assert "in 2022-23" in q.clean
    r = route_calculation(q.clean, _one_passage("gen-forest-fy", text), similar=_MEANING[0])
    assert r.summary == "The difference between the hectares (6,000) and the hectares (4,260) is 1,740."
    assert analyse("What happened on 12/05, and to 1/2 of the sites?").clean == \
        "What happened on 12/05, and to 1/2 of the sites?"


def test_a_list_items_figure_measures_what_the_line_announcing_the_list_names():
    """"New woodland created with programme funding:" announces the items below it: "- 2021-22: 3,120 hectares"
    is new woodland planted, though the item never says so. A growth between two periods is worked out from the
    items of those periods."""
    text = ("3. Planting so far\n\nNew woodland created with programme funding:\n\n"
            "- 2021-22: 3,120 hectares (target 5,000)\n- 2022-23: 4,260 hectares (target 6,000)\n"
            "- 2023-24: 5,080 hectares (target 7,000)\n\nThe programme has 14 staff.")
    chunks = _one_passage("gen-woodland", text)
    routed = route_calculation("By what percentage did new woodland planting grow between 2021-22 and 2023-24?",
                               chunks, similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None, routed
    assert [str(o.value) for o in routed.calculation.operands] == ["5,080", "3,120"], routed.calculation
    assert routed.calculation.result == "62.8%", routed.summary
    # without its announcing line the item's words name nothing the question asks: no figure is taken
    bare = _one_passage("gen-woodland", text.replace("New woodland created with programme funding:\n\n", ""))
    unannounced = route_calculation("By what percentage did new woodland planting grow between 2021-22 and 2023-24?",
                                    bare, similar=_MEANING[0])
    assert unannounced is None or unannounced.calculation is None, unannounced


def test_a_report_is_named_by_its_titles_initials_in_a_calculation():
    """Users abbreviate a report's programme ("EWEP" for the England Woodland Expansion Programme): a passage of
    that report counts as naming it, as the answerer counts it for sentences."""
    text = "Planting rose from 3,120 hectares in 2021-22 to 5,080 hectares in 2023-24."
    chunk = Chunk(id="gen-ewep-0", doc_id="gen-ewep", text=text, page=1, char_start=0, char_end=len(text),
                  meta={"title": "England Woodland Expansion Programme: progress update"})
    other = Chunk(id="gen-other-0", doc_id="gen-other", text=text, page=1, char_start=0, char_end=len(text),
                  meta={"title": "Household Efficiency Grant"})
    question = "By what percentage did planting under EWEP grow between 2021-22 and 2023-24?"
    routed = route_calculation(question, [chunk], similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None and routed.calculation.result == "62.8%", routed
    assert all(e.chunk.doc_id == "gen-ewep" for e in routed.evidence)
    # a report whose title has no such initials does not name it
    refused = route_calculation(question, [other], similar=_MEANING[0])
    assert refused is None or refused.calculation is None, refused


def test_a_figure_is_dated_by_the_sentences_before_it_in_its_paragraph():
    """"By March 2018, how much less had HMCTS made from selling ... than it had been counting on?": the paragraph
    dates its figures once ("By March 2018 it had closed 61 of them. Proceeds ... £112 million had been received
    against a forecast of £175 million"). Read sentence by sentence only the two figures of another paragraph
    named March 2018, so the calculation was looked for among them alone and refused."""
    text = ("HMCTS planned to close 86 of its 350 court and tribunal buildings. By March 2018 it had closed 61 of them. "
            "Proceeds from selling closed sites have fallen short of expectations: £112 million had been received "
            "against a forecast of £175 million, because several sites carried restrictive covenants.\n\nBy the end "
            "of March 2018 HMCTS had spent £348 million, 29% of the revised budget. Cumulative savings to March 2018 "
            "were £41 million.")
    routed = route_calculation("By March 2018, how much less had HMCTS made from selling off closed court buildings "
                               "than it had been counting on?", _one_passage("gen-courts", text), similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None, routed
    assert routed.calculation.result == "£63 million", routed.summary


def test_a_change_in_steps_is_read_from_the_step_the_question_dates():
    """"from £540 million in 2019 to £355 million in 2023 and to £268 million now": "between the NAO's 2023 figure
    and the latest" asks for the second step; a question naming no year gets the first, as before."""
    text = ("Forecast benefits have fallen from £540 million in 2019 to £355 million in 2023 and to £268 million now, "
            "giving a benefit-cost ratio of 0.52.")
    chunks = _one_passage("gen-benefits", text)
    routed = route_calculation("By what percentage did the forecast benefits fall between the NAO's 2023 figure and "
                               "the latest figure?", chunks, similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None, routed
    assert routed.calculation.result == "−24.5%", routed.summary
    first = route_calculation("By what percentage have forecast benefits fallen?", chunks, similar=_MEANING[0])
    assert first is not None and first.calculation is not None, first
    assert first.calculation.result == "−34.3%", first.summary


def test_a_share_of_a_whole_the_question_states_takes_its_part_from_beside_that_whole():
    """"How much of the expected £1.6bn loss is down to fraud?": "£410 million ... from fraud" follows the £1.6
    billion in its paragraph; "£12.3 million of suspected fraud losses" recovered, in another paragraph, fits the
    words as well and had made the part ambiguous (refused)."""
    text = ("The department's central estimate of losses has risen from £960 million in April 2021 to £1.6 billion in "
            "March 2023. Of this, an estimated £410 million is expected to arise from fraud, against £150 million "
            "assumed at launch.\n\nRecovery of losses has been slow. Only £12.3 million of suspected fraud losses "
            "has so far been recovered.")
    routed = route_calculation("How much of the expected £1.6bn loss on the recovery loan scheme is down to fraud, as "
                               "a percentage?", _one_passage("gen-loans", text), similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None, routed
    assert routed.calculation.result == "25.6%", routed.summary


def test_a_number_after_of_these_is_a_part_of_the_count_before_it():
    """"The 37 trusts without an EPR are not evenly spread. Of these, 22 are mental health or community trusts.": the
    22 counts trusts, a part of the 37; it had been read as no figure at all (a bare number), so the share was
    refused."""
    text = ("At 31 August 2022, 176 of the 213 NHS trusts in England (83%) had an EPR in place. The 37 trusts without "
            "an EPR are not evenly spread. Of these, 22 are mental health or community trusts.")
    routed = route_calculation("What proportion of the NHS trusts still without an EPR in August 2022 were mental "
                               "health or community trusts?", _one_passage("gen-epr", text), similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None, routed
    assert routed.calculation.result == "59.5%", routed.summary
    # the whole is cited where it is written, the sentence before the part's
    assert [e.quote for e in routed.evidence] == ["Of these, 22 are mental health or community trusts.",
                                                  "The 37 trusts without an EPR are not evenly spread."]


def test_a_share_whose_part_is_a_pronoun_takes_it_from_what_the_question_said_first():
    """"Only some of the installer firms BEIS expected signed up by March 2019 - what percentage of the expected
    number was that?": "that" stands for the firms that signed up, and "the expected number" is worded by no word
    of the report ("BEIS assumed that around 2,000 firms would register ..., but only 640 had done so"), whose
    sentence holds the part and the whole. "640 had done so" counts firms: a number that is a verb's subject is no
    footnote."""
    text = ("BEIS assumed that around 2,000 firms would register under the new quality standard introduced for the "
            "scheme, but only 640 had done so by March 2019.")
    routed = route_calculation("Only some of the installer firms BEIS expected actually signed up to the new quality "
                               "standard by March 2019 - what percentage of the expected number was that?",
                               _one_passage("gen-installers", text), similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None, routed
    assert routed.calculation.result == "32%", routed.summary


def test_a_share_with_its_whole_put_first_takes_part_and_whole_from_one_sentence():
    """"Of the suspected fraud cases closed so far, what percentage were confirmed as fraud?" puts the whole
    first; the sentence "210 cases had been closed, of which 85 were confirmed as fraudulent" holds both, and the
    two figures fitting the question equally well are the part and the whole, not two rival answers."""
    text = ("Suspected fraud cases are referred by the scheme administrator to the counter-fraud team. At the time "
            "of the report, 210 cases had been closed, of which 85 were confirmed as fraudulent.")
    routed = route_calculation("Of the suspected fraud cases closed so far, what percentage were confirmed as fraud?",
                               _one_passage("gen-fraud", text), similar=_MEANING[0])
    assert routed is not None and routed.calculation is not None, routed
    assert [str(o.value) for o in routed.calculation.operands] == ["85", "210"], routed.calculation
    assert routed.calculation.result == "40.5%", routed.summary


_SPENDING = ("Programme spending by financial year (£ million):\n\nItem 2021-22 2022-23 2023-24\n\n"
             "Woodland creation grants 41.3 58.7 72.4\n\nNursery capital grants 6.2 9.8 7.1\n\n"
             "Underspend 16.4 7.4 9.3\n\nTotal spending over the three years was £251.9 million.")


@pytest.mark.parametrize("question, result, operands", [
    ("How much did the programme spend on nursery capital grants across its first three years altogether?",
     "£23.1 million", ["£6.2 million", "£9.8 million", "£7.1 million"]),
    ("What was the total underspend in 2022-23 and 2023-24?", "£16.7 million", ["£7.4 million", "£9.3 million"]),
    ("woodland creation grants 2021-22 to 2022-23 combined £?", "£100 million", ["£41.3 million", "£58.7 million"]),
])
def test_a_total_adds_up_the_row_of_a_table_by_year_that_the_question_names(question, result, operands):
    """A table set out with spaces, its rows each a sentence of the passage: a total of the row the question names
    adds its cells, for the years it names ("2021-22 to 2022-23" takes both ends) or, naming none, the whole row,
    in the unit its caption gives (£ million). Every operand cites the row, quoted as written."""
    r = route_calculation(question, _one_passage("gen-woods", _SPENDING), similar=_MEANING[0])
    assert r is not None and r.error is None and r.operation == "total"
    assert r.calculation.result == result
    assert [o.value for o in r.calculation.operands] == operands
    assert {e.quote for e in r.evidence} <= {line for line in _SPENDING.split("\n") if line}
    assert len(r.evidence) == len(operands)


def test_a_row_total_needs_every_word_of_the_row_named():
    """"Total grants" names no row whole ("Woodland creation grants" and "Nursery capital grants" both end so):
    no row is added up."""
    r = route_calculation("What were total grants across 2021-22, 2022-23 and 2023-24?",
                          _one_passage("gen-woods", _SPENDING), similar=_MEANING[0])
    assert r is None or r.calculation is None


def test_a_row_total_in_a_table_whose_caption_names_no_money_adds_counts():
    """A caption without a pound sign ("(hectares)") gives counts: 3,120 + 4,260 hectares, with thousands commas."""
    table = "New woodland by year (hectares):\n\nItem 2021-22 2022-23\n\nNew woodland planted 3,120 4,260"
    r = route_calculation("How much new woodland was planted in total over 2021-22 and 2022-23?",
                          _one_passage("gen-woods", table), similar=_MEANING[0])
    assert r is not None and r.error is None and r.operation == "total"
    assert r.calculation.result == "7,380"
    assert [e.quote for e in r.evidence] == ["New woodland planted 3,120 4,260"] * 2


@pytest.mark.parametrize("question, result", [
    ("nursery capital grants 2021-22-2022-23 combined?", "£16 million"),
    ("woodland creation grants 2022-23-2023-24, combined?", "£131.1 million"),
    ("What was the total spent on nursery capital grants over the three years?", "£23.1 million"),
])
def test_a_row_total_reads_a_run_of_years_and_a_total_over_n_years(question, result):
    """Years written as one run ("2021-22-2022-23", as "21/22-22/23" is read) take the years between; "the total
    spent on X over the three years" adds the row (it spreads no yearly amount)."""
    r = route_calculation(question, _one_passage("gen-woods", _SPENDING), similar=_MEANING[0])
    assert r is not None and r.error is None and r.operation in ("total", "per_year")
    assert r.calculation.result == result


def test_an_amount_a_year_from_a_total_its_sentence_spreads_over_years():
    """"Worth per year on average" with no count of things: the total's own sentence gives the years it covers."""
    chunks = _one_passage("nao-2024-ticketing", "The Department awarded the replacement contract in April 2023. "
                          "The contract is valued at £264 million over eight years.")
    r = route_calculation("Roughly what is the back office contract worth per year on average?", chunks,
                          similar=_MEANING[0])
    assert (r.operation, r.error) == ("average", None)
    assert (r.calculation.result, r.calculation.expression) == ("£33 million", "£264 million ÷ 8 = £33 million")
    assert [e.quote for e in r.evidence] == ["The contract is valued at £264 million over eight years."] * 2
    assert r.summary == "£264 million over 8 years is £33 million a year."


def test_a_total_from_a_rate_for_the_months_the_question_or_its_sentence_gives():
    text = ("The agreement costs £2.4 million a month and expires on 30 September 2024, with an option to extend "
            "for six months at £3.1 million a month.")
    chunks = _one_passage("nao-2024-ticketing", text)
    for question in ("If the department exercises the six-month extension, what would that extension cost in total?",
                     "What would the extension cost in total?"):
        r = route_calculation(question, chunks, similar=_MEANING[0])
        assert (r.operation, r.error) == ("total", None), question
        assert (r.calculation.result, r.calculation.expression) == ("£18.6 million", "£3.1 million × 6 = £18.6 million")
        assert r.evidence[0].quote == text
    # a total the passage states is not worked out again, and a rate with no length of time is not multiplied
    assert route_calculation("What was the total cost of the contract?", _one_passage(
        "x", "The total cost of the contract was £264 million."), similar=_MEANING[0]) is None
    assert route_calculation("What does the agreement cost in total?", _one_passage(
        "x", "The agreement costs £2.4 million a month."), similar=_MEANING[0]) is None
    # a total the passage states, beside a rate and a length of time, is the answer: nothing is multiplied
    assert route_calculation("What was the total cost of the contract?", _one_passage(
        "x", "The total cost of the contract was £264 million. Support costs £2 million a month for six months."),
        similar=_MEANING[0]) is None
