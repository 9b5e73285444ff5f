"""Uploads from the browser: a safe file name, a size limit, then the core ingester; a failed file is
removed again so the corpus and the store are exactly as they were before it.

Every upload is marked as one in its metadata, through the uploads folder's own `manifest.toml` (the same
path any manifest's metadata takes to the catalog): `kind = "upload"`, the publisher `UPLOADED` (so every
citation, source card and export says where it came from), and `uploaded = true` with the uploading
session in the document's extra fields. A title that another document already has is stored with the
file's name after it, so an upload cannot pass for a library report."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.errors import AssistantError, IngestError, StoreBusyError
from assistant.store.vectors import write_lock
from ingest import budget
from ingest.loaders import SUPPORTED

log = logging.getLogger(__name__)

MAX_NAME = 120
UPLOADED = "Uploaded by a user — not from the curated library"  # the publisher of every upload
MANIFEST = "manifest.toml"
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
    title: str | None = None  # the title it was stored under
    title_taken: str | None = None  # the title it would have had, when another document already had it


def is_upload(doc: dict) -> bool:
    """Whether a catalog document came from the browser rather than the curated library."""
    return doc.get("kind") == "upload" or bool((doc.get("extra") or {}).get("uploaded"))


def uploader_of(doc: dict) -> str | None:
    """The session that uploaded a document (None for the library, or an upload from before sessions)."""
    return ((doc.get("extra") or {}).get("session") or None) if is_upload(doc) else None


def visible_doc_ids(documents: list[dict], session: str | None, shared: bool) -> list[str] | None:
    """The documents a session may see and cite: the library, its own uploads, and every upload when uploads
    are shared. None when that is every document (no filter is needed)."""
    if shared:
        return None
    seen = [d["doc_id"] for d in documents if not is_upload(d) or uploader_of(d) in (None, session)]
    return None if len(seen) == len(documents) else seen


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


def add_upload(ingestor, settings: Settings, name: str, data: bytes, session: str | None = None) -> UploadOutcome:
    """Save one uploaded file under `settings.uploads_dir` and ingest it, marked as uploaded by `session`;
    undo everything if it fails."""
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
            return _add(ingestor, name, dest, data, session)
    except StoreBusyError as exc:
        return UploadOutcome(name, False, f"{name}: {exc}")


def _add(ingestor, name: str, dest: Path, data: bytes, session: str | None) -> UploadOutcome:
    clash = _clashing_document(ingestor, dest)
    if clash:
        return UploadOutcome(name, False, f"{name}: a document with the id {clash!r} is already in the corpus "
                                          "from another file; rename the file and upload it again")
    owner = _other_uploader(ingestor, dest, session)
    if owner:
        return UploadOutcome(name, False, f"{name}: another session uploaded a file of this name; rename the "
                                          "file and upload it again")
    manifest = dest.parent / MANIFEST
    before = manifest.read_text(encoding="utf-8") if manifest.is_file() else None
    backup = _set_aside(dest)
    try:
        dest.write_bytes(data)
        doc, result = _read(ingestor, dest)
        if doc is not None:
            title, taken = _title_for(ingestor, dest, doc.title)
            _write_entry(manifest, before, {"file": dest.name, "title": title, "publisher": UPLOADED,
                                            "kind": "upload", "uploaded": True, "session": session or ""})
            with budget.reusing(dest, doc, ingestor.settings):  # the ingest takes this read, not a second one
                result = _ingest(ingestor, dest)
    except BaseException:
        _restore(dest, backup)
        _restore_manifest(manifest, before)
        raise
    if result.status == "failed":
        _restore(dest, backup)
        _restore_manifest(manifest, before)
        return UploadOutcome(name, False, f"{name}: {result.error}", result.doc_id)
    if backup:
        shutil.rmtree(backup.parent, ignore_errors=True)
    verb = {"added": "added", "updated": "updated", "unchanged": "already in the corpus"}[result.status]
    message = f"{name}: {verb} ({result.pages} pages, {result.chunks} chunks)"
    if taken:
        message += f"; another document is titled “{taken}”, so this one is stored as “{title}”"
    return UploadOutcome(name, True, message, result.doc_id, result.status, title, taken)


def _title_for(ingestor, dest: Path, inferred: str | None) -> tuple[str, str | None]:
    """The title to store an upload under, and the title it would have had when another document holds it.

    `inferred` is the loader's title, as ingestion would take it (normalised, else the file name), so that the
    stored document never carries another document's title."""
    from assistant.text.normalise import normalise

    title = " ".join((normalise(inferred) if inferred else "").split()) or dest.stem
    mine = str(dest.resolve())
    others = {_title_key(d.get("title") or ""): d.get("title") for d in ingestor.catalog.documents()
              if str(Path(d["file"]).resolve()) != mine}
    if _title_key(title) not in others:
        return title, None
    return f"{title} (uploaded: {dest.name})", title


def _title_key(title: str) -> str:
    """Titles that read the same (case, punctuation, look-alike letters, spacing) compare equal."""
    from assistant.text.normalise import normalise

    return " ".join(re.sub(r"[\W_]+", " ", normalise(str(title)).casefold()).split())


def _read(ingestor, dest: Path):
    """The upload read once, in the parser worker under the time and memory budget (ingest/budget.py), never
    in the UI server's own process: (the document, None), or (None, a failed result saying why in one line)."""
    from ingest.pipeline import FileResult

    try:
        return budget.load(dest, ingestor.settings), None
    except IngestError as exc:
        return None, FileResult(str(dest), error=exc.reason)
    except Exception as exc:  # the worker could not be started (a disk, a limit): the log keeps the traceback
        log.exception("reading upload %s failed", dest)
        return None, FileResult(str(dest), error=f"the file could not be read ({type(exc).__name__})")


def _write_entry(manifest: Path, before: str | None, entry: dict) -> None:
    """The uploads folder's manifest with this file's entry added or replaced (the others kept as they are)."""
    import tomllib

    docs = tomllib.loads(before).get("document", []) if before else []
    docs = [d for d in docs if d.get("file") != entry["file"]] + [entry]
    lines = ["# Written by the UI's uploads: one entry per uploaded file (ingest/uploads.py).", ""]
    for d in docs:
        lines.append("[[document]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in d.items()]
        lines.append("")
    manifest.write_text("\n".join(lines), encoding="utf-8")


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value)
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _restore_manifest(manifest: Path, before: str | None) -> None:
    if before is None:
        manifest.unlink(missing_ok=True)
    else:
        manifest.write_text(before, encoding="utf-8")


def _other_uploader(ingestor, dest: Path, session: str | None) -> str | None:
    """The session that uploaded the stored document this file would replace, when it is not this one."""
    from ingest.manifest import doc_id_for

    existing = ingestor.catalog.document(doc_id_for(dest))
    owner = uploader_of(existing) if existing else None
    return owner if owner and owner != (session or "") else None


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
