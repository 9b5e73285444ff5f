"""The chat UI's logic through Streamlit's AppTest: answers with citations, history, filters, uploads."""

from __future__ import annotations

import pytest

from assistant.store.catalog import Catalog
from conftest import UI_APP, UI_TIMEOUT, ask, html_of

TREASURY = "How much funding did HM Treasury approve for the clusters?"

pytestmark = pytest.mark.slow


@pytest.fixture
def asks(monkeypatch):
    """Every call the app makes to Assistant.ask, with its arguments (the real ask still runs)."""
    from assistant.answer.pipeline import Assistant

    calls: list[dict] = []
    real = Assistant.ask

    def spy(self, question, history=None, filters=None, k=None):
        calls.append({"question": question, "history": history, "filters": filters})
        return real(self, question, history=history, filters=filters, k=k)

    monkeypatch.setattr(Assistant, "ask", spy)
    return calls


def test_treasury_question_is_answered_with_a_cited_source_card(app):
    answer = ask(app, TREASURY)
    assert not answer.declined
    assert "£300 million" in answer.text
    assert [c.doc_id for c in answer.citations][0] == "nao-2022-government-shared-services"
    page = html_of(app)
    assert "£300 million" in page and '<div class="aa-answer">' in page
    labels = [e.label for e in app.main.expander]
    assert labels[0] == "Source 1: Government Shared Services, page 1"  # md_escape leaves plain words alone
    assert "<dd>nao-2022-government-shared-services</dd>" in page
    assert "<mark>" in page and "£300 million" in page.split("<mark>", 1)[1].split("</mark>")[0]
    assert 'href="https://www.nao.org.uk/press-releases/government-shared-services/"' in page
    assert [m.value for m in app.main.chat_message[0].markdown] == [r"How much funding did HM Treasury approve "
                                                                   r"for the clusters?"]
    assert app.sidebar.download_button(key="export").disabled is False


def test_follow_up_passes_the_history_to_ask(app, asks):
    first = ask(app, TREASURY)
    ask(app, "And what did the clusters forecast they needed?")
    assert asks[0]["history"] == []
    assert asks[1]["history"] == [{"role": "user", "content": TREASURY},
                                  {"role": "assistant", "content": first.text}]
    assert len(app.main.chat_message) == 4


def test_declined_answer_says_so_and_shows_nearest_passages(app):
    answer = ask(app, "What is the population of Mars?")
    assert answer.declined
    assert "<strong>Not answered from the corpus:</strong>" in html_of(app)
    labels = [e.label for e in app.main.expander]
    assert labels and all(label.startswith(r"Nearest passage ") for label in labels)
    assert len(labels) == len(answer.nearest)


def test_a_calculation_refusal_is_shown_as_a_decline_with_the_nearest_passages(app):
    answer = ask(app, "What is the ratio of the number of dragons to the number of clusters?")
    assert answer.declined and answer.citations == ()
    page = html_of(app)
    assert "<strong>Not answered from the corpus:</strong> I could not find a figure for" in page
    assert '<div class="aa-answer">' not in page
    labels = [e.label for e in app.main.expander]
    assert len(labels) == len(answer.nearest) == 3 and all(label.startswith("Nearest passage ") for label in labels)


def test_sidebar_lists_the_corpus_and_filters_reach_ask(app, asks):
    sidebar = "\n".join(h.value for h in app.sidebar.html)
    assert "2 documents, " in sidebar
    assert "Government Shared Services" in sidebar and "National Audit Office · 2022-11-30 ·" in sidebar
    app.sidebar.multiselect(key="f_docs").select("nao-2014-next-generation-shared-services")
    app.sidebar.selectbox(key="f_publisher").select("National Audit Office")
    app.sidebar.slider(key="f_years").set_range(2014, 2015)
    app.run()
    answer = ask(app, TREASURY)
    assert asks[-1]["filters"] == {"doc_ids": ["nao-2014-next-generation-shared-services"],
                                   "publisher": "National Audit Office", "year_from": 2014, "year_to": 2015,
                                   "strategy": None}
    assert all(c.doc_id == "nao-2014-next-generation-shared-services" for c in answer.citations + answer.nearest)
    assert "Answers use only the filtered documents: documents chosen, publisher, published from, published to." \
        in html_of(app)


def page_text(at) -> str:
    """Everything the app wrote on the page, in the sidebar and the main area."""
    parts = []
    for area in (at.sidebar, at.main):
        for kind in ("html", "markdown", "caption", "info", "warning", "error", "text"):
            parts += [str(e.value) for e in getattr(area, kind)]
        parts += [str(e.label) for e in area.radio]
    return "\n".join(parts)


def test_llm_mode_is_offered_only_when_configured_and_officials_see_no_settings(app):
    assert not app.sidebar.radio  # no model configured: grounded only, said in one plain sentence
    sidebar = "\n".join(h.value for h in app.sidebar.html)
    assert "Answers quote the reports word for word; no language model writes them." in sidebar
    page = page_text(app)
    assert "AUDIT_ASSISTANT" not in page and "environment" not in page.lower()  # configuration is the README's


def test_llm_mode_falls_back_visibly_and_grounded_can_be_chosen(corpus_settings, monkeypatch):
    """LLM mode configured but the model unreachable: the grounded answer is shown, and says why."""
    from streamlit.testing.v1 import AppTest

    for name, value in {"STORE": corpus_settings.store_dir, "MODE": "llm", "LLM_BASE_URL": "http://127.0.0.1:9/v1",
                        "LLM_TIMEOUT_S": "2"}.items():
        monkeypatch.setenv(f"AUDIT_ASSISTANT_{name}", str(value))
    at = AppTest.from_file(UI_APP, default_timeout=UI_TIMEOUT).run()
    mode = at.sidebar.radio(key="mode")
    assert mode.value == "llm"
    assert mode.options == ["Grounded: quotes from the sources only",
                            "LLM: written by a model, checked against the sources"]
    answer = ask(at, TREASURY)
    assert answer.fallback.startswith("the language model failed") and "£300 million" in answer.text
    assert "The language model&#x27;s answer was not used (the language model failed" in html_of(at)
    at.sidebar.radio(key="mode").set_value("grounded").run()
    answer = ask(at, TREASURY)
    assert answer.mode == "grounded" and answer.fallback is None


@pytest.mark.parametrize("name, content, reason", [
    ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage with no xref\n", "the PDF is corrupt"),
    ("renamed.pdf", b"<!DOCTYPE html><html><body><p>Not a PDF at all.</p></body></html>",
     "the file is named .pdf but its content is HTML"),
    ("../../etc/x.pdf", b"not a pdf", "the file is named .pdf but its content is not a PDF"),
])
def test_bad_upload_shows_an_error_and_leaves_the_corpus_intact(app, corpus_settings, name, content, reason):
    catalog = Catalog(corpus_settings.sqlite_path)
    before = catalog.documents()
    app.sidebar.file_uploader(key="uploader").upload(name, content, "application/pdf")
    app.run()
    assert not app.exception, app.exception
    errors = [e.value for e in app.sidebar.error]
    assert len(errors) == 1 and errors[0].startswith("Not added: ") and reason in errors[0].replace("\\", ""), errors
    assert catalog.documents() == before
    uploads = corpus_settings.uploads_dir
    assert not uploads.exists() or not any(uploads.iterdir())  # the bad file was removed again
    assert not (corpus_settings.store_dir.parent / "etc").exists()
    assert not (corpus_settings.store_dir.parent.parent / "etc").exists()


def test_good_upload_is_ingested_inside_the_store_folder(tmp_path, monkeypatch):
    """A fresh, empty store: the upload (named with ../) lands in uploads/ and joins the corpus."""
    from streamlit.testing.v1 import AppTest

    store = tmp_path / "fresh-store"
    monkeypatch.setenv("AUDIT_ASSISTANT_STORE", str(store))
    at = AppTest.from_file(UI_APP, default_timeout=UI_TIMEOUT).run()
    assert [i.value for i in at.main.info][0].startswith("The corpus is empty.")
    text = ("Widget audit\n\nThe Widget Office reported that the widget programme cost £12 million in 2023, "
            "against a budget of £10 million.\n")
    at.sidebar.file_uploader(key="uploader").upload("../../widget-audit.txt", text.encode(), "text/plain")
    at.run()
    assert not at.exception, at.exception
    assert [s.value for s in at.sidebar.success] == ["../../widget-audit.txt: added (1 pages, 1 chunks)"]
    assert (store / "uploads" / "widget-audit.txt").read_text() == text
    assert not (tmp_path / "widget-audit.txt").exists()
    assert [d["doc_id"] for d in Catalog(store / "catalog.sqlite3").documents()] == ["widget-audit"]
    assert "1 document, 1 chunks" in "\n".join(h.value for h in at.sidebar.html)
    at.run()  # a rerun does not ingest the same upload again
    assert [s.value for s in at.sidebar.success][0].endswith("added (1 pages, 1 chunks)")
    answer = ask(at, "How much did the widget programme cost?")
    assert "£12 million" in answer.text and answer.citations[0].doc_id == "widget-audit"
