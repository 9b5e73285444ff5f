"""A cited table row is shown in its table, and a cited sentence with the footnote its marker referred to, in
the source card: in a real headless Chromium (the server, browser and helpers of tests/test_ui_browser.py, over
a store of its own) and as the HTML ui/render.py writes. The report PDF is generated here; its table and note
carry markup and script, which must reach the page as text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.types import Citation
from test_ui_browser import (ROOT, _chromium_installed, _env, ask, browser, check_axe, open_card, page,  # noqa: F401
                             server, shot)
from ui.render import source_card_html, table_html

XSS_ROW = '2021-22 <img src=x onerror="window.__xss=1">'
XSS_NOTE = "Announced in the 2018 budget <script>window.__xss=2</script>."
CAPTION = "Figure 1: Planned and actual widget spending <em>by year</em>"
TABLE_Q = "What was the actual widget spending in 2020-21?"
NOTE_Q = "When did the widget replacement programme begin?"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def make_widget_report(path: Path, caption: str = CAPTION, last_row: str = XSS_ROW, note: str = XSS_NOTE) -> Path:
    """One page: a Part heading, a sentence with footnote marker 1, a ruled table (its caption and last row
    label given: they hold HTML here), and the note at the foot of the page. tests/test_ui_export.py builds its
    report with this too."""
    from fpdf import FPDF

    from benchmarks.report_pdf import heading, new_page, notes, para, table

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15, 15)
    pdf.set_title("Widget programme")
    new_page(pdf, 1)
    heading(pdf, "Part One: The widget programme")
    para(pdf, "The Department for Widgets began the widget replacement programme in 2019.^1 It planned to replace "
              "every widget in government offices by 2023.")
    table(pdf, caption, [("Year", "Planned", "Actual"), ("2019-20", "£5 million", "£6 million"),
                         ("2020-21", "£7 million", "£9 million"), (last_row, "£8 million", "£8 million")],
          source="Source: Department for Widgets", widths=(70, 40, 40))
    notes(pdf, [(1, note)])
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def ui_store(tmp_path_factory, corpus_copy) -> Path:
    """The corpus and the widget report, ingested by the real CLI in a separate process (the name is the one
    tests/test_ui_browser.py's server fixture asks for)."""
    base = tmp_path_factory.mktemp("ui-tables")
    report = make_widget_report(base / "widget-report.pdf")
    store = base / "store"
    subprocess.run([sys.executable, "-m", "assistant.cli.main", "ingest", str(corpus_copy), str(report), "--store",
                    str(store), "--no-progress"], cwd=ROOT, env=_env(store), check=True, capture_output=True,
                   timeout=300)
    return store


def test_a_cited_table_row_is_shown_in_its_table_highlighted_and_as_text(page):
    message = ask(page, TABLE_Q)
    assert "£9 million" in message.locator(".aa-answer").inner_text()
    summary = message.locator("summary").filter(has_text="Source 1: Widget programme, page 1")
    open_card(page, summary)
    card = message.locator(".aa-card").first
    table = card.locator("table.aa-table")
    assert table.is_visible()
    assert table.locator("caption").inner_text() == CAPTION  # the markup in the caption is text
    assert table.locator("thead th").all_inner_texts() == ["Year", "Planned", "Actual"]
    assert table.locator("tbody th").all_text_contents() == ["2019-20", "2020-21 (quoted row)", XSS_ROW]
    cited = table.locator("tr.aa-cited")
    assert cited.count() == 1 and cited.get_attribute("aria-current") == "true"
    assert cited.locator("td").all_inner_texts() == ["£7 million", "£9 million"]
    # Highlighted by more than colour: its own background and bold type against a plain neighbour.
    style = "(el) => { const s = getComputedStyle(el); return [s.backgroundColor, s.fontWeight]; }"
    plain = table.locator("tbody tr").first.locator("td").first.evaluate(style)
    marked = cited.locator("td").first.evaluate(style)
    assert marked[0] == "rgb(255, 224, 102)" and int(marked[1]) >= 600 and marked != plain
    assert page.locator("img[src='x']").count() == 0 and page.evaluate("() => typeof window.__xss") == "undefined"
    shot(page, "source-card-table-row.png", card)
    check_axe(page, "source-card-table-row")


def test_a_cited_sentence_shows_the_footnote_its_marker_referred_to(page):
    message = ask(page, NOTE_Q)
    summary = message.locator("summary").filter(has_text="Source 1: Widget programme, page 1")
    open_card(page, summary)
    card = message.locator(".aa-card").first
    assert card.locator("mark").inner_text() == \
        "The Department for Widgets began the widget replacement programme in 2019."  # no marker digit
    assert card.locator(".aa-notes li").all_inner_texts() == [f"See note 1 (page 1): {XSS_NOTE}"]
    assert card.locator("table").count() == 0
    assert page.dialogs == [] and page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.locator("script:not([src])").evaluate_all(
        "(els) => els.filter(e => e.textContent.includes('__xss')).length") == 0
    check_axe(page, "source-card-footnote")


# -- the HTML itself -------------------------------------------------------------------------------
def _row_citation(**table) -> Citation:
    base = {"caption": CAPTION, "columns": ["Year", "Planned <b>", "Actual"],
            "rows": [["2019-20", "£5 million", "£6 million"], ["2020-21", "£7 million"], [XSS_ROW, "&amp;", "x"]],
            "row_at": 1}
    return Citation(1, "w:1", "widget-report", "Widget programme", 1, "Figure 1, row 2020-21: Actual £9 million",
                    table={**base, **table}, notes=({"n": 2, "page": 1, "text": XSS_NOTE},))


def test_the_table_and_note_html_escape_every_piece_of_document_text():
    html = source_card_html(_row_citation())
    assert "<img" not in html and "<script" not in html and "<em>" not in html and "<b>" not in html
    assert "&lt;em&gt;by year&lt;/em&gt;" in html and "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in html
    assert "&amp;amp;" in html  # an entity in the document is shown as typed
    assert "<li>See note 2 (page 1): Announced in the 2018 budget &lt;script&gt;window.__xss=2&lt;/script&gt;." \
           "</li>" in html
    # The short row is padded to the header's width; only the quoted row is marked.
    assert ('<tr class="aa-cited" aria-current="true"><th scope="row">2020-21<span class="aa-sr"> (quoted row)'
            "</span></th><td>£7 million</td><td></td></tr>") in html
    assert html.count("aa-cited") == 1


def test_a_table_without_a_header_row_is_shown_without_one():
    html = table_html({"caption": "Table 1", "columns": None, "rows": [["a", "1"], ["b", "2"]], "row_at": 0})
    assert "<thead>" not in html and html.count("<tr") == 2 and "<caption>Table 1</caption>" in html
