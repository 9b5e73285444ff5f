"""The corpus manifest (`manifest.toml`): metadata per file, all optional but `file`.

Entries are checked one by one: a bad value (`strategy = 5`, `title = [..]`, a blank `doc_id`) fails
only the file its entry names, with one line saying which field is wrong; the folder's other files go on.
"""

from __future__ import annotations

import datetime as _dt
import re
import tomllib
from pathlib import Path

from assistant.errors import IngestError

FIELDS = ("doc_id", "file", "title", "publisher", "published", "kind", "strategy", "url", "licence")
_TEXT_FIELDS = ("doc_id", "title", "publisher", "kind", "url", "licence")
INVALID = "_invalid"  # the key under which an entry carries why it cannot be used


def slugify(name: str) -> str:
    """A doc_id from a file name: lower case, runs of other characters to '-'."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:120] or "document"


def load_manifest(directory: Path) -> dict[str, dict]:
    """Entries of `directory/manifest.toml` keyed by resolved file path (empty when there is none).

    An entry with a wrong value is kept with the reason under INVALID, so that only its own file fails."""
    path = Path(directory) / "manifest.toml"
    if not path.is_file():
        return {}
    if path.is_symlink() and Path(directory).resolve() not in path.resolve().parents:
        raise IngestError(path, "the manifest is a link to a file outside its folder; not followed")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(path, f"the manifest is not valid TOML ({exc})") from exc
    documents = data.get("document", [])
    if not isinstance(documents, list):
        raise IngestError(path, "'document' should be a list of [[document]] tables")
    entries: dict[str, dict] = {}
    for i, entry in enumerate(documents):
        if not isinstance(entry, dict) or "file" not in entry:
            raise IngestError(path, f"document entry {i + 1} has no 'file'")
        if not isinstance(entry["file"], str) or not entry["file"].strip():
            raise IngestError(path, f"document entry {i + 1}: 'file' should be a file name in quotes")
        key = str((path.parent / entry["file"]).resolve())
        try:
            entry = _checked(dict(entry))
        except ValueError as exc:
            entry = {"file": entry["file"], INVALID: f"manifest.toml entry {i + 1}: {exc}"}
        if key in entries:
            entry = {"file": entry["file"], INVALID: f"manifest.toml lists this file twice (entry {i + 1})"}
        entries[key] = entry
    return entries


def _checked(entry: dict) -> dict:
    """The entry with its values in the types the catalog stores; ValueError names a wrong one."""
    for name in _TEXT_FIELDS:
        if name in entry and not isinstance(entry[name], str):
            raise ValueError(f"'{name}' should be text in quotes, not {_shown(entry[name])}")
    if "doc_id" in entry and not entry["doc_id"].strip():
        raise ValueError("'doc_id' is blank; give an id or remove the line")
    if "doc_id" in entry and re.search(r"[\x00-\x1f\x7f]", entry["doc_id"]):
        raise ValueError("'doc_id' contains control characters")
    strategy = entry.get("strategy", [])
    if isinstance(strategy, str):
        strategy = [strategy]
    if not isinstance(strategy, list) or not all(isinstance(s, str) for s in strategy):
        raise ValueError(f"'strategy' should be text or a list of texts, not {_shown(strategy)}")
    entry["strategy"] = strategy
    if "published" in entry:
        published = entry["published"]
        if not isinstance(published, (str, int, _dt.date)) or isinstance(published, bool):
            raise ValueError(f"'published' should be a date such as 2022-11-30, not {_shown(published)}")
        entry["published"] = str(published)
    return entry


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def document_metadata(path: Path, entry: dict | None, inferred_title: str | None) -> dict:
    """Metadata of one file: the manifest entry where there is one, else inferred from the file.

    `meta["id_given"]` says whether the manifest chose the doc_id (then a clash is refused) or it was
    inferred from the file name (then a clash gets another id)."""
    entry = dict(entry or {})
    if INVALID in entry:
        raise IngestError(path, entry[INVALID])
    given = entry.pop("doc_id", None)
    meta = {
        "doc_id": given.strip() if given else slugify(path.stem),
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
    meta["id_given"] = bool(given)
    return meta


def doc_id_for(path: Path) -> str:
    """The doc_id ingesting `path` gives it when nothing else claims it: its folder's manifest entry's, else
    one from its file name."""
    path = Path(path)
    entry = load_manifest(path.parent).get(str(path.resolve()))
    return document_metadata(path, entry, None)["doc_id"]
