"""Ingestion: load -> clean -> chunk -> embed -> store, file by file, forgiving per file and strict overall.

Crash safety comes from the order of writes: new vectors are upserted first (ids are content hashes, so
a repeat is a no-op), then the catalog swaps the document in one SQLite transaction, and only then are
the old vectors deleted. Readers only ever see chunks the catalog knows, so a process killed at any
point leaves the previous version answering, and re-running completes the job without duplicates.

Documents are embedded together, a few hundred chunks at a time, then committed one by one in file
order: the model spends about a third less CPU on full, length-sorted batches than on one short
document at a time (measured by benchmarks/run.py), and the write order per document is unchanged.

A run holds the store's write lock (assistant.store.vectors.write_lock), so two writers never interleave.
A document whose catalog write fails has the vectors it staged removed again. Which files are read and the
doc_id each gets (one file per id, never a silent replacement) is ingest/sources.py's.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from assistant.store.catalog import Catalog, meta_json
from assistant.store.vectors import embedding_text
from assistant.config import Settings
from assistant.errors import AssistantError, IngestError
from assistant.text.normalise import normalise
from assistant.text.sentences import split_sentences
from ingest import budget
from ingest.chunking import chunk_page
from ingest.cleaning import clean_pages
from ingest.loaders import load_file
from ingest.manifest import document_metadata, load_manifest
from ingest.sources import DocIds, discover, walk  # noqa: F401 (discover: evals use it from here)

# Embedder batches gathered (small files together) before they are embedded and stored in one go, and the size of
# each add to the store (set by hand: fewer, larger writes to the store).
BATCHES_PER_ROUND = 4

log = logging.getLogger(__name__)


@dataclass
class FileResult:
    file: str
    doc_id: str | None = None
    status: str = "failed"  # added | updated | unchanged | failed | skipped
    pages: int = 0
    chunks: int = 0
    error: str | None = None  # why it failed or was skipped
    note: str | None = None  # what the user should know although it worked (the id it got instead)


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    orphans_removed: int = 0  # vectors no stored chunk owned, removed by --prune
    seconds: float = 0.0
    embedded: int = 0

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> list[FileResult]:
        return [r for r in self.results if r.status in ("added", "updated", "unchanged")]

    def summary(self) -> str:
        pages = sum(r.pages for r in self.ok)
        chunks = sum(r.chunks for r in self.ok)
        rate = self.embedded / self.seconds if self.seconds else 0.0
        counts = {s: sum(r.status == s for r in self.results) for s in ("added", "updated", "unchanged", "failed", "skipped")}
        parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        line = (f"{len(self.ok)} documents ({parts or 'none'}), {pages} pages, {chunks} chunks, "
                f"{self.embedded} embedded in {self.seconds:.1f} s ({rate:.1f} chunks/s)")
        if self.pruned:
            line += f", {len(self.pruned)} pruned"
        if self.orphans_removed:
            line += f", {self.orphans_removed} orphan vectors removed"
        return line


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
        from assistant.store.vectors import write_lock

        with write_lock(self.settings):
            return self._ingest(paths, prune, progress, on_file)

    def _ingest(self, paths, prune, progress, on_file) -> IngestReport:
        start = time.perf_counter()
        report = IngestReport()
        files, skipped = walk(paths)
        for path, why in skipped:
            r = FileResult(str(path), status="skipped", error=why)
            report.results.append(r)
            if on_file:
                on_file(r)
        manifests: dict[Path, dict] = {}
        show = sys.stderr.isatty() if progress is None else progress
        staged: list[_Staged] = []  # loaded and chunked, waiting to be embedded together
        unsettled: list[FileResult] = []  # results not yet passed to on_file, in file order
        ids = DocIds(self.catalog.documents())

        def settle(force: bool) -> None:
            if staged and (force or sum(len(s.todo) for s in staged) >= self._embed_batch):
                self._commit(staged, report, show)
                staged.clear()
            while unsettled and not any(s.result is unsettled[0] for s in staged):
                done = unsettled.pop(0)
                if on_file:
                    on_file(done)

        for path, root in files:
            result = FileResult(str(path))
            try:
                folder = path.parent.resolve()
                if folder not in manifests:
                    manifests[folder] = load_manifest(folder)
                doc = self._load(path, manifests[folder].get(str(path.resolve())), result,
                                 lambda meta: ids.claim(meta, path, root))
                if any(s.meta["doc_id"] == doc.meta["doc_id"] for s in staged):
                    settle(True)  # the same doc_id twice: the second must see the first's vectors
                item = self._stage(doc)
                if item is not None:
                    staged.append(item)
            except AssistantError as exc:
                result.status, result.error = "failed", str(exc.reason if isinstance(exc, IngestError) else exc)
            except Exception as exc:  # a parser's or the store's own error: this file fails, the rest go on
                log.debug("ingesting %s failed", path, exc_info=True)
                result.status, result.error = "failed", _reason(exc)
            report.results.append(result)
            unsettled.append(result)
            settle(False)
        settle(True)
        if prune:
            report.pruned, report.orphans_removed = self._prune()
        report.seconds = time.perf_counter() - start
        return report

    @property
    def _embed_batch(self) -> int:
        return max(1, self.settings.embed_batch_size * BATCHES_PER_ROUND)

    def _load(self, path: Path, entry: dict | None, result: FileResult, claim) -> "_Staged":
        doc = budget.load(path, self.settings, loader=load_file)  # in a worker process, within the limits
        meta = document_metadata(path, entry, normalise(doc.title) if doc.title else doc.title)
        meta["sha256"] = sha256_file(path)
        meta["kind"] = meta["kind"] or doc.kind
        result.note = claim(meta)  # before chunking: chunk ids are made from the doc_id
        if doc.meta.get("pages_without_text"):  # some pages scanned, the rest text: say which were left out
            gaps = ", ".join(map(str, doc.meta["pages_without_text"]))
            result.note = _joined(result.note, f"pages {gaps} have no text (scanned?); ingest with --ocr")
        doc_id = result.doc_id = meta["doc_id"]
        cleaned = clean_pages(doc.pages)
        # Text and HTML have no pages of their own: they are one page, numbered 1.
        pages = [(p.number if p.number is not None else 1, p.text) for p in cleaned]
        chunks, section = [], None
        for (number, text), page in zip(pages, cleaned):
            page_chunks, section = chunk_page(doc_id, number, text, self.settings.chunk_size,
                                              self.settings.chunk_overlap_sentences, section=section,
                                              refs=page.notes)
            chunks += page_chunks
            budget.check_chunks(path, len(chunks), self.settings)
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
        # Unchanged only when the catalog also holds the chunks' meta this version makes: a store migrated from
        # an older schema gets its table and footnote meta by ingesting again, without re-embedding anything.
        if old and old["sha256"] == doc.meta["sha256"] and new_ids <= stored \
                and self.catalog.chunk_metas(doc_id) == {c.id: meta_json(c.meta) for c in doc.chunks}:
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
        label = "".join(ch if ch.isprintable() else "?" for ch in label)  # a progress bar is terminal output too
        try:
            self._embed_and_add(todo, label, show)
        except Exception as exc:  # the model or the store failed: every document of the batch fails, cleaned up
            log.debug("embedding %s failed", label, exc_info=True)
            for s in staged:
                s.result.status, s.result.error = "failed", _reason(exc)
                self._undo(s)
            return
        report.embedded += len(todo)
        for s in staged:
            try:
                # Figures first: the catalog swap is what marks a document done, so a kill between
                # the two leaves the old version in the catalog and the next run redoes both.
                self._index_figures(s.meta["doc_id"], s.chunks)
                vectors = {c.id: self._sentences.pop(c.id) for c in s.chunks if c.id in self._sentences}
                self.catalog.replace_document(s.meta, s.pages, s.chunks, vectors)
            except Exception as exc:  # sqlite (a full disk, a bad value), the figures index...: undo this one
                log.debug("storing %s failed", s.result.file, exc_info=True)
                s.result.status = "failed"
                s.result.error = str(exc) if isinstance(exc, AssistantError) else _reason(exc)
                self._undo(s)
                continue
            finally:
                for c in s.todo:  # a failed document's sentence vectors are not kept waiting in memory
                    self._sentences.pop(c.id, None)
            s.result.status = "updated" if s.existed else "added"
            if s.stale:
                try:
                    self.store.delete(sorted(s.stale))
                except Exception as exc:
                    s.result.note = _joined(s.result.note, f"its old vectors are left ({_reason(exc)}); "
                                                           "`audit-assistant check --repair` removes them")

    def _undo(self, s: "_Staged") -> None:
        """Remove what a failed document staged: its new vectors, and its figures back to the stored version."""
        from assistant.store import figures

        try:
            if s.todo:
                self.store.delete([c.id for c in s.todo])
            stored = list(self.catalog.iter_chunks(s.meta["doc_id"]))
            if stored:
                figures.index_document(self.settings.sqlite_path, s.meta["doc_id"], stored)
            else:
                figures.delete_document(self.settings.sqlite_path, s.meta["doc_id"])
        except Exception as exc:  # the store is gone too (a stopped server): say what is left behind
            s.result.error = _joined(s.result.error, f"its staged vectors are left ({_reason(exc)}); "
                                                     "`audit-assistant check --repair` removes them")

    def _embed_and_add(self, chunks: list, label: str, show: bool) -> None:
        from tqdm import tqdm

        batch = self._embed_batch
        with tqdm(total=len(chunks), desc=label[:40], unit="chunk", disable=not show or not chunks,
                  leave=False, file=sys.stderr) as bar:
            for i in range(0, len(chunks), batch):
                part = chunks[i:i + batch]
                texts = [embedding_text(c) for c in part]
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
        """Remove documents whose files are gone, and vectors no stored chunk owns; returns the doc_ids gone."""
        return self._prune()[0]

    def _prune(self) -> tuple[list[str], int]:
        from assistant.store import figures
        from assistant.store.vectors import write_lock

        with write_lock(self.settings):
            gone = [d["doc_id"] for d in self.catalog.documents() if not Path(d["file"]).exists()]
            for doc_id in gone:
                ids = self.catalog.chunk_ids(doc_id) | self.store.ids(doc_id)
                self.catalog.delete_document(doc_id)
                figures.delete_document(self.settings.sqlite_path, doc_id)
                self.store.delete(sorted(ids))
            # Orphans: vectors of ingests killed before their catalog swap. Under the lock no writer is
            # half-way, so a vector the catalog does not know belongs to nothing.
            orphans = self.store.ids() - self.catalog.all_chunk_ids()
            self.store.delete(sorted(orphans))
        return gone, len(orphans)


def _reason(exc: BaseException) -> str:
    """One line for an unexpected error: what kind it is and its first line."""
    return budget.unprocessable(type(exc).__name__, str(exc))


def _joined(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second


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


def ingest_paths(settings: Settings, paths: Iterable[Path], prune: bool = False,
                 progress: bool | None = None) -> IngestReport:
    """Ingest files and folders into the store named by the settings."""
    return Ingestor(settings).ingest(paths, prune=prune, progress=progress)
