"""The conversation export (ui/render.conversation_markdown) from real answers over a generated report PDF: a
cited sentence is followed by the footnote its marker referred to, a cited table row by its caption, header and
row, and the document text in them, which carries Markdown and HTML, is escaped (data, never markup)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ui.render import conversation_markdown, md_escape

CAPTION = "Figure 1: Widget spending [click](javascript:alert(1)) <script>alert(2)</script>"
NOTE = "Announced in the 2018 budget <img src=x onerror=alert(3)> ](javascript:alert(4))."
SENTENCE = "The Department for Widgets began the widget replacement programme in 2019."
TABLE_Q = "What was the actual widget spending in 2020-21?"
NOTE_Q = "When did the widget replacement programme begin?"


def make_report(path: Path) -> Path:
    """One page: a sentence with footnote marker 1, a ruled table with a hostile caption, the hostile note."""
    from fpdf import FPDF

    from benchmarks.report_pdf import heading, new_page, notes, para, table

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15, 15)
    pdf.set_title("Widget programme")
    new_page(pdf, 1)
    heading(pdf, "Part One: The widget programme")
    para(pdf, SENTENCE[:-1] + ".^1 It planned to replace every widget in government offices by 2023.")
    table(pdf, CAPTION, [("Year", "Planned", "Actual"), ("2019-20", "£5 million", "£6 million"),
                         ("2020-21", "£7 million", "£9 million"), ("2021-22", "£8 million", "£8 million")],
          source="Source: Department for Widgets", widths=(70, 40, 40))
    notes(pdf, [(1, NOTE)])
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def export(tmp_path_factory, embedder) -> str:
    """The Markdown export of a two-turn conversation answered by the real pipeline over the report."""
    from assistant.answer.pipeline import Assistant
    from assistant.config import Settings
    from ingest.pipeline import Ingestor

    report = make_report(tmp_path_factory.mktemp("export-pdf") / "widget-report.pdf")
    settings = Settings(store_dir=tmp_path_factory.mktemp("export-store"))
    assert not Ingestor(settings, embedder=embedder).ingest([report], progress=False).failed
    assistant = Assistant(settings)
    messages = []
    for question in (TABLE_Q, NOTE_Q):
        messages += [{"role": "user", "content": question},
                     {"role": "assistant", "answer": assistant.ask(question)}]
    return conversation_markdown(messages, now=datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_a_cited_table_row_is_exported_with_its_caption_header_and_row(export):
    table = ("  Table: " + md_escape(CAPTION) + " (quoted row)\n\n"
             "  | Year | Planned | Actual |\n"
             "  | --- | --- | --- |\n"
             "  | 2020\\-21 | £7 million | £9 million |")
    assert table in export
    assert export.index("## Question 1") < export.index(table) < export.index("## Question 2")


def test_a_cited_sentence_is_exported_with_the_note_its_marker_referred_to(export):
    second = export[export.index("## Question 2"):]
    line = f"  > “{SENTENCE}”\n\n  see note 1 (page 1): {md_escape(NOTE)}"
    assert line in second
    assert "see note" not in export[:export.index("## Question 2")]  # the table row refers to no note


def test_the_caption_and_note_reach_the_export_escaped(export):
    extras = [line for line in export.splitlines() if line.startswith(("  Table:", "  see note"))]
    assert len(extras) == 2
    caption = extras[0].removeprefix("  Table: ").removesuffix(" (quoted row)")
    note = extras[1].removeprefix("  see note 1 (page 1): ")
    for text in (caption, note):
        assert not re.search(r"(?<!\\)[<>\[\]()`*_!]", text), text  # every mark that could make markup: escaped
    assert r"\<script\>alert\(2\)\</script\>" in caption and r"\]\(javascript\:alert\(4\)\)" in note
    # Escaped, not altered: without the escapes the words are the document's.
    assert caption.replace("\\", "") == CAPTION and note.replace("\\", "") == NOTE


def test_a_cell_holding_a_bar_stays_in_its_cell_and_a_headerless_row_is_a_plain_line():
    from assistant.types import Answer, Citation

    def exported(table: dict) -> str:
        c = Citation(1, "w:1", "widget-report", "Widget programme", 1, "Table 1, row b: 2", table=table)
        return conversation_markdown([{"role": "assistant", "answer": Answer("q", "2 [1].", False, (c,))}])

    md = exported({"caption": "Table 1", "columns": ["Name", "Value"], "rows": [["a|b", "1"]], "row_at": 0})
    assert "  | Name | Value |\n  | --- | --- |\n  | a\\|b | 1 |" in md
    md = exported({"caption": "Table 1", "columns": None, "rows": [["a", "1"], ["b", "2"]], "row_at": 1})
    assert "  Table: Table 1 (quoted row)\n\n  Row: b · 2" in md and "| ---" not in md
