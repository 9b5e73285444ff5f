"""Hostile inputs against the store (issue 16: data loss and corruption, errors a user should never see).

Every input is made by a fixture here: colliding doc_ids, bad manifests, a PDF nested too deep, links out of
the ingested folder, escape bytes and newlines in names and text, a failing catalog write, a full catalog
disk, two ingesting processes at once, a Chroma server stopped mid-ingest. Each has its expected outcome:
nothing stored is lost, and what fails fails as one line with an exit code.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from assistant.cli.main import main
from assistant.config import Settings

ROOT = Path(__file__).resolve().parent.parent
NAO22 = "nao-2022-government-shared-services"
NAO14 = "nao-2014-next-generation-shared-services"
ESC = "\x1b"


def note(title: str, sentence: str) -> str:
    return f"{title}\n\n{sentence}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def ingestor(tmp_path, embedder):
    from ingest.pipeline import Ingestor

    return Ingestor(Settings(store_dir=tmp_path / "store"), embedder=embedder)


def consistent(ingestor) -> None:
    """The store holds a vector for every catalog chunk and nothing else."""
    assert ingestor.store.ids() == ingestor.catalog.all_chunk_ids()


# -- doc_id collisions never delete -------------------------------------------------------------------------

def test_one_file_name_in_two_folders_is_two_documents_and_says_so(tmp_path, ingestor):
    root = tmp_path / "reports"
    write(root / "2014" / "report.txt", note("Report 2014", "The programme cost £5 million in 2014."))
    write(root / "2022" / "report.txt", note("Report 2022", "The programme cost £9 million in 2022."))
    report = ingestor.ingest([root], progress=False)
    assert [(r.doc_id, r.status) for r in report.results] == [("report", "added"), ("2022-report", "added")]
    assert report.results[1].note == f"the id 'report' is taken by {(root / '2014' / 'report.txt').resolve()}"
    assert report.summary().startswith("2 documents (2 added), 2 pages, 2 chunks")
    assert "£5 million" in ingestor.catalog.document_text("report")
    assert "£9 million" in ingestor.catalog.document_text("2022-report")
    consistent(ingestor)
    # Ids are stable: again, and with only the second folder named, nothing changes.
    again = ingestor.ingest([root], progress=False)
    assert [(r.doc_id, r.status) for r in again.results] == [("report", "unchanged"), ("2022-report", "unchanged")]
    alone = ingestor.ingest([root / "2022"], progress=False)
    assert [(r.doc_id, r.status) for r in alone.results] == [("2022-report", "unchanged")]
    assert len(ingestor.catalog.documents()) == 2 and alone.embedded == 0


def test_the_cli_line_names_the_id_given_and_the_file_holding_the_other(tmp_path, capsys):
    root = tmp_path / "reports"
    write(root / "a" / "note.txt", note("Note A", "Note A says the pilot cost £1 million."))
    write(root / "b" / "note.txt", note("Note B", "Note B says the pilot cost £2 million."))
    code, out, err = run(capsys, "ingest", "--store", tmp_path / "store", "--no-progress", root)
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "added     note  (1 pages, 1 chunks)",
        f"added     b-note  (1 pages, 1 chunks; the id 'note' is taken by {(root / 'a' / 'note.txt').resolve()})",
        out.splitlines()[-1]]
    assert out.splitlines()[-1].startswith("2 documents (2 added)")


def test_a_file_named_like_a_corpus_report_elsewhere_leaves_the_report_alone(tmp_path, corpus_copy, ingestor):
    ingestor.ingest([corpus_copy], progress=False)
    assert {d["doc_id"] for d in ingestor.catalog.documents()} == {NAO22, NAO14}  # the test sets' ids
    original = ingestor.catalog.document_text(NAO22)
    spoof = write(tmp_path / "inbox" / f"{NAO22}.txt", note("Government Shared Services",
                                                            "HM Treasury approved £5 billion for the clusters."))
    report = ingestor.ingest([spoof.parent], progress=False)
    (r,) = report.results
    assert r.status == "added" and r.doc_id.startswith(NAO22 + "-") and r.doc_id != NAO22
    assert r.note == f"the id {NAO22!r} is taken by {(corpus_copy / f'{NAO22}.txt').resolve()}"
    assert ingestor.catalog.document_text(NAO22) == original
    assert Path(ingestor.catalog.document(NAO22)["file"]).resolve() == (corpus_copy / f"{NAO22}.txt").resolve()
    assert len(ingestor.catalog.documents()) == 3
    consistent(ingestor)


def test_a_manifest_doc_id_held_by_another_file_is_refused_naming_both(tmp_path, corpus_copy, ingestor):
    import shutil

    ingestor.ingest([corpus_copy], progress=False)
    before = {d["doc_id"]: d["sha256"] for d in ingestor.catalog.documents()}
    copy = tmp_path / "copy"
    shutil.copytree(corpus_copy, copy)
    write(copy / f"{NAO22}.txt", note("Government Shared Services", "HM Treasury approved £5 billion."))
    report = ingestor.ingest([copy], progress=False)
    assert [r.status for r in report.results] == ["failed", "failed"]
    assert report.results[1].error == (f"the doc_id {NAO22!r} is already used by "
                                       f"{(corpus_copy / f'{NAO22}.txt').resolve()}; give one of them another "
                                       "doc_id in manifest.toml")
    assert {d["doc_id"]: d["sha256"] for d in ingestor.catalog.documents()} == before
    assert "£5 billion" not in ingestor.catalog.document_text(NAO22)
    consistent(ingestor)


MANIFEST_TWICE = """
[[document]]
file = "a.txt"
doc_id = "same"

[[document]]
file = "b.txt"
doc_id = "same"
"""


def test_two_manifest_entries_with_one_doc_id_store_the_first_and_refuse_the_second(tmp_path, ingestor, capsys):
    folder = tmp_path / "docs"
    write(folder / "a.txt", note("A", "Document A says the scheme cost £3 million."))
    write(folder / "b.txt", note("B", "Document B says the scheme cost £4 million."))
    write(folder / "manifest.toml", MANIFEST_TWICE)
    code, out, err = run(capsys, "ingest", "--store", ingestor.settings.store_dir, "--no-progress", folder)
    assert code == 1
    assert out.splitlines()[0] == "added     same  (1 pages, 1 chunks)"
    assert out.splitlines()[1].startswith("1 documents (1 added, 1 failed)")
    assert err == (f"failed: {folder / 'b.txt'}: the doc_id 'same' is already used by {(folder / 'a.txt').resolve()}; "
                   "give one of them another doc_id in manifest.toml\n")
    assert "£3 million" in ingestor.catalog.document_text("same")
    consistent(ingestor)


@pytest.mark.parametrize("value", ['""', '"   "'])
def test_a_blank_doc_id_fails_that_file_only(tmp_path, ingestor, value):
    folder = tmp_path / "docs"
    write(folder / "a.txt", note("A", "Document A says the scheme cost £3 million."))
    write(folder / "b.txt", note("B", "Document B says the scheme cost £4 million."))
    write(folder / "manifest.toml", f'[[document]]\nfile = "a.txt"\ndoc_id = {value}\n')
    report = ingestor.ingest([folder], progress=False)
    assert [(Path(r.file).name, r.status, r.error) for r in report.results] == [
        ("a.txt", "failed", "manifest.toml entry 1: 'doc_id' is blank; give an id or remove the line"),
        ("b.txt", "added", None)]
    assert [d["doc_id"] for d in ingestor.catalog.documents()] == ["b"]
    consistent(ingestor)


# -- manifests with values of the wrong type --------------------------------------------------------------

@pytest.mark.parametrize("line, error", [
    ("strategy = 5", "manifest.toml entry 1: 'strategy' should be text or a list of texts, not 5"),
    ('title = ["a", "b"]', "manifest.toml entry 1: 'title' should be text in quotes, not ['a', 'b']"),
    ("published = [2020]", "manifest.toml entry 1: 'published' should be a date such as 2022-11-30, not [2020]"),
    ("doc_id = 7", "manifest.toml entry 1: 'doc_id' should be text in quotes, not 7"),
])
def test_a_manifest_value_of_the_wrong_type_fails_its_file_and_the_rest_go_on(tmp_path, capsys, line, error):
    folder = tmp_path / "docs"
    write(folder / "a.txt", note("A", "Document A says the scheme cost £3 million."))
    write(folder / "b.txt", note("B", "Document B says the scheme cost £4 million."))
    write(folder / "manifest.toml", f'[[document]]\nfile = "a.txt"\n{line}\n')
    code, out, err = run(capsys, "ingest", "--store", tmp_path / "store", "--no-progress", folder)
    assert code == 1
    assert err == f"failed: {folder / 'a.txt'}: {error}\n"
    assert out.splitlines()[0] == "added     b  (1 pages, 1 chunks)"


def test_a_toml_date_in_an_extra_field_is_stored(tmp_path, ingestor):
    folder = tmp_path / "docs"
    write(folder / "a.txt", note("A", "Document A says the scheme cost £3 million."))
    write(folder / "manifest.toml", '[[document]]\nfile = "a.txt"\npublished = 2021-05-04\nreviewed = 2022-01-02\n')
    report = ingestor.ingest([folder], progress=False)
    assert [r.status for r in report.results] == ["added"]
    doc = ingestor.catalog.document("a")
    assert doc["published"] == "2021-05-04" and doc["year"] == 2021 and doc["extra"] == {"reviewed": "2022-01-02"}


# -- a failure after vectors were written cleans up; --prune and check --repair remove orphans ---------------

def _fail_for(doc_id: str, error: Exception):
    """A Catalog.replace_document that raises `error` for one document and stores the others."""
    from assistant.store.catalog import Catalog

    real = Catalog.replace_document

    def replace_document(self, meta, *args, **kwargs):
        if meta["doc_id"] == doc_id:
            raise error
        return real(self, meta, *args, **kwargs)

    return replace_document


@pytest.mark.parametrize("error", [sqlite3.ProgrammingError("Error binding parameter 4: type 'list' is not supported"),
                                   sqlite3.OperationalError("database or disk is full")])
def test_a_catalog_error_after_the_vectors_were_written_fails_that_file_and_leaves_no_orphans(
        tmp_path, ingestor, capsys, monkeypatch, error):
    from assistant.store import figures
    from assistant.store.catalog import Catalog

    folder = tmp_path / "docs"
    write(folder / "a.txt", note("A", "Document A says the scheme cost £3 million in 2020."))
    write(folder / "b.txt", note("B", "Document B says the scheme cost £4 million in 2021."))
    added = []
    monkeypatch.setattr(Catalog, "replace_document", _fail_for("a", error))
    real_add = type(ingestor.store).add
    monkeypatch.setattr(type(ingestor.store), "add", lambda self, chunks, vecs: (added.extend(c.id for c in chunks),
                                                                               real_add(self, chunks, vecs)))
    code, out, err = run(capsys, "ingest", "--store", ingestor.settings.store_dir, "--no-progress", folder)
    assert code == 1 and len(added) == 2  # both documents' vectors were written before a's catalog write failed
    assert err == f"failed: {folder / 'a.txt'}: the file could not be processed ({type(error).__name__}: {error})\n"
    assert out.splitlines()[0] == "added     b  (1 pages, 1 chunks)"
    assert [d["doc_id"] for d in ingestor.catalog.documents()] == ["b"]
    consistent(ingestor)  # a's staged vectors are gone
    assert {f.doc_id for f in figures.list_figures(ingestor.settings.sqlite_path)} == {"b"}


def test_a_store_failure_while_embedding_fails_the_batch_and_removes_what_it_wrote(tmp_path, ingestor, monkeypatch):
    folder = tmp_path / "docs"
    write(folder / "a.txt", note("A", "Document A says the scheme cost £3 million in 2020."))
    write(folder / "b.txt", note("B", "Document B says the scheme cost £4 million in 2021."))
    real_add = type(ingestor.store).add

    def add_then_fail(self, chunks, vectors):
        real_add(self, chunks, vectors)  # written, then the store fails
        raise ConnectionError("the server went away")

    monkeypatch.setattr(type(ingestor.store), "add", add_then_fail)
    report = ingestor.ingest([folder], progress=False)
    assert [(r.status, r.error) for r in report.results] == [
        ("failed", "the file could not be processed (ConnectionError: the server went away)")] * 2
    assert ingestor.store.count() == 0 and ingestor.catalog.documents() == []


class _Killed(BaseException):
    """Stands for the process dying: nothing in the pipeline may catch it, so nothing is cleaned up."""


@pytest.fixture
def orphaned(tmp_path, ingestor, monkeypatch):
    """A store with the corpus-like note stored and the vectors of a killed ingest of a second one left over."""
    folder = tmp_path / "docs"
    write(folder / "a.txt", note("A", "Document A says the scheme cost £3 million in 2020."))
    ingestor.ingest([folder], progress=False)
    write(folder / "b.txt", note("B", "Document B says the scheme cost £4 million in 2021. It ended in 2022."))

    def killed(*args, **kwargs):
        raise _Killed()

    with monkeypatch.context() as m:
        m.setattr(ingestor.catalog, "replace_document", killed)
        with pytest.raises(_Killed):
            ingestor.ingest([folder], progress=False)
    orphans = ingestor.store.ids() - ingestor.catalog.all_chunk_ids()
    assert len(orphans) == 1
    os.unlink(folder / "b.txt")  # gone for good: nothing would ever replace its vectors
    return ingestor, folder, orphans


def test_ingest_prune_removes_orphan_vectors(orphaned, capsys):
    ingestor, folder, orphans = orphaned
    code, out, err = run(capsys, "ingest", "--prune", "--store", ingestor.settings.store_dir, "--no-progress", folder)
    assert code == 0 and err == ""
    assert out.splitlines()[0] == "unchanged a  (1 pages, 1 chunks)"
    assert out.splitlines()[1].endswith(", 1 orphan vectors removed")
    consistent(ingestor)


# -- check [--repair] -------------------------------------------------------------------------------------

@pytest.fixture
def damaged(tmp_path, ingestor, monkeypatch):
    """A store with one vector missing, one unreadable and one orphan.

    Unreadable is made as two concurrent writers left it: Chroma lists the id, and reading its vector raises
    InternalError("Error finding id"). The fault lives in Collection.get and heals when the id is deleted."""
    import chromadb.api.models.Collection as collection_module
    from chromadb.errors import InternalError

    from assistant.types import Chunk

    folder = tmp_path / "docs"
    sentences = " ".join(f"In {2000 + i} the programme spent £{i + 1} million on item {i}." for i in range(40))
    write(folder / "a.txt", note("Programme A", sentences))
    write(folder / "b.txt", note("Programme B", sentences.replace("item", "asset")))
    ingestor.ingest([folder], progress=False)
    a_ids = sorted(ingestor.catalog.chunk_ids("a"))
    assert len(a_ids) >= 3
    missing, broken = a_ids[0], {a_ids[1]}
    ingestor.store.delete([missing])
    ingestor.store.add([Chunk("ghost-chunk", "ghost", "left by a killed ingest", 1, None, 0, 10)], [[0.1] * 384])
    Collection = collection_module.Collection
    real_get, real_delete = Collection.get, Collection.delete

    def get(self, ids=None, *args, **kwargs):
        if ids and "embeddings" in (kwargs.get("include") or []) and broken & set(ids):
            raise InternalError("Error finding id")
        return real_get(self, ids, *args, **kwargs)

    def delete(self, ids=None, *args, **kwargs):
        broken.difference_update(ids or [])
        return real_delete(self, ids, *args, **kwargs)

    monkeypatch.setattr(Collection, "get", get)
    monkeypatch.setattr(Collection, "delete", delete)
    return ingestor, missing, a_ids[1]


def test_check_names_each_problem_and_repair_fixes_them(damaged, capsys):
    ingestor, missing, unreadable = damaged
    store = ingestor.settings.store_dir
    total = ingestor.catalog.chunk_count()
    code, out, err = run(capsys, "check", "--store", store)
    assert code == 1 and err == ""
    assert out.splitlines() == [
        f"missing    {missing}", f"unreadable {unreadable}", "orphan     ghost-chunk",
        f"checked {total} chunks of 2 documents against {total} vectors: 1 missing, 1 unreadable, 1 orphaned"]

    code, out, err = run(capsys, "check", "--repair", "--store", store)
    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"missing    {missing}  (repaired)", f"unreadable {unreadable}  (repaired)",
        "orphan     ghost-chunk  (repaired)",
        f"checked {total} chunks of 2 documents against {total} vectors: 1 missing, 1 unreadable, 1 orphaned; "
        "repaired 3, 0 problems remain"]

    code, out, _ = run(capsys, "check", "--store", store)
    assert code == 0
    assert out == f"checked {total} chunks of 2 documents against {total} vectors: 0 missing, 0 unreadable, 0 orphaned\n"
    # The re-embedded vectors are the chunks' own: each is its own nearest neighbour.
    embedder = ingestor.embedder
    for chunk_id in (missing, unreadable):
        (chunk,) = ingestor.catalog.chunks([chunk_id]).values()
        from assistant.store.vectors import embedding_text

        hits = ingestor.store.search_among(embedder.embed_query(embedding_text(chunk)),
                                           sorted(ingestor.catalog.chunk_ids("a")), 1)
        assert hits[0][0] == chunk_id and hits[0][1] > 0.95


def test_check_of_an_empty_store_is_healthy(tmp_path, capsys):
    code, out, err = run(capsys, "check", "--store", tmp_path / "empty")
    assert (code, out, err) == (0, "checked 0 chunks of 0 documents against 0 vectors: 0 missing, 0 unreadable, "
                                   "0 orphaned\n", "")


# -- errors a user should never see -----------------------------------------------------------------------

def test_a_full_catalog_disk_reports_the_real_error_not_the_failed_rollback(tmp_path, ingestor):
    folder = tmp_path / "docs"
    write(folder / "a.txt", note("A", "Document A says the scheme cost £3 million in 2020."))
    ingestor.ingest([folder], progress=False)
    write(folder / "b.txt", note("B", " ".join(f"Item {i} cost £{i} million in 2021." for i in range(400))))
    db = ingestor.catalog.db
    # SQLite's own "disk full": the catalog may not grow past its size now. SQLite rolls the transaction back
    # itself, so a ROLLBACK after it fails with "cannot rollback - no transaction is active".
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    report = ingestor.ingest([folder], progress=False)
    assert [(Path(r.file).name, r.status) for r in report.results] == [("a.txt", "unchanged"), ("b.txt", "failed")]
    assert report.results[1].error == "the file could not be processed (OperationalError: database or disk is full)"
    assert [d["doc_id"] for d in ingestor.catalog.documents()] == ["a"]
    consistent(ingestor)


@pytest.mark.parametrize("command", [["ingest", "--no-progress"], ["docs"], ["check"], ["ask", "What did it cost?"],
                                     ["search", "cost"]])
def test_a_store_that_is_a_file_is_one_line(tmp_path, capsys, command):
    store = write(tmp_path / "store.txt", "not a folder")
    code, out, err = run(capsys, *command, "--store", store)
    assert (code, out) == (2, "")
    assert err == f"error: the store {store} is a file, not a folder; give --store a folder\n"


def _read_only_mounts() -> bool:
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind / /mnt && mount -o remount,bind,ro /mnt"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.slow
def test_a_read_only_store_answers_questions_and_refuses_writes_in_one_line(tmp_path, corpus_copy):
    """The store is bind-mounted read-only in a private mount namespace: root cannot write there either."""
    assert _read_only_mounts(), "this test needs Linux's unshare -m and mount (util-linux), as on the CI machine"
    store = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_ASSISTANT_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    cli = f"{sys.executable} -m assistant.cli.main"
    subprocess.run(f"{cli} ingest --no-progress --store {store} {corpus_copy}", shell=True, check=True, env=env,
                   cwd=ROOT, capture_output=True)
    before = sorted((p.relative_to(store), p.stat().st_mtime_ns) for p in store.rglob("*") if p.is_file())
    script = (f"mount --bind {store} {store} && mount -o remount,bind,ro {store} || exit 99\n"
              f"{cli} ask --store {store} 'How much funding did HM Treasury approve for the clusters?'; echo rc=$?\n"
              f"{cli} ingest --no-progress --store {store} {corpus_copy}; echo rc=$?\n"
              f"{cli} check --store {store}; echo rc=$?\n")
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    lines = (done.stdout + done.stderr).splitlines()
    assert "Traceback" not in done.stderr, done.stderr
    assert "£300 million" in done.stdout and "rc=0" in lines
    assert (f"error: cannot write to the store {store} (Read-only file system); it can be asked questions but not "
            "changed") in done.stderr
    assert done.stdout.count("rc=2") == 1
    assert "0 missing, 0 unreadable, 0 orphaned" in done.stdout
    assert sorted((p.relative_to(store), p.stat().st_mtime_ns) for p in store.rglob("*") if p.is_file()) == before


# -- files a parser chokes on -----------------------------------------------------------------------------

def _raw_pdf(path: Path, objects: list[bytes]) -> Path:
    """A PDF written byte by byte (objects numbered from 1, object 1 the catalog), with a correct xref table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path


def _stream(head: bytes, data: bytes) -> bytes:
    return head + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


@pytest.fixture
def nested_pdf(tmp_path) -> Path:
    """A 300 KB PDF whose one page draws a form that draws a form... 3,000 deep: a parser that follows them
    recursively ends in RecursionError."""
    depth = 3000
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> "
               b"/XObject << /X 6 0 R >> >> /Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               _stream(b"<<", b"BT /F1 12 Tf 72 720 Td (The nested report) Tj ET /X Do")]
    for i in range(depth):
        inner = b"/XObject << /X %d 0 R >>" % (7 + i) if i < depth - 1 else b""
        objects.append(_stream(b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 4 0 R"
                               b" >> " + inner + b" >>", b"BT /F1 12 Tf 72 700 Td (Deeper) Tj ET"
                               + (b" /X Do" if inner else b"")))
    return _raw_pdf(tmp_path / "docs" / "nested.pdf", objects)


def test_a_pdf_nested_too_deep_fails_alone(tmp_path, nested_pdf, capsys):
    folder = nested_pdf.parent
    write(folder / "z-good.txt", note("Good", "The good note says the scheme cost £3 million."))
    code, out, err = run(capsys, "ingest", "--store", tmp_path / "store", "--no-progress", folder)
    assert code == 1 and "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith(f"failed: {nested_pdf}: ")
    assert out.splitlines()[0] == "added     z-good  (1 pages, 1 chunks)"


@pytest.mark.parametrize("error", ["LimitReachedError", "RecursionError", "MemoryError", "TypeError"])
def test_any_error_a_parser_raises_fails_that_file_only(tmp_path, capsys, monkeypatch, error):
    """Whatever a loader lets through (pypdf's LimitReachedError is not a PdfReadError) is the file's failure."""
    import pypdf.errors

    import ingest.pipeline as pipeline

    exc = {"LimitReachedError": pypdf.errors.LimitReachedError("Detected cycle in /Pages hierarchy"),
           "RecursionError": RecursionError("maximum recursion depth exceeded"),
           "MemoryError": MemoryError(), "TypeError": TypeError("'int' object is not iterable")}[error]
    real = pipeline.load_file

    def load_file(path, **kwargs):
        if path.name == "bad.txt":
            raise exc
        return real(path, **kwargs)

    monkeypatch.setattr(pipeline, "load_file", load_file)
    folder = tmp_path / "docs"
    write(folder / "bad.txt", note("Bad", "The bad note."))
    write(folder / "good.txt", note("Good", "The good note says the scheme cost £3 million."))
    code, out, err = run(capsys, "ingest", "--store", tmp_path / "store", "--no-progress", folder)
    detail = f": {exc}" if str(exc) else ""
    assert code == 1 and err == f"failed: {folder / 'bad.txt'}: the file could not be processed ({error}{detail})\n"
    assert out.splitlines()[0] == "added     good  (1 pages, 1 chunks)"


# -- links out of the ingested folder ---------------------------------------------------------------------

def test_links_out_of_the_ingested_folder_are_not_followed(tmp_path, ingestor, capsys):
    folder = tmp_path / "docs"
    write(folder / "a.txt", note("A", "Document A says the scheme cost £3 million in 2020."))
    secret = write(tmp_path / "outside" / "secret.txt", note("Secret", "root:x:0:0:root:/root:/bin/bash"))
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "secret.md").symlink_to(secret)
    (folder / "etc").symlink_to("/etc", target_is_directory=True)
    (folder / "again.txt").symlink_to(folder / "a.txt")  # inside the folder: the same file, ingested once
    code, out, err = run(capsys, "ingest", "--store", ingestor.settings.store_dir, "--no-progress", folder)
    assert code == 0
    assert err.splitlines() == [f"skipped: {folder / 'etc'}: a link to a folder outside {folder}; not followed",
                                f"skipped: {folder / 'passwd.txt'}: a link to a file outside {folder}; not followed",
                                f"skipped: {folder / 'secret.md'}: a link to a file outside {folder}; not followed"]
    assert out.splitlines()[0] in ("added     a  (1 pages, 1 chunks)", "added     again  (1 pages, 1 chunks)")
    assert out.splitlines()[1].startswith("1 documents (1 added, 3 skipped)")
    assert len(ingestor.catalog.documents()) == 1 and "root:x" not in ingestor.catalog.document_text(
        ingestor.catalog.documents()[0]["doc_id"])


# -- terminal and log injection ---------------------------------------------------------------------------

@pytest.fixture
def hostile_names(tmp_path) -> Path:
    """Files whose names and text carry a forged output line, ANSI colours, an OSC title and a bidi override."""
    folder = tmp_path / "docs"
    write(folder / "evil\nadded     forged  (9 pages, 9 chunks).txt",
          f"Escape {ESC}]0;pwned{ESC}\\ report {ESC}[31mred{ESC}[0m\n\n"
          f"The escape programme {ESC}[31mcost{ESC}[0m £7 million in 2021.\n")
    write(folder / f"bad{ESC}[2J\u202egnp.txt", "\n")  # empty: fails, and its name is printed
    return folder


def test_ingest_lines_cannot_be_forged_nor_carry_escapes(tmp_path, hostile_names, capsys):
    code, out, err = run(capsys, "ingest", "--store", tmp_path / "store", "--no-progress", hostile_names)
    assert code == 1
    assert ESC not in out + err and "\u202e" not in out + err
    assert not any(line.startswith("added     forged") for line in (out + err).splitlines())
    assert len(out.splitlines()) == 2 and len(err.splitlines()) == 1
    assert err.startswith(f"failed: {hostile_names}/bad\\x1b[2J\\u202egnp.txt: ")


def test_docs_search_and_ask_escape_control_characters(tmp_path, hostile_names, capsys):
    store = tmp_path / "store"
    run(capsys, "ingest", "--store", store, "--no-progress", hostile_names)
    for command in (["docs"], ["search", "escape programme cost", "-k", "1"],
                    ["ask", "How much did the escape programme cost?"]):
        code, out, err = run(capsys, *command, "--store", store)
        assert code == 0 and err == "", (command, err)
        assert ESC not in out, (command, out)
        if command == ["docs"]:
            assert "\\x1b]0;pwned\\x1b\\ report \\x1b[31mred\\x1b[0m" in out  # shown, escaped, not dropped
            assert "evil\\nadded     forged" in out  # the file name, on one line
    assert "£7 million" in out and not any(line.startswith("added") for line in out.splitlines())


def test_printable_escapes_every_control_character_and_keeps_the_text():
    from types import SimpleNamespace

    from assistant.cli.main import format_answer, printable

    assert printable("£300 million – café") == "£300 million – café"
    assert printable(f"a{ESC}[31mb\rc\x9b2Jd\u202ee\u2028f\tg\x7f") == "a\\x1b[31mb\\rc\\x9b2Jd\\u202ee\\u2028f\\tg\\x7f"
    assert printable("one\ntwo") == "one\\ntwo" and printable("one\ntwo", keep_newlines=True) == "one\ntwo"
    citation = SimpleNamespace(n=1, title=f"T{ESC}]0;x\x07", page=2, section=f"Part{ESC}[1m Two",
                               doc_id="d\nadded     x", quote=f"q{ESC}[2J")
    answer = SimpleNamespace(text=f"It cost £1 million{ESC}[8m. [1]", citations=[citation], calculations=[],
                             declined=False, nearest=[])
    text = format_answer(answer)
    assert ESC not in text and "\x07" not in text
    assert text.splitlines() == ["It cost £1 million\\x1b[8m. [1]", "", "[1] T\\x1b]0;x\\x07, page 2, Part\\x1b[1m Two (d\\nadded     x)",
                                 "    “q\\x1b[2J”"]


# -- two writers at once ----------------------------------------------------------------------------------

def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_ASSISTANT_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    return env


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_processes_ingesting_into_one_store_at_once_leave_every_vector_readable(tmp_path, embedder):
    """Two real `ingest` processes started together on one embedded store: one waits for the other's lock."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from assistant.store.catalog import Catalog
    from assistant.store.health import check
    from assistant.store.vectors import make_store
    from benchmarks.synth import generate

    store = tmp_path / "store"
    folders = [tmp_path / "first", tmp_path / "second"]
    # The size at which two unlocked writers left 256 of 1,281 vectors unreadable in 2 of 3 runs (README).
    generate(folders[0], 45, seed=16, start=0, pdf_share=0)
    generate(folders[1], 45, seed=16, start=45, pdf_share=0)
    start = time.monotonic()
    children = [subprocess.Popen([sys.executable, "-m", "assistant.cli.main", "ingest", "--store", str(store),
                                  "--no-progress", str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=_env(), cwd=ROOT) for folder in folders]
    outputs = [c.communicate(timeout=800) for c in children]
    seconds = time.monotonic() - start
    assert [c.returncode for c in children] == [0, 0], outputs
    waited = [err for _, err in outputs if "waiting for another ingest or upload to finish" in err]
    assert len(waited) == 1, outputs  # the second writer waited for the first
    assert all("Traceback" not in err for _, err in outputs)

    settings = Settings(store_dir=store)
    catalog = Catalog(settings.sqlite_path)
    health = check(catalog, make_store(settings, embedder.name, embedder.dimension))
    assert health.findings == [] and health.chunks == health.vectors > 0
    assert len(catalog.documents()) == 90
    print(f"two concurrent ingests: {health.chunks} chunks, 90 documents, {seconds:.1f} s, all readable")


def test_an_upload_while_another_process_writes_waits_then_says_so(tmp_path, embedder, monkeypatch):
    import ingest.uploads as uploads
    from ingest.pipeline import Ingestor

    settings = Settings(store_dir=tmp_path / "store")
    ingestor = Ingestor(settings, embedder=embedder)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from filelock import FileLock; "
                               f"lock = FileLock({str(settings.store_dir / 'write.lock')!r}); lock.acquire(); print('held', "
                               "flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(uploads, "LOCK_WAIT_S", 0.5)
        outcome = uploads.add_upload(ingestor, settings, "memo.txt", b"Memo\n\nThe memo says \xc2\xa35 billion.\n")
    finally:
        holder.kill()
        holder.wait()
    assert not outcome.ok and outcome.message == (
        f"memo.txt: another ingest or upload is writing to the store {settings.store_dir}; try again when it has "
        "finished")
    assert ingestor.catalog.documents() == [] and not (settings.uploads_dir / "memo.txt").exists()
    assert uploads.add_upload(ingestor, settings, "memo.txt", b"Memo\n\nThe memo says \xc2\xa35 billion.\n").ok


# -- a Chroma server that stops mid-ingest ----------------------------------------------------------------

@pytest.mark.server
@pytest.mark.slow
def test_a_chroma_server_stopping_mid_ingest_fails_the_rest_in_one_line_each(tmp_path, capsys, monkeypatch):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from assistant.store.catalog import Catalog
    from assistant.store.vectors import ChromaStore
    from benchmarks.server import ChromaServer

    folder = tmp_path / "docs"
    for name in ("a", "b", "c"):
        write(folder / f"{name}.txt", note(f"Programme {name.upper()}", " ".join(
            f"In {2000 + i} programme {name} spent £{i + 1} million on item {i} of its estate." for i in range(30))))
    server = ChromaServer(tmp_path / "chroma").start()
    real_add, calls = ChromaStore.add, []

    def add(self, chunks, vectors):
        calls.append(len(chunks))
        if len(calls) == 2:
            server.stop()  # after the first document's vectors, before the second's
        return real_add(self, chunks, vectors)

    monkeypatch.setattr(ChromaStore, "add", add)
    monkeypatch.setenv("AUDIT_ASSISTANT_EMBED_BATCH_SIZE", "1")  # a document a batch
    try:
        code, out, err = run(capsys, "ingest", "--chroma-url", server.url, "--store", tmp_path / "catalog",
                             "--no-progress", folder)
    finally:
        server.stop()
    assert code == 1 and "Traceback" not in out + err
    assert out.splitlines()[0].startswith("added     a  (1 pages, ")
    assert out.splitlines()[1].startswith("1 documents (1 added, 2 failed)")
    failed = err.splitlines()
    assert [line.split(": ")[:2] for line in failed] == [["failed", str(folder / "b.txt")],
                                                         ["failed", str(folder / "c.txt")]]
    assert all("the file could not be processed (" in line for line in failed)
    assert [d["doc_id"] for d in Catalog(tmp_path / "catalog" / "catalog.sqlite3").documents()] == ["a"]


def test_a_question_failing_outside_the_assistant_does_not_abort_a_batch(tmp_path, corpus_settings, capsys,
                                                                          monkeypatch):
    """As when a Chroma server stops mid-batch: that question's line says why, the others are answered."""
    import json

    from assistant.answer.pipeline import Assistant

    real = Assistant.ask

    def ask(self, question, *args, **kwargs):
        if question.startswith("Broken"):
            raise ConnectionError("[Errno 111] Connection refused")
        return real(self, question, *args, **kwargs)

    monkeypatch.setattr(Assistant, "ask", ask)
    questions = write(tmp_path / "q.txt", "Broken question?\nHow much funding did HM Treasury approve for the "
                                          "clusters?\n")
    code, out, err = run(capsys, "ask", "--batch", questions, "--store", corpus_settings.store_dir)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and err == ""
    assert lines[0] == {"question": "Broken question?", "error": "[Errno 111] Connection refused (ConnectionError)"}
    assert "£300 million" in lines[1]["answer"] and len(lines) == 2


def test_figures_compare_timeline_and_eval_lines_escape_control_characters(tmp_path, capsys):
    """Every CLI printer goes through printable: document text with terminal escapes is shown escaped."""
    from assistant.cli.output import printable
    from evals.cli import _progress

    assert printable("a\x1b]0;owned\x07b\nc", keep_newlines=True) == "a\\x1b]0;owned\\x07b\nc"

    class _Score:
        passed, failures = False, ["missing: term \x1b[31mred\x1b[0m"]

    class _Case:
        id = "case\nok   forged"

    class _Result:
        score, case, latency_ms = _Score(), _Case(), 1.0

    _progress()(_Result())
    err = capsys.readouterr().err
    assert "\x1b" not in err and err.count("\n") == 1 and "case\\nok   forged" in err

    from assistant.cli.main import main

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "note.txt").write_text("Escapes note\n\nThe \x1b]0;owned\x07budget was £12 million in 2020.\n",
                                     encoding="utf-8")
    store = tmp_path / "store"
    assert main(["ingest", str(folder), "--store", str(store), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["figures", "--store", str(store), "--grep", "GBP"]) == 0
    out = capsys.readouterr().out
    assert "£12 million" in out and "\x1b" not in out and "\x07" not in out
