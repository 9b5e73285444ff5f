"""Uploads from the browser: a safe file name, a size limit, then the core ingester; a failed file is
removed again so the corpus and the store are exactly as they were before it."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.errors import AssistantError, StoreBusyError
from assistant.store.vectors import write_lock
from ingest.loaders import SUPPORTED

log = logging.getLogger(__name__)

MAX_NAME = 120
# How long an upload waits for another writer (an ingest from the command line) before it gives up and says so:
# a browser request should not hang for the length of a whole-library ingest.
LOCK_WAIT_S = 30.0


@dataclass(frozen=True)
class UploadOutcome:
    """What happened to one uploaded file; `message` is one line for the user."""

    name: str  # the name the browser gave
    ok: bool
    message: str
    doc_id: str | None = None
    status: str = "failed"  # added | updated | unchanged | failed


def safe_name(name: str) -> str:
    """A base name that cannot leave the uploads folder: no directories, no leading dots, plain characters.

    >>> safe_name("../../etc/x.pdf")
    'x.pdf'
    """
    base = unicodedata.normalize("NFKC", str(name)).replace("\\", "/").split("/")[-1]
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base)
    base = re.sub(r"\s+", " ", base).strip(" .-_")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = stem.strip(" .-_")[:MAX_NAME] or "upload"
    return f"{stem}.{ext.lower()}" if ext else stem


def add_upload(ingestor, settings: Settings, name: str, data: bytes) -> UploadOutcome:
    """Save one uploaded file under `settings.uploads_dir` and ingest it; undo everything if it fails."""
    folder = settings.uploads_dir.resolve()
    clean = safe_name(name)
    ext = Path(clean).suffix.lower()
    if ext not in SUPPORTED:
        return UploadOutcome(name, False, f"{name}: unsupported file type {ext or '(none)'!r}; "
                                          "use .pdf, .html, .htm, .txt or .md")
    limit = settings.max_file_mb * 1e6
    if len(data) > limit:
        return UploadOutcome(name, False, f"{name}: the file is {len(data) / 1e6:.1f} MB, over the "
                                          f"{settings.max_file_mb:g} MB limit")
    folder.mkdir(parents=True, exist_ok=True)
    dest = (folder / clean).resolve()
    if dest.parent != folder:  # safe_name makes this impossible; checked anyway, it is cheap
        return UploadOutcome(name, False, f"{name}: refused, the file name is not allowed")
    try:
        with write_lock(settings, timeout=LOCK_WAIT_S):  # the check and the write, with no writer between
            return _add(ingestor, name, dest, data)
    except StoreBusyError as exc:
        return UploadOutcome(name, False, f"{name}: {exc}")


def _add(ingestor, name: str, dest: Path, data: bytes) -> UploadOutcome:
    clash = _clashing_document(ingestor, dest)
    if clash:
        return UploadOutcome(name, False, f"{name}: a document with the id {clash!r} is already in the corpus "
                                          "from another file; rename the file and upload it again")
    backup = _set_aside(dest)
    try:
        dest.write_bytes(data)
        result = _ingest(ingestor, dest)
    except BaseException:
        _restore(dest, backup)
        raise
    if result.status == "failed":
        _restore(dest, backup)
        return UploadOutcome(name, False, f"{name}: {result.error}", result.doc_id)
    if backup:
        shutil.rmtree(backup.parent, ignore_errors=True)
    verb = {"added": "added", "updated": "updated", "unchanged": "already in the corpus"}[result.status]
    return UploadOutcome(name, True, f"{name}: {verb} ({result.pages} pages, {result.chunks} chunks)",
                         result.doc_id, result.status)


def _ingest(ingestor, path: Path):
    """The core ingester's result for one file; an unexpected error becomes a failed result, logged."""
    from ingest.pipeline import FileResult

    try:
        report = ingestor.ingest([path], progress=False)
    except AssistantError as exc:
        return FileResult(str(path), error=str(exc))
    except Exception as exc:  # a parser bug must not take the page down; the log keeps the traceback
        log.exception("ingesting upload %s failed", path)
        return FileResult(str(path), error=f"the file could not be read ({type(exc).__name__})")
    return report.results[0]


def _clashing_document(ingestor, dest: Path) -> str | None:
    """The doc_id of a stored document that this upload would replace although it came from elsewhere."""
    from ingest.manifest import doc_id_for

    doc_id = doc_id_for(dest)  # as ingestion will name it: a manifest beside the uploads may name the id
    existing = ingestor.catalog.document(doc_id)
    if existing and Path(existing["file"]).resolve() != dest:
        return doc_id
    return None


def _set_aside(dest: Path) -> Path | None:
    """Move an earlier upload of the same name out of the way, so a failed replacement can be undone."""
    if not dest.exists():
        return None
    keep = Path(tempfile.mkdtemp(prefix=".replaced-", dir=dest.parent)) / dest.name
    shutil.move(str(dest), keep)
    return keep


def _restore(dest: Path, backup: Path | None) -> None:
    dest.unlink(missing_ok=True)
    if backup:
        shutil.move(str(backup), dest)
        shutil.rmtree(backup.parent, ignore_errors=True)
