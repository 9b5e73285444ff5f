"""Generated NAO-style report PDFs (fpdf2, Pillow) for the layout tests and `benchmarks.pdf_layout`.

`make_long_report` writes 12 pages: a title page, Part One/Two/Three headings with sub-headings, footnote
markers set as superscripts and notes at each page's foot, a running header and footer, three tables (one
with a merged header and its unit in the header, one without column rules), two two-column pages and one
scanned page (text drawn into a picture, no text layer). Its ground truth (headings, notes, table cells,
row questions) is returned with it, so a measurement never restates it by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

HEADER = "Investigation into the Payroll Consolidation Programme"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def para(pdf, text: str, size: float = 10.5) -> None:
    """A paragraph of body text; '^N' is footnote marker N, set as a superscript."""
    pdf.set_font("Helvetica", size=size)
    for piece in re.split(r"(\^\d+)", text):
        if piece.startswith("^"):
            with pdf.local_context(char_vpos="SUP"):
                pdf.write(5.5, piece[1:])
        elif piece:
            pdf.write(5.5, piece)
    pdf.ln(9)


def heading(pdf, text: str, size: float = 13) -> None:
    """A bold heading line."""
    pdf.set_font("Helvetica", "B", size)
    pdf.multi_cell(0, 7, text)
    pdf.ln(3)


def notes(pdf, items: list[tuple[int, str]]) -> None:
    """Footnotes at the foot of the page, in a smaller font."""
    y = 297 - 18 - 5 * len(items)
    pdf.set_font("Helvetica", size=7.5)
    for n, text in items:
        pdf.set_xy(15, y)
        pdf.cell(0, 4, f"{n}  {text}")
        y += 4.5


def new_page(pdf, number: int) -> None:
    """A page with the running header and the numbered footer."""
    pdf.add_page()
    pdf.set_font("Helvetica", "I", 8)
    pdf.set_xy(15, 8)
    pdf.cell(0, 5, HEADER)
    pdf.set_xy(15, 286)
    pdf.cell(0, 5, f"Page {number}", align="C")
    pdf.set_xy(15, 22)


def table(pdf, caption: str, rows: list[tuple], source: str | None = None, widths: tuple | None = None,
          headings: int = 1, borders: str = "ALL") -> None:
    """A table under its bold caption, ruled (`borders` "ALL") or not ("HORIZONTAL_LINES", "NONE"); `rows` may
    merge a header cell over two columns (None after it)."""
    from fpdf.fonts import FontFace

    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(0, 6, caption)
    pdf.ln(1)
    pdf.set_font("Helvetica", size=9.5)
    n = max(len(r) for r in rows)
    with pdf.table(col_widths=widths or (40,) * n, width=sum(widths or (40,) * n), align="LEFT",
                   first_row_as_headings=False, borders_layout=borders) as t:
        for i, cells in enumerate(rows):
            row = t.row()
            style = FontFace(emphasis="BOLD") if i < headings else None
            k = 0
            while k < len(cells):
                span = 1
                while k + span < len(cells) and cells[k + span] is None:
                    span += 1
                row.cell(cells[k], colspan=span, style=style)
                k += span
    pdf.ln(3)
    if source:
        pdf.set_font("Helvetica", "I", 8)
        pdf.multi_cell(0, 4, source)
        pdf.ln(4)


def two_columns(pdf, left: str, right: str) -> None:
    """Two columns of body text side by side."""
    top = pdf.get_y()
    pdf.set_font("Helvetica", size=10.5)
    pdf.set_xy(15, top)
    pdf.multi_cell(85, 5.5, left)
    pdf.set_xy(110, top)
    pdf.multi_cell(85, 5.5, right)


def scanned_page_image(title: str, lines: list[str]):
    """A page of text as a scanner sees it: a greyscale picture at 200 dpi, its heading larger and bold."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(img)
    draw.text((150, 200), title, fill=0, font=ImageFont.truetype(FONT_BOLD, 46))
    font = ImageFont.truetype(FONT, 34)
    for i, line in enumerate(lines):
        draw.text((150, 300 + 60 * i), line, fill=0, font=font)
    return img


@dataclass
class Truth:
    """What a generated report holds, for measuring what ingestion made of it."""

    pages: int = 0
    scanned_pages: list[int] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    notes: dict[tuple[int, int], str] = field(default_factory=dict)  # (page, n) -> text
    cells: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)  # table -> (row, column, £)
    questions: list[tuple[str, str, str]] = field(default_factory=list)  # question, expected, row label


def make_long_report(path: Path) -> Truth:
    """Write the 12-page report to `path` and return its ground truth."""
    from fpdf import FPDF

    truth = Truth()
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15, 15)
    pdf.set_title("Payroll Consolidation Programme")
    page = 0

    def start(*heads: str, size: float = 13) -> None:
        nonlocal page
        page += 1
        new_page(pdf, page)
        for h in heads:
            heading(pdf, h, size=size)
            truth.headings.append(h)

    def foot(items: list[tuple[int, str]]) -> None:
        notes(pdf, items)
        truth.notes.update({(page, n): t for n, t in items})

    start(HEADER, "Summary", size=16)
    para(pdf, "The Cabinet Office launched the Payroll Consolidation Programme in 2018-19.^1 It aimed to move "
              "departments onto shared payroll services^2 across government and to close 14 separate payroll "
              "systems.")
    para(pdf, "By March 2023 the programme had cost £143 million, against an approved budget of £120 million. "
              "Only 6 of the 14 systems had closed.")
    foot([(1, "The programme was announced in the Spending Review 2018."),
          (2, "Shared services are back-office functions provided by one body to several others.")])

    start("Part One: Background", "The programme's aims")
    para(pdf, "Each department ran its own payroll system, some of them more than 20 years old.^3 The programme "
              "was to replace them with two shared platforms by March 2022.")
    para(pdf, "The business case promised savings of £90 million over ten years. It assumed that departments "
              "would accept a standard design without changes.")
    foot([(3, "The oldest system, at the Ministry of Justice, dates from 1998.")])

    start("Funding and spending")
    cap1 = "Figure 1: Funding approved and spent by year, 2019-20 to 2022-23"
    rows1 = [("Year", "Approved (£m)", "Spent (£m)"), ("2019-20", "25", "21"), ("2020-21", "35", "38"),
             ("2021-22", "40", "52"), ("2022-23", "20", "32")]
    table(pdf, cap1, rows1, "Source: National Audit Office analysis of Cabinet Office data")
    truth.cells[cap1] = [(r[0], col, int(v) * 10**6) for r in rows1[1:] for col, v in (("approved", r[1]), ("spent", r[2]))]
    truth.questions += [("How much was spent on the payroll programme in 2020-21?", "£38 million", "2020-21"),
                        ("How much funding was approved for the payroll programme in 2022-23?", "£20 million",
                         "2022-23")]
    para(pdf, "Spending ran ahead of approvals in 2020-21 and in each later year.^4")
    foot([(4, "Figures are in cash terms and are not adjusted for inflation.")])

    start("Part Two: Progress and savings")
    two_columns(pdf,
                "By March 2023 only 6 of the 14 payroll systems had been decommissioned. Two departments "
                "withdrew from the programme in 2021 and kept their own systems. The supplier missed three "
                "of its five delivery milestones.",
                "The Cabinet Office re-planned the programme twice. The second re-plan moved the closure of the "
                "remaining systems to March 2025. Departments told us they had lost confidence in the "
                "timetable.")

    start("Savings")
    cap2 = "Figure 2: Savings by department, 2022-23"
    rows2 = [("Department", "Savings (£ million)", None), ("", "Forecast", "Achieved"),
             ("HMRC", "12.5", "9.0"), ("Home Office", "8.0", "6.5"), ("DWP", "15.0", "11.0"),
             ("Ministry of Justice", "4.5", "2.0")]
    table(pdf, cap2, rows2, "Source: Cabinet Office savings tracker", widths=(50, 40, 40), headings=2)
    truth.cells[cap2] = [(r[0], col, int(float(v) * 10**6)) for r in rows2[2:]
                         for col, v in (("forecast", r[1]), ("achieved", r[2]))]
    truth.questions += [("What savings did HMRC achieve in 2022-23?", "£9.0 million", "HMRC"),
                        ("What savings were forecast for DWP in 2022-23?", "£15.0 million", "DWP")]
    para(pdf, "Departments achieved £28.5 million of the £40 million of savings forecast for 2022-23.^5")
    foot([(5, "Savings are measured against each department's 2018-19 payroll costs.")])

    start("Systems closed")
    para(pdf, "The first systems to close were the smallest.^6 The largest, at HMRC and DWP, remain open.^7")
    para(pdf, "Each closure took longer than planned, by between four and eleven months.")
    foot([(6, "The Cabinet Office closed its own system first, in 2020."),
          (7, "HMRC and DWP pay about 140,000 staff between them.")])

    scan_title = "Part Three: Lessons for future programmes"
    truth.headings.append(scan_title)
    scan = ["The programme board did not hold departments to the",
            "standard design it had approved. Each change request",
            "added cost and delay to the programme."]
    page += 1
    truth.pages = page
    truth.scanned_pages.append(page)
    img_path = path.with_suffix(".scan.png")
    scanned_page_image(scan_title, scan).save(img_path)
    pdf.add_page()
    pdf.image(str(img_path), x=0, y=0, w=210, h=297)

    start("What went wrong")
    two_columns(pdf,
                "Departments did not agree a common design before procurement began. Each department asked for "
                "its own changes, and the supplier charged for every one of them.",
                "The Cabinet Office has since set up a design authority. It now reviews every change request "
                "and rejects those that only one department needs.")

    start("Contracts")
    cap3 = "Figure 3: Contract values by supplier"
    rows3 = [("Supplier", "Contract value", "Length"), ("Supplier A", "£30 million", "5 years"),
             ("Supplier B", "£45 million", "7 years"), ("Supplier C", "£12 million", "3 years")]
    table(pdf, cap3, rows3, borders="HORIZONTAL_LINES")  # rules between rows only, as NAO sets many tables
    truth.cells[cap3] = [(r[0], "contract value", int(r[1].strip("£ million")) * 10**6) for r in rows3[1:]]
    truth.questions += [("What is the contract value with Supplier B?", "£45 million", "Supplier B")]
    para(pdf, "All three contracts were let through the Crown Commercial Service framework.^8")
    foot([(8, "The framework is RM6187, Management Consultancy Framework Three.")])

    start("Appendix One: Our audit approach")
    para(pdf, "We interviewed officials in the Cabinet Office and six departments between June and September "
              "2023. We reviewed programme board papers from 2018 to 2023.")

    start("Appendix Two: Glossary")
    para(pdf, "A shared service is a back-office function provided by one body to several others. A re-plan "
              "is a formal change to a programme's timetable or scope.")

    start("Appendix Three: Recommendations")
    para(pdf, "The Cabinet Office should publish the design authority's decisions each quarter. Departments "
              "should agree a standard design before any future procurement begins.")
    truth.pages = page
    pdf.output(str(path))
    img_path.unlink()
    return truth
