"""The SQLite figures table: the figures of each ingested document, with where they sit, for listing and grep."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

from assistant.text.figures import Figure, extract_figures
from assistant.types import Chunk

__all__ = ["FigureRecord", "index_document", "delete_document", "list_figures"]


@dataclass(frozen=True, kw_only=True)
class FigureRecord(Figure):
    """A stored figure: the figure (offsets into its chunk's text) plus the document, page and chunk."""

    doc_id: str
    chunk_id: str
    page: int | None = None


_COLUMNS = ("doc_id", "chunk_id", "page", "pos", "raw", "value", "low", "high", "unit", "measure", "of_total",
            "iso_date", "sentence", "sentence_start", "sentence_end", "start", "end")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS figures (
    doc_id TEXT NOT NULL, chunk_id TEXT NOT NULL, page INTEGER, pos INTEGER NOT NULL,
    raw TEXT NOT NULL, value TEXT NOT NULL, low TEXT, high TEXT, unit TEXT NOT NULL, measure TEXT,
    of_total TEXT, iso_date TEXT, sentence TEXT NOT NULL, sentence_start INTEGER NOT NULL,
    sentence_end INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS figures_doc ON figures (doc_id, page, pos);
"""
_DECIMALS = ("value", "low", "high", "of_total")


def _connect(db_path: str | Path) -> sqlite3.Connection:
    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Autocommit mode with explicit BEGIN IMMEDIATE: ingestion and the UI may share this file.
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(_SCHEMA)
    return conn


def index_document(db_path: str | Path, doc_id: str, chunks: list[Chunk]) -> int:
    """Extract the figures of every chunk and replace the document's rows; returns how many were stored."""
    best: dict[tuple[int | None, int], tuple[Chunk, Figure]] = {}
    for chunk in chunks:
        for fig in extract_figures(chunk.text):
            # Chunks overlap by a sentence, so one figure can be seen twice at the same place in the page.
            key = (chunk.page, chunk.char_start + fig.start)
            if key not in best or len(fig.raw) > len(best[key][1].raw):
                best[key] = (chunk, fig)
    rows = []
    for (page, pos), (chunk, fig) in sorted(best.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
        d = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(fig).items()}
        d.update(doc_id=doc_id, chunk_id=chunk.id, page=page, pos=pos)
        rows.append(tuple(d[c] for c in _COLUMNS))
    cols = ", ".join(f'"{c}"' for c in _COLUMNS)
    with closing(_connect(db_path)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM figures WHERE doc_id = ?", (doc_id,))
            conn.executemany(f"INSERT INTO figures ({cols}) VALUES ({', '.join('?' * len(_COLUMNS))})", rows)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return len(rows)


def delete_document(db_path: str | Path, doc_id: str) -> int:
    """Remove every stored figure of a document; returns how many rows went."""
    if not Path(db_path).exists():
        return 0
    with closing(_connect(db_path)) as conn:
        return conn.execute("DELETE FROM figures WHERE doc_id = ?", (doc_id,)).rowcount


def list_figures(db_path: str | Path, doc_id: str | None = None, grep: str | None = None) -> list[FigureRecord]:
    """Stored figures in document and page order, optionally of one document or matching `grep` (any case)."""
    if not Path(db_path).exists():
        return []
    where, params = [], []
    if doc_id:
        where.append("doc_id = ?")
        params.append(doc_id)
    if grep:
        like = "%" + grep.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(raw LIKE ? ESCAPE '\\' OR measure LIKE ? ESCAPE '\\' OR sentence LIKE ? ESCAPE '\\' "
                     "OR unit = ?)")
        params += [like, like, like, grep]
    sql = f"SELECT {', '.join(chr(34) + c + chr(34) for c in _COLUMNS)} FROM figures"
    if where:
        sql += " WHERE " + " AND ".join(where)
    with closing(_connect(db_path)) as conn:
        rows = conn.execute(sql + " ORDER BY doc_id, page, pos", params).fetchall()
    records = []
    for row in rows:
        d = dict(zip(_COLUMNS, row))
        d.pop("pos")
        for k in _DECIMALS:
            d[k] = Decimal(d[k]) if d[k] is not None else None
        records.append(FigureRecord(**d))
    return records
