"""Which files an ingest reads, and the doc_id each gets.

Folders are walked for supported files; a link that leads out of the walked folder is skipped, not followed.
A doc_id names one file: a manifest's doc_id already held by another file is refused, naming both; an id
inferred from a file name that another file holds becomes one from the file's path relative to the folder
it was found in (`2022/report.txt` -> `2022-report`), or failing that the name plus a hash of the path.
A file already stored keeps its id, so ids do not depend on what else an ingest is given.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from assistant.errors import IngestError
from ingest.loaders import SUPPORTED
from ingest.manifest import slugify


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest: explicit files as given, directories walked for supported extensions."""
    return [f for f, _ in walk(paths)[0]]


def walk(paths: Iterable[Path]) -> tuple[list[tuple[Path, Path]], list[tuple[Path, str]]]:
    """(file, the folder it was found in) for each file to ingest, once each; and (file, why) of those skipped.

    A link inside a walked folder that leads out of it (`passwd.txt -> /etc/passwd`) is skipped, not followed."""
    out: list[tuple[Path, Path]] = []
    skipped: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for p in paths:
        p = Path(p)
        if p.is_dir():
            root = p.resolve()
            for f in sorted(p.rglob("*")):  # rglob does not descend into linked folders
                rel = f.relative_to(p)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                target = f.resolve()
                if f.is_symlink() and root not in target.parents:
                    what = "folder" if target.is_dir() else "file"
                    if what == "folder" or f.suffix.lower() in SUPPORTED:
                        skipped.append((f, f"a link to a {what} outside {p}; not followed"))
                    continue
                if f.suffix.lower() not in SUPPORTED:
                    continue
                if f.is_file() and target not in seen:
                    seen.add(target)
                    out.append((f, p))
        elif p.resolve() not in seen:
            seen.add(p.resolve())
            out.append((p, p.parent))
    return out, skipped


class DocIds:
    """Which file holds which doc_id, in the store and in this run; gives each file an id no other file holds."""

    def __init__(self, documents: list[dict]):
        self.stored = {d["doc_id"]: Path(d["file"]).resolve() for d in documents}
        self.claimed: dict[str, Path] = {}

    def holder(self, doc_id: str, me: Path) -> Path | None:
        """The other file that holds `doc_id`: claimed earlier in this run, or stored and still there."""
        other = self.claimed.get(doc_id) or self.stored.get(doc_id)
        if other is None or other == me or (doc_id not in self.claimed and not other.exists()):
            return None  # free, ours, or its file is gone (moved): this file takes it over
        return other

    def claim(self, meta: dict, path: Path, root: Path) -> str | None:
        """Set meta["doc_id"] to the id this file gets; returns a note when it is not the one asked for."""
        me, wanted = path.resolve(), meta["doc_id"]
        other = self.holder(wanted, me)
        if meta.get("id_given"):
            if other is not None:
                raise IngestError(path, f"the doc_id {wanted!r} is already used by {other}; give one of them "
                                        "another doc_id in manifest.toml")
            self.claimed[wanted] = me
            return None
        # An inferred id: a file already stored keeps the id it has, so ids do not depend on what else is there.
        mine = [i for i, f in self.stored.items() if f == me and i not in self.claimed]
        if wanted in mine or (other is None and not mine):
            self.claimed[wanted] = me
            return None
        rel = path.relative_to(root).with_suffix("") if path.is_relative_to(root) else Path(path.stem)
        candidates = mine + [slugify(str(rel)), f"{wanted}-{hashlib.sha1(str(me).encode()).hexdigest()[:8]}"]
        meta["doc_id"] = next(i for i in candidates if self.holder(i, me) is None)
        self.claimed[meta["doc_id"]] = me
        if other is None:
            return "keeps the id it was first stored under"
        return f"the id {wanted!r} is taken by {other}"
