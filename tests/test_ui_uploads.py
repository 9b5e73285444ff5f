"""Uploads through the UI (Streamlit AppTest): marked as uploads wherever cited, never passing for a library
report by title, private to the session that made them unless uploads are shared, and released from memory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.store.catalog import Catalog
from conftest import UI_APP, UI_TIMEOUT, ask
from ingest.uploads import UPLOADED

GENUINE = "Government Shared Services"  # the NAO report's title in corpus/
SPOOF = (f"{GENUINE}\n\nThe Widget Office reported that the widget programme cost £12 million in 2023, against a "
         "budget of £10 million.\n").encode()
QUESTION = "How much did the widget programme cost?"

pytestmark = pytest.mark.slow


@pytest.fixture
def store(corpus_settings, tmp_path, monkeypatch) -> Path:
    """A copy of the ingested corpus's store that these tests may write uploads into."""
    dest = tmp_path / "store"
    shutil.copytree(corpus_settings.store_dir, dest)
    monkeypatch.setenv("AUDIT_ASSISTANT_STORE", str(dest))
    return dest


def session():
    """A new browser session of the app (sessions in one process share the Assistant, as on a server)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(UI_APP, default_timeout=UI_TIMEOUT).run()
    assert not at.exception, at.exception
    return at


def upload(at, name: str, content: bytes) -> None:
    uploader = [u for u in at.sidebar.get("file_uploader")][0]
    uploader.upload(name, content, "text/plain")
    at.run()
    assert not at.exception, at.exception


def sidebar_text(at) -> str:
    return "\n".join(h.value for h in at.sidebar.html)


def cited(answer) -> set[str]:
    return {c.doc_id for c in answer.citations + answer.nearest}


def test_a_spoofing_upload_is_renamed_marked_and_cited_only_in_its_own_session(store):
    a, b = session(), session()
    upload(a, "gss.txt", SPOOF)
    warnings = [w.value.replace("\\", "") for w in a.sidebar.warning]
    assert warnings == [f"gss.txt: added (1 pages, 1 chunks); another document is titled “{GENUINE}”, so this one "
                        f"is stored as “{GENUINE} (uploaded: gss.txt)”"]
    row = Catalog(store / "catalog.sqlite3").document("gss")
    assert row["title"] == f"{GENUINE} (uploaded: gss.txt)" and row["kind"] == "upload"
    assert row["publisher"] == UPLOADED
    assert row["extra"] == {"uploaded": True, "session": a.session_state["session_token"]}

    answer = ask(a, QUESTION)
    assert "£12 million" in answer.text and answer.citations[0].doc_id == "gss"
    label = [e.label for e in a.main.expander][0]
    assert label == "Source 1: Government Shared Services (uploaded: gss.txt), page 1 (uploaded by a user)"
    page = "\n".join(h.value for h in a.main.html)
    assert f'<p class="aa-upload" role="note"><strong>{UPLOADED}.</strong>' in page
    from ui.render import conversation_markdown

    export = conversation_markdown(a.session_state["messages"])
    line = next(x for x in export.splitlines() if x.startswith("- [1] "))
    assert line.startswith(f"- [1] {GENUINE} (uploaded: gss.txt), page 1") and line.endswith(f"(gss) — **{UPLOADED}**")

    # Another session: the upload is not listed, offered as a filter, or cited.
    assert "gss.txt" not in sidebar_text(b) and "2 documents, " in sidebar_text(b)
    assert "gss" not in b.sidebar.multiselect(key="f_docs").options
    answer = ask(b, QUESTION)
    assert "gss" not in cited(answer) and "£12 million" not in answer.text
    answer = ask(b, "How much funding did HM Treasury approve for the clusters?")
    assert "gss" not in cited(answer) and answer.citations[0].doc_id == "nao-2022-government-shared-services"
    assert answer.citations[0].title == GENUINE and answer.citations[0].publisher != UPLOADED

    # The Compare tab: not a column, and not in the timeline (which reads the whole catalog).
    for at in (a, b):
        at.button(key="cmp_run").click().run()
        assert not at.exception, at.exception
    assert not any(o.endswith("(gss)") for o in b.multiselect(key="cmp_columns").options)
    assert any(o.endswith("(uploaded: gss.txt) (gss)") for o in a.multiselect(key="cmp_columns").options)
    events_of = {name: [e.citation.doc_id for events in at.session_state["timelines"].values() for e in events]
                 for name, at in (("a", a), ("b", b))}
    assert "gss" in events_of["a"] and events_of["b"] and "gss" not in events_of["b"]


def test_shared_uploads_are_cited_in_every_session_still_marked(store, monkeypatch):
    a = session()
    upload(a, "gss.txt", SPOOF)
    monkeypatch.setenv("AUDIT_ASSISTANT_SHARED_UPLOADS", "true")
    b = session()
    assert "Files you add are shared" in sidebar_text(b) and "3 documents, " in sidebar_text(b)
    answer = ask(b, QUESTION)
    assert answer.citations[0].doc_id == "gss" and "£12 million" in answer.text
    assert [e.label for e in b.main.expander][0].endswith("(uploaded by a user)")


def test_another_session_cannot_replace_an_upload_of_the_same_name(store):
    a, b = session(), session()
    upload(a, "notes.txt", "Widget notes\n\nThe widget programme cost £12 million.\n".encode())
    upload(b, "notes.txt", b"Widget notes\n\nThe widget programme cost nothing at all.\n")
    errors = [e.value.replace("\\", "") for e in b.sidebar.error]
    assert errors == ["Not added: notes.txt: another session uploaded a file of this name; rename the file and "
                      "upload it again"]
    assert (store / "uploads" / "notes.txt").read_text().endswith("£12 million.\n")
    assert Catalog(store / "catalog.sqlite3").document("notes")["extra"]["session"] == \
        a.session_state["session_token"]


def test_uploads_are_released_after_processing_and_a_round_is_bounded(store, monkeypatch):
    """Every file of a round, added or refused, is removed from Streamlit's upload store and the uploader is
    replaced by an empty one; files past max_upload_total_mb are refused unread."""
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    removed: list[str] = []
    real = MemoryUploadedFileManager.remove_file

    def spy(self, session_id, file_id):
        removed.append(file_id)
        return real(self, session_id, file_id)

    monkeypatch.setattr(MemoryUploadedFileManager, "remove_file", spy)
    monkeypatch.setenv("AUDIT_ASSISTANT_MAX_UPLOAD_TOTAL_MB", "0.0001")  # 100 bytes
    at = session()
    uploader = at.sidebar.file_uploader(key="uploader")
    uploader.upload("small.txt", b"Small note\n\nThe small programme cost \xc2\xa31 million.\n", "text/plain")
    uploader.upload("second.txt", b"Second note\n\nThe second programme cost \xc2\xa32 million.\n", "text/plain")
    uploader.upload("bad.pdf", b"not a pdf", "application/pdf")
    at.run()
    assert not at.exception, at.exception
    assert [s.value.replace("\\", "") for s in at.sidebar.success] == ["small.txt: added (1 pages, 1 chunks)"]
    assert [e.value.replace("\\", "") for e in at.sidebar.error] == [
        "Not added: second.txt: the files added together pass the 0.0001 MB limit; add it on its own",
        "Not added: bad.pdf: the file is named .pdf but its content is not a PDF"]
    assert len(removed) == 3 and len(set(removed)) == 3
    uploaders = list(at.sidebar.get("file_uploader"))
    assert [u.key for u in uploaders] == ["uploader-1"] and not uploaders[0].value
    assert "uploader" not in at.session_state
    assert [d["doc_id"] for d in Catalog(store / "catalog.sqlite3").documents() if d["kind"] == "upload"] == ["small"]


NESTED = ("<html><body>" + "<blockquote>" * 100_000 + "deep" + "</blockquote>" * 100_000 + "</body></html>").encode()
WIDGETS = ("<html><head><title>Widget programme review</title></head><body><main><p>The Widget Office reported "
           "that the widget programme cost £12 million in 2023.</p></main></body></html>").encode()


def test_an_upload_is_read_once_under_the_parse_budget_for_its_title_and_its_ingest(store, monkeypatch):
    """The title comes from the budgeted read in the parser worker, which the ingest then reuses: a normal upload
    gets its inferred title with one read, and HTML nested 100,000 deep (as tests/test_hostile_files.py makes)
    fails in one line naming the time limit, never parsed in the server's own process."""
    from ingest import budget

    reads: list[str] = []
    real = budget._Pool.run

    def spy(self, path, kwargs, settings):
        reads.append(path.name)
        return real(self, path, kwargs, settings)

    monkeypatch.setattr(budget._Pool, "run", spy)
    monkeypatch.setenv("AUDIT_ASSISTANT_PARSE_TIMEOUT_S", "5")
    at = session()
    upload(at, "widgets.html", WIDGETS)
    assert [s.value.replace("\\", "") for s in at.sidebar.success] == ["widgets.html: added (1 pages, 1 chunks)"]
    catalog = Catalog(store / "catalog.sqlite3")
    assert catalog.document("widgets")["title"] == "Widget programme review"
    assert reads == ["widgets.html"]  # the title's read, taken again by the ingest

    upload(at, "deep.html", NESTED)
    assert [e.value.replace("\\", "") for e in at.sidebar.error] == [
        "Not added: deep.html: reading the file took longer than the 5 s limit (AUDIT_ASSISTANT_PARSE_TIMEOUT_S)"]
    assert reads == ["widgets.html", "deep.html"]
    assert catalog.document("deep") is None and not (store / "uploads" / "deep.html").exists()
    assert "deep.html" not in (store / "uploads" / "manifest.toml").read_text()
