"""The vector store: Chroma, embedded (`PersistentClient`, default) or a server (`HttpClient`).

Vectors are always computed by our own embedder and passed in: a collection is created with
`embedding_function=None`, so Chroma's default embedder (which downloads a model) is never used.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Protocol, Sequence
from urllib.parse import urlparse

from assistant.config import Settings
from assistant.errors import ConfigError, IndexMismatchError, StoreBusyError
from assistant.types import Chunk

if TYPE_CHECKING:
    import numpy as np

_BATCH = 4000  # below Chroma's maximum batch size


class VectorStore(Protocol):
    """What the pipeline and the retriever need from a vector store."""

    def add(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None: ...

    def search(self, embedding: Sequence[float], k: int, doc_ids: list[str] | None = None) -> list[tuple[str, float]]: ...

    def search_among(self, embedding: Sequence[float], ids: Sequence[str], k: int) -> list[tuple[str, float]]: ...

    def vectors(self, ids: Sequence[str]) -> tuple[list[str], "np.ndarray"]: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def ids(self, doc_id: str | None = None) -> set[str]: ...

    def count(self) -> int: ...


def embedding_text(chunk: Chunk) -> str:
    """The text a chunk's vector is made from: the section title gives a passage the context its sentences
    assume ("Notes for editors"). Ingestion and `check --repair` both embed this."""
    return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text


def make_client(settings: Settings):
    """A Chroma client for the settings: a server when `chroma_url` is set, else embedded on disk."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in {"http", "https"} or not url.hostname:
            raise ConfigError(f"Chroma URL {settings.chroma_url!r} should look like http://HOST:PORT")
        try:
            return chromadb.HttpClient(host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
                                       ssl=url.scheme == "https", settings=chroma_settings)
        except ValueError as exc:  # chromadb's "Could not connect to a Chroma server"
            raise ConfigError(f"cannot reach the Chroma server at {settings.chroma_url} ({exc}); start it with "
                              "`chroma run --path DIR --host 127.0.0.1 --port PORT` or fix --chroma-url") from exc
    store = Path(settings.store_dir)
    if store.exists() and not store.is_dir():
        raise ConfigError(f"the store {store} is a file, not a folder; give --store a folder")
    store.mkdir(parents=True, exist_ok=True)
    path = store / "chroma"
    try:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        if not path.is_dir() or os.access(path, os.W_OK) and "readonly" not in str(exc):
            raise
    # A store on a read-only disk (or without write permission): embedded Chroma cannot even open it, as it
    # writes on start. Questions are served from a private copy, removed when the process ends; writers never
    # get here, as the write lock cannot be taken on a read-only store.
    return chromadb.PersistentClient(path=str(_read_only_copy(path)), settings=chroma_settings)


def _read_only_copy(path: Path) -> Path:
    import atexit
    import shutil
    import tempfile

    copy = Path(tempfile.mkdtemp(prefix="audit-assistant-ro-")) / "chroma"
    shutil.copytree(path, copy)
    atexit.register(shutil.rmtree, copy.parent, True)
    return copy


class ChromaStore:
    """A Chroma collection that remembers the embedding model it was built with."""

    def __init__(self, client, name: str, model_name: str, dimension: int):
        self.client = client
        self.model_name = model_name
        self.dimension = dimension
        self.collection = client.get_or_create_collection(
            name, embedding_function=None,
            metadata={"hnsw:space": "cosine", "embedding_model": model_name, "dimension": dimension},
        )
        meta = self.collection.metadata or {}
        if meta.get("embedding_model") != model_name or int(meta.get("dimension", dimension)) != dimension:
            raise IndexMismatchError(
                f"the store was built with embedding model {meta.get('embedding_model')!r} "
                f"({meta.get('dimension')} dimensions), not {model_name!r} ({dimension}); "
                "use that model or re-ingest into a new store"
            )

    def add(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        """Upsert chunks with their vectors (idempotent: ids are content hashes)."""
        for i in range(0, len(chunks), _BATCH):
            part = chunks[i:i + _BATCH]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=[list(e) for e in embeddings[i:i + _BATCH]],
                documents=[c.text for c in part],
                metadatas=[{"doc_id": c.doc_id, "page": c.page if c.page is not None else -1,
                            "section": c.section or "", "char_start": c.char_start, "char_end": c.char_end}
                           for c in part],
            )

    def search(self, embedding: Sequence[float], k: int, doc_ids: list[str] | None = None) -> list[tuple[str, float]]:
        """The k nearest chunk ids with their cosine similarity, best first."""
        if doc_ids is not None and not doc_ids:
            return []
        where = None
        if doc_ids:
            where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": list(doc_ids)}}
        # No count() first: Chroma returns fewer than k when the collection (or the filter) holds fewer, and
        # counting a large collection costs as much as the query.
        res = self.collection.query(query_embeddings=[list(embedding)], n_results=k, where=where,
                                    include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]

    def search_among(self, embedding: Sequence[float], ids: Sequence[str], k: int) -> list[tuple[str, float]]:
        """The k of these chunks nearest the embedding, exactly: their vectors fetched by id and compared.

        For a filter down to a few reports this is both exact and much faster than Chroma's filtered
        approximate search, which at 100k chunks spends ~100 ms selecting the allowed ids by metadata."""
        import numpy as np

        kept, vectors = self.vectors(ids)
        if not kept:
            return []
        query = np.asarray(embedding, dtype=np.float32)
        sims = vectors @ (query / (np.linalg.norm(query) or 1.0))
        order = np.argsort(-sims)[:k]
        return [(kept[i], float(sims[i])) for i in order]

    def vectors(self, ids: Sequence[str]) -> tuple[list[str], "np.ndarray"]:
        """The vectors of these chunks, each scaled to length 1, one row per id found, in the order given (an id
        the store lacks is left out): what an exact search compares, and what one of a whole library keeps."""
        import numpy as np

        found: dict[str, list[float]] = {}
        ids = list(ids)
        for i in range(0, len(ids), _BATCH):
            got = self.collection.get(ids=ids[i:i + _BATCH], include=["embeddings"])
            found.update(zip(got["ids"], got["embeddings"]))
        kept = [i for i in ids if i in found]
        matrix = np.asarray([found[i] for i in kept], dtype=np.float32).reshape(len(kept), self.dimension)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return kept, matrix / np.where(norms == 0, 1.0, norms)

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), _BATCH):
            self.collection.delete(ids=ids[i:i + _BATCH])

    def ids(self, doc_id: str | None = None) -> set[str]:
        where = {"doc_id": doc_id} if doc_id else None
        return set(self.collection.get(where=where, include=[])["ids"])

    def count(self) -> int:
        return self.collection.count()


@contextmanager
def write_lock(settings: Settings, timeout: float | None = None, on_wait=None) -> Iterator[None]:
    """Hold the store's inter-process write lock (`STORE/write.lock`) for the block.

    Every writer (ingest, uploads, prune, repair) takes it; readers never do. Embedded Chroma is not safe
    for two writing processes: two ingests at once left vectors listed but unreadable. The lock is re-entrant
    in a thread and excludes other threads and processes. `timeout` None waits as long as it takes, calling
    `on_wait()` once first when another writer holds it; on timeout StoreBusyError is raised."""
    from filelock import FileLock, Timeout

    store = Path(settings.store_dir)
    if store.exists() and not store.is_dir():
        raise ConfigError(f"the store {store} is a file, not a folder; give --store a folder")
    try:
        store.mkdir(parents=True, exist_ok=True)
        lock = FileLock(store / "write.lock", is_singleton=True)
        lock.acquire(timeout=0)
    except Timeout:  # (a TimeoutError, so an OSError: caught first)
        if on_wait:
            on_wait()
        try:
            lock.acquire(timeout=-1 if timeout is None else timeout)
        except Timeout:
            raise StoreBusyError(f"another ingest or upload is writing to the store {store}; try again when it has "
                                 "finished") from None
    except OSError as exc:  # a read-only disk, no permission: nothing can be written, questions still work
        raise ConfigError(f"cannot write to the store {store} ({exc.strerror or exc}); it can be asked questions "
                          "but not changed") from exc
    try:
        yield
    finally:
        lock.release()


def make_store(settings: Settings, model_name: str, dimension: int) -> ChromaStore:
    """The vector store named by the settings."""
    return ChromaStore(make_client(settings), settings.collection, model_name, dimension)
