"""The corpus manifest (`manifest.toml`): metadata per file, all optional but `file`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from assistant.errors import IngestError

FIELDS = ("doc_id", "file", "title", "publisher", "published", "kind", "strategy", "url", "licence")


def slugify(name: str) -> str:
    """A doc_id from a file name: lower case, runs of other characters to '-'."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:120] or "document"


def load_manifest(directory: Path) -> dict[str, dict]:
    """Entries of `directory/manifest.toml` keyed by resolved file path (empty when there is none)."""
    path = Path(directory) / "manifest.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(path, f"the manifest is not valid TOML ({exc})") from exc
    entries: dict[str, dict] = {}
    for i, entry in enumerate(data.get("document", [])):
        if "file" not in entry:
            raise IngestError(path, f"document entry {i + 1} has no 'file'")
        entry = dict(entry)
        strategy = entry.get("strategy", [])
        entry["strategy"] = [strategy] if isinstance(strategy, str) else list(strategy)
        if "published" in entry:
            entry["published"] = str(entry["published"])
        entries[str((path.parent / entry["file"]).resolve())] = entry
    return entries


def document_metadata(path: Path, entry: dict | None, inferred_title: str | None) -> dict:
    """Metadata of one file: the manifest entry where there is one, else inferred from the file."""
    entry = dict(entry or {})
    meta = {
        "doc_id": entry.pop("doc_id", None) or slugify(path.stem),
        "file": str(path),
        "title": entry.pop("title", None) or inferred_title or path.stem,
        "publisher": entry.pop("publisher", None),
        "published": entry.pop("published", None),
        "kind": entry.pop("kind", None),
        "strategy": entry.pop("strategy", []),
        "url": entry.pop("url", None),
        "licence": entry.pop("licence", None),
    }
    entry.pop("file", None)
    meta["extra"] = entry  # anything else the manifest says (report_reference...)
    year = re.match(r"(\d{4})", meta["published"] or "")
    meta["year"] = int(year.group(1)) if year else None
    return meta


def doc_id_for(path: Path) -> str:
    """The doc_id ingesting `path` gives it: its folder's manifest entry's, else one from its file name."""
    path = Path(path)
    entry = load_manifest(path.parent).get(str(path.resolve()))
    return document_metadata(path, entry, None)["doc_id"]
