"""The optional LLM answerer: LangChain's fake chat model, and the real OpenAI client against a local
HTTP stub that speaks the chat-completions protocol."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer.llm import LLMAnswerer, check_answer
from assistant.answer.pipeline import Assistant
from assistant.query.analysis import analyse
from conftest import OpenAIStub

Q = "How much funding did HM Treasury approve for the clusters?"


def _chunks(assistant, question=Q):
    return assistant.searcher.search(question, 4)


def _source_with(chunks, text):
    return next(i for i, sc in enumerate(chunks, 1) if text in sc.chunk.text)


def test_good_llm_answer_passes_with_verbatim_quotes(corpus_assistant):
    chunks = _chunks(corpus_assistant)
    n = _source_with(chunks, "£300 million")
    model = FakeListChatModel(responses=[f"HM Treasury approved £300 million for the clusters [{n}]."])
    answer = LLMAnswerer(model, corpus_assistant.grounded).invoke({"question": Q, "chunks": chunks})
    assert answer.mode == "llm" and answer.fallback is None and not answer.declined
    assert answer.text == "HM Treasury approved £300 million for the clusters [1]."
    c = answer.citations[0]
    assert "£300 million" in c.quote and c.quote in chunks[n - 1].chunk.text
    assert c.doc_id == "nao-2022-government-shared-services"


def test_bad_answer_is_repaired_once(corpus_assistant):
    chunks = _chunks(corpus_assistant)
    n = _source_with(chunks, "£300 million")
    model = FakeListChatModel(responses=["The Treasury approved £300 million.",  # no citation
                                         f"The Treasury approved £300 million [{n}]."])
    answer = LLMAnswerer(model, corpus_assistant.grounded).invoke({"question": Q, "chunks": chunks})
    assert answer.mode == "llm" and answer.fallback is None


def test_unsupported_number_falls_back_to_grounded(corpus_assistant):
    chunks = _chunks(corpus_assistant)
    model = FakeListChatModel(responses=["The Treasury approved £2.5 billion [1].", "It was £2.5 billion [1]."])
    answer = LLMAnswerer(model, corpus_assistant.grounded).invoke({"question": Q, "chunks": chunks,
                                                                  "analysis": analyse(Q)})
    assert answer.mode == "grounded" and "2.5" in answer.fallback and "not in the cited" in answer.fallback
    assert any("£300 million" in c.quote for c in answer.citations)
    assert "2.5 billion" not in answer.text


def test_a_report_the_library_does_not_hold_is_declined_by_the_grounded_answerer(corpus_assistant):
    """The pipeline found that the question names a report the library lacks: the model is not asked (it would
    answer from the sources it was given, which are another report's)."""
    question = "What did the 2019 PAC report say about the clusters' funding?"
    chunks = _chunks(corpus_assistant, question)
    model = FakeListChatModel(responses=["HM Treasury approved £300 million [1]."])
    answer = LLMAnswerer(model, corpus_assistant.grounded).invoke(
        {"question": question, "chunks": chunks, "analysis": analyse(question), "unheld": ("2019 PAC report",)})
    assert answer.declined and answer.mode == "grounded" and "does not hold" in answer.fallback
    assert "holds no 2019 PAC report" in answer.text and "£300 million" not in answer.text


def test_check_answer_rules(corpus_assistant):
    chunks = _chunks(corpus_assistant)
    embedder = corpus_assistant.embedder
    assert check_answer("No marker here.", chunks, embedder)[0].detail.startswith("sentence without a citation")
    assert "refers to no source" in check_answer("Claim [9].", chunks, embedder)[0].detail
    assert check_answer("NOT IN SOURCES", chunks, embedder) == []


def test_llm_mode_through_real_openai_client(corpus_settings, openai_stub):
    server, url = openai_stub
    settings = replace(corpus_settings, answer_mode="llm", llm_base_url=url, llm_model="stub-model")
    assistant = Assistant(settings)
    chunks = assistant.searcher.search(Q, 6)
    n = _source_with(chunks, "£300 million")
    OpenAIStub.reply = f"HM Treasury approved a funding envelope of £300 million [{n}]."
    answer = assistant.ask(Q)
    assert answer.mode == "llm" and answer.fallback is None
    assert answer.to_dict()["citations"][0]["doc_id"] == "nao-2022-government-shared-services"
    path, body = OpenAIStub.requests[0]
    assert path == "/v1/chat/completions" and body["model"] == "stub-model"
    assert "[1]" in body["messages"][1]["content"] and "Sources" in body["messages"][1]["content"]


def test_the_settings_decide_how_many_sources_the_model_is_given(corpus_settings, openai_stub):
    """The prompt numbers the first `llm_max_sources` of the passages retrieved (ten here), no more."""
    server, url = openai_stub
    OpenAIStub.reply = "NOT IN SOURCES"
    for limit in (6, 2):
        settings = replace(corpus_settings, answer_mode="llm", llm_base_url=url, llm_model="stub-model",
                           llm_max_sources=limit)
        Assistant(settings).ask(Q)
        prompt = OpenAIStub.requests[-1][1]["messages"][1]["content"]
        assert [int(n) for n in re.findall(r"^\[(\d+)\] ", prompt, re.M)] == list(range(1, limit + 1))


def test_injected_figure_from_llm_is_rejected(corpus_settings, openai_stub):
    server, url = openai_stub
    settings = replace(corpus_settings, answer_mode="llm", llm_base_url=url, llm_model="stub-model")
    OpenAIStub.reply = "The approved funding was £2.5 billion [1]."
    answer = Assistant(settings).ask(Q)
    d = answer.to_dict()
    assert d["mode"] == "grounded" and "fallback" in d and "2.5" in d["fallback"]
    assert "2.5 billion" not in d["answer"] and any("£300 million" in c["quote"] for c in d["citations"])
    assert len(OpenAIStub.requests) == 2  # the answer and one repair


def test_unreachable_server_falls_back(corpus_settings):
    settings = replace(corpus_settings, answer_mode="llm", llm_base_url="http://127.0.0.1:9/v1", llm_timeout_s=2)
    answer = Assistant(settings).ask(Q)
    assert answer.mode == "grounded" and "language model failed" in answer.fallback
    assert any("£300 million" in c.quote for c in answer.citations)
