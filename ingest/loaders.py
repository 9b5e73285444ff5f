"""Loaders, one per format: each returns a `LoadedDocument` of pages with their real page numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings
from assistant.errors import IngestError
from ingest import html_notes, structure

SUPPORTED = {".pdf": "pdf", ".html": "html", ".htm": "html", ".txt": "text", ".md": "text"}
# Set by hand, each a bound on what is read, not a tuning:
HEAD_BYTES = 2048  # the start of a file read to tell its format: a PDF's signature, an HTML tag, a binary's NUL byte
HTML_HEAD_BYTES = 512  # an HTML page opens with its doctype or <html>, <head> or <body> tag within these bytes
TITLE_MAX_CHARS = 200  # a text file's title is its first line, cut here: a file without line breaks is one line
MAX_SPAN = 1000  # an HTML cell spans at most this many columns or rows (the HTML standard clamps colspan at 1000)
DATA_TABLE_MIN_ROWS = 2  # a table of data has a header and a row at least; one row is a box set out for layout


@dataclass(frozen=True)
class Page:
    """The text of one page (PDF) or of a whole document (HTML, text: page None). `notes`: once cleaned, where
    footnote markers stood, as (offset in `text`, note number) (see `ingest.structure`: a marker is data about
    the text, never text a quote could hold)."""

    number: int | None
    text: str
    notes: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class LoadedDocument:
    path: Path
    kind: str  # pdf | html | text
    pages: list[Page]
    title: str | None = None
    meta: dict = field(default_factory=dict)


def sniff_kind(path: Path, head: bytes) -> str:
    """The format from the file's content; refuses a file whose content contradicts its extension."""
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        raise IngestError(path, f"unsupported file type {ext or '(none)'!r}; use .pdf, .html, .htm, .txt or .md")
    kind = SUPPORTED[ext]
    looks_pdf = head.lstrip()[:5] == b"%PDF-"
    looks_html = bool(re.match(rb"\s*(<!doctype html|<html|<head|<body)", head[:HTML_HEAD_BYTES], re.I))
    if kind == "pdf" and not looks_pdf:
        what = "HTML" if looks_html else "not a PDF"
        raise IngestError(path, f"the file is named .pdf but its content is {what}")
    if kind != "pdf" and looks_pdf:
        raise IngestError(path, f"the file is named {ext} but its content is a PDF")
    if kind == "text" and b"\x00" in head:
        raise IngestError(path, "the file is binary, not text")
    return kind


def load_file(path: Path, max_pdf_pages: int = Settings.max_pdf_pages, max_bytes: int | None = None,
              ocr: bool = False, max_page_stream_mb: float | None = None,
              max_doc_stream_mb: float | None = None) -> LoadedDocument:
    """Load one file; raises IngestError with a one-line reason when it cannot be used. `ocr`: run OCR on a
    PDF without a text layer (`Settings.ocr`, passed down by the ingestor); `max_page_stream_mb` and
    `max_doc_stream_mb`: limits on a PDF's inflated content (`ingest.pdf_guard`; None: unchecked)."""
    path = Path(path)
    if not path.exists():
        raise IngestError(path, "no such file")
    if not path.is_file():
        raise IngestError(path, "not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(path, "the file is empty")
    if max_bytes is not None and size > max_bytes:
        raise IngestError(path, f"the file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    kind = sniff_kind(path, head)
    if kind == "pdf":
        doc = load_pdf(path, max_pages=max_pdf_pages, ocr=ocr, max_page_stream_mb=max_page_stream_mb,
                       max_doc_stream_mb=max_doc_stream_mb)
    elif kind == "html":
        doc = load_html(path)
    else:
        doc = load_text(path)
    if not any(p.text.strip() for p in doc.pages):
        raise IngestError(path, "no text found in the file")
    return doc


def load_pdf(path: Path, max_pages: int = Settings.max_pdf_pages, ocr: bool = False,
             max_page_stream_mb: float | None = None, max_doc_stream_mb: float | None = None) -> LoadedDocument:
    """One page record per PDF page, numbered from 1 as printed by viewers, its text structured by
    `ingest.pdf` (headings, tables, footnotes, columns). A PDF without a text layer is run through OCR
    when `ocr` is true, and refused, saying how, when it is not."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    from ingest import ocr as ocr_mod
    from ingest import pdf_guard

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise IngestError(path, "the PDF is encrypted; decrypt it first")
        n = len(reader.pages)
        if n > max_pages:
            raise IngestError(path, f"the PDF has {n} pages, over the {max_pages}-page limit")
        meta_title = (reader.metadata.title if reader.metadata else None) or None
        if max_page_stream_mb is not None or max_doc_stream_mb is not None:
            # before the layout parser: a page of one 60 MB string costs it minutes, this check a moment
            pdf_guard.check(path, reader, max_page_stream_mb, max_doc_stream_mb)
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise IngestError(path, f"the PDF is corrupt or unreadable ({type(exc).__name__})") from exc
    if n == 0:
        raise IngestError(path, "the PDF has no pages")
    pages = _pdf_pages(path, path)
    if ocr and not all(p.text.strip() for p in pages):
        with ocr_mod.ocr_copy(path) as copy:
            pages = _pdf_pages(path, copy)
        if not any(p.text.strip() for p in pages):
            raise IngestError(path, "OCR found no text in the PDF")
    if not any(p.text.strip() for p in pages):
        raise IngestError(path, ocr_mod.no_text_message())
    # Pages still without text (scanned pages of a PDF read without --ocr, or blank pages), for the report.
    blank = [p.number for p in pages if not p.text.strip()]
    return LoadedDocument(path, "pdf", pages, title=str(meta_title).strip() if meta_title else None,
                          meta={"pages_without_text": blank} if blank else {})


def _pdf_pages(path: Path, source: Path) -> list[Page]:
    """The structured text of every page of `source` (the file itself, or its OCR copy)."""
    import pdfplumber
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    from ingest.pdf import body_size, page_text

    try:
        with pdfplumber.open(str(source)) as pdf:
            body = body_size(pdf.pages)
            pages = []
            for i, page in enumerate(pdf.pages):
                pages.append(Page(i + 1, page_text(page, body)))
                page.close()  # frees the page's parsed objects: long reports stay small in memory
            return pages
    except (PSException, PdfminerException, MalformedPDFException, ValueError, KeyError, TypeError, OSError,
            AttributeError, IndexError, ZeroDivisionError) as exc:
        raise IngestError(path, f"the PDF is corrupt or unreadable ({type(exc).__name__})") from exc


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(path, f"the file is not valid UTF-8 text (byte {exc.start}); save it as UTF-8") from exc


def load_text(path: Path) -> LoadedDocument:
    """A .txt or .md file as a single page (page number None)."""
    text = _decode(path, path.read_bytes())
    title = None
    for line in text.splitlines():
        if line.strip():
            title = line.strip().lstrip("#").strip()
            break
    return LoadedDocument(path, "text", [Page(None, text)], title=title[:TITLE_MAX_CHARS] if title else None)


# Elements that are never the main text of a page.
_HTML_NOISE = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg", "template"]
_BLOCKS = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "th", "dt", "dd", "figcaption"]
_HEADINGS = {"h1", "h2", "h3", "h4"}


def load_html(path: Path) -> LoadedDocument:
    """The main text of an HTML page: <main>/<article> when present, without navigation or scripts.
    Headings h1-h4 are marked as headings, tables become row lines and footnotes are marked and linked
    (see `ingest.structure` and `ingest.html_notes`)."""
    from bs4 import BeautifulSoup

    from ingest.tables import is_caption

    soup = BeautifulSoup(_decode(path, path.read_bytes()), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    notes = html_notes.mark_footnotes(soup)  # before the noise goes: notes often sit in a <footer> or <aside>
    for tag in soup(_HTML_NOISE):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    if not title:
        h1 = root.find("h1")
        title = h1.get_text(" ", strip=True) if h1 else None
    blocks: list[str] = []
    n_tables = 0
    data = [t for t in root.find_all("table") if _is_data_table(t)]
    for el in root.find_all(_BLOCKS + ["table"]):
        if any(p in data for p in el.find_parents("table")):
            continue  # a table's cells are read with their table
        if el.name == "table":
            if el not in data:
                continue  # a layout table: its cells are read as blocks
            n_tables += 1
            # A caption set as the paragraph or heading just before the table ("Figure 3: ...") is its caption.
            before = structure.HEADING.sub(r"\g<text>", blocks[-1]) if blocks else ""
            rendered = _html_table(el, n_tables, before if is_caption(before) else None)
            if rendered:
                if rendered[0] == structure.caption_line(before):
                    blocks.pop()
                blocks.append("\n".join(rendered))
            continue
        if el.name == "figcaption" and el.find_parent("figure") and el.find_parent("figure").find("table"):
            continue  # the caption of a table, read with it
        if el.find(_BLOCKS):  # a container of other blocks: its children are taken instead
            continue
        text = " ".join(el.get_text(" ", strip=True).split())
        if text:
            blocks.append(structure.heading(text) if el.name in _HEADINGS else text)
    if not blocks:
        blocks = [" ".join(root.get_text(" ", strip=True).split())]
    return LoadedDocument(path, "html", [Page(None, "\n\n".join(blocks + notes))], title=title or None)


def _span(value) -> int:
    return max(1, min(int(value), MAX_SPAN)) if str(value or "").isdigit() else 1


def _is_data_table(table) -> bool:
    """A table of data, not one used for page layout (which holds paragraphs, lists or other tables)."""
    return table.find(["table", "p", "h1", "h2", "h3", "h4", "ul", "ol", "blockquote"]) is None \
        and len(table.find_all("tr")) >= DATA_TABLE_MIN_ROWS


def _html_table(table, n: int, before: str | None = None) -> list[str]:
    """An HTML table as row lines under its caption (<caption>, the figure's <figcaption>, the caption just
    before it, or "Table n")."""
    from ingest.tables import table_lines

    caption = table.find("caption")
    figure = table.find_parent("figure")
    if caption is None and figure is not None:
        caption = figure.find("figcaption")
    text = " ".join(caption.get_text(" ", strip=True).split()) if caption is not None else (before or f"Table {n}")
    rows: list[list] = []
    pending: dict[int, int] = {}  # column -> rows still covered by a cell above (rowspan)
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        cells: list = []
        for cell in tr.find_all(["td", "th"]):
            while pending.get(len(cells), 0) > 0:  # a cell from a row above spans down into this one
                pending[len(cells)] -= 1
                cells.append(None)
            value = " ".join(cell.get_text(" ", strip=True).split())
            cols, down = _span(cell.get("colspan")), _span(cell.get("rowspan"))
            for k in range(cols):  # a merged cell spans the columns after it
                if down > 1:
                    pending[len(cells)] = down - 1
                cells.append(value if k == 0 else None)
        while pending.get(len(cells), 0) > 0:
            pending[len(cells)] -= 1
            cells.append(None)
        rows.append(cells)
    return table_lines(text, rows)
