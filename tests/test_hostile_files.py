"""Hostile files within the size limit (issue 16: resource exhaustion). Each is made by a fixture here, small on
disk and huge to parse: a page that is one 60 MB string, 4,999 pages sharing one 70 MB content stream, a page
drawing a form that holds a 60 MB string, a page drawing a 100 KB form 1,000 times, HTML nested 100,000 deep,
HTML of unclosed tags, text of millions of lines. Each fails alone with one line naming the limit, and a
normal file of the same ingest is added: the PDFs on the inflated-content limits of `ingest/pdf_guard.py`,
before any parsing; the rest within the budget of `ingest/budget.py`."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest

from assistant.cli.main import main
from assistant.config import Settings
from assistant.errors import IngestError
from ingest import budget

LOREM = "Lorem ipsum dolor sit amet. "


def _string_content(chars: int) -> bytes:
    return b"BT /F1 1 Tf 0 0 Td (" + (LOREM.encode() * (chars // len(LOREM) + 1))[:chars] + b") Tj ET"


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    packed = zlib.compress(data, 9)
    return b"<< %s/Length %d /Filter /FlateDecode >>\nstream\n" % (extra, len(packed)) + packed + b"\nendstream"


def _write_pdf(path: Path, objs: dict[int, bytes]) -> Path:
    """A PDF of the numbered objects (1 is the catalog), with its cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), {}
    for num in sorted(objs):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % offsets[num] for num in sorted(objs))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path


def shared_stream_pdf(path: Path, pages: int, chars: int) -> Path:
    """A PDF of `pages` pages that all draw one shared, compressed content stream: one string of `chars`
    characters (a 60 MB string compresses to a few hundred KB)."""
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
            3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            4: _stream(_string_content(chars))}
    for i in range(pages):
        objs[5 + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>")
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objs[2] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages
    return _write_pdf(path, objs)


def form_pdf(path: Path, chars: int, draws: int = 1) -> Path:
    """A one-page PDF whose small content stream draws, `draws` times, a form XObject holding one string of
    `chars` characters."""
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
            3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            4: _stream(_string_content(chars), b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
                                               b"/Resources << /Font << /F1 3 0 R >> >> "),
            5: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Fm1 4 0 R >> >> "
               b"/Contents 6 0 R >>",
            6: _stream(b"q /Fm1 Do Q\n" * draws)}
    return _write_pdf(path, objs)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


HOSTILE_PDF = {
    "huge-string.pdf": lambda p: shared_stream_pdf(p, 1, 60_000_000),
    "shared-stream.pdf": lambda p: shared_stream_pdf(p, 4999, 70_000_000),
    "huge-form.pdf": lambda p: form_pdf(p, 60_000_000),
    "many-draws.pdf": lambda p: form_pdf(p, 100_000, draws=1_000),  # a 1 KB file, 100 MB to interpret
}
HOSTILE = {
    **HOSTILE_PDF,
    "nested.html": lambda p: write(p, "<html><body>" + "<blockquote>" * 100_000 + "deep"
                                   + "</blockquote>" * 100_000 + "</body></html>"),
    "unclosed.html": lambda p: write(p, "<html><body>" + "<p><b><i><span>x " * 200_000 + "</body></html>"),
}


@pytest.fixture
def folder(tmp_path) -> Path:
    folder = tmp_path / "docs"
    write(folder / "good.txt", "Good note\n\nThe good note says the scheme cost £3 million in 2020.\n")
    return folder


@pytest.fixture
def ingestor(tmp_path, embedder):
    from ingest.pipeline import Ingestor

    def make(**limits) -> Ingestor:
        return Ingestor(Settings(store_dir=tmp_path / "store", **limits), embedder=embedder)

    return make


def outcome(report) -> dict[str, tuple[str, str | None]]:
    return {Path(r.file).name: (r.status, r.error) for r in report.results}


@pytest.mark.parametrize("name", sorted(HOSTILE_PDF))
def test_a_pdf_whose_page_inflates_past_the_limit_fails_before_parsing(folder, ingestor, name):
    path = HOSTILE_PDF[name](folder / name)
    assert path.stat().st_size < 1_000_000  # within every size limit
    report = ingestor(parse_timeout_s=120).ingest([folder], progress=False)  # the stream limit comes first
    assert outcome(report) == {
        "good.txt": ("added", None),
        name: ("failed", "page 1's content inflates to over 20 MB, the page limit "
                         "(AUDIT_ASSISTANT_MAX_PAGE_STREAM_MB)")}


def test_a_stream_drawn_by_many_pages_counts_for_each_against_the_document_limit(folder, ingestor):
    """40 pages drawing one 600 KB stream: each page is under a 1 MB limit, but the parser would read the
    stream 40 times, 24 MB, over a 10 MB document limit."""
    shared_stream_pdf(folder / "shared-small.pdf", 40, 600_000)
    report = ingestor(max_page_stream_mb=1, max_doc_stream_mb=10).ingest([folder], progress=False)
    assert outcome(report) == {
        "good.txt": ("added", None),
        "shared-small.pdf": ("failed", "the pages' content inflates to over 10 MB in all, the document limit "
                                       "(AUDIT_ASSISTANT_MAX_DOC_STREAM_MB)")}


def test_a_report_pdf_passes_the_stream_limits_and_is_ingested(folder, ingestor):
    """A 4-page report with headings, footnotes, a ruled table and two columns (2.4 KB of content a page)."""
    from tests.test_pdf_structure import make_report

    make_report(folder / "report.pdf")
    report = ingestor().ingest([folder], progress=False)  # the default limits
    assert outcome(report) == {"good.txt": ("added", None), "report.pdf": ("added", None)}
    assert next(r for r in report.results if Path(r.file).name == "report.pdf").pages == 4


@pytest.mark.parametrize("name", sorted(set(HOSTILE) - set(HOSTILE_PDF) | {"huge-string.pdf"}))
def test_a_hostile_file_fails_on_the_time_limit_and_the_rest_go_on(folder, ingestor, name):
    """The time limit still bounds what the cheaper limits let through (here, a one-string PDF under a raised
    stream limit)."""
    path = HOSTILE[name](folder / name)
    assert path.stat().st_size < 3_500_000  # within every size limit
    report = ingestor(parse_timeout_s=4, max_page_stream_mb=1000).ingest([folder], progress=False)
    assert outcome(report) == {
        "good.txt": ("added", None),
        name: ("failed", "reading the file took longer than the 4 s limit (AUDIT_ASSISTANT_PARSE_TIMEOUT_S)")}


def test_a_page_over_the_character_limit_fails_with_the_limit_named(folder, ingestor):
    shared_stream_pdf(folder / "long-page.pdf", 1, 6_000)
    report = ingestor(max_page_chars=2_000).ingest([folder], progress=False)
    status, error = outcome(report)["long-page.pdf"]
    assert status == "failed" and error.startswith("page 1 has ") \
        and error.endswith(" characters, over the 2,000-character page limit (AUDIT_ASSISTANT_MAX_PAGE_CHARS)")
    assert outcome(report)["good.txt"] == ("added", None)


def test_a_document_over_the_character_limit_fails_with_the_limit_named(folder, ingestor):
    shared_stream_pdf(folder / "many-pages.pdf", 3, 1_500)
    report = ingestor(max_page_chars=2_000, max_doc_chars=3_000).ingest([folder], progress=False)
    status, error = outcome(report)["many-pages.pdf"]
    assert status == "failed" and error.startswith("the document has ") \
        and error.endswith(" characters, over the 3,000-character limit (AUDIT_ASSISTANT_MAX_DOC_CHARS)")
    assert outcome(report)["good.txt"] == ("added", None)


def test_a_document_over_the_chunk_limit_fails_with_the_limit_named(folder, ingestor):
    write(folder / "chatty.txt", "Chatty\n\n" + "\n\n".join(f"Paragraph {i} says the cost rose by {i} per cent in "
                                                         f"the year to March." for i in range(40)))
    report = ingestor(chunk_size=100, max_chunks_per_doc=5).ingest([folder], progress=False)
    assert outcome(report) == {
        "good.txt": ("added", None),
        "chatty.txt": ("failed", "the document makes over 5 chunks, the limit (AUDIT_ASSISTANT_MAX_CHUNKS_PER_DOC)")}


def test_a_file_over_the_memory_limit_fails_with_the_limit_named(folder, ingestor):
    write(folder / "lines.txt", "ab\n" * 10_000_000)  # 30 MB: ten million lines, each a string object when split
    report = ingestor(parse_memory_mb=250).ingest([folder], progress=False)
    assert outcome(report) == {
        "good.txt": ("added", None),
        "lines.txt": ("failed", "reading the file needs more than the 250 MB memory limit "
                                "(AUDIT_ASSISTANT_PARSE_MEMORY_MB)")}


@pytest.mark.parametrize("name, make, variable, value, message", [
    ("nested.html", HOSTILE["nested.html"], "PARSE_TIMEOUT_S", "3", "reading the file took longer than the 3 s limit"),
    ("one-string.pdf", lambda p: shared_stream_pdf(p, 1, 1_000_000), "MAX_PAGE_STREAM_MB", "0.5",
     "page 1's content inflates to over 0.5 MB, the page limit"),
])
def test_the_cli_prints_one_failed_line_naming_the_limit_it_read_from_the_environment(
        name, make, variable, value, message, folder, capsys, monkeypatch, tmp_path):
    make(folder / name)
    monkeypatch.setenv(f"AUDIT_ASSISTANT_{variable}", value)
    code = main(["ingest", "--store", str(tmp_path / "store"), "--no-progress", str(folder)])
    out, err = capsys.readouterr()
    assert code == 1
    assert err == f"failed: {folder / name}: {message} (AUDIT_ASSISTANT_{variable})\n"
    assert out.splitlines()[0] == "added     good  (1 pages, 1 chunks)"


def test_one_worker_reads_many_files_and_a_failure_replaces_it(folder):
    settings = Settings(parse_timeout_s=20)
    good = folder / "good.txt"
    assert budget.load(good, settings).title == "Good note"
    first = budget._pool.proc.pid
    assert budget.load(good, settings).title == "Good note" and budget._pool.proc.pid == first
    with pytest.raises(IngestError, match="memory limit"):
        budget.load(write(folder / "lines.txt", "ab\n" * 10_000_000), settings.with_(parse_memory_mb=250))
    assert budget._pool.proc is None  # killed; the next file starts a fresh worker
    assert budget.load(good, settings).title == "Good note" and budget._pool.proc.pid != first


def test_the_parse_worker_is_reached_past_descriptor_1023(tmp_path):
    """A long-running server (the UI) holds many descriptors: the worker's pipe can be numbered above 1023,
    which select() cannot watch. The read still works."""
    import resource

    from ingest import budget

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        budget.shutdown()  # a fresh worker, started while the descriptors are held
        path = tmp_path / "note.txt"
        path.write_text("A short note\n\nThe programme cost £5 million.\n", encoding="utf-8")
        doc = budget.load(path, Settings())
        assert "£5 million" in "".join(p.text for p in doc.pages)
    finally:
        for fd in held:
            os.close(fd)
        budget.shutdown()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
