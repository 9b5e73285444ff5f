"""Shared fixtures: real Chroma in tmp dirs, the real packaged MiniLM model, real PDFs made here."""

from __future__ import annotations

import json
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    """No test touches the user's .audit-assistant/: the default store lives in tmp_path."""
    for key in list(os.environ):
        if key.startswith("AUDIT_ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AUDIT_ASSISTANT_STORE", str(tmp_path / "store"))
    yield


@pytest.fixture(scope="session")
def embedder():
    """The real packaged all-MiniLM-L6-v2 model, loaded once per test session."""
    from assistant.config import Settings
    from assistant.store.embeddings import make_embedder

    return make_embedder(Settings())


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory) -> Path:
    """A copy of corpus/ that tests may read (never the working tree's own files)."""
    dest = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory, corpus_copy, embedder):
    """Settings whose (embedded) store holds the starting corpus, ingested once per session."""
    from assistant.config import Settings
    from ingest.pipeline import ingest_paths

    settings = Settings(store_dir=tmp_path_factory.mktemp("corpus-store"), corpus_dir=corpus_copy)
    report = ingest_paths(settings, [corpus_copy], progress=False)
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="session")
def library_assistant(tmp_path_factory, corpus_copy, embedder):
    """An Assistant over the evaluation library: corpus/ plus the blind-written documents of evals/library/."""
    from assistant.config import Settings
    from assistant.answer.pipeline import Assistant
    from ingest.pipeline import ingest_paths

    settings = Settings(store_dir=tmp_path_factory.mktemp("library-store"), corpus_dir=corpus_copy)
    library = ROOT / "evals" / "library"
    report = ingest_paths(settings, [corpus_copy, *sorted(p for p in library.iterdir() if p.is_dir())],
                          progress=False)
    assert not report.failed, report.failed
    return Assistant(settings).warm_up()


@pytest.fixture(scope="session")
def corpus_assistant(corpus_settings):
    """An Assistant over the ingested corpus, shared by the session's tests."""
    from assistant.answer.pipeline import Assistant

    return Assistant(corpus_settings).warm_up()


def make_pdf(path: Path, pages: list[str], header: str | None = None, footer: str | None = None,
             title: str | None = None, encrypt: str | None = None) -> Path:
    """Write a real PDF with one text page per item, optional running header and numbered footer."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    if title:
        pdf.set_title(title)
    for i, text in enumerate(pages, 1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        if header:
            pdf.set_xy(10, 8)
            pdf.cell(0, 6, header)
        pdf.set_xy(10, 25)
        pdf.multi_cell(0, 6, text)
        if footer:
            pdf.set_xy(10, 280)
            pdf.cell(0, 6, f"{footer} {i}")
    if encrypt:
        pdf.set_encryption(owner_password=encrypt, user_password=encrypt)
    pdf.output(str(path))
    return path


@pytest.fixture
def pdf_factory(tmp_path):
    """Make real PDFs in tmp_path: pdf_factory("name.pdf", ["page 1 text", ...], header=..., footer=...)."""
    def factory(name: str, pages: list[str], **kw) -> Path:
        return make_pdf(tmp_path / name, pages, **kw)

    return factory


class OpenAIStub(BaseHTTPRequestHandler):
    """Answers POST /v1/chat/completions like an OpenAI-compatible server, with a scripted reply."""

    reply = ""
    requests: list = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append((self.path, body))
        payload = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                   "choices": [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "content": type(self).reply}}],
                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def openai_stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), OpenAIStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    OpenAIStub.requests = []
    yield server, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


UI_APP = str(ROOT / "ui" / "app.py")
UI_TIMEOUT = 180  # seconds for an AppTest run: the first run in a process loads the embedding model


@pytest.fixture
def app(corpus_settings, monkeypatch):
    """An AppTest of ui/app.py over the ingested corpus (the first run in a process loads the model)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AUDIT_ASSISTANT_STORE", str(corpus_settings.store_dir))
    at = AppTest.from_file(UI_APP, default_timeout=UI_TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def ask(at, question: str):
    """Ask a question in the chat UI (an AppTest) and return the Answer it shows."""
    at.chat_input(key="question").set_value(question).run()
    assert not at.exception, at.exception
    return at.session_state["messages"][-1]["answer"]


def html_of(at) -> str:
    """The HTML the UI's main area renders (source cards, tables), as one string."""
    return "\n".join(h.value for h in at.main.html)
