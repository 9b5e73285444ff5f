"""Errors in the UI, in a real headless Chromium (the server, browser and helpers of tests/test_ui_browser.py):
a Chroma server that is not there, or stops mid-session, is one line on the page, never a traceback or a path
of the server; the traceback of an error that is not the assistant's own goes to the server's log."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from benchmarks.server import ChromaServer, free_port
from test_ui_browser import ROOT, _chromium_installed, _env, _open_app, _ui_server, ask, browser  # noqa: F401

SIZE = {"width": 1280, "height": 1000}
QUESTION = "How much did the widget programme cost?"
NOTES = {"widgets.txt": "Widget note\n\nThe Widget Office reported that the widget programme cost £12 million in "
                        "2023.\n",
         "gadgets.txt": "Gadget note\n\nThe Gadget Office reported that the gadget scheme cost £4 million in 2021.\n"}

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def errors(pg) -> list[str]:
    """The text of every error on the page (st.error: role alert; st.info is a status)."""
    return [a.inner_text().strip() for a in pg.locator('[data-testid="stAlertContainer"][role="alert"]').all()]


def assert_no_traceback(pg) -> None:
    """Nothing of a traceback on the page: no exception element, no 'Traceback', no file of the server."""
    body = pg.locator("body").inner_text()
    assert pg.locator('[data-testid="stException"]').count() == 0
    for leak in ("Traceback", 'File "', str(ROOT), "site-packages", sys.prefix):
        assert leak not in body, (leak, body)
    assert not re.search(r"\w\.py\b", body), body


def test_an_unreachable_chroma_server_is_one_line_and_no_traceback(browser, tmp_path):  # noqa: F811
    """AUDIT_ASSISTANT_CHROMA_URL names a port where nothing listens: the page is drawn, loading the store says
    so in one line, and a question is answered with the same line."""
    url = f"http://127.0.0.1:{free_port()}"
    with _ui_server(tmp_path / "store", tmp_path, {"AUDIT_ASSISTANT_CHROMA_URL": url}, "streamlit-chroma-down.log") \
            as app:
        context, pg = _open_app(browser, app, SIZE)
        try:
            unreachable = f"cannot reach the Chroma server at {url} ("
            pg.locator('[data-testid="stAlert"]').filter(has_text=unreachable).first.wait_for()
            answer = ask(pg, QUESTION)
            in_chat = answer.locator('[data-testid="stAlert"]').inner_text().strip()
            assert in_chat.startswith(unreachable) and in_chat.endswith("or fix --chroma-url")
            assert "\n" not in in_chat and "chroma run --path DIR" in in_chat
            shown = errors(pg)
            assert len(shown) == 2 and all(a == in_chat for a in shown), shown  # the page's own error, the same
            assert_no_traceback(pg)
        finally:
            context.close()


@pytest.mark.server
def test_a_chroma_server_that_stops_mid_session_is_one_line_with_the_traceback_logged(browser, tmp_path):  # noqa: F811
    """The store is served by a real Chroma server, which stops after the page is drawn: the question fails in
    one line naming the server (the error is Chroma's client's, not the assistant's own), and its traceback is
    in the server's log, not on the page."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in NOTES.items():
        (docs / name).write_text(text, encoding="utf-8")
    store = tmp_path / "store"
    chroma = ChromaServer(tmp_path / "chroma").start()
    try:
        subprocess.run([sys.executable, "-m", "assistant.cli.main", "ingest", str(docs), "--store", str(store),
                        "--chroma-url", chroma.url, "--no-progress"], cwd=ROOT, env=_env(store), check=True,
                       capture_output=True, timeout=300)
        # the library searched by the server's index (an exact search bound of 0), so the question asked after
        # the server stops needs it: below the bound, vectors kept in memory answer without it (tests/test_server.py)
        with _ui_server(store, tmp_path, {"AUDIT_ASSISTANT_CHROMA_URL": chroma.url,
                                          "AUDIT_ASSISTANT_EXACT_SEARCH_MAX_CHUNKS": "0"},
                        "streamlit-chroma-stopped.log") as app:
            context, pg = _open_app(browser, app, SIZE)
            try:
                assert "£12 million" in ask(pg, QUESTION).inner_text()  # served while the server is up
                assert errors(pg) == []
                chroma.stop()
                answer = ask(pg, QUESTION)
                line = answer.locator('[data-testid="stAlert"]').inner_text().strip()
                found = re.fullmatch(rf"The Chroma server at {re.escape(chroma.url)} did not answer \((\w+)\): "
                                     r"check that it is running\. The details are in the server's log\.", line)
                assert found, line
                assert_no_traceback(pg)
                log = (tmp_path / "streamlit.log").read_text()
                assert "the page failed: " + found[1] in log and "Traceback (most recent call last)" in log
            finally:
                context.close()
    finally:
        chroma.stop()
