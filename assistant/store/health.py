"""`check` and `check --repair`: every chunk the catalog knows has a readable vector, and no vector is orphaned.

A vector can be listed by Chroma yet unreadable (two writers at once left "Error finding id"), missing (an
ingest killed between writes, a store restored from a backup), or orphaned (in Chroma, unknown to the
catalog: a killed or failed ingest). Repair re-embeds the first two from the catalog's text, exactly as
ingestion embeds them, and deletes the orphans, under the store's write lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.store.vectors import embedding_text

# Vectors read back per request to check they are readable, and chunks embedded again per batch on repair:
# sizes of work per call, not tunings (a few hundred vectors of 384 floats is a small request and model batch).
_READ_BATCH = 500
_REPAIR_BATCH = 256


@dataclass(frozen=True)
class Finding:
    """One problem: `kind` is missing | unreadable | orphan."""

    kind: str
    chunk_id: str
    doc_id: str | None = None


@dataclass
class Health:
    """What a check found, and what a repair fixed."""

    chunks: int = 0
    documents: int = 0
    vectors: int = 0
    findings: list[Finding] = field(default_factory=list)
    repaired: list[Finding] = field(default_factory=list)
    left: list[Finding] = field(default_factory=list)  # found, and still wrong after a repair

    def count(self, kind: str) -> int:
        return sum(f.kind == kind for f in self.findings)

    def summary(self) -> str:
        line = (f"checked {self.chunks} chunks of {self.documents} documents against {self.vectors} vectors: "
                f"{self.count('missing')} missing, {self.count('unreadable')} unreadable, "
                f"{self.count('orphan')} orphaned")
        if self.repaired or self.left:
            line += f"; repaired {len(self.repaired)}, {len(self.left)} problems remain"
        return line


def check(catalog, store) -> Health:
    """Compare the catalog's chunks with the vectors the store lists and can read."""
    owners = {c_id: doc_id for doc_id, c_id in catalog.db.execute("SELECT doc_id, id FROM chunks")}
    listed = store.ids()
    health = Health(chunks=len(owners), documents=len({*owners.values()}), vectors=len(listed))
    present = sorted(set(owners) & listed)
    bad = set()
    for i in range(0, len(present), _READ_BATCH):
        bad |= unreadable(store, present[i:i + _READ_BATCH])
    for c_id in sorted(owners, key=lambda c: (owners[c], c)):
        if c_id not in listed:
            health.findings.append(Finding("missing", c_id, owners[c_id]))
        elif c_id in bad:
            health.findings.append(Finding("unreadable", c_id, owners[c_id]))
    health.findings += [Finding("orphan", c_id) for c_id in sorted(listed - set(owners))]
    return health


def unreadable(store, ids: list[str]) -> set[str]:
    """The ids among these whose vectors cannot be read back whole (halving a batch that fails to find which)."""
    import math

    if not ids:
        return set()
    try:
        got = store.collection.get(ids=ids, include=["embeddings"])
    except Exception:  # Chroma's InternalError "Error finding id" names no id: narrow it down
        if len(ids) == 1:
            return set(ids)
        half = len(ids) // 2
        return unreadable(store, ids[:half]) | unreadable(store, ids[half:])
    vectors = dict(zip(got["ids"], got["embeddings"] if got["embeddings"] is not None else []))
    bad = set()
    for c_id in ids:
        v = vectors.get(c_id)
        if v is None or len(v) != store.dimension or not all(math.isfinite(float(x)) for x in v):
            bad.add(c_id)
    return bad


def repair(settings, catalog, store, embedder) -> Health:
    """Check, then re-embed missing and unreadable vectors and delete orphans; then check again."""
    from assistant.store.vectors import write_lock

    with write_lock(settings):
        health = check(catalog, store)  # under the lock: no writer is half-way now
        orphans = [f.chunk_id for f in health.findings if f.kind == "orphan"]
        redo = [f.chunk_id for f in health.findings if f.kind != "orphan"]
        if orphans:
            store.delete(orphans)
        if redo:
            _reembed(catalog, store, embedder, redo)
        after = check(catalog, store)
    still = {f.chunk_id for f in after.findings}
    health.left = after.findings
    health.repaired = [f for f in health.findings if f.chunk_id not in still]
    return health


def _reembed(catalog, store, embedder, ids: list[str]) -> None:
    """Embed these chunks again from the catalog, with their section title as ingestion does, and store them."""
    chunks = list(catalog.chunks(ids).values())
    try:
        store.delete([c.id for c in chunks])  # an unreadable entry is replaced, not upserted over
    except Exception:
        pass  # upsert below replaces what delete could not remove; the re-check says if it did not
    for i in range(0, len(chunks), _REPAIR_BATCH):
        part = chunks[i:i + _REPAIR_BATCH]
        store.add(part, embedder.embed_documents([embedding_text(c) for c in part]))


def open_for_check(settings):
    """The store as it was built, without loading the model: its collection names the model and vector size.
    A store without a collection yet is an empty one of the default shape."""
    from assistant.store.vectors import ChromaStore, make_client

    client = make_client(settings)
    try:
        meta = client.get_collection(settings.collection).metadata or {}
    except Exception:  # chromadb raises NotFoundError (1.x) or ValueError (older) for a missing collection
        meta = {}
    return ChromaStore(client, settings.collection, meta.get("embedding_model", settings.embedding_model),
                       int(meta.get("dimension", 384)))  # the default model's (MiniLM-L6) vector size
