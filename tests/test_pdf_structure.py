"""Real report layout: headings become sections, footnotes leave the body, table rows are citable, two columns
keep their reading order, and scanned pages are read with OCR. The report PDF is generated here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.errors import IngestError
from assistant.text.sentences import split_sentences
from benchmarks.report_pdf import HEADER, heading as _heading, new_page as _new_page, notes as _notes, para as _para
from benchmarks.report_pdf import two_columns
from ingest.chunking import chunk_page
from ingest.cleaning import clean_pages
from ingest.loaders import load_file

CAPTION = "Figure 3: Planned and actual spending, 2019-20 to 2022-23"
ROW_2021 = "Figure 3: Planned and actual spending, row 2021-22: Planned £40 million, Actual £52 million"
LEFT = ("Departments did not agree a common design before procurement began. Each department asked for its "
        "own changes, and the supplier charged for every one of them. The programme board did not hold "
        "departments to the standard design it had approved.")
RIGHT = ("The Cabinet Office has since set up a design authority. It now reviews every change request and "
         "rejects those that only one department needs. We recommend that the design authority publishes "
         "its decisions each quarter.")


def make_report(path: Path) -> Path:
    """A 4-page NAO-style report: title, Part headings, footnotes at page foot, a ruled table with its caption,
    a two-column page, and an appendix."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15, 15)
    pdf.set_title("Payroll Consolidation Programme")

    _new_page(pdf, 1)
    _heading(pdf, HEADER, size=18)
    _heading(pdf, "Part One: Background")
    _para(pdf, "The Cabinet Office launched the Payroll Consolidation Programme in 2018-19.^1 It aimed to move "
               "departments onto shared payroll services^2 across government and to close 14 separate payroll "
               "systems.")
    _para(pdf, "The programme's business case promised savings of £90 million over ten years. The Treasury "
               "approved funding of £120 million in 2019.")
    _notes(pdf, [(1, "The programme was announced in the Spending Review 2018."),
                 (2, "Shared services are back-office functions provided by one body to several others.")])

    _new_page(pdf, 2)
    _heading(pdf, "Part Two: Progress and savings")
    _para(pdf, "By March 2023 only 6 of the 14 payroll systems had been decommissioned.^3 The programme spent "
               "£23 million more than the approved budget over the four years.")
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(0, 6, CAPTION)
    pdf.ln(1)
    pdf.set_font("Helvetica", size=9.5)
    with pdf.table(col_widths=(40, 40, 40), width=120, align="LEFT", first_row_as_headings=True) as table:
        for cells in [("Year", "Planned", "Actual"), ("2019-20", "£25 million", "£21 million"),
                      ("2020-21", "£35 million", "£38 million"), ("2021-22", "£40 million", "£52 million"),
                      ("2022-23", "£20 million", "£32 million")]:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(3)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, "Source: National Audit Office analysis of Cabinet Office data")
    pdf.ln(4)
    _para(pdf, "Spending ran ahead of plan in 2021-22 because the supplier was paid in advance.^4")
    _notes(pdf, [(3, "The remaining 8 systems are due to close by March 2025."),
                 (4, "Figures are in cash terms and are not adjusted for inflation.")])

    _new_page(pdf, 3)
    _heading(pdf, "Part Three: Lessons for future programmes")
    two_columns(pdf, LEFT, RIGHT)

    _new_page(pdf, 4)
    _heading(pdf, "Appendix One: Our audit approach")
    _para(pdf, "We interviewed officials in the Cabinet Office and six departments between June and September "
               "2023. We reviewed programme board papers from 2018 to 2023.")
    pdf.output(str(path))
    return path


def _chunks(path: Path, ocr: bool = False) -> list:
    """The chunks ingestion makes of a file (load, clean, chunk), without the store."""
    out, section = [], None
    for page in clean_pages(load_file(path, ocr=ocr).pages):
        chunks, section = chunk_page("doc", page.number or 1, page.text, section=section)
        out += chunks
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    return make_report(tmp_path_factory.mktemp("pdf") / "payroll-report.pdf")


@pytest.fixture(scope="module")
def chunks(report) -> list:
    return _chunks(report)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, report, embedder):
    """The report ingested by the real pipeline with the real model, in a store of its own."""
    from assistant.config import Settings
    from ingest.pipeline import Ingestor

    settings = Settings(store_dir=tmp_path_factory.mktemp("pdf-store"))
    rep = Ingestor(settings, embedder=embedder).ingest([report], progress=False)
    assert not rep.failed, rep.failed
    return settings


def test_a_heading_is_the_section_of_the_text_under_it_never_part_of_a_sentence(chunks):
    sentence = "By March 2023 only 6 of the 14 payroll systems had been decommissioned."
    holding = [c for c in chunks if sentence in c.text]
    assert [c.section for c in holding] == ["Part Two > Progress and savings"]
    assert holding[0].page == 2
    assert not any("Part Two" in c.text or "Progress and savings" in c.text for c in chunks)
    assert {c.section for c in chunks if c.page == 4} == {"Appendix One > Our audit approach"}


def test_the_running_header_and_footer_are_not_text(chunks):
    assert not any(HEADER in c.text or re.search(r"Page \d", c.text) for c in chunks)


def test_footnote_markers_leave_the_body_and_no_sentence_starts_with_a_note_number(chunks):
    body = [c for c in chunks if "note" not in c.meta]
    text = " ".join(" ".join(c.text.split()) for c in body)
    assert "in 2018-19. It aimed" in text
    assert "shared payroll services across government" in text
    assert "decommissioned. The programme spent" in text
    for c in chunks:
        for s in split_sentences(c.text):
            assert not re.match(r"\d{1,3}\b(?![,.]\d)", s.text), s.text  # "3 The remaining ..." would fail
            assert not re.search(r"[a-z.]\d{1,2}$", s.text), s.text  # nor "...2018-19.2"
    assert not any("remaining 8 systems" in c.text for c in body)


def test_each_footnote_is_its_own_citable_chunk_on_its_page(chunks):
    notes = {(c.page, c.meta["note"]): c for c in chunks if "note" in c.meta}
    assert sorted(notes) == [(1, 1), (1, 2), (2, 3), (2, 4)]
    note = notes[(2, 3)]
    assert note.text == "The remaining 8 systems are due to close by March 2025."
    assert note.section == "page 2, note 3"


def test_each_table_row_is_a_chunk_under_the_caption_and_the_cells_are_not_loose_text(chunks):
    rows = [c for c in chunks if "table" in c.meta]
    assert [c.meta["row"] for c in rows] == ["2019-20", "2020-21", "2021-22", "2022-23"]
    row = next(c for c in rows if c.meta["row"] == "2021-22")
    assert row.text == ROW_2021
    assert (row.page, row.section, row.meta["table"]) == (2, CAPTION, CAPTION)
    assert row.meta["cells"] == ["Planned £40 million", "Actual £52 million"]
    assert not any("£52 million" in c.text or "Planned" in c.text for c in chunks if "table" not in c.meta)
    assert not any(c.text.startswith(("Year", "Figure 3: Planned and actual spending, 2019")) for c in chunks)


def test_a_two_column_page_is_read_left_column_first(chunks):
    page3 = " ".join(" ".join(c.text.split()) for c in chunks if c.page == 3)
    assert LEFT in page3 and RIGHT in page3
    assert page3.index(LEFT) < page3.index(RIGHT)


def test_the_figures_table_holds_the_row_figures_with_their_column_as_measure(ingested):
    from assistant.store.figures import list_figures

    figures = [f for f in list_figures(ingested.sqlite_path, "payroll-report") if f.unit == "GBP" and f.page == 2]
    actual = [f for f in figures if f.value == 52_000_000]
    assert len(actual) == 1
    assert actual[0].measure == "actual spending"
    assert "2021-22" in actual[0].sentence
    planned = next(f for f in figures if f.value == 40_000_000)
    assert planned.measure == "planned spending"
    over = next(f for f in figures if f.value == 23_000_000)
    assert over.measure == "overspend"  # "£23 million more than the approved budget" is not a budget


def test_a_table_question_is_answered_from_the_row_citing_its_page(ingested):
    from assistant.answer.pipeline import Assistant

    answer = Assistant(ingested).ask("What was the actual spend on the payroll programme in 2021-22?")
    assert not answer.declined, answer.text
    assert "£52 million" in answer.text
    cited = [c for c in answer.citations if "£52 million" in c.quote]
    assert cited and cited[0].page == 2 and "2021-22" in cited[0].quote
    assert cited[0].quote.startswith("Figure 3: Planned and actual spending")
    assert cited[0].section == CAPTION  # the citation names the table, and the source card shows it


def test_a_citation_names_its_section_path(ingested):
    from assistant.answer.pipeline import Assistant
    from ui.render import source_card_html

    answer = Assistant(ingested).ask("How many of the payroll systems had been decommissioned by March 2023?")
    cited = [c for c in answer.citations if "6 of the 14" in c.quote]
    assert cited and cited[0].section == "Part Two > Progress and savings", answer.to_dict()
    assert cited[0].to_dict()["section"] == "Part Two > Progress and savings"
    assert "Part Two &gt; Progress and savings" in source_card_html(cited[0])


def test_html_headings_and_tables(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(
        "<html><body><main><h1>Payroll report</h1><h2>Part Two: Progress and savings</h2>"
        "<p>By March 2023 only 6 of the 14 payroll systems had been decommissioned.</p>"
        "<figure><figcaption>Figure 3: Planned and actual spending, 2019-20 to 2022-23</figcaption><table>"
        "<tr><th rowspan='2'>Year</th><th colspan='2'>Spending</th></tr><tr><th>Planned</th><th>Actual</th></tr>"
        "<tr><td>2021-22</td><td>£40 million</td><td>£52 million</td></tr></table></figure>"
        "<h3>Savings</h3><p>Savings reached £3 million.</p></main></body></html>", encoding="utf-8")
    got = [(c.section, c.text) for c in _chunks(page)]
    assert got == [
        ("Part Two > Progress and savings",
         "By March 2023 only 6 of the 14 payroll systems had been decommissioned."),
        (CAPTION, "Figure 3: Planned and actual spending, row 2021-22: Spending Planned £40 million, "
                  "Spending Actual £52 million"),
        ("Part Two > Savings", "Savings reached £3 million."),
    ]


# --- scanned PDFs -------------------------------------------------------------------------------------

SCANNED = ["The Cabinet Office spent 52 million pounds on payroll in 2021-22.",
           "Only six of the fourteen payroll systems had closed by March 2023."]


def make_scanned(path: Path) -> Path:
    """An image-only PDF: each page's text drawn into a picture (no text layer), as a scanner makes."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 34)
    images = []
    for text in SCANNED:
        img = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
        draw = ImageDraw.Draw(img)
        words, lines = text.split(), [""]
        for w in words:
            lines[-1] = f"{lines[-1]} {w}".strip() if len(lines[-1]) + len(w) < 60 else lines[-1]
            if not lines[-1].endswith(w):
                lines.append(w)
        for i, line in enumerate(lines):
            draw.text((150, 200 + 60 * i), line, fill=0, font=font)
        images.append(img.convert("RGB"))
    images[0].save(path, "PDF", resolution=200, save_all=True, append_images=images[1:])
    return path


def test_a_scanned_pdf_without_ocr_says_how_to_read_it(tmp_path):
    path = make_scanned(tmp_path / "scan.pdf")
    with pytest.raises(IngestError) as err:
        load_file(path)
    assert "--ocr" in err.value.reason and "ocrmypdf" in err.value.reason and "tesseract-ocr" in err.value.reason


def test_ocr_without_the_tools_names_the_packages(tmp_path, monkeypatch):
    import ingest.ocr

    monkeypatch.setattr(ingest.ocr.shutil, "which", lambda name: None)
    with pytest.raises(IngestError, match="apt-get install ocrmypdf tesseract-ocr tesseract-ocr-eng"):
        load_file(make_scanned(tmp_path / "scan.pdf"), ocr=True)


@pytest.mark.slow
def test_ocr_reads_a_scanned_pdf_keeping_page_numbers(tmp_path):
    doc = load_file(make_scanned(tmp_path / "scan.pdf"), ocr=True)
    assert [p.number for p in doc.pages] == [1, 2]
    assert "payroll in 2021-22" in " ".join(doc.pages[0].text.split())
    assert "fourteen payroll systems" in " ".join(doc.pages[1].text.split())


@pytest.mark.slow
def test_ingest_ocr_from_the_command_line(tmp_path, capsys):
    from assistant.cli.main import main
    from assistant.store.catalog import Catalog
    from assistant.config import Settings

    scan = make_scanned(tmp_path / "scan.pdf")
    store = tmp_path / "ocr-store"
    assert main(["ingest", str(scan), "--store", str(store), "--no-progress"]) == 1
    assert "--ocr" in capsys.readouterr().err
    assert main(["ingest", str(scan), "--ocr", "--store", str(store), "--no-progress"]) == 0
    chunks = list(Catalog(Settings(store_dir=store).sqlite_path).iter_chunks("scan"))
    assert {c.page for c in chunks} == {1, 2}
    assert any("fourteen payroll systems" in " ".join(c.text.split()) and c.page == 2 for c in chunks)


# --- tables: headers and units ------------------------------------------------------------------------

def test_a_merged_header_and_a_unit_in_the_header_make_rows_that_read_and_measure():
    from assistant.text.figures import extract_figures
    from ingest.tables import table_lines

    lines = table_lines("Figure 5: Savings by department, 2022-23",
                        [["Department", "Savings (£ million)", None], ["", "Forecast", "Achieved"],
                         ["HMRC", "12.5", "9.0"], ["Sub-total", "", ""]])
    assert lines == ["Table: Figure 5: Savings by department, 2022-23",
                     "Columns: Department | Savings (£ million) Forecast | Savings (£ million) Achieved",
                     "Figure 5: Savings by department, row HMRC: Savings Forecast £12.5 million, "
                     "Savings Achieved £9.0 million"]
    got = [(f.raw, f.value, f.measure) for f in extract_figures(lines[2]) if f.unit == "GBP"]
    assert got == [("£12.5 million", 12_500_000, "savings forecast"), ("£9.0 million", 9_000_000, "savings achieved")]


@pytest.mark.parametrize("header, cell, expected", [
    ("Actual (£m)", "52", ("Actual", "£52 million")), ("Share (%)", "40", ("Share", "40%")),
    ("Cost £000", "1,250", ("Cost", "£1,250 thousand")), ("Actual", "£52 million", ("Actual", "£52 million")),
    ("Year", "2021", ("Year", "2021")), ("(£m)", "5", ("(£m)", "5"))])
def test_a_unit_stated_in_the_header_is_written_with_each_bare_number(header, cell, expected):
    from ingest.tables import with_unit

    assert with_unit(header, cell) == expected


# --- the 12-page report of benchmarks/pdf_layout.py ------------------------------------------------------

@pytest.mark.slow
def test_the_long_report_has_clean_sentences_every_table_cell_and_its_scanned_page(tmp_path):
    """Headings, notes, three tables (one with a merged header and its unit in the header), two two-column
    pages and a scanned page: no quotable sentence has a fault, and every money cell is a figure of its row
    measured by its column."""
    from assistant.text.figures import extract_figures
    from benchmarks.pdf_layout import _sentence_faults
    from benchmarks.report_pdf import make_long_report
    pdf = tmp_path / "long.pdf"
    truth = make_long_report(pdf)
    chunks = _chunks(pdf, ocr=True)
    faults = [(c.page, s.text) for c in chunks for s in split_sentences(c.text)
              if _sentence_faults(s.text, truth, "note" in c.meta)]
    assert faults == []
    figures = [(c.meta.get("row"), f) for c in chunks if "table" in c.meta for f in extract_figures(c.text)]
    for caption, cells in truth.cells.items():
        for row, column, value in cells:
            assert any(r == row and f.value == value and column in (f.measure or "") for r, f in figures), \
                (caption, row, column)
    scanned = [c for c in chunks if c.page in truth.scanned_pages]
    assert {c.section for c in scanned} == {"Part Three > Lessons for future programmes"}
    assert "standard design it had approved" in " ".join(" ".join(c.text.split()) for c in scanned)
    assert {(c.page, c.meta["note"]) for c in chunks if "note" in c.meta} == set(truth.notes)


@pytest.mark.parametrize("borders", ["HORIZONTAL_LINES", "NONE"])
def test_a_table_without_column_rules_is_still_read_row_by_row(tmp_path, borders):
    from fpdf import FPDF

    from benchmarks.report_pdf import table

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    _heading(pdf, "Part Two: Progress and savings")
    _para(pdf, "Spending ran ahead of plan in every year after 2019-20.")
    table(pdf, CAPTION, [("Year", "Planned", "Actual"), ("2019-20", "£25 million", "£21 million"),
                         ("2021-22", "£40 million", "£52 million")], borders=borders)
    _para(pdf, "The programme board met every month.")
    pdf.output(str(tmp_path / "unruled.pdf"))
    got = [(c.section, c.text) for c in _chunks(tmp_path / "unruled.pdf")]
    assert got == [("Part Two > Progress and savings", "Spending ran ahead of plan in every year after 2019-20."),
                   (CAPTION, "Figure 3: Planned and actual spending, row 2019-20: Planned £25 million, "
                             "Actual £21 million"),
                   (CAPTION, ROW_2021),
                   ("Part Two > Progress and savings", "The programme board met every month.")]


@pytest.mark.slow
def test_ocr_of_a_blank_scan_says_it_found_no_text(tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.pdf"
    Image.new("RGB", (827, 1169), "white").save(blank, "PDF", resolution=100)
    with pytest.raises(IngestError, match="OCR found no text in the PDF"):
        load_file(blank, ocr=True)


def test_an_html_caption_set_just_before_its_table_is_the_tables_caption(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(
        "<html><body><main><h2>Part Two: Progress</h2><p>Spending rose.</p>"
        f"<h3>{CAPTION}</h3><table><tr><th>Year</th><th>Planned (£m)</th><th>Actual (£m)</th></tr>"
        "<tr><td>2021-22</td><td>40</td><td>52</td></tr></table><p>The board met monthly.</p></main></body></html>",
        encoding="utf-8")
    got = [(c.section, c.text) for c in _chunks(page)]
    assert got == [("Part Two > Progress", "Spending rose."), (CAPTION, ROW_2021),
                   ("Part Two > Progress", "The board met monthly.")]


@pytest.mark.parametrize("lines, sizes", [(["Part Four", "Next steps"], [13, 13]),  # one heading over two lines
                                          (["Part Four", "Next steps"], [16, 13])])  # a part, then its title
def test_a_part_and_its_title_on_two_lines_make_one_path(tmp_path, lines, sizes):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_page()
    for text, size in zip(lines, sizes):
        _heading(pdf, text, size=size)
    _para(pdf, "The Cabinet Office should publish the design authority's decisions each quarter.")
    pdf.output(str(tmp_path / "part.pdf"))
    assert [(c.section, c.text) for c in _chunks(tmp_path / "part.pdf")] == [
        ("Part Four > Next steps", "The Cabinet Office should publish the design authority's decisions each quarter.")]


def test_a_scanned_page_inside_a_text_pdf_is_named_when_read_without_ocr(tmp_path):
    from benchmarks.report_pdf import make_long_report

    truth = make_long_report(tmp_path / "long.pdf")
    doc = load_file(tmp_path / "long.pdf")
    assert doc.meta == {"pages_without_text": truth.scanned_pages}


def test_scanned_pages_among_text_pages_are_named_when_ingested_without_ocr(tmp_path, capsys):
    """A report whose one scanned page has no text layer is ingested from its other pages, and the ingest line
    names the page left out and how to read it."""
    from assistant.cli.main import main
    from benchmarks.report_pdf import make_long_report

    pdf = tmp_path / "long.pdf"
    make_long_report(pdf)
    assert main(["ingest", str(pdf), "--store", str(tmp_path / "store"), "--no-progress"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("added"))
    assert "have no text (scanned?); ingest with --ocr" in line and "pages " in line
