"""Ingestion: load -> clean -> chunk -> embed -> store, file by file, forgiving per file and strict overall.

Crash safety comes from the order of writes: new vectors are upserted first (ids are content hashes, so
a repeat is a no-op), then the catalog swaps the document in one SQLite transaction, and only then are
the old vectors deleted. Readers only ever see chunks the catalog knows, so a process killed at any
point leaves the previous version answering, and re-running completes the job without duplicates.

Documents are embedded together, a few hundred chunks at a time, then committed one by one in file
order: the model spends about a third less CPU on full, length-sorted batches than on one short
document at a time (measured by benchmarks/run.py), and the write order per document is unchanged.
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from assistant.store.catalog import Catalog
from assistant.config import Settings
from assistant.errors import AssistantError, IngestError
from assistant.text.sentences import split_sentences
from ingest.chunking import chunk_page
from ingest.cleaning import clean_pages
from ingest.loaders import SUPPORTED, load_file
from ingest.manifest import document_metadata, load_manifest


@dataclass
class FileResult:
    file: str
    doc_id: str | None = None
    status: str = "failed"  # added | updated | unchanged | failed
    pages: int = 0
    chunks: int = 0
    error: str | None = None


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embedded: int = 0

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> list[FileResult]:
        return [r for r in self.results if r.status != "failed"]

    def summary(self) -> str:
        pages = sum(r.pages for r in self.ok)
        chunks = sum(r.chunks for r in self.ok)
        rate = self.embedded / self.seconds if self.seconds else 0.0
        counts = {s: sum(r.status == s for r in self.results) for s in ("added", "updated", "unchanged", "failed")}
        parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        line = (f"{len(self.ok)} documents ({parts or 'none'}), {pages} pages, {chunks} chunks, "
                f"{self.embedded} embedded in {self.seconds:.1f} s ({rate:.1f} chunks/s)")
        if self.pruned:
            line += f", {len(self.pruned)} pruned"
        return line


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest: explicit files as given, directories walked for supported extensions."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED
                          and not any(part.startswith(".") for part in f.relative_to(p).parts))
        else:
            out.append(p)
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Ingestor:
    """Holds the embedder, vector store and catalog for one ingestion run (or many, in the UI)."""

    def __init__(self, settings: Settings, embedder=None, store=None, catalog: Catalog | None = None):
        from assistant.store.embeddings import make_embedder
        from assistant.store.vectors import make_store

        self.settings = settings
        self.embedder = embedder or make_embedder(settings)
        self.store = store or make_store(settings, self.embedder.name, self.embedder.dimension)
        self.catalog = catalog or Catalog(settings.sqlite_path)
        self._sentences: dict[str, list] = {}  # chunk id -> sentence vectors, until its document is stored

    def ingest(self, paths: Iterable[Path], prune: bool = False, progress: bool | None = None,
               on_file: Callable[[FileResult], None] | None = None) -> IngestReport:
        """Ingest every file under `paths`; a failing file is reported and the rest go on."""
        start = time.perf_counter()
        report = IngestReport()
        files = discover(paths)
        manifests: dict[Path, dict] = {}
        show = sys.stderr.isatty() if progress is None else progress
        staged: list[_Staged] = []  # loaded and chunked, waiting to be embedded together
        unsettled: list[FileResult] = []  # results not yet passed to on_file, in file order

        def settle(force: bool) -> None:
            if staged and (force or sum(len(s.todo) for s in staged) >= self._embed_batch):
                self._commit(staged, report, show)
                staged.clear()
            while unsettled and not any(s.result is unsettled[0] for s in staged):
                done = unsettled.pop(0)
                if on_file:
                    on_file(done)

        for path in files:
            result = FileResult(str(path))
            try:
                folder = path.parent.resolve()
                if folder not in manifests:
                    manifests[folder] = load_manifest(folder)
                doc = self._load(path, manifests[folder].get(str(path.resolve())), result)
                if any(s.meta["doc_id"] == doc.meta["doc_id"] for s in staged):
                    settle(True)  # the same doc_id twice: the second must see the first's vectors
                item = self._stage(doc)
                if item is not None:
                    staged.append(item)
            except AssistantError as exc:
                result.status, result.error = "failed", str(exc.reason if isinstance(exc, IngestError) else exc)
            report.results.append(result)
            unsettled.append(result)
            settle(False)
        settle(True)
        if prune:
            report.pruned = self.prune()
        report.seconds = time.perf_counter() - start
        return report

    @property
    def _embed_batch(self) -> int:
        return max(1, self.settings.embed_batch_size * 4)

    def _load(self, path: Path, entry: dict | None, result: FileResult) -> "_Staged":
        limit = int(self.settings.max_file_mb * 1e6)
        doc = load_file(path, max_pdf_pages=self.settings.max_pdf_pages, max_bytes=limit)
        meta = document_metadata(path, entry, doc.title)
        meta["sha256"] = sha256_file(path)
        meta["kind"] = meta["kind"] or doc.kind
        doc_id = result.doc_id = meta["doc_id"]
        pages = clean_pages(doc.pages)
        # Text and HTML have no pages of their own: they are one page, numbered 1.
        pages = [(p.number if p.number is not None else 1, p.text) for p in pages]
        chunks, section = [], None
        for number, text in pages:
            page_chunks, section = chunk_page(doc_id, number, text, self.settings.chunk_size,
                                              self.settings.chunk_overlap_sentences, section=section)
            chunks += page_chunks
        if not chunks:
            raise IngestError(path, "no text left after cleaning")
        result.pages, result.chunks = len(pages), len(chunks)
        return _Staged(result, meta, pages, chunks)

    def _stage(self, doc: "_Staged") -> "_Staged | None":
        """The document with the chunks it still needs embedded, or None when it is unchanged."""
        doc_id = doc.meta["doc_id"]
        old = self.catalog.document(doc_id)
        new_ids = {c.id for c in doc.chunks}
        stored = self.store.ids(doc_id)
        if old and old["sha256"] == doc.meta["sha256"] and self.catalog.chunk_ids(doc_id) == new_ids \
                and new_ids <= stored:
            doc.result.status = "unchanged"
            if stored - new_ids:  # leftovers of an ingest killed after its catalog swap
                self.store.delete(sorted(stored - new_ids))
            return None
        doc.todo = [c for c in doc.chunks if c.id not in stored]
        doc.stale = stored - new_ids
        doc.existed = old is not None
        return doc

    def _commit(self, staged: list["_Staged"], report: IngestReport, show: bool) -> None:
        """Embed the staged documents' new chunks together, then swap each document in, in file order."""
        todo = [c for s in staged for c in s.todo]
        label = Path(staged[-1].result.file).name if len(staged) == 1 else f"{len(staged)} documents"
        self._embed_and_add(todo, label, show)
        report.embedded += len(todo)
        for s in staged:
            try:
                # Figures first: the catalog swap is what marks a document done, so a kill between
                # the two leaves the old version in the catalog and the next run redoes both.
                self._index_figures(s.meta["doc_id"], s.chunks)
                vectors = {c.id: self._sentences.pop(c.id) for c in s.chunks if c.id in self._sentences}
                self.catalog.replace_document(s.meta, s.pages, s.chunks, vectors)
                if s.stale:
                    self.store.delete(sorted(s.stale))
                s.result.status = "updated" if s.existed else "added"
            except AssistantError as exc:
                s.result.status, s.result.error = "failed", str(exc)
            finally:
                for c in s.todo:  # a failed document's sentence vectors are not kept waiting in memory
                    self._sentences.pop(c.id, None)

    def _embed_and_add(self, chunks: list, label: str, show: bool) -> None:
        from tqdm import tqdm

        batch = max(1, self.settings.embed_batch_size * 4)
        with tqdm(total=len(chunks), desc=label[:40], unit="chunk", disable=not show or not chunks,
                  leave=False, file=sys.stderr) as bar:
            for i in range(0, len(chunks), batch):
                part = chunks[i:i + batch]
                texts = [_embed_text(c) for c in part]
                spans = [[(s.start, s.end) for s in split_sentences(c.text)] for c in part]
                late = getattr(self.embedder, "embed_with_spans", None)
                if late is None:  # an embedder without token outputs: chunk vectors only
                    self.store.add(part, self.embedder.embed_documents(texts))
                else:
                    shift = [len(t) - len(c.text) for t, c in zip(texts, part)]  # the section title before the text
                    vectors, per = late(texts, [[(a + d, b + d) for a, b in sp] for sp, d in zip(spans, shift)])
                    self.store.add(part, vectors)
                    for c, sp, vs in zip(part, spans, per):
                        self._sentences[c.id] = [(a, b, v) for (a, b), v in zip(sp, vs) if v is not None]
                bar.update(len(part))

    def _index_figures(self, doc_id: str, chunks: list) -> None:
        from assistant.store import figures

        figures.index_document(self.settings.sqlite_path, doc_id, chunks)

    def prune(self) -> list[str]:
        """Remove documents whose files are gone; returns their doc_ids."""
        from assistant.store import figures

        gone = [d["doc_id"] for d in self.catalog.documents() if not Path(d["file"]).exists()]
        for doc_id in gone:
            ids = self.catalog.chunk_ids(doc_id) | self.store.ids(doc_id)
            self.catalog.delete_document(doc_id)
            figures.delete_document(self.settings.sqlite_path, doc_id)
            self.store.delete(sorted(ids))
        return gone


@dataclass
class _Staged:
    """A loaded, chunked document on its way into the store."""

    result: FileResult
    meta: dict
    pages: list
    chunks: list
    todo: list = field(default_factory=list)  # chunks whose vectors are not stored yet
    stale: set = field(default_factory=set)  # stored vectors of an older version, deleted after the swap
    existed: bool = False


def _embed_text(chunk) -> str:
    # The section title gives a passage the context its sentences assume ("Notes for editors").
    return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text


def ingest_paths(settings: Settings, paths: Iterable[Path], prune: bool = False,
                 progress: bool | None = None) -> IngestReport:
    """Ingest files and folders into the store named by the settings."""
    return Ingestor(settings).ingest(paths, prune=prune, progress=progress)
