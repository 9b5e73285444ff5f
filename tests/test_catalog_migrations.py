"""The catalog's numbered schema migrations: a store made by the first schema (built here with its own CREATE
statements) opens, is migrated in place, still answers, and gets its chunks' meta by ingesting again without
re-embedding. Chunk meta is stored as bounded JSON data and read back with every chunk."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.store import migrations
from assistant.store.catalog import META_MAX_CHARS, Catalog
from assistant.types import Chunk

# The catalog as the first schema made it, before `PRAGMA user_version` and the chunks' meta column: kept here
# as it shipped, so the test never follows later edits of the migrations.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, file TEXT, sha256 TEXT, title TEXT, publisher TEXT, published TEXT,
    year INTEGER, kind TEXT, strategy TEXT, url TEXT, licence TEXT, extra TEXT,
    pages INTEGER, chunks INTEGER, ingested_at TEXT
);
CREATE TABLE IF NOT EXISTS pages (doc_id TEXT, page INTEGER, text TEXT, PRIMARY KEY (doc_id, page));
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, doc_id TEXT, page INTEGER, section TEXT,
    char_start INTEGER, char_end INTEGER, text TEXT
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS sentence_vectors (
    chunk_id TEXT, start INTEGER, "end" INTEGER, vector BLOB, PRIMARY KEY (chunk_id, start)
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, section, content='chunks', content_rowid='rowid', tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text, section) VALUES (new.rowid, new.text, coalesce(new.section, ''));
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text, section)
    VALUES ('delete', old.rowid, old.text, coalesce(old.section, ''));
END;
"""
TABLE_Q = "What was the actual spend on the payroll programme in 2021-22?"


def _columns(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [r[1] for r in db.execute("PRAGMA table_info(chunks)")]


def _version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return migrations.version(db)


def old_store(source: Settings, dest: Path) -> Settings:
    """A copy of the store `source` whose catalog is made by the old CREATE statements and holds the same
    documents, pages, chunks (without meta), sentence vectors and figures: the store an older version left."""
    shutil.copytree(source.store_dir, dest, ignore=shutil.ignore_patterns("catalog.sqlite3*", "write.lock"))
    settings = Settings(store_dir=dest)
    db = sqlite3.connect(settings.sqlite_path)
    db.executescript(OLD_SCHEMA)
    db.execute("ATTACH DATABASE ? AS new", (str(source.sqlite_path),))
    db.execute("INSERT INTO documents SELECT * FROM new.documents")
    db.execute("INSERT INTO pages SELECT * FROM new.pages")
    db.execute("INSERT INTO chunks (rowid, id, doc_id, page, section, char_start, char_end, text) "
               "SELECT rowid, id, doc_id, page, section, char_start, char_end, text FROM new.chunks")
    db.execute("INSERT INTO sentence_vectors SELECT * FROM new.sentence_vectors")
    db.execute("CREATE TABLE figures AS SELECT * FROM new.figures")
    db.commit()
    db.execute("DETACH DATABASE new")
    db.close()
    return settings


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from test_pdf_structure import make_report

    return make_report(tmp_path_factory.mktemp("migrate-pdf") / "payroll-report.pdf")


@pytest.fixture(scope="module")
def current(tmp_path_factory, report, embedder) -> Settings:
    from ingest.pipeline import Ingestor

    settings = Settings(store_dir=tmp_path_factory.mktemp("migrate-current") / "store")
    assert not Ingestor(settings, embedder=embedder).ingest([report], progress=False).failed
    return settings


def test_a_store_of_the_old_schema_opens_migrates_in_place_and_still_answers(tmp_path, current, report, embedder):
    from assistant.answer.pipeline import Assistant
    from ingest.pipeline import Ingestor

    settings = old_store(current, tmp_path / "old")
    assert "meta" not in _columns(settings.sqlite_path) and _version(settings.sqlite_path) == 0
    rows_before = Catalog(current.sqlite_path).chunk_count()

    answer = Assistant(settings).ask(TABLE_Q)

    assert _version(settings.sqlite_path) == migrations.LATEST == 3
    assert _columns(settings.sqlite_path)[-1] == "meta"
    assert not answer.declined and "£52 million" in answer.text
    row = next(c for c in answer.citations if "£52 million" in c.quote)
    assert (row.page, row.table) == (2, None)  # no meta yet: the old store never had it
    catalog = Catalog(settings.sqlite_path)
    assert catalog.chunk_count() == rows_before
    assert catalog.lexical_search("decommissioned", limit=1)  # the full-text index came through
    assert set(catalog.chunk_metas("payroll-report").values()) == {None}

    # Ingesting the unchanged file again fills in the meta, re-embedding nothing.
    again = Ingestor(settings, embedder=embedder).ingest([report], progress=False)
    assert [r.status for r in again.results] == ["updated"] and again.embedded == 0
    stored = {c.meta.get("row"): c for c in Catalog(settings.sqlite_path).iter_chunks("payroll-report")}
    assert stored["2021-22"].meta["columns"] == ["Year", "Planned", "Actual"]
    answer = Assistant(settings).ask(TABLE_Q)
    row = next(c for c in answer.citations if "£52 million" in c.quote)
    assert row.table["rows"][row.table["row_at"]] == ["2021-22", "£40 million", "£52 million"]
    # A third run finds nothing to do.
    assert [r.status for r in Ingestor(settings, embedder=embedder).ingest([report], progress=False).results] \
        == ["unchanged"]


def test_migrating_twice_is_a_no_op_and_a_newer_store_is_refused(tmp_path):
    path = tmp_path / "catalog.sqlite3"
    Catalog(path)
    Catalog(path)  # opened again: nothing left to run
    assert _version(path) == migrations.LATEST and _columns(path).count("meta") == 1
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    with pytest.raises(ConfigError, match="newer version of audit-assistant"):
        Catalog(path)


def test_a_migration_half_done_before_a_crash_completes_on_the_next_open(tmp_path):
    """The column added but the version not yet written (a kill between the two, had they not shared one
    transaction, or a copy taken mid-way): the next open finishes without a 'duplicate column' error."""
    path = tmp_path / "catalog.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        db.execute("ALTER TABLE chunks ADD COLUMN meta TEXT")
    Catalog(path)
    assert _version(path) == migrations.LATEST and _columns(path).count("meta") == 1


def _doc(doc_id: str = "d") -> dict:
    return {"doc_id": doc_id, "file": "d.txt", "sha256": "x", "title": "The title", "publisher": "NAO",
            "published": "2023-01-01", "year": 2023, "kind": "text", "strategy": [], "url": None}


def test_chunk_meta_is_stored_as_bounded_data_and_read_back_with_the_documents_fields(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    hostile = '<img src=x onerror="alert(1)"> "quoted" \\ \u2028'
    row = Chunk("d:1", "d", "Figure 1, row 2021-22: Actual £5 million", 1, "Figure 1", 0, 40,
                {"table": hostile, "row": "2021-22", "rows": [["2021-22", "£5 million"]], "row_at": 0,
                 "title": "a spoofed title"})
    huge = Chunk("d:2", "d", "Body text.", 1, None, 41, 51, {"notes": [{"n": 1, "at": 5, "text": "x" * 20_000}],
                                                             "note": 7})
    catalog.replace_document(_doc(), [(1, "page")], [row, huge])
    got = catalog.chunks(["d:1", "d:2"])
    assert got["d:1"].meta["table"] == hostile  # data, exactly as given: escaping is the display's job
    assert got["d:1"].meta["rows"] == [["2021-22", "£5 million"]]
    assert got["d:1"].meta["title"] == "The title"  # the document's own fields win; they are not stored twice
    stored = dict(catalog.db.execute("SELECT id, meta FROM chunks").fetchall())
    assert "title" not in json.loads(stored["d:1"])
    assert len(stored["d:2"]) <= META_MAX_CHARS
    assert {k: v for k, v in got["d:2"].meta.items() if k in ("notes", "note", "truncated")} == \
        {"note": 7, "truncated": True}  # the oversized value is left out, and the meta says so
    assert Catalog(tmp_path / "catalog.sqlite3").chunks(["d:1"])["d:1"].meta["row_at"] == 0  # another connection


def test_a_damaged_meta_value_leaves_the_chunk_readable_without_it(tmp_path, caplog):
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    catalog.replace_document(_doc(), [(1, "page")], [Chunk("d:1", "d", "Some text.", 1, None, 0, 10, {"note": 1})])
    with catalog.transaction() as db:
        db.execute("UPDATE chunks SET meta = '{not json' WHERE id = 'd:1'")
    chunk = catalog.chunks(["d:1"])["d:1"]
    assert chunk.text == "Some text." and "note" not in chunk.meta and chunk.meta["title"] == "The title"
    assert "d:1 has unreadable metadata" in caplog.text
