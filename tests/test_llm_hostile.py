"""LLM mode against a hostile server (issue 16): wrong figures, reversals, drip-feeding, huge responses and
error text. The remote LLM is the conftest's local OpenAI stub, its handler swapped per test; the rest is real."""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
from dataclasses import replace

import pytest

from assistant.answer.llm import check_answer
from assistant.answer.pipeline import Assistant
from conftest import OpenAIStub

Q = "How much funding did HM Treasury approve for the clusters?"
SECRET = "internal /srv/secret/path failure"
STOP = threading.Event()  # ends the drip-feeding handlers when a test is over


@pytest.fixture
def llm_assistant(corpus_settings, openai_stub):
    """An Assistant in LLM mode against the stub, warmed up so timings measure the LLM phase."""
    _, url = openai_stub
    STOP.clear()
    settings = replace(corpus_settings, answer_mode="llm", llm_base_url=url, llm_model="stub-model")
    yield Assistant(settings).warm_up()
    STOP.set()


def _with(assistant, **changes):
    return Assistant(assistant.settings.with_(**changes)).warm_up()


def _cite_300m(assistant) -> int:
    """The marker of the source holding the NAO's £300 million, as the stub's model would cite it."""
    chunks = assistant.searcher.search(Q, assistant.settings.top_k)
    return next(i for i, sc in enumerate(chunks, 1) if "funding envelope of £300 million" in sc.chunk.text)


def _completion(body: dict, content: str) -> bytes:
    return json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content}}],
                       "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()


def _read(handler) -> dict:
    body = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
    OpenAIStub.requests.append((handler.path, body))
    return body


def _assert_grounded_300m(answer) -> None:
    """The fallback: the grounded answer, quoting the NAO's £300 million."""
    assert answer.mode == "grounded" and answer.fallback
    assert "£300 million" in answer.text
    assert any("£300 million" in c.quote and c.doc_id == "nao-2022-government-shared-services"
               for c in answer.citations)


# --- wrong figures and reversals ---------------------------------------------------------------------------

@pytest.mark.parametrize("claim, reason", [
    ("HM Treasury approved a funding envelope of £300 billion for the clusters",
     "the figure £300 billion is not in the cited source sentence"),
    ("HM Treasury approved five billion pounds for the clusters",  # a number word takes its scale
     "the figure 5,000,000,000 is not in the cited source sentence"),
    ("HM Treasury refused to approve any funding for the clusters",
     "a sentence leaves out the figure of the source sentence it cites"),
    ("The Treasury approved £300 million for the clusters, or 30% of the bids",
     "the figure 30% is not in the cited source sentence"),
])
def test_wrong_figure_or_reversal_falls_back(llm_assistant, claim, reason):
    OpenAIStub.reply = f"{claim} [{_cite_300m(llm_assistant)}]."
    answer = llm_assistant.ask(Q)
    _assert_grounded_300m(answer)
    assert answer.fallback == f"the LLM answer failed the citation check after one repair: {reason}"
    assert claim not in answer.text
    assert len(OpenAIStub.requests) == 2  # the answer and one repair, which repeats the mistake


@pytest.mark.parametrize("claim", [
    "HM Treasury approved a funding envelope of £300 million for the clusters",
    "HM Treasury approved £0.3 billion for the three clusters up to 2024-25",  # same value, other words
    "HM Treasury approved £300m for the clusters",
])
def test_faithful_figures_pass(llm_assistant, claim):
    OpenAIStub.reply = f"{claim} [{_cite_300m(llm_assistant)}]."
    answer = llm_assistant.ask(Q)
    assert answer.mode == "llm" and answer.fallback is None
    assert answer.text == f"{claim} [1]."
    assert "£300 million" in answer.citations[0].quote


def test_check_answer_reads_figures_and_meaning(corpus_assistant):
    chunks = corpus_assistant.searcher.search(Q, 6)
    n = next(i for i, sc in enumerate(chunks, 1) if "funding envelope of £300 million" in sc.chunk.text)
    embedder = corpus_assistant.embedder

    def summaries(text):
        return [p.summary for p in check_answer(text, chunks, embedder)]

    assert summaries(f"HM Treasury approved a funding envelope of £300 million for the period up to 2024-25 [{n}].") \
        == []
    assert summaries(f"HM Treasury approved £300 billion [{n}].") == \
        ["the figure £300 billion is not in the cited source sentence"]
    assert summaries(f"The weather in London was sunny [{n}].") == ["a sentence does not say what its source says"]
    assert summaries(f"HM Treasury refused to approve any funding [{n}].") == \
        ["a sentence leaves out the figure of the source sentence it cites"]


# --- drip-feeding and huge responses -----------------------------------------------------------------------

def _drip(interval_s: float):
    def do_POST(self):  # noqa: N802
        data = _completion(_read(self), "HM Treasury approved a funding envelope of £300 million [1].")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for i in range(len(data)):
            try:
                self.wfile.write(data[i:i + 1])
            except OSError:  # the client gave up: that is the point
                return
            if STOP.wait(interval_s):
                return
    return do_POST


@pytest.mark.parametrize("interval_s", [20.0, 0.2])
def test_drip_feeding_server_is_cut_at_the_total_deadline(llm_assistant, monkeypatch, interval_s):
    # 20 s: one byte per read, each read inside a per-read timeout of 60 s. 0.2 s: reads never wait long, so
    # only a deadline over the whole response stops it.
    monkeypatch.setattr(OpenAIStub, "do_POST", _drip(interval_s))
    assistant = _with(llm_assistant, llm_total_timeout_s=2.0, llm_timeout_s=60.0)
    start = time.monotonic()
    answer = assistant.ask(Q)
    elapsed = time.monotonic() - start
    _assert_grounded_300m(answer)
    assert answer.fallback == "the language model did not finish within 2 s"
    assert elapsed < 2.0 + 3.0  # the deadline, plus retrieval and the grounded answer
    # The abandoned call stops reading too: the guard ends the body, or a read timeout no longer than the deadline.
    limit = time.monotonic() + 3.0
    while any(t.name == "llm-call" and t.is_alive() for t in threading.enumerate()) and time.monotonic() < limit:
        time.sleep(0.1)
    assert not any(t.name == "llm-call" and t.is_alive() for t in threading.enumerate())


def _huge(announce_length: bool):
    def do_POST(self):  # noqa: N802
        data = _completion(_read(self), "HM Treasury approved a funding envelope of £300 million [1]. "
                           + "Padding. " * 1_200_000)  # about 10 MB
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if announce_length:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()  # without a length, HTTP/1.0: the body ends when the connection closes
        try:
            self.wfile.write(data)
        except OSError:
            pass
    return do_POST


@pytest.mark.parametrize("announce_length", [True, False])
def test_huge_response_is_cut_off(llm_assistant, monkeypatch, announce_length):
    monkeypatch.setattr(OpenAIStub, "do_POST", _huge(announce_length))
    answer = llm_assistant.ask(Q)
    _assert_grounded_300m(answer)
    assert answer.fallback == "the language model's response was larger than 1000000 bytes"
    assert "Padding" not in answer.text


def test_compressed_response_is_refused(llm_assistant, monkeypatch):
    """A gzip body of 20 KB that unpacks to 20 MB: the cap counts bytes as they arrive, so it is refused unread."""
    def do_POST(self):  # noqa: N802
        assert self.headers["Accept-Encoding"] == "identity"
        data = gzip.compress(_completion(_read(self), "HM Treasury approved £300 million [1]. " + "x" * 20_000_000))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    monkeypatch.setattr(OpenAIStub, "do_POST", do_POST)
    answer = llm_assistant.ask(Q)
    _assert_grounded_300m(answer)
    assert answer.fallback == "the language model's server sent a compressed response, which is refused"


def test_huge_reply_from_any_model_is_refused(corpus_assistant):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.answer.llm import LLMAnswerer

    chunks = corpus_assistant.searcher.search(Q, 6)
    model = FakeListChatModel(responses=["HM Treasury approved £300 million [1]. " + "x" * 2000])
    answer = LLMAnswerer(model, corpus_assistant.grounded, max_response_bytes=1000).invoke(
        {"question": Q, "chunks": chunks})
    assert answer.mode == "grounded" and answer.fallback == "the language model's response was larger than 1000 bytes"


# --- error text ----------------------------------------------------------------------------------------

def _error(status: int):
    def do_POST(self):  # noqa: N802
        _read(self)
        data = json.dumps({"error": {"message": SECRET, "type": "server_error", "code": SECRET}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    return do_POST


@pytest.mark.parametrize("status", [500, 400, 401])
def test_server_error_text_is_logged_not_shown(llm_assistant, monkeypatch, caplog, status):
    monkeypatch.setattr(OpenAIStub, "do_POST", _error(status))
    with caplog.at_level(logging.WARNING, logger="assistant.answer.llm"):
        answer = llm_assistant.ask(Q)
    _assert_grounded_300m(answer)
    assert answer.fallback == f"the language model's server answered HTTP {status}; the details are in the log"
    assert "secret" not in json.dumps(answer.to_dict())
    assert any(SECRET in r.getMessage() for r in caplog.records)


def test_answer_text_is_not_quoted_in_the_fallback_reason(llm_assistant, caplog):
    OpenAIStub.reply = SECRET  # no citation: fails the check, twice
    with caplog.at_level(logging.INFO, logger="assistant.answer.llm"):
        answer = llm_assistant.ask(Q)
    _assert_grounded_300m(answer)
    assert answer.fallback == "the LLM answer failed the citation check after one repair: a sentence has no citation"
    assert "secret" not in json.dumps(answer.to_dict())
    assert any(SECRET in r.getMessage() for r in caplog.records)
