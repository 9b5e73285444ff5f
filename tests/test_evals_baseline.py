"""The LangChain-defaults baseline: built from the same corpus and model, scored by the same metrics."""

from __future__ import annotations

import pytest

from evals.baseline import BaselinePipeline
from evals.dataset import Case
from evals.metrics import score_case

D14 = "nao-2014-next-generation-shared-services"
D22 = "nao-2022-government-shared-services"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def baseline(corpus_copy, embedder):
    from assistant.config import Settings

    pipeline = BaselinePipeline(Settings(), [corpus_copy])
    yield pipeline
    pipeline.close()


def test_baseline_answers_with_the_whole_top_chunk(baseline):
    answer = baseline.ask("How many customers do the two shared service centres provide services to?")
    [cite] = answer.citations
    assert cite.doc_id == D14 and not answer.declined
    assert answer.text == cite.quote + " [1]"
    assert "140,000 customers" in cite.quote
    assert baseline.chunk_text(cite.chunk_id) == cite.quote
    assert len(cite.quote) <= 1000


def test_baseline_is_scored_like_ours(baseline):
    case = Case.model_validate({"id": "b", "question": "How much did HM Treasury approve for the clusters?",
                                "facts": [{"number": "300 million", "unit": "GBP"}], "sources": [D22]})
    answer = baseline.ask(case.question).to_dict()
    score = score_case(case, answer, baseline)
    assert (score.correct, score.citation_recall, score.quotes_faithful, score.evidence_supported) == (
        True, 1.0, True, True)


def test_baseline_never_declines(baseline):
    assert not baseline.ask("What is the capital of France?").declined


def test_baseline_indexes_cleaned_text_with_our_model(baseline, embedder):
    assert "Latest press releases" not in baseline.document_text(D22)
    assert baseline.store._collection.count() == baseline.chunk_count > 2
    got = baseline.store._collection.get(limit=1, include=["embeddings", "documents"])
    ours = embedder.embed_documents(got["documents"])[0]
    # The stored vector is our model's (Chroma's default embedder would also give 384 numbers, but others).
    assert sum(a * b for a, b in zip(ours, got["embeddings"][0])) == pytest.approx(1.0, abs=1e-4)
