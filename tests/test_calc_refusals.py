"""A calculation the corpus cannot support is a decline like any other (issue 17): `declined` is true, the text
is the reason (which figure is missing), and the nearest passages come with it; the CLI, the evals and the
UI all read it as a decline."""

from __future__ import annotations

import json

import pytest

from assistant.cli.main import main
from evals.dataset import Case
from evals.metrics import score_case, summarise

RATIO_Q = "What is the ratio of the number of dragons to the number of clusters?"
RATIO_REASON = ("I could not find a figure for “the number of dragons” in the passages I retrieved, so I cannot "
                "work out the ratio.")
SHARE_Q = "What percentage of the £300 million was spent on consultants?"
SHARE_REASON = ("I could not find a figure for “spent on consultants” in the passages I retrieved, so I cannot "
                "work out the share.")

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("question, reason", [(RATIO_Q, RATIO_REASON), (SHARE_Q, SHARE_REASON)])
def test_a_calculation_refusal_is_a_decline_with_its_reason_and_the_nearest_passages(corpus_assistant, question,
                                                                                    reason):
    answer = corpus_assistant.ask(question)
    assert answer.declined is True
    assert answer.text == reason
    assert answer.citations == () and answer.calculations == ()  # nothing is cited as if it answered
    assert len(answer.nearest) == 3
    for c in answer.nearest:  # real passages of the corpus, quoted verbatim
        assert c.doc_id in {"nao-2014-next-generation-shared-services", "nao-2022-government-shared-services"}
        assert c.quote and c.quote in corpus_assistant.chunk_text(c.chunk_id)


def test_the_cli_json_of_a_refusal_says_declined(capsys, corpus_settings):
    code = main(["ask", RATIO_Q, "--json", "--store", str(corpus_settings.store_dir)])
    d = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (d["declined"], d["answer"], d["citations"], d["calculations"]) == (True, RATIO_REASON, [], [])
    assert len(d["nearest"]) == 3


def test_the_evals_count_a_refusal_as_a_decline(corpus_assistant):
    case = Case.model_validate({"id": "calc-un", "question": RATIO_Q, "answerable": False,
                                "tags": ["calculation", "unanswerable"]})
    score = score_case(case, corpus_assistant.ask(RATIO_Q).to_dict())
    assert score.declined is True and score.decline_expected is True and score.correct is True
    overall = summarise([(case, score, 10.0)])
    assert (overall["decline_precision"], overall["decline_recall"]) == (1.0, 1.0)
