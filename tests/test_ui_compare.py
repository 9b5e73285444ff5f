"""The Compare tab: its pure HTML rendering (escaping, table structure, timeline) and, through AppTest, the
tab itself over the ingested corpus (defaults, the table, downloads, the timeline, the per-selection cache)."""

from __future__ import annotations

import re

import pytest

from assistant.compare.table import ASPECT_KEYS, NOT_STATED, Cell, Column, Comparison, Row
from assistant.compare.timeline import Event
from assistant.types import Calculation, Citation
from conftest import html_of
from ui import compare_view as view

NGSS, SSS = "Next Generation Shared Services 2012", "Shared Services Strategy 2018"
PAYLOAD = '<img src=x onerror="alert(1)"> <script>alert(2)</script> [click](javascript:alert(3))'
DOCS = [
    {"doc_id": "nao-2022-government-shared-services", "title": "Government Shared Services", "sha256": "b",
     "chunks": 16, "strategy": ["Shared Services Strategy 2018", "cluster model 2021"]},
    {"doc_id": "nao-2014-next-generation-shared-services", "sha256": "a", "chunks": 7,
     "title": "Update on the Next Generation\n Shared Services strategy", "strategy": [NGSS]},
]


def cite(n: int, quote: str, **kw) -> Citation:
    base = dict(chunk_id=f"c{n}", doc_id="nao-2014-next-generation-shared-services",
                title="Update on the Next Generation Shared Services strategy", page=1,
                url="https://www.nao.org.uk/reports/update/", publisher="National Audit Office",
                published="2014-03-31")
    base.update(kw)
    return Citation(n, quote=quote, **base)


SAVINGS_NGSS = cite(1, "The Cabinet Office estimated that the savings would be between £400 million and £600 million "
                       "per annum.")
SAVINGS_SSS = cite(2, "It aims to deliver savings of 10% to 15% in operating costs by 2028.",
                   doc_id="nao-2022-government-shared-services", title="Government Shared Services",
                   url="https://www.nao.org.uk/press-releases/government-shared-services/", published="2022-11-30")
VERDICT_NGSS = cite(3, "The overall programme is broadly on track.")
NOT_COMPARABLE = ("Not comparable: £400 million to £600 million (Next Generation Shared Services 2012) is a sum of "
                  "money a year, 10% to 15% (Shared Services Strategy 2018) is a percentage of operating costs; "
                  "figures of different kinds are not combined.")
WORKING = "Difference, B − A: £287 million (£382 million − £95 million = £287 million) [2] [1]"


def comparison(**kw) -> Comparison:
    """A small table built by hand: savings in both columns (with a note and a calculation), and a verdict
    stated only for the 2012 strategy."""
    cols = (Column(NGSS, ("nao-2014-next-generation-shared-services",), NGSS),
            Column(SSS, ("nao-2022-government-shared-services",), SSS))
    calc = Calculation("difference", "£382 million − £95 million", "£287 million", "GBP")
    savings = Row(ASPECT_KEYS["savings"], (Cell(NGSS, (SAVINGS_NGSS,), ((NGSS,),)),
                                           Cell(SSS, (SAVINGS_SSS,), (("cluster model 2021",),))),
                  calculations=(calc,), working=(WORKING,), notes=(NOT_COMPARABLE,))
    verdict = Row(ASPECT_KEYS["verdict"], (Cell(NGSS, (VERDICT_NGSS,), ((),)), Cell(SSS)))
    return Comparison(kw.get("columns", cols), kw.get("rows", (savings, verdict)))


def text_of(html: str) -> str:
    """What a reader sees: tags dropped, entities kept (so escaped markup stays visibly escaped)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# -- choices -----------------------------------------------------------------------------------------
def test_columns_offer_strategies_in_date_order_then_documents():
    options, labels, default = view.column_choices(DOCS)
    assert options == [NGSS, SSS, "cluster model 2021", "nao-2022-government-shared-services",
                       "nao-2014-next-generation-shared-services"]
    assert default == [NGSS, SSS]
    assert labels[NGSS] == f"Strategy: {NGSS}"
    assert labels["nao-2014-next-generation-shared-services"] == \
        "Document: Update on the Next Generation Shared Services strategy (nao-2014-next-generation-shared-services)"


def test_without_two_strategies_the_default_is_the_first_two_options():
    docs = [{"doc_id": "a-report", "title": "A"}, {"doc_id": "b-report", "title": "B", "strategy": ["Plan"]}]
    options, _, default = view.column_choices(docs)
    assert options == ["Plan", "a-report", "b-report"] and default == ["Plan", "a-report"]
    assert view.column_choices([])[0] == []


def test_selection_key_changes_with_the_corpus():
    key = view.selection_key([NGSS, SSS], ["savings"], DOCS)
    assert key == view.selection_key((NGSS, SSS), ("savings",), [dict(d) for d in DOCS])
    changed = [dict(DOCS[0], sha256="c"), DOCS[1]]
    assert view.selection_key([NGSS, SSS], ["savings"], changed) != key
    assert view.selection_key([SSS, NGSS], ["savings"], DOCS) != key  # column order is the table's order


# -- the comparison table ----------------------------------------------------------------------------
def test_comparison_is_a_real_table_with_caption_and_headers():
    html = view.comparison_html(comparison())
    assert html.count("<table") == 1 and "<caption>Comparison of Next Generation Shared Services 2012 and " \
        "Shared Services Strategy 2018<span>" in html
    assert re.findall(r'<th scope="col">([^<]*)</th>', html) == ["Aspect", NGSS, SSS]
    assert re.findall(r'<tr><th scope="row">([^<]*)</th>', html) == ["Expected savings or benefits",
                                                                     "The NAO&#x27;s verdict"]
    assert f'<td data-label="{NGSS}">' in html and f'<td data-label="{SSS}">' in html


def test_cells_quote_with_markers_that_name_their_source():
    html = view.comparison_html(comparison())
    assert ("<p class=\"aa-quote\">“The Cabinet Office estimated that the savings would be between £400 million "
            "and £600 million per annum.”<span class=\"aa-ref\"><span aria-hidden=\"true\">[1]</span>"
            "<span class=\"aa-sr\">(Source 1: Update on the Next Generation Shared Services strategy, page 1)"
            "</span></span><span class=\"aa-cite\">Update on the Next Generation Shared Services strategy, page 1"
            "</span></p>") in html
    # A quote about a later strategy of the same report says which one it is about.
    assert '<span class="aa-cite">Government Shared Services, page 1; about cluster model 2021</span>' in html
    # A quote about the document as a whole, or about the column's own strategy, needs no such note.
    assert html.count("; about ") == 1


def test_a_missing_cell_says_not_stated_in_words():
    html = view.comparison_html(comparison())
    verdict = html.split('<th scope="row">The NAO&#x27;s verdict</th>')[1]
    assert "broadly on track" in verdict
    assert f'<td data-label="{SSS}"><p class="aa-not-stated">Not stated in the corpus.</p></td>' in verdict
    assert NOT_STATED == "not stated in the corpus"


def test_calculations_and_notes_follow_their_row_with_the_working():
    html = view.comparison_html(comparison())
    row = re.search(r'<tr class="aa-figures">.*?</tr>', html).group()
    assert '<th scope="row"><span class="aa-sr">Expected savings or benefits: </span>Figures compared</th>' in row
    assert '<td colspan="2"' in row
    assert "Difference, B − A: £287 million (£382 million − £95 million = £287 million)" in row
    assert "(Source 2: Government Shared Services, page 1)" in row and "(Source 1: Update on" in row
    assert "Not comparable: £400 million to £600 million" in row
    # Only the savings row has figures: the verdict row is followed by no figures row.
    assert html.count('class="aa-figures"') == 1


def test_sources_list_each_cited_page_once_with_numbers_and_a_safe_link():
    html = view.comparison_html(comparison())
    sources = html.split('<h2 class="aa-h">Sources</h2>')[1]
    names = re.findall(r'<span class="aa-source-name">([^<]*)</span>', sources)
    assert names == ["Update on the Next Generation Shared Services strategy, page 1",
                     "Government Shared Services, page 1"]
    assert "Cited as [1] [3]." in sources and "Cited as [2]." in sources
    assert "nao-2014-next-generation-shared-services · National Audit Office · 2014-03-31" in sources
    assert 'href="https://www.nao.org.uk/reports/update/" target="_blank" rel="noopener noreferrer nofollow"' \
        in sources


def test_document_text_labels_and_urls_are_escaped_everywhere():
    bad = cite(1, PAYLOAD, title=f"Title {PAYLOAD}", doc_id="doc-x", url="javascript:alert(4)")
    label = f"Strategy {PAYLOAD}"
    table = Comparison((Column(label, ("doc-x",), label), Column("Other", ("doc-y",), "Other")),
                       (Row(ASPECT_KEYS["objectives"], (Cell(label, (bad,), ((),)), Cell("Other")),
                            working=(f"{PAYLOAD} [1]",), notes=(PAYLOAD,)),))
    html = view.comparison_html(table)
    for raw in ("<img", "<script", "javascript:alert(4)", 'onerror="'):
        assert raw not in html, raw
    assert "href=" not in html  # the javascript: URL gave no link at all
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert 'data-label="Strategy &lt;img src=x onerror=&quot;alert(1)&quot;&gt;' in html
    assert "[click](javascript:alert(3))" in text_of(html)  # shown literally, as text


# -- the timeline ------------------------------------------------------------------------------------
def event(date, when, kind, text, strategies, citation, source="text") -> Event:
    return Event(date, when, kind, text, strategies, citation, source)


def test_timeline_is_a_table_of_dated_cited_events():
    events = [
        event("2012-12", "December 2012", "event", "In December 2012, the Cabinet Office published its strategy.",
              (NGSS,), cite(1, "In December 2012, the Cabinet Office published its strategy.")),
        event("2014-03-31", "31 March 2014", "publication", "National Audit Office publishes “Update”", (NGSS,),
              cite(2, "", page=None), source="manifest"),
        event("2025-03", "2024-25", "period end", "…for the period up to 2024-25…", ("cluster model 2021",),
              cite(3, "x", title="Government Shared Services")),
        event("2012", "2012", "event", "In 2012, the Committee was disappointed.", (), cite(4, "y")),
    ]
    html = view.timeline_html(events)
    assert "<caption>Timeline of the corpus<span>" in html
    assert re.findall(r'<th scope="col">([^<]*)</th>', html) == ["Date", "Event", "Strategy", "Source"]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", html)
    assert len(rows) == 4
    assert rows[0] == ('<time datetime="2012-12">December 2012</time><span class="aa-kind">event</span></th>'
                       '<td data-label="Event">“In December 2012, the Cabinet Office published its strategy.”</td>'
                       f'<td data-label="Strategy">{NGSS}</td><td data-label="Source">Update on the Next Generation'
                       ' Shared Services strategy, page 1</td>')
    assert "National Audit Office publishes “Update”</td>" in rows[1]  # our words: not in quotation marks
    assert "strategy (date from the document list)</td>" in rows[1]
    assert '<span class="aa-kind">end of a period</span>' in rows[2] and ">2024-25</time>" in rows[2]
    assert '<td data-label="Strategy">earlier initiatives</td>' in rows[3]


def test_timeline_escapes_and_says_when_empty():
    html = view.timeline_html([event("2020", "2020", "deadline", PAYLOAD, (PAYLOAD,), cite(1, PAYLOAD,
                                                                                          title=PAYLOAD))])
    assert "<img" not in html and "<script" not in html
    assert view.timeline_html([], scope="Plan <b>") == \
        '<div class="aa-compare"><p>No dated events or deadlines in Plan &lt;b&gt;.</p></div>'


def test_css_stacks_tables_on_narrow_screens():
    assert "@container (max-width: 40rem)" in view.CSS and "td[data-label]::before{content:attr(data-label)" \
        in view.CSS
    assert "container-type:inline-size" in view.CSS and "table-layout:fixed" in view.CSS


# -- the tab, through AppTest ------------------------------------------------------------------------
@pytest.fixture
def compares(monkeypatch):
    """Every call the app makes to compare_strategies (the real one still runs)."""
    from assistant.compare import table as compare

    calls: list[tuple] = []
    real = compare.compare_strategies

    def spy(assistant, columns, aspects=None, **kw):
        calls.append((tuple(columns), tuple(aspects) if aspects else None))
        return real(assistant, columns, aspects, **kw)

    monkeypatch.setattr(compare, "compare_strategies", spy)
    return calls


@pytest.mark.slow
def test_compare_tab_shows_the_default_comparison_and_timeline(app, compares):
    assert [t.label for t in app.tabs] == ["Chat", "Compare"]
    columns = app.multiselect(key="cmp_columns")
    assert columns.value == [NGSS, SSS]
    assert columns.options[:3] == [f"Strategy: {NGSS}", f"Strategy: {SSS}", "Strategy: cluster model 2021"]
    assert app.multiselect(key="cmp_aspects").value == list(ASPECT_KEYS)
    assert "press Compare." in html_of(app) and "aa-compare-table" not in html_of(app)
    app.button(key="cmp_run").click().run()
    assert not app.exception, app.exception
    assert compares == [((NGSS, SSS), tuple(ASPECT_KEYS))]
    page = html_of(app)
    table = page.split('<table class="aa-table aa-compare-table">')[1].split("</table>")[0]
    savings = table.split('<th scope="row">Expected savings or benefits</th>')[1].split("</tr>")[0]
    ngss, sss = savings.split(f'<td data-label="{SSS}">')
    assert "between £400 million and £600 million per annum" in ngss and "10% to 15%" in sss
    verdict = table.split('<th scope="row">The NAO&#x27;s verdict</th>')[1].split("</tr>")[0]
    assert "The overall programme is broadly on track." in verdict.split(f'data-label="{SSS}"')[0]
    assert "not on track to deliver value for money" in verdict.split(f'data-label="{SSS}"')[1]
    assert "Not comparable: £400 million to £600 million" in table
    assert "Ratio, Shared Services Strategy 2018 ÷ Next Generation Shared Services 2012" in table
    assert [b.label for b in app.main.download_button] == ["Download the table (Markdown)",
                                                           "Download the table (CSV)"]
    timeline = page.split('<table class="aa-table aa-timeline">')[1]
    assert '<time datetime="2012-12">December 2012</time>' in timeline
    assert '<time datetime="2028">2028</time><span class="aa-kind">deadline</span>' in timeline
    assert timeline.index("December 2012") < timeline.index(">2018<") < timeline.index(">2028<")
    # The Chat tab is still there, with its question box.
    assert app.chat_input(key="question") is not None


@pytest.mark.slow
def test_comparisons_are_cached_per_selection(app, compares):
    app.button(key="cmp_run").click().run()
    app.button(key="cmp_run").click().run()
    assert len(compares) == 1  # the same selection again: the session's table, not a new comparison
    app.multiselect(key="cmp_aspects").set_value(["verdict"]).run()
    assert "The choices above have changed: press Compare to update the table below." in html_of(app)
    assert "Implementation cost and funding" in html_of(app)  # the earlier table stays until then
    app.button(key="cmp_run").click().run()
    assert compares[-1] == ((NGSS, SSS), ("verdict",)) and len(compares) == 2
    page = html_of(app)
    assert re.findall(r'<tr><th scope="row">([^<]*)</th>', page.split("aa-compare-table")[1].split("</table>")[0]) \
        == ["The NAO&#x27;s verdict"]
    app.multiselect(key="cmp_aspects").set_value(list(ASPECT_KEYS)).run()
    app.button(key="cmp_run").click().run()
    assert len(compares) == 2  # back to the first selection: still cached
    app.multiselect(key="cmp_aspects").set_value([]).run()  # none chosen means all of them: the same table
    assert "have changed" not in html_of(app)
    app.button(key="cmp_run").click().run()
    assert len(compares) == 2 and len(app.session_state["comparisons"]) == 2


@pytest.mark.slow
def test_compare_documents_and_errors_are_shown_plainly(app, compares):
    app.multiselect(key="cmp_columns").set_value([NGSS]).run()
    app.button(key="cmp_run").click().run()
    assert not app.exception, app.exception
    assert [e.value for e in app.main.error] == [
        "a comparison needs two or more different strategies or documents"]
    assert "aa-compare-table" not in html_of(app)
    app.multiselect(key="cmp_columns").set_value(["nao-2014-next-generation-shared-services",
                                                   "nao-2022-government-shared-services"]).run()
    app.multiselect(key="cmp_aspects").set_value(["deadlines"]).run()
    app.button(key="cmp_run").click().run()
    assert not app.error
    heads = re.findall(r'<th scope="col">([^<]*)</th>', html_of(app).split("aa-compare-table")[1])
    assert heads[:3] == ["Aspect", "nao-2014-next-generation-shared-services", "nao-2022-government-shared-services"]
    assert "by 2028 at the latest" in html_of(app)
