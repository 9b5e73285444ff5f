"""Hybrid retrieval: dense search in Chroma plus BM25 (SQLite FTS5) over the same chunks, fused by
reciprocal rank fusion, with metadata filters. `HybridRetriever` is a LangChain `BaseRetriever`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.config import Settings
from assistant.store.catalog import Catalog
from assistant.types import ScoredChunk

RRF_K = 60  # the constant of Cormack et al.'s reciprocal rank fusion
# A filter down to at most this many chunks (of at most this many reports) is searched exactly (see
# ChromaStore.search_among); a wider one goes to Chroma's filtered search. A speed switch, not a tuning of what
# is found: below it, scoring the few vectors exactly is faster than Chroma selecting the allowed ids by metadata
# (about 100 ms at 100k chunks), and the exact ranking is the one the approximate search approximates.
EXACT_MAX_DOCS, EXACT_MAX_CHUNKS = 60, 800
_CACHED_QUERIES = 64  # query vectors kept: a question searches a few times, a busy server asks many questions
_LOCK = threading.Lock()  # guards the query-vector caches (searchers are shared by threads)


@dataclass(frozen=True)
class Filters:
    """Metadata filters applied to both dense and lexical search."""

    doc_ids: tuple[str, ...] = ()
    publisher: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    strategy: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.doc_ids or self.publisher or self.year_from or self.year_to or self.strategy)

    @classmethod
    def from_dict(cls, d: dict | None) -> "Filters":
        d = d or {}
        return cls(tuple(d.get("doc_ids") or ()), d.get("publisher"), d.get("year_from"), d.get("year_to"),
                   d.get("strategy"))


class LibraryVectors:
    """Every chunk's vector, scaled to length 1, with each id's row: read from the vector store once and kept
    while the library is the same, for exact search (see Searcher). Shared by the searchers of one assistant."""

    def __init__(self):
        self._held = None
        self._lock = threading.Lock()

    def get(self, store, catalog: Catalog) -> tuple[list[str], Any, dict[str, int]]:
        """The library's ids (sorted), vectors and rows. The key is each document with when it was ingested and its
        number of chunks: every change of the library's chunks adds, replaces or removes a document, and a
        replaced one is ingested anew. It is read from the registry the catalog keeps cached, not from the chunks,
        so a search reads nothing in proportion to the library (keyed by every chunk id, a search at 10k chunks
        took 31 ms at the median, against 21 ms so). A read that misses vectors (an ingest in another process
        between the two stores' writes) is used for this search and not kept."""
        key = tuple((d["doc_id"], d.get("ingested_at"), d.get("chunks")) for d in catalog.documents())
        with self._lock:
            held = self._held
        if held is not None and held[0] == key:
            return held[1:]
        wanted = sorted(catalog.all_chunk_ids())
        ids, matrix = store.vectors(wanted)
        got = (ids, matrix, {cid: r for r, cid in enumerate(ids)})
        if len(ids) == len(wanted):
            with self._lock:
                self._held = (key, *got)
        return got


class Searcher:
    """Runs the two searches and fuses them; the catalog decides which chunks exist. `candidates`: how many
    results each search returns before fusion (`Settings.retrieval_candidates`), at least three times k;
    `exact_max_chunks`: the largest library searched exactly (`Settings.exact_search_max_chunks`), from the
    vectors `library` keeps (another searcher's, to share them)."""

    def __init__(self, embedder, store, catalog: Catalog, candidates: int = Settings.retrieval_candidates,
                 exact_max_chunks: int = Settings.exact_search_max_chunks, library: LibraryVectors | None = None):
        self.embedder = embedder
        self.store = store
        self.catalog = catalog
        self.candidates = candidates
        self.exact_max_chunks = exact_max_chunks
        self.library = library or LibraryVectors()

    def query_vector(self, query: str) -> list[float]:
        """The query's embedding; one question searches several times (per named report), so the last few
        are kept."""
        cache = self.__dict__.setdefault("_vectors", OrderedDict())
        with _LOCK:
            if query in cache:
                cache.move_to_end(query)
                return cache[query]
        vector = self.embedder.embed_query(query)
        with _LOCK:
            cache[query] = vector
            while len(cache) > _CACHED_QUERIES:
                cache.popitem(last=False)
        return vector

    def search(self, query: str, k: int = 6, filters: Filters | None = None) -> list[ScoredChunk]:
        """The k best chunks for the query, fused from dense and lexical rankings, read from one version of the
        catalog (see `Catalog.snapshot`)."""
        with self.catalog.snapshot():
            return self._search(query, k, filters or Filters())

    def _search(self, query: str, k: int, filters: Filters) -> list[ScoredChunk]:
        doc_ids = None
        if filters.active:
            doc_ids = self.catalog.filter_doc_ids(list(filters.doc_ids) or None, filters.publisher,
                                                  filters.year_from, filters.year_to, filters.strategy)
            if not doc_ids:
                return []
        n = max(self.candidates, 3 * k)
        vector = self.query_vector(query)
        # A library of at most `exact_max_chunks` passages is searched exactly, filtered or not, from its vectors
        # kept in memory, so it finds the same passages in every process: Chroma's approximate index does not (on
        # the 442-passage evaluation library its 60 nearest differed from the exact ones for 44 to 56 of the 413
        # tuning questions, a different number in each of four processes).
        within = self.catalog.chunk_bound() <= self.exact_max_chunks
        among = None
        if doc_ids and (within or len(doc_ids) <= EXACT_MAX_DOCS):
            among = [i for ids in self.catalog.chunk_ids_of(doc_ids).values() for i in ids]
        near = None  # every chunk's similarity, where the search was made in memory
        if within:
            dense, near = self._library_search(vector, among, n)
        elif among is not None and len(among) <= EXACT_MAX_CHUNKS:
            dense = self.store.search_among(vector, among, n)
        else:
            dense = self.store.search(vector, n, doc_ids)
        lexical = self.catalog.lexical_search(query, n, doc_ids)
        scores: dict[str, float] = {}
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, 1)}
        lex_rank = {cid: r for r, (cid, _) in enumerate(lexical, 1)}
        for ranks in (dense_rank, lex_rank):
            for cid, r in ranks.items():
                scores[cid] = scores.get(cid, 0.0) + 1.0 / (RRF_K + r)
        similarity = dict(dense)
        # A passage only the lexical search found has a similarity all the same: fetched for the few kept, so
        # the answerer never reads "not seen by dense search" as "unlike the question" (a cosine of 0).
        unseen = [cid for cid, _ in lexical if cid not in similarity]
        if unseen:
            similarity.update(near(unseen) if near else self.store.search_among(vector, unseen, len(unseen)))
        ranked = sorted(scores, key=lambda c: -scores[c])
        # Fusion favours passages both searches found; in a large library a passage only one of them
        # ranks first (a rare name such as "clusters" found by BM25 alone) would fall out of the top k.
        # The best few of each list are therefore always kept.
        keep = max(1, k // 4)
        sure = list(dict.fromkeys([cid for cid, _ in lexical[:keep]] + [cid for cid, _ in dense[:keep]]))
        ranked = sure + [c for c in ranked if c not in sure]
        ranked = sorted(ranked[:k], key=lambda c: -scores[c]) + ranked[k:]
        known = self.catalog.chunks(ranked[: 3 * k])  # vectors the catalog does not know are not shown
        out = []
        for cid in ranked[: 3 * k]:
            if cid in known:
                out.append(ScoredChunk(known[cid], scores[cid], dense_rank.get(cid), lex_rank.get(cid),
                                       similarity.get(cid)))
            if len(out) == k:
                break
        return out

    def warm_up(self) -> None:
        """Read the whole library's vectors now, where it is searched exactly, so the first question does not."""
        with self.catalog.snapshot():
            if self.catalog.chunk_bound() <= self.exact_max_chunks:
                self.library.get(self.store, self.catalog)

    def _library_search(self, vector: list[float], among: list[str] | None, n: int):
        """The n chunks nearest the vector, exactly, of the whole library or of the chunks `among`, from the
        library's vectors kept in memory; and a function giving any chunks' similarities from the same scores."""
        import numpy as np

        ids, matrix, row = self.library.get(self.store, self.catalog)
        query = np.asarray(vector, dtype=np.float32)
        sims = matrix @ (query / (np.linalg.norm(query) or 1.0))  # every chunk's: a few ms at the largest bound
        rows = (np.arange(len(ids)) if among is None
                else np.asarray(sorted(row[i] for i in among if i in row), dtype=int))
        # by similarity, then by row (the kept ids are sorted): equal scores come out in the same order every time
        order = rows[np.lexsort((rows, -sims[rows]))[:n]]
        return ([(ids[r], float(sims[r])) for r in order],
                lambda cids: {c: float(sims[row[c]]) for c in cids if c in row})


class HybridRetriever(BaseRetriever):
    """LangChain retriever over our hybrid search; documents carry the chunk fields as metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    searcher: Any
    k: int = 6
    filters: Filters = Filters()

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [to_document(sc) for sc in self.searcher.search(query, self.k, self.filters)]


def to_document(sc: ScoredChunk) -> Document:
    """A LangChain Document for a scored chunk."""
    c = sc.chunk
    meta = {"chunk_id": c.id, "doc_id": c.doc_id, "page": c.page, "section": c.section,
            "char_start": c.char_start, "char_end": c.char_end, "score": sc.score, "similarity": sc.similarity,
            **{k: v for k, v in c.meta.items()}}
    return Document(page_content=c.text, metadata=meta, id=c.id)


def from_document(doc: Document):
    """The ScoredChunk a Document made by `to_document` stands for."""
    from assistant.types import Chunk

    m = dict(doc.metadata)
    chunk = Chunk(m.pop("chunk_id"), m.pop("doc_id"), doc.page_content, m.pop("page"), m.pop("section"),
                  m.pop("char_start"), m.pop("char_end"), {})
    score, sim = m.pop("score", 0.0), m.pop("similarity", None)
    return ScoredChunk(Chunk(chunk.id, chunk.doc_id, chunk.text, chunk.page, chunk.section, chunk.char_start,
                             chunk.char_end, m), score, similarity=sim)
