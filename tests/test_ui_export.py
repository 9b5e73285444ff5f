"""The conversation export (ui/render.conversation_markdown) from real answers over generated documents: a cited
sentence is followed by the footnote its marker referred to, a cited table row by its caption, header and row,
and all document text (title, section, quote, caption, note, and the answer that quotes it), which carries
Markdown and HTML, is escaped: data, never markup."""

from __future__ import annotations

import html
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
    from test_ui_tables import make_widget_report

    return make_widget_report(path, caption=CAPTION, last_row="2021-22", note=NOTE)


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
             "  | 2020-21 | £7 million | £9 million |")
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
        assert not re.search(r"(?<!\\)[<>\[\]`*_|]", text), text  # every mark that could make markup: escaped
    assert r"\<script\>alert(2)\</script\>" in caption and r"\](javascript\:alert(4))" in note
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


# A document whose title, section heading and a quoted sentence carry HTML, a javascript: link and Markdown that
# opens a table row; the title's leading "|" would start one.
TITLE = "| Widget review <img src=x onerror=alert(1)> [click](javascript:alert(1)) <script>alert(1)</script>"
HEADING = "Costs <img src=x onerror=alert(2)> | [here](javascript:alert(2))"
HOSTILE = ("The Widget Office reported that the widget programme <img src=x onerror=alert(3)> cost £12 million in "
           "2023 <script>alert(3)</script> [click](javascript:alert(3)).")
HOSTILE_Q = "How much did the widget programme cost?"


def unescaped(text: str) -> str:
    """Markdown text with its backslash escapes removed: what a reader sees."""
    return re.sub(r"\\(.)", r"\1", text)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, embedder):
    """A real answer citing the hostile document (ingested by the real pipeline), and its export."""
    from assistant.answer.pipeline import Assistant
    from assistant.config import Settings
    from ingest.pipeline import Ingestor

    doc = tmp_path_factory.mktemp("hostile-doc") / "widget-review.md"
    doc.write_text(f"{TITLE}\n\n## {HEADING}\n\n{HOSTILE} The budget was £10 million.\n", encoding="utf-8")
    settings = Settings(store_dir=tmp_path_factory.mktemp("hostile-store"))
    assert not Ingestor(settings, embedder=embedder).ingest([doc], progress=False).failed
    answer = Assistant(settings).ask(HOSTILE_Q)
    messages = [{"role": "user", "content": HOSTILE_Q}, {"role": "assistant", "answer": answer}]
    return answer, conversation_markdown(messages, now=datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_a_hostile_documents_title_section_and_quote_are_exported_escaped(hostile):
    answer, export = hostile
    c = answer.citations[0]
    # The document's text reached the citation as written (the test is only as good as this).
    assert (c.doc_id, c.title, c.section, c.page) == ("widget-review", TITLE, HEADING, 1)
    assert c.quote.startswith("The Widget Office reported") and "£12 million" in answer.text
    for payload in ("<img src=x onerror=alert(3)>", "<script>alert(3)</script>", "[click](javascript:alert(3))"):
        assert payload in c.quote and payload in answer.text

    title = (r"\| Widget review \<img src=x onerror=alert(1)\> \[click\](javascript\:alert(1)) "
             r"\<script\>alert(1)\</script\>")
    section = r"Costs \<img src=x onerror=alert(2)\> \| \[here\](javascript\:alert(2))"
    assert f"- [1] {title}, page 1, {section} (widget-review)" in export.splitlines()
    quote = md_escape(c.quote)
    assert f"  > “{quote}”" in export.splitlines()
    assert r"\<img src=x onerror=alert(3)\>" in quote and r"\<script\>alert(3)\</script\>" in quote
    assert r"\[click\](javascript\:alert(3))" in quote
    assert f"**Answer** (grounded): {md_escape(answer.text[:answer.text.index(' [1]')])} [1]" in export
    # Escaped, not altered: without the escapes the words are the document's.
    assert unescaped(title) == TITLE and unescaped(section) == HEADING and unescaped(quote) == c.quote

    # Nothing in the whole export can open a tag, a link or a table cell, or name a javascript: URL.
    assert not re.search(r"(?<!\\)<", export)
    assert not re.search(r"(?<!\\)\]\(|javascript:", export)
    assert not re.search(r"(?<!\\)\|", export)


def test_a_hostile_documents_export_renders_as_text(hostile):
    """Rendered by a CommonMark renderer with raw HTML allowed and GFM tables: the only markup is ours."""
    import markdown_it  # installed with streamlit (rich needs it)
    answer, export = hostile
    page = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(export)
    assert not re.search(r"<(script|img|a|table|code|em|h3)\b", page), page
    assert re.findall(r"<h\d>.*?</h\d>", page) == ["<h1>Audit Assistant conversation</h1>", "<h2>Question 1</h2>"]
    assert re.findall(r"<strong>.*?</strong>", page) == ["<strong>Answer</strong>"]
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for original in (TITLE, HEADING, answer.citations[0].quote):
        assert original in text  # read back as the document wrote it
