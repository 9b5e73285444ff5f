"""Render a long-report check's text reports as PDFs, the way reports are printed, to check the PDF path.

    python -m evals.render_pdf evals/checks/long4 OUT_DIR

Each `.txt` report its manifest lists becomes a PDF in OUT_DIR with the same doc_id (the manifest is copied with
the file names changed), so the check's questions ask of the PDFs as they ask of the text: wrapped paragraphs (a
sentence runs over printed lines), a running header with the report's title and a page number on every page,
short lines without a full stop set as bold headings, and lines set out in columns of spaces (a table) in a
monospace face. Then:

    audit-assistant ingest corpus/ evals/library/tuning evals/library/validation evals/library/sealed OUT_DIR --store S
    audit-assistant eval evals/checks/long4/questions.jsonl --store S

Written here because no library renders plain text as a printed report; fpdf2 (in the `test` extra, which `make
test` installs: the tests make their PDFs with it) lays out the pages. The fonts are DejaVu, which Debian and most Linux systems ship, for
"£", "–" and curly quotes; a machine without them gets a clear error.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

FONTS = Path("/usr/share/fonts/truetype/dejavu")
_TABLE_LINE = re.compile(r"\S {3,}\S")  # columns set apart by runs of spaces
_HEADING_MAX = 80  # a bold heading: one short line without a full stop (as the chunker reads a title)


def render(text: str, title: str, out: Path, fonts: Path = FONTS) -> int:
    """Write `text` as a printed report at `out`; returns its number of pages."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            self.set_font("body", size=8)
            self.set_xy(15, 8)
            self.cell(0, 5, title[:90])
            self.set_xy(15, 18)  # the body starts below the header, at the top margin

        def footer(self):
            self.set_font("body", size=8)
            self.set_xy(15, 285)
            self.cell(0, 5, str(self.page_no()))

    pdf = Report()
    pdf.set_title(title)
    pdf.add_font("body", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("body", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("mono", "", str(fonts / "DejaVuSansMono.ttf"))
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_margins(15, 18, 15)
    pdf.add_page()
    for block in re.split(r"\n\s*\n", text):
        lines = block.split("\n")
        if any(_TABLE_LINE.search(line) for line in lines):
            pdf.set_font("mono", size=7)
            for line in lines:
                pdf.set_x(15)
                pdf.cell(0, 3.6, line, new_x="LMARGIN", new_y="NEXT")
        elif len(lines) == 1 and len(block) < _HEADING_MAX and not block.rstrip().endswith("."):
            pdf.set_font("body", "B", size=11)
            pdf.set_x(15)
            pdf.multi_cell(0, 6, block, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("body", size=10)
            for line in lines:
                pdf.set_x(15)
                pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
    pdf.output(str(out))
    return pdf.page_no()


def render_check(src: Path, out: Path, fonts: Path = FONTS) -> list[Path]:
    """Every text report the check's manifest lists, as a PDF in `out`, with the manifest naming the PDFs."""
    from ingest.manifest import load_manifest

    if not (fonts / "DejaVuSans.ttf").exists():
        raise SystemExit(f"error: the DejaVu fonts are not in {fonts} (Debian: apt-get install fonts-dejavu-core)")
    out.mkdir(parents=True, exist_ok=True)
    manifest = (src / "manifest.toml").read_text(encoding="utf-8")
    made = []
    for path, entry in load_manifest(src).items():
        text_file = Path(path)
        if text_file.suffix != ".txt":
            continue
        pdf = out / (text_file.stem + ".pdf")
        render(text_file.read_text(encoding="utf-8"), str(entry.get("title") or text_file.stem), pdf, fonts)
        manifest = manifest.replace(f'"{text_file.name}"', f'"{pdf.name}"')
        made.append(pdf)
    (out / "manifest.toml").write_text(manifest, encoding="utf-8")
    return made


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.render_pdf", description=__doc__.split("\n\n")[0])
    p.add_argument("check", type=Path, help="a check's folder: its manifest.toml and .txt reports")
    p.add_argument("out", type=Path, help="where to write the PDFs and their manifest")
    args = p.parse_args(argv)
    for pdf in render_check(args.check, args.out):
        print(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
