"""Routing calculation questions to calculators over the corpus: the done-when examples and the refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.routing import Evidence, RoutedCalculation, route_calculation
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


def route(question: str) -> RoutedCalculation | None:
    routed = route_calculation(question, CHUNKS)
    if routed is not None:
        for e in routed.evidence:  # every quote is verbatim from its chunk
            assert isinstance(e, Evidence) and e.quote in e.chunk.text
    return routed


# --- the done-when examples ---------------------------------------------------------------------

def test_shortfall_between_what_clusters_asked_for_and_what_treasury_approved():
    r = route("What is the shortfall between what the clusters asked for and what the Treasury approved?")
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
])
def test_calculation_words_without_a_calculation_are_not_routed(question):
    assert route(question) is None


# --- refusals that say what is missing -----------------------------------------------------------

def test_a_side_the_passages_do_not_cover_is_named_instead_of_computing_something_else():
    r = route("What is the shortfall between what the clusters asked for and what the Department for Education "
              "approved?")
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
    r = route_calculation("What is the shortfall between what the clusters asked for and what the Treasury "
                          "approved?", windows)
    assert r.calculation.result == "£82 million to £103 million"
    assert all(e.quote in e.chunk.text for e in r.evidence)


def test_routed_to_dict_is_json_ready():
    d = route("By how many years was the cloud deadline pushed back?").to_dict()
    assert d["operation"] == "years_between" and d["error"] is None
    assert d["calculation"]["result"] == "3 years"
    assert [e["doc_id"] for e in d["evidence"]] == [DOC_2022, DOC_2022]
    assert set(d["evidence"][0]) == {"chunk_id", "doc_id", "page", "quote", "label"}
