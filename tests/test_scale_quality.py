"""Answers that must not change when a library grows: the starting corpus mixed with synthetic reports written
to be distractors ("HM Treasury approved funding of £999 million for the Coastal Tax Collection Project",
other reports published in 2014 and 2022). Each case below was answered wrongly at scale before the
answerer weighed question words within the reports retrieved, resolved "the 2014 report" among several
and kept a calculation's operands in one report. The benchmark measures the same at 100k chunks."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.config import Settings

SYNTHETIC_DOCS = 40
REAL = ("nao-2014-next-generation-shared-services", "nao-2022-government-shared-services")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, corpus_copy, embedder):
    """An Assistant over the corpus plus 40 synthetic reports (about 560 chunks)."""
    from assistant.answer.pipeline import Assistant
    from benchmarks.synth import generate
    from ingest.pipeline import Ingestor

    root = tmp_path_factory.mktemp("mixed")
    generate(root / "synth", SYNTHETIC_DOCS, seed=0)
    settings = Settings(store_dir=root / "store")
    report = Ingestor(settings, embedder=embedder).ingest([corpus_copy, root / "synth"], progress=False)
    assert not report.failed, report.failed
    assistant = Assistant(settings)
    years = Counter(str(d.get("year")) for d in assistant.documents())
    # what makes the cases hard: the real reports' years are shared with synthetic ones
    assert years["2014"] >= 3 and years["2022"] >= 3, years
    return assistant


def _cited(answer) -> set[str]:
    return {c.doc_id for c in answer.citations}


def test_overall_view_is_taken_from_the_report_not_skewed_by_the_library(mixed):
    a = mixed.ask("What was the NAO's overall view of progress on the Next Generation Shared Services programme?")
    assert "broadly on track" in a.text
    assert _cited(a) == {REAL[0]}


def test_calculation_operands_come_from_one_report(mixed):
    a = mixed.ask("By how much did the value of the rejected Spending Review bids exceed the funding HM Treasury "
                  "approved?")
    assert "£459 million" in a.text and a.calculations
    assert _cited(a) == {REAL[1]}


def test_a_false_premise_figure_does_not_pull_in_another_reports_figure(mixed):
    a = mixed.ask("Why did the Treasury approve £1 billion for the shared services clusters?")
    # the eval set accepts a decline here (the premise is false); quoting another programme's £1.3 billion is
    # what went wrong at scale
    assert a.declined or ("£300 million" in a.text and _cited(a) <= set(REAL)), a.text
    assert "billion" not in " ".join(c.quote for c in a.citations)


def test_a_year_names_a_report_only_when_the_question_calls_it_one(mixed):
    from assistant.query.reports import _report_years

    assert _report_years("the 2014 and the 2022 reports; the 2018 NAO report; a report from 2012") == \
        {"2014", "2022", "2018", "2012"}
    assert _report_years("What did the Cabinet Office publish in December 2012?") == set()
    a = mixed.ask("What did the Cabinet Office publish in December 2012?")  # an event's year, not a report's
    assert "Next Generation Shared Services strategy" in a.text and _cited(a) == {REAL[0]}
