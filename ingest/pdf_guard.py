"""A cheap look at a PDF's content streams before the layout parser reads its pages.

The layout parser's work grows with the bytes it interprets, not with the file's size: a 146 KB PDF can hold a
page whose content stream inflates to one 60 MB string, and 4,999 pages can all draw one shared 70 MB stream.
Parsing either runs until the time limit (ingest/budget.py), minutes of a core. Counting the inflated bytes
first takes a fraction of a second, so such a file is refused at once, in one line naming the limit.

What is counted for a page is what the parser interprets: its /Contents streams, and each form XObject its
content draws (`/Name Do`), once for each time it is drawn, with the forms that form draws, and so on. A stream
is inflated once per document, however many pages and forms draw it, and only up to the page limit, a piece
at a time, so memory stays small; the document's total counts it for each page that draws it, because the
parser reads it again for each page. Images are not counted: the text parser does not inflate them.
"""

from __future__ import annotations

import re
import sys
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.config import ENV_PREFIX
from assistant.errors import IngestError

PIECE = 1 << 20  # inflate a stream a megabyte at a time
MAX_NAMES = 10_000  # distinct names counted per stream; a real page draws a few dozen
MAX_DEPTH = 100  # forms drawn inside forms, deeper than this, are left to the parser's own limits
NAME_TAIL = 256  # bytes of a piece read again with the next: a PDF name is at most 127 bytes, so a split 'Do' is whole
_DO = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+Do(?![^\s/\[\]()<>{}%])")
_FLATE = {"/FlateDecode", "/Fl"}
_NONE: dict = {}


@dataclass(frozen=True)
class _Stream:
    size: int  # inflated bytes, counted up to the page limit (one more means "over it")
    draws: tuple  # (name, times) for each name the stream draws with Do: a form XObject, or an image


def check(path: Path, reader, max_page_mb: float | None, max_doc_mb: float | None) -> None:
    """Refuse a PDF (an open pypdf reader) with a page whose content inflates past `max_page_mb`, or whose
    pages' content adds up past `max_doc_mb` (MB of 10^6 bytes; None: no limit)."""
    page_limit = sys.maxsize if max_page_mb is None else int(max_page_mb * 1e6)
    doc_limit = sys.maxsize if max_doc_mb is None else int(max_doc_mb * 1e6)
    seen: dict = {}  # stream key -> _Stream, for the whole document
    total = 0
    for number, page in enumerate(reader.pages, 1):
        size = _page_size(page, seen, page_limit)
        if size > page_limit:
            raise IngestError(path, f"page {number}'s content inflates to over {max_page_mb:g} MB, the page limit "
                                    f"({ENV_PREFIX}MAX_PAGE_STREAM_MB)")
        total += size
        if total > doc_limit:
            raise IngestError(path, f"the pages' content inflates to over {max_doc_mb:g} MB in all, the document "
                                    f"limit ({ENV_PREFIX}MAX_DOC_STREAM_MB)")


def _page_size(page, seen: dict, limit: int) -> int:
    """The bytes the parser interprets for one page, counted until they pass `limit`."""
    contents = page.get("/Contents")
    refs = [] if contents is None else list(contents.get_object()) if _is_array(contents.get_object()) \
        else [contents]
    size, draws = 0, Counter()
    for ref in refs:
        s = _measure(ref, seen, limit)
        size += s.size
        draws.update(dict(s.draws))
        if size > limit:
            return size
    xobjects, memo = _xobjects(page.get("/Resources")), {}
    for name, times in draws.items():
        size += times * _form_size(xobjects.get(name), xobjects, seen, limit, memo, set())
        if size > limit:
            break
    return size


def _form_size(ref, inherited: dict, seen: dict, limit: int, memo: dict, active: set) -> int:
    """What drawing a form once costs the parser: its content and, for each time it draws one, that form's
    cost (computed once per form, so a form drawn in many places is not walked again). 0 for an image."""
    form = ref.get_object() if ref is not None else None
    if not hasattr(form, "get_data") or form.get("/Subtype") != "/Form":
        return 0
    own = form.get("/Resources") is not None
    xobjects = _xobjects(form["/Resources"]) if own else inherited  # else its page's (older PDFs)
    key = (_key(ref), None if own else id(inherited))
    if key in memo:
        return memo[key]
    if key in active or len(active) > MAX_DEPTH:
        return 0  # a form that draws itself: the parser does not follow that either
    active.add(key)
    s = _measure(ref, seen, limit)
    size = s.size
    for name, times in s.draws:
        if size > limit:
            break
        size += times * _form_size(xobjects.get(name), xobjects, seen, limit, memo, active)
    active.discard(key)
    memo[key] = min(size, limit + 1)
    return memo[key]


def _is_array(obj) -> bool:
    return isinstance(obj, list)


def _xobjects(resources) -> dict:
    """The /XObject dictionary of a /Resources entry, as the reader holds it (so its id is stable); {} if none."""
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if isinstance(resources, dict) else None
    xobjects = xobjects.get_object() if xobjects is not None else None
    return xobjects if isinstance(xobjects, dict) else _NONE


def _key(ref):
    """One key per stream object of the document, however many pages point at it."""
    if ref is None:
        return None
    if hasattr(ref, "idnum"):  # a reference, as /Contents and /XObject entries are
        return ref.idnum, ref.generation
    indirect = getattr(ref.get_object(), "indirect_reference", None)
    return (indirect.idnum, indirect.generation) if indirect is not None else id(ref.get_object())


def _measure(ref, seen: dict, limit: int) -> _Stream:
    key = _key(ref)
    if key not in seen:
        seen[key] = _inflate(ref.get_object(), limit)
    return seen[key]


def _inflate(stream, limit: int) -> _Stream:
    """A stream's inflated size (stopping once past `limit`) and the names it draws."""
    if not hasattr(stream, "get_data"):
        return _Stream(0, ())  # not a stream: the parser skips it too
    filters = stream.get("/Filter")
    filters = [] if filters is None else [str(f) for f in filters.get_object()] \
        if _is_array(filters.get_object()) else [str(filters.get_object())]
    raw = stream._data  # the bytes as stored, before any filter
    if len(filters) == 1 and filters[0] in _FLATE:
        return _scan(_inflate_pieces(raw, limit), limit)
    if not filters:
        return _scan(iter([raw]), limit)
    from pypdf.errors import LimitReachedError, PdfReadError

    try:
        data = stream.get_data()  # another filter: pypdf decodes it, within its own output limits
    except LimitReachedError:
        return _Stream(limit + 1, ())
    except (PdfReadError, ValueError, zlib.error, NotImplementedError):
        data = raw  # undecodable here: count what is stored (the parser fails on it or finds little)
    return _scan(iter([data]), limit)


def _inflate_pieces(raw: bytes, limit: int):
    """Inflate a Flate stream a piece at a time, never holding more than one piece, until past `limit`."""
    inflater = zlib.decompressobj()
    out, data = 0, raw
    try:
        while out <= limit:
            piece = inflater.decompress(data, PIECE)
            data = inflater.unconsumed_tail
            if not piece and not data:
                return  # the end of the stream (or of a truncated one)
            out += len(piece)
            yield piece
    except zlib.error:
        return  # a damaged stream: what inflated before the damage is what the parser gets too


def _scan(pieces, limit: int) -> _Stream:
    """The size of the inflated pieces (stopping once past `limit`) and the names they draw, with how often."""
    size, draws, tail = 0, Counter(), b""
    for piece in pieces:
        size += len(piece)
        for m in _DO.finditer(tail + piece):
            name = "/" + m.group(1).decode("latin-1")
            # a match wholly inside the tail was counted with the piece before
            if m.end() > len(tail) and (name in draws or len(draws) < MAX_NAMES):
                draws[name] += 1
        tail = piece[-NAME_TAIL:]  # a name split between two pieces is found in the next
        if size > limit:
            break
    return _Stream(size, tuple(draws.items()))
