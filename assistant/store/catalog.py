"""The catalog beside the vector store (SQLite): document registry, cleaned pages, chunks and their
BM25 index (FTS5). It is the source of truth for what is stored: a chunk the vector store returns but
the catalog does not know (an ingest killed half-way) is never shown.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.store import migrations
from assistant.types import Chunk

DOC_FIELDS = ("doc_id", "file", "sha256", "title", "publisher", "published", "year", "kind", "strategy",
              "url", "licence", "extra", "pages", "chunks", "ingested_at")

# A chunk's own metadata (table row, footnote links) is stored as JSON of at most META_MAX_CHARS; the
# document's fields are the documents table's and are joined in when a chunk is read, never stored twice.
# A bound of the stored format, not a tuning: over ten times a chunk's own text (chunk_size, 700), and what
# caps the row a hostile document can make one chunk hold.
META_MAX_CHARS = 8000
_DOC_META = ("title", "publisher", "published", "url", "strategy", "year")

log = logging.getLogger(__name__)

# SQLite allows 999 host parameters in one statement in older builds; ids are deleted in batches well below it.
_ID_BATCH = 500


def query_terms(text: str) -> list[str]:
    """Lower-case word and number tokens of a query, without stop words (the one terms module's)."""
    from assistant.text.terms import stop_words, tokens

    stop = stop_words()
    return [t for t in tokens(text, fold=False) if t not in stop]


class Catalog:
    """Thread-safe access to the catalog file; one connection per thread, WAL for concurrent readers.

    `settings` gives the lexical search's hand-set thresholds (`lexical_common_*`); their defaults when None."""

    def __init__(self, path: Path, settings: Settings | None = None):
        self.path = Path(path)
        settings = settings or Settings()
        self.common_share, self.common_min_chunks = settings.lexical_common_share, settings.lexical_common_min_chunks
        if self.path.parent.exists() and not self.path.parent.is_dir():
            raise ConfigError(f"the store {self.path.parent} is a file, not a folder; give --store a folder")
        self._local = threading.local()
        self.read_only = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            migrations.migrate(self.db)  # an older store is brought up to date in place
        except (OSError, sqlite3.OperationalError) as exc:
            # A store on a read-only disk or without write permission still answers questions.
            if not self.path.is_file() or not _read_only_error(exc):
                raise
            self._local = threading.local()
            self.read_only = True

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.read_only:  # immutable: no -wal or -shm file is needed (nor could be made)
                conn = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, timeout=60,
                                       isolation_level=None, check_same_thread=False)
            else:
                conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read this thread makes in the block sees one version of the catalog: a read transaction, which
        WAL pins to the file as it was at the block's first read. A question reads the catalog many times (its
        lexical search alone twice: FTS rowids, then their chunk ids); an ingest committing between two reads
        would otherwise mix versions, and SQLite reuses a deleted chunk's rowid for the next chunk inserted.
        Nested blocks share the outer one's snapshot; the ingest's commits wait for nothing."""
        db = self.db
        if db.in_transaction:
            yield
            return
        db.execute("BEGIN")
        try:
            yield
        finally:
            if db.in_transaction:
                db.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with migrations.immediate(self.db) as db:
            yield db

    # -- documents -----------------------------------------------------------------------------
    def document(self, doc_id: str) -> dict | None:
        row = self.db.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return _doc(row) if row else None

    def documents(self) -> list[dict]:
        """Every document's registry row, oldest first. Read-only: the rows are shared by the callers.

        Cached per connection until the file changes: a question reads the registry several times (which
        reports a year names, their titles), and a library of thousands of reports takes tens of
        milliseconds to read. `PRAGMA data_version` changes when another connection commits (an ingest in
        another process), `total_changes` when this one does."""
        db = self.db
        key = (db.execute("PRAGMA data_version").fetchone()[0], db.total_changes)
        cached = getattr(self._local, "documents", None)
        if cached is None or cached[0] != key:
            cached = (key, [_doc(r) for r in db.execute("SELECT * FROM documents ORDER BY published, doc_id")])
            self._local.documents = cached
        return list(cached[1])

    def chunk_texts(self, doc_id: str) -> list[tuple[str, str]]:
        """(chunk id, text and section heading: what the lexical index indexes) of each chunk of a document."""
        return [(r[0], f"{r[1]}\n{r[2] or ''}") for r in self.db.execute(
            "SELECT id, text, section FROM chunks WHERE doc_id = ? ORDER BY rowid", (doc_id,))]

    def chunk_ids_of(self, doc_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The chunk ids of each of these documents (empty for an unknown one)."""
        ids = list(dict.fromkeys(doc_ids))
        out: dict[str, list[str]] = {d: [] for d in ids}
        if ids:
            for r in self.db.execute(f"SELECT doc_id, id FROM chunks WHERE doc_id IN ({','.join('?' * len(ids))}) "
                                     "ORDER BY rowid", ids):
                out[r[0]].append(r[1])
        return {d: tuple(v) for d, v in out.items()}

    def chunk_metas(self, doc_id: str) -> dict[str, str | None]:
        """Each chunk of a document and its stored meta JSON (None for none, as a store migrated from the
        first schema holds until its documents are ingested again)."""
        return {r[0]: r[1] for r in self.db.execute("SELECT id, meta FROM chunks WHERE doc_id = ?", (doc_id,))}

    def chunk_ids(self, doc_id: str) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))}

    def all_chunk_ids(self) -> set[str]:
        """The id of every stored chunk (what the vector store should hold, no more, no less)."""
        return {r[0] for r in self.db.execute("SELECT id FROM chunks")}

    def replace_document(self, meta: dict, pages: list[tuple[int | None, str]], chunks: list[Chunk],
                         sentence_vectors: dict[str, list] | None = None) -> None:
        """Store a document, its pages and chunks in one transaction, replacing any older version.
        `sentence_vectors`: per new chunk id, (start, end, float32 vector) of its sentences."""
        row = dict(meta)
        row.update(pages=len(pages), chunks=len(chunks), ingested_at=datetime.now(timezone.utc).isoformat(
            timespec="seconds"), strategy=json.dumps(meta.get("strategy") or []),
            extra=json.dumps(meta.get("extra") or {}, default=str))  # TOML dates are not JSON
        keep = {c.id for c in chunks}
        with self.transaction() as db:
            old = [r[0] for r in db.execute("SELECT id FROM chunks WHERE doc_id = ?", (meta["doc_id"],))]
            gone = [i for i in old if i not in keep]
            for i in range(0, len(gone), _ID_BATCH):
                part = gone[i:i + _ID_BATCH]
                db.execute(f"DELETE FROM sentence_vectors WHERE chunk_id IN ({','.join('?' * len(part))})", part)
            if sentence_vectors:
                db.executemany("INSERT OR REPLACE INTO sentence_vectors VALUES (?, ?, ?, ?)",
                               [(cid, s, e, v.tobytes()) for cid, rows in sentence_vectors.items() if cid in keep
                                for s, e, v in rows])
            self._delete(db, meta["doc_id"])
            db.execute(f"INSERT INTO documents ({','.join(DOC_FIELDS)}) VALUES ({','.join('?' * len(DOC_FIELDS))})",
                       [row.get(f) for f in DOC_FIELDS])
            db.executemany("INSERT INTO pages VALUES (?, ?, ?)", [(meta["doc_id"], p, t) for p, t in pages])
            db.executemany(
                "INSERT INTO chunks (id, doc_id, page, section, char_start, char_end, text, meta) "
                "VALUES (?,?,?,?,?,?,?,?)",
                [(c.id, c.doc_id, c.page, c.section, c.char_start, c.char_end, c.text, meta_json(c.meta))
                 for c in chunks])

    def delete_document(self, doc_id: str) -> None:
        with self.transaction() as db:
            self._delete(db, doc_id, keep_sentences=False)

    def sentence_vectors(self, chunk_ids: Iterable[str]) -> dict[tuple[str, int], bytes]:
        """Stored sentence vectors (float32 bytes) by (chunk id, sentence start)."""
        ids = list(dict.fromkeys(chunk_ids))
        if not ids:
            return {}
        rows = self.db.execute(f"SELECT chunk_id, start, vector FROM sentence_vectors WHERE chunk_id IN "
                               f"({','.join('?' * len(ids))})", ids)
        return {(r[0], r[1]): r[2] for r in rows}

    @staticmethod
    def _delete(db: sqlite3.Connection, doc_id: str, keep_sentences: bool = True) -> None:
        if not keep_sentences:
            db.execute("DELETE FROM sentence_vectors WHERE chunk_id IN (SELECT id FROM chunks WHERE doc_id = ?)",
                       (doc_id,))
        db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        db.execute("DELETE FROM pages WHERE doc_id = ?", (doc_id,))
        db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    # -- chunks and pages -------------------------------------------------------------------------
    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        """The chunks with these ids that the catalog knows, with their documents' metadata."""
        ids = list(ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT c.*, d.title, d.publisher, d.published, d.url, d.strategy, d.year FROM chunks c "
            f"JOIN documents d USING (doc_id) WHERE c.id IN ({marks})", ids).fetchall()
        return {r["id"]: _chunk(r) for r in rows}

    def chunk_bound(self) -> int:
        """At least the number of chunks stored, read at once (the largest row id; counting reads every row)."""
        return self.db.execute("SELECT max(rowid) FROM chunks").fetchone()[0] or 0

    def chunk_count(self, doc_ids: Iterable[str] | None = None) -> int:
        """How many chunks are stored (in these documents only, when given)."""
        if doc_ids is None:
            return self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        ids = list(dict.fromkeys(doc_ids))
        return self.db.execute(f"SELECT count(*) FROM chunks WHERE doc_id IN ({','.join('?' * len(ids))})",
                               ids).fetchone()[0] if ids else 0

    def page_text(self, doc_id: str, page: int | None) -> str | None:
        row = self.db.execute("SELECT text FROM pages WHERE doc_id = ? AND page IS ?", (doc_id, page)).fetchone()
        return row[0] if row else None

    def document_text(self, doc_id: str) -> str:
        rows = self.db.execute("SELECT text FROM pages WHERE doc_id = ? ORDER BY page", (doc_id,)).fetchall()
        return "\n\n".join(r[0] for r in rows)

    def next_chunk(self, chunk: Chunk) -> Chunk | None:
        """The chunk after this one on its page (its text carries on from this one's), or None."""
        row = self.db.execute(
            "SELECT c.*, d.title, d.publisher, d.published, d.url, d.strategy, d.year FROM chunks c "
            "JOIN documents d USING (doc_id) WHERE c.doc_id = ? AND c.page IS ? AND c.char_start > ? "
            "ORDER BY c.char_start LIMIT 1", (chunk.doc_id, chunk.page, chunk.char_start)).fetchone()
        return _chunk(row) if row else None

    def iter_chunks(self, doc_id: str | None = None) -> Iterator[Chunk]:
        sql = ("SELECT c.*, d.title, d.publisher, d.published, d.url, d.strategy, d.year FROM chunks c "
               "JOIN documents d USING (doc_id)")
        args: tuple = ()
        if doc_id:
            sql += " WHERE c.doc_id = ?"
            args = (doc_id,)
        for r in self.db.execute(sql + " ORDER BY c.doc_id, c.page, c.char_start", args):
            yield _chunk(r)

    # -- lexical search ---------------------------------------------------------------------------
    def lexical_search(self, query: str, limit: int = 20, doc_ids: list[str] | None = None) -> list[tuple[str, float]]:
        """BM25 ranking (FTS5) of chunks for the query's terms, best first: (chunk id, bm25 score)."""
        terms = list(dict.fromkeys(query_terms(query)))
        if not terms:
            return []
        terms = self._without_common(terms)
        match = " OR ".join(f'"{t}"' for t in terms)
        if doc_ids is None:
            # Ranked in the FTS table alone, then the few winners' ids looked up: joining every matching row
            # to `chunks` before sorting costs more than the ranking itself in a large library.
            top = self.db.execute("SELECT rowid, bm25(chunks_fts) AS s FROM chunks_fts WHERE chunks_fts MATCH ? "
                                  "ORDER BY s LIMIT ?", (match, limit)).fetchall()
            if not top:
                return []
            ids = dict(self.db.execute(f"SELECT rowid, id FROM chunks WHERE rowid IN ({','.join('?' * len(top))})",
                                       [r[0] for r in top]).fetchall())
            return [(ids[r[0]], -float(r[1])) for r in top if r[0] in ids]
        if not doc_ids:
            return []
        sql = ("SELECT c.id, bm25(chunks_fts) AS s FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
               f"WHERE chunks_fts MATCH ? AND c.doc_id IN ({','.join('?' * len(doc_ids))}) ORDER BY s LIMIT ?")
        return [(r[0], -float(r[1])) for r in self.db.execute(sql, [match, *doc_ids, limit])]

    def _without_common(self, terms: list[str]) -> list[str]:
        """In a library of `common_min_chunks` or more, the query terms less those in over `common_share` of all
        chunks (at least the two rarest present are kept); a smaller one is searched with every term. BM25
        gives such words almost no weight, but FTS5 scores every chunk that has them: "services" in 30% of 100k
        chunks made a lexical search three times slower without changing its top results (a learned stop
        list, as search engines' "common terms" queries do)."""
        if len(terms) <= 2:
            return terms
        n = self.chunk_bound()
        if n < self.common_min_chunks:
            return terms
        df = self.document_frequency(terms)
        present = sorted((t for t in terms if df[t]), key=lambda t: df[t])
        rare = [t for t in present if df[t] <= self.common_share * n]
        return rare if len(rare) >= 2 else (present[:2] or terms)

    def document_frequency(self, terms: Iterable[str], forms: dict[str, list[str]] | None = None) -> dict[str, int]:
        """How many chunks contain each term (porter-stemmed match), for weighting question terms;
        `forms` gives other spellings of a term (phrases allowed), any of which counts."""
        out = {}
        for t in dict.fromkeys(terms):
            match = " OR ".join(f'"{f}"' for f in (forms or {}).get(t, [t]))
            out[t] = self.db.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?",
                                     (match,)).fetchone()[0]
        return out

    def filter_doc_ids(self, doc_ids=None, publisher=None, year_from=None, year_to=None, strategy=None) -> list[str]:
        """The documents matching all the given metadata filters. An undated document (an upload, a file with
        no manifest entry) stays in under a year range: nothing says it is outside it."""
        out = []
        for d in self.documents():
            if doc_ids and d["doc_id"] not in doc_ids:
                continue
            if publisher and (d["publisher"] or "").lower() != publisher.lower():
                continue
            if year_from and d["year"] is not None and d["year"] < year_from:
                continue
            if year_to and d["year"] is not None and d["year"] > year_to:
                continue
            if strategy and not any(strategy.lower() in s.lower() for s in d["strategy"]):
                continue
            out.append(d["doc_id"])
        return out


def _read_only_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return isinstance(exc, PermissionError) or "readonly" in text or "read-only" in text or "unable to open" in text


def _doc(row: sqlite3.Row) -> dict:
    d = dict(row)
    d["strategy"] = json.loads(d["strategy"] or "[]")
    d["extra"] = json.loads(d["extra"] or "{}")
    return d


def meta_json(meta: dict | None) -> str | None:
    """A chunk's own metadata as the meta column holds it: JSON data (anything else as its string), without the
    document's fields, at most META_MAX_CHARS long: over it, the largest values are left out first and
    `truncated` says so."""
    own = {str(k): v for k, v in (meta or {}).items() if k not in _DOC_META}
    if not own:
        return None
    text = json.dumps(own, ensure_ascii=False, default=str)
    while len(text) > META_MAX_CHARS:
        big = max((k for k in own if k != "truncated"), key=lambda k: len(json.dumps(own[k], default=str)))
        del own[big]
        own["truncated"] = True
        text = json.dumps(own, ensure_ascii=False, default=str)
    return text


def _own_meta(r: sqlite3.Row) -> dict:
    """The meta column of a chunk row as a dict ({} for none, for a store not yet migrated, or for a value
    that is not a JSON object, which is logged: a damaged row still shows its text)."""
    raw = r["meta"] if "meta" in r.keys() else None
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        log.warning("chunk %s has unreadable metadata; it is shown without it", r["id"])
        return {}
    return value


def _chunk(r: sqlite3.Row) -> Chunk:
    meta = {**_own_meta(r), "title": r["title"], "publisher": r["publisher"], "published": r["published"],
            "url": r["url"], "strategy": json.loads(r["strategy"] or "[]"), "year": r["year"]}
    return Chunk(r["id"], r["doc_id"], r["text"], r["page"], r["section"], r["char_start"], r["char_end"], meta)
