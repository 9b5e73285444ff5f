"""The catalog's schema, as numbered migrations (the pattern of simonw/llm's `embeddings_migrations.py`).

`PRAGMA user_version` holds how many migrations a catalog file has had. Opening a catalog runs the ones it
lacks, in order, each with its version bump in one write transaction, so a store made by an older version
is brought up to date in place and a crash half-way leaves either the old or the new version, never a mix.
A store made before migrations were numbered has version 0 and the first migration's tables: migration 1
(CREATE ... IF NOT EXISTS) leaves them as they are. The figures index (`assistant.store.figures`) lives in
the same file and has been under these migrations since migration 3 (its table, made before, is kept).

Add a migration by appending a function; never change one that has shipped.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Callable, Iterator

from assistant.errors import ConfigError

_V1 = """
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
-- One vector per sentence of a chunk (offsets in the chunk's text), from the chunk's own embedding pass.
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


def statements(script: str) -> list[str]:
    """The statements of an SQL script, whole (a trigger's body keeps its semicolons)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if not buf and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out


def m001_tables(db: sqlite3.Connection) -> None:
    """Documents, pages, chunks, sentence vectors and the chunks' full-text index."""
    for sql in statements(_V1):
        db.execute(sql)


def m002_chunk_meta(db: sqlite3.Connection) -> None:
    """Each chunk's own metadata as JSON: a table row's caption, header, cells and neighbours, a footnote's
    number, the notes a passage's markers refer to."""
    if "meta" not in {r[1] for r in db.execute("PRAGMA table_info(chunks)")}:
        db.execute("ALTER TABLE chunks ADD COLUMN meta TEXT")


# The figures table as `assistant.store.figures` made it before migration 3, when it had its own DDL.
_FIGURES = """
CREATE TABLE IF NOT EXISTS figures (
    doc_id TEXT NOT NULL, chunk_id TEXT NOT NULL, page INTEGER, pos INTEGER NOT NULL,
    raw TEXT NOT NULL, value TEXT NOT NULL, low TEXT, high TEXT, unit TEXT NOT NULL, measure TEXT,
    of_total TEXT, iso_date TEXT, sentence TEXT NOT NULL, sentence_start INTEGER NOT NULL,
    sentence_end INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS figures_doc ON figures (doc_id, page, pos);
"""


def m003_figures(db: sqlite3.Connection) -> None:
    """The figures table holds every figure of each chunk, for answering from it: `listed` marks the one row
    per place in a page that listings show (overlapping chunks repeat a figure; rows stored before were one
    per place already), and `figure_chunks` names the chunks whose figures are all stored, with a hash of
    the text they were read from and the extractor's version, so a chunk not named there is read from its
    text."""
    for sql in statements(_FIGURES):
        db.execute(sql)
    if "listed" not in {r[1] for r in db.execute("PRAGMA table_info(figures)")}:
        db.execute("ALTER TABLE figures ADD COLUMN listed INTEGER NOT NULL DEFAULT 1")
    db.execute("CREATE INDEX IF NOT EXISTS figures_chunk ON figures (chunk_id, start)")
    db.execute("CREATE TABLE IF NOT EXISTS figure_chunks (chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, "
               "text_hash TEXT NOT NULL, extractor INTEGER NOT NULL)")
    db.execute("CREATE INDEX IF NOT EXISTS figure_chunks_doc ON figure_chunks (doc_id)")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (m001_tables, m002_chunk_meta, m003_figures)
LATEST = len(MIGRATIONS)


def version(db: sqlite3.Connection) -> int:
    """The schema version of a catalog file (0: made before versions, or empty)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


@contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (BEGIN IMMEDIATE), committed, or rolled back on any error. SQLite may have rolled
    back already (a full disk does): a ROLLBACK then fails with "no transaction is active" and would hide the
    real error, which is the one raised."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.in_transaction:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        raise
    db.execute("COMMIT")


def has(db: sqlite3.Connection, migration: Callable[[sqlite3.Connection], None]) -> bool:
    """Whether the file has had `migration` (a read-only store is never migrated on opening)."""
    return version(db) > MIGRATIONS.index(migration)


def migrate(db: sqlite3.Connection) -> int:
    """Run the migrations the file lacks, each with its version in one transaction; returns the version.
    `db` is in autocommit mode (isolation_level None). Raises sqlite3 errors on a read-only file."""
    if version(db) > LATEST:
        raise ConfigError(f"the catalog {_name(db)} was made by a newer version of audit-assistant (schema "
                          f"{version(db)}, this one knows {LATEST}); upgrade audit-assistant to open it")
    # Always takes the write lock, even when nothing is to do: two processes opening an old store at once
    # migrate one after the other, and a read-only store is found here, on opening, as before migrations.
    with immediate(db):
        current = version(db)  # again, under the lock: another process may have migrated meanwhile
        for n in range(current + 1, LATEST + 1):
            MIGRATIONS[n - 1](db)
            db.execute(f"PRAGMA user_version = {n}")
    return version(db)


def _name(db: sqlite3.Connection) -> str:
    row = db.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row and row[2] else "in memory"
