"""The SQLite figures table: the figures of each ingested chunk, with where they sit, for listing, grep and
answering (the calculators read a retrieved chunk's figures from here rather than from its text again).

The table lives in the catalog's file, under its numbered migrations (`assistant.store.migrations`)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from pathlib import Path
from typing import Iterable

from assistant.store import migrations
from assistant.text.figures import EXTRACTOR_VERSION, Figure, extract_figures
from assistant.types import Chunk

__all__ = ["FigureRecord", "index_document", "delete_document", "list_figures", "stored_figures", "amounts"]


@dataclass(frozen=True, kw_only=True)
class FigureRecord(Figure):
    """A stored figure: the figure (offsets into its chunk's text) plus the document, page and chunk."""

    doc_id: str
    chunk_id: str
    page: int | None = None


_FIGURE = tuple(f.name for f in fields(Figure))  # the columns a `Figure` is made from, in its field order
_COLUMNS = ("doc_id", "chunk_id", "page", "pos", "raw", "value", "low", "high", "unit", "measure", "of_total",
            "iso_date", "sentence", "sentence_start", "sentence_end", "start", "end")
_DECIMALS = ("value", "low", "high", "of_total")


def _text_hash(text: str) -> str:
    """What a chunk's stored figures were read from: a text changed since (or blanked in part for answering,
    as `assistant.query.safety.withhold_instructions` does, under the same id) is read again."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _decimals(d: dict) -> dict:
    for k in _DECIMALS:
        if k in d:
            d[k] = Decimal(d[k]) if d[k] is not None else None
    return d


def _connect(db_path: str | Path) -> sqlite3.Connection:
    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Autocommit mode with explicit BEGIN IMMEDIATE: ingestion and the UI may share this file.
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    if migrations.version(conn) != migrations.LATEST:  # the catalog's file, maybe not opened by a Catalog yet
        migrations.migrate(conn)
    return conn


def index_document(db_path: str | Path, doc_id: str, chunks: list[Chunk]) -> int:
    """Extract the figures of every chunk and replace the document's rows; returns how many figures the
    document has (one that overlapping chunks repeat counts once)."""
    rows: list[dict] = []
    marks: dict[str, tuple] = {}
    listed: dict[tuple[int | None, int], int] = {}  # a place in a page -> the row that listings show
    for chunk in chunks:
        if chunk.id in marks:
            continue
        marks[chunk.id] = (chunk.id, doc_id, _text_hash(chunk.text), EXTRACTOR_VERSION)
        for fig in extract_figures(chunk.text):
            d = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(fig).items()}
            d.update(doc_id=doc_id, chunk_id=chunk.id, page=chunk.page, pos=chunk.char_start + fig.start, listed=0)
            # Chunks overlap by a sentence, so one figure can be seen twice at the same place in the page:
            # every chunk keeps its own row (answering reads a chunk's figures), listings show the longest.
            key = (chunk.page, d["pos"])
            if key not in listed or len(fig.raw) > len(rows[listed[key]]["raw"]):
                listed[key] = len(rows)
            rows.append(d)
    for i in listed.values():
        rows[i]["listed"] = 1
    cols = (*_COLUMNS, "listed")
    names = ", ".join(f'"{c}"' for c in cols)
    with closing(_connect(db_path)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM figures WHERE doc_id = ?", (doc_id,))
            conn.execute("DELETE FROM figure_chunks WHERE doc_id = ?", (doc_id,))
            conn.executemany(f"INSERT INTO figures ({names}) VALUES ({', '.join('?' * len(cols))})",
                             [tuple(d[c] for c in cols) for d in rows])
            conn.executemany("INSERT OR REPLACE INTO figure_chunks (chunk_id, doc_id, text_hash, extractor) "
                             "VALUES (?, ?, ?, ?)", list(marks.values()))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return len(listed)


def delete_document(db_path: str | Path, doc_id: str) -> int:
    """Remove every stored figure of a document; returns how many rows went."""
    if not Path(db_path).exists():
        return 0
    with closing(_connect(db_path)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            gone = conn.execute("DELETE FROM figures WHERE doc_id = ? AND listed = 1", (doc_id,)).rowcount
            conn.execute("DELETE FROM figures WHERE doc_id = ?", (doc_id,))
            conn.execute("DELETE FROM figure_chunks WHERE doc_id = ?", (doc_id,))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return gone


def list_figures(db_path: str | Path, doc_id: str | None = None, grep: str | None = None) -> list[FigureRecord]:
    """Stored figures in document and page order, optionally of one document or matching `grep` (any case)."""
    if not Path(db_path).exists():
        return []
    where, params = ["listed = 1"], []
    if doc_id:
        where.append("doc_id = ?")
        params.append(doc_id)
    if grep:
        like = "%" + grep.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(raw LIKE ? ESCAPE '\\' OR measure LIKE ? ESCAPE '\\' OR sentence LIKE ? ESCAPE '\\' "
                     "OR unit = ?)")
        params += [like, like, like, grep]
    sql = f"SELECT {', '.join(chr(34) + c + chr(34) for c in _COLUMNS)} FROM figures WHERE " + " AND ".join(where)
    with closing(_connect(db_path)) as conn:
        rows = conn.execute(sql + " ORDER BY doc_id, page, pos", params).fetchall()
    records = []
    for row in rows:
        d = dict(zip(_COLUMNS, row))
        d.pop("pos")
        records.append(FigureRecord(**_decimals(d)))
    return records


def stored_figures(db: sqlite3.Connection, chunks: Iterable[Chunk]) -> dict[str, list[Figure]]:
    """The stored figures of each chunk, in one query, by chunk id, as `extract_figures(chunk.text)` gives them.

    `db` is a connection to the catalog's file (`Catalog.db`: read-only stores too). A chunk is left out when
    its figures must be read from its text: an older store, a chunk never indexed, a text other than the one
    indexed, or figures found by another version of the extractor."""
    wanted = {c.id: _text_hash(c.text) for c in chunks}
    if not wanted or not migrations.has(db, migrations.m003_figures):
        return {}
    cols = ", ".join(f'f."{c}"' for c in _FIGURE)
    rows = db.execute(f"SELECT c.chunk_id, c.text_hash, f.rowid, {cols} FROM figure_chunks c "
                      "LEFT JOIN figures f ON f.chunk_id = c.chunk_id "
                      "WHERE c.extractor = ? AND c.chunk_id IN (SELECT value FROM json_each(?)) "
                      "ORDER BY c.chunk_id, f.start", (EXTRACTOR_VERSION, json.dumps(list(wanted))))
    out: dict[str, list[Figure]] = {}
    for row in rows:
        chunk_id, text_hash, rowid = row[0], row[1], row[2]
        if text_hash != wanted[chunk_id]:
            continue
        figures = out.setdefault(chunk_id, [])
        if rowid is not None:  # a chunk without figures has its one row with none
            figures.append(Figure(**_decimals(dict(zip(_FIGURE, tuple(row)[3:])))))
    return out


def amounts(db: sqlite3.Connection, doc_ids: Iterable[str], units: Iterable[str]) -> set[tuple]:
    """The figures the documents state, of the given units, each as (unit, value, measure) as `extract_figures`
    gives them; an empty set for an older store without the figures table."""
    ids, kinds = list(doc_ids), list(units)
    if not ids or not kinds or not migrations.has(db, migrations.m003_figures):
        return set()
    rows = db.execute('SELECT "unit", "value", "measure" FROM figures WHERE doc_id IN (SELECT value FROM json_each(?)) '
                      'AND "unit" IN (SELECT value FROM json_each(?))', (json.dumps(ids), json.dumps(kinds)))
    return {(unit, Decimal(value), measure) for unit, value, measure in rows if value is not None}
