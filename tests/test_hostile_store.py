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
