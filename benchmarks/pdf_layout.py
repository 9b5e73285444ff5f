"""`python -m benchmarks.pdf_layout [--out benchmarks/results/pdf-layout]`: what ingestion makes of a real-looking report.

The 12-page report of `benchmarks.report_pdf` (Part headings, footnotes, three tables, two-column
pages, a scanned page) is ingested twice with the real model, each time into a store of its own:

- `before`: each page's plain text from pypdf, as ingestion read PDFs before the layout reader;
- `now`: the layout reader (`ingest.pdf`), with OCR (`--ocr`) when ocrmypdf and tesseract are installed.

Measured for each: table-cell figures stored with their value, row and column (per table); the share of
quotable sentences free of headings, footnote numbers or text, glued markers and unbalanced quotation
marks; the questions about table rows answered with the expected figure and the row cited; pages loaded
per second (loading alone, OCR included, and the whole ingestion with embedding). Results: OUT/pdf-layout.json
(in a folder of its own: `benchmarks.report` tabulates every JSON file directly in results/).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path


def _pypdf_loader(path, max_pdf_pages=5000, max_bytes=None, ocr=None):
    """The loader as it was: plain page text from pypdf."""
    from pypdf import PdfReader

    from ingest.loaders import LoadedDocument, Page

    reader = PdfReader(str(path))
    pages = [Page(i + 1, p.extract_text() or "") for i, p in enumerate(reader.pages)]
    return LoadedDocument(Path(path), "pdf", pages, title=(reader.metadata or {}).get("/Title"))


def _best_of(n: int, run) -> float:
    """The shortest of `n` timed runs, in seconds."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return min(times)


_GLUED = re.compile(r"[a-z]{3}\d{1,2}\b|[a-z)][.,;:]\d{1,2}(?:\s|$)|\d{2}-\d{2}\.\d{1,2}\b")


def _sentence_faults(sentence: str, truth, is_note: bool) -> set[str]:
    """What is wrong with a quotable sentence: a heading in it, a footnote number or text, an unbalanced mark."""
    faults = set()
    flat = " ".join(sentence.split())
    # A heading glued into a sentence opens it, a capital after it ("Part Two: Progress and savings By March"), or,
    # when the sentence before had no full stop, closes it.
    if any(flat.startswith(h + " ") and flat[len(h) + 1:][:1].isupper() or flat.endswith(" " + h)
           for h in truth.headings):
        faults.add("heading")
    if re.match(r"\d{1,2}\s", flat):
        faults.add("starts with a note number")
    if _GLUED.search(flat) or re.search(r"\D\d{1,2}$", flat):
        faults.add("footnote marker")
    if not is_note and any(t in flat for t in truth.notes.values()):
        faults.add("footnote text")
    if flat.count("“") != flat.count("”") or flat.count('"') % 2:
        faults.add("unbalanced quotes")
    return faults


def measure(variant: str, pdf: Path, truth, embedder, work: Path) -> dict:
    """Ingest `pdf` one way into a fresh store and measure what came out."""
    import ingest.pipeline as pipeline
    from assistant.answer.pipeline import Assistant
    from assistant.config import Settings
    from assistant.store.catalog import Catalog
    from assistant.store.figures import list_figures
    from assistant.text.sentences import split_sentences
    from ingest import ocr
    from ingest.loaders import load_file

    loader = _pypdf_loader if variant == "before" else load_file
    use = variant == "now" and ocr.available()
    t = time.perf_counter()
    with ocr.use_ocr(use):
        loaded = loader(pdf)
    load_s = time.perf_counter() - t
    plain_s = _best_of(3, lambda: loader(pdf, ocr=False))  # the machine is shared: the least disturbed run

    settings = Settings(store_dir=work / variant)
    original = pipeline.load_file
    pipeline.load_file = loader  # the only difference between the two runs
    try:
        t = time.perf_counter()
        with ocr.use_ocr(use):
            rep = pipeline.Ingestor(settings, embedder=embedder).ingest([pdf], progress=False)
        ingest_s = time.perf_counter() - t
    finally:
        pipeline.load_file = original
    assert not rep.failed, rep.failed
    doc_id = rep.results[0].doc_id
    chunks = list(Catalog(settings.sqlite_path).iter_chunks(doc_id))

    tables = {}
    figures = [f for f in list_figures(settings.sqlite_path, doc_id) if f.unit == "GBP"]
    for caption, cells in truth.cells.items():
        ok = 0
        for row, column, value in cells:
            ok += any(f.value == value and row in f.sentence and f.measure and column in f.measure
                      for f in figures)
        tables[caption.split(":")[0]] = f"{ok}/{len(cells)}"

    total, clean, faults = 0, 0, {}
    for c in chunks:
        is_note = bool(c.section and ", note " in c.section)
        for s in split_sentences(c.text):
            total += 1
            found = _sentence_faults(s.text, truth, is_note)
            clean += not found
            for f in found:
                faults[f] = faults.get(f, 0) + 1

    assistant = Assistant(settings)
    answered = []
    for question, expected, row in truth.questions:
        a = assistant.ask(question)
        cited = any(expected in c.quote and f"row {row}:" in c.quote for c in a.citations)
        answered.append({"question": question, "expected": expected, "answer": a.text,
                         "correct": (not a.declined) and expected in a.text and cited})

    scanned_text = sum(len(p.text.split()) for p in loaded.pages if p.number in truth.scanned_pages)
    return {
        "variant": variant, "ocr": use, "pages": truth.pages, "chunks": len(chunks),
        "table_cells_correct": tables,
        "sentences": total, "sentences_clean": clean, "clean_share": round(clean / total, 3) if total else None,
        "faults": faults,
        "row_questions_correct": f"{sum(a['correct'] for a in answered)}/{len(answered)}", "answers": answered,
        "scanned_page_words": scanned_text,
        "load_pages_per_s": round(truth.pages / load_s, 1),
        "load_pages_per_s_without_ocr": round(truth.pages / plain_s, 1), "ingest_pages_per_s": round(truth.pages / ingest_s, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/pdf-layout"))
    args = parser.parse_args(argv)

    from assistant.config import Settings
    from assistant.store.embeddings import make_embedder
    from benchmarks.report_pdf import make_long_report

    embedder = make_embedder(Settings())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pdf = work / "payroll-long-report.pdf"
        truth = make_long_report(pdf)
        results = [measure(v, pdf, truth, embedder, work) for v in ("before", "now")]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pdf-layout.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    keys = ["ocr", "chunks", "table_cells_correct", "clean_share", "faults", "row_questions_correct",
            "scanned_page_words", "load_pages_per_s", "load_pages_per_s_without_ocr", "ingest_pages_per_s"]
    print("| measure | before (pypdf text) | now (layout) |\n|---|---|---|")
    for k in keys:
        print(f"| {k} | {results[0][k]} | {results[1][k]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
