"""The UI's pure helpers: escaping of untrusted document text, source cards, upload file names."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from assistant.types import Answer, Calculation, Citation, Operand
from ui import render
from ingest.uploads import safe_name

PAYLOAD = '<img src=x onerror="alert(1)"> <script>alert(2)</script> [click](javascript:alert(3)) :red[x] $x$'


def citation(**kw) -> Citation:
    base = dict(n=1, chunk_id="c1", doc_id="nao-2022-government-shared-services", title="Government Shared Services",
                page=2, quote="the Treasury only approved a funding package of £300 million",
                url="https://www.nao.org.uk/press-releases/government-shared-services/",
                publisher="National Audit Office", published="2022-11-30",
                context="Clusters have forecast they need more. However, the Treasury only approved a funding "
                        "package of £300 million. There is also uncertainty.")
    base.update(kw)
    return Citation(**base)


def test_card_label_names_source_title_and_page():
    assert render.card_label(citation()) == "Source 1: Government Shared Services, page 2"
    assert render.card_label(citation(page=None), "Nearest passage") == \
        "Nearest passage 1: Government Shared Services, no page number"


def test_highlight_marks_the_quote_inside_its_passage():
    out = render.highlight(citation().context, citation().quote)
    assert out == ("Clusters have forecast they need more. However, <mark>the Treasury only approved a funding "
                   "package of £300 million</mark>. There is also uncertainty.")


def test_highlight_tolerates_whitespace_and_escapes_everything():
    context = "Intro <b>bold</b>\n\nthe   quoted\nwords & more <script>x</script>"
    out = render.highlight(context, "the quoted words & more")
    assert out == ("Intro &lt;b&gt;bold&lt;/b&gt;\n\n<mark>the   quoted\nwords &amp; more</mark> "
                   "&lt;script&gt;x&lt;/script&gt;")


def test_highlight_shows_a_quote_missing_from_its_passage():
    out = render.highlight("Some passage.", "<other words>")
    assert out.endswith("<mark>&lt;other words&gt;</mark>") and out.startswith("Some passage.")


def test_source_card_escapes_document_text_and_drops_unsafe_links():
    c = citation(title=PAYLOAD, publisher=PAYLOAD, quote=PAYLOAD, context="Before. " + PAYLOAD + " After.",
                 url="javascript:alert(4)")
    html = render.source_card_html(c)
    assert "<img" not in html and "<script" not in html and 'href="javascript' not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<a " not in html  # a javascript: URL gets no link at all


def test_source_card_links_http_urls_only():
    html = render.source_card_html(citation())
    assert '<a href="https://www.nao.org.uk/press-releases/government-shared-services/" target="_blank" ' \
           'rel="noopener noreferrer nofollow">Open the source on www.nao.org.uk' in html
    assert "<dt>Publisher:</dt><dd>National Audit Office</dd>" in html
    assert "<dt>Published:</dt><dd>2022-11-30</dd>" in html and "<dt>Page:</dt><dd>2</dd>" in html


@pytest.mark.parametrize("url, ok", [
    ("https://www.nao.org.uk/x", True), ("http://example.org/a?b=1", True), ("javascript:alert(1)", False),
    ("JaVaScRiPt:alert(1)", False), ("data:text/html,<script>", False), ("//evil.example/x", False),
    ("ftp://example.org/x", False), ("https://", False), ("java\nscript:alert(1)", False), (None, False),
    (" https://ok.example/ ", True)])
def test_safe_url(url, ok):
    assert (render.safe_url(url) is not None) is ok


def test_md_escape_leaves_no_markdown_or_html_active():
    out = render.md_escape(PAYLOAD)
    assert out == (r'\<img src=x onerror="alert(1)"\> \<script\>alert(2)\</script\> '
                   r"\[click\](javascript\:alert(3)) \:red\[x\] \$x\$")
    assert render.md_escape("a\n\n# b") == "a # b"  # folded to one line, so '#' no longer starts one


@pytest.mark.parametrize("text, expected", [
    ("# b", r"\# b"), ("> quoted", r"\> quoted"), ("- item", r"\- item"), ("+ item", r"\+ item"), ("---", r"\---"),
    ("12. item", r"12\. item"), ("3) item", r"3\) item"), ("| a | b |", r"\| a \| b \|"), ("`code`", r"\`code\`"),
    ("**bold** _it_ ~~s~~", r"\*\*bold\*\* \_it\_ \~\~s\~\~"), ("a\\b", r"a\\b"),
    ("&lt;b&gt; & co", r"\&lt;b\&gt; & co"),
    (":smile: and :red[x]", r"\:smile: and \:red\[x\]"), ("![i](x.png)", r"!\[i\](x.png)"),
    # ordinary punctuation reads as written
    ("Government Shared Services (uploaded: gss.txt), page 1",) * 2,
    ("O'Neill's review of 2020-21: \"cost\", 3.5 million! Really? 1 + 1 = 2; #1 - done.",
     "O'Neill's review of 2020-21: \"cost\", 3.5 million! Really? 1 + 1 = 2; #1 - done."),
    ("2019. The start", r"2019\. The start"), ("2019-20 figures", "2019-20 figures")])
def test_md_escape_escapes_only_what_makes_markup(text, expected):
    assert render.md_escape(text) == expected


def test_answer_markers_get_accessible_names_and_text_is_escaped():
    html = render.answer_html("Funding was £300 million <b>[1]</b>. Unknown [7].", [citation()])
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert ('<span class="aa-ref"><span aria-hidden="true">[1]</span><span class="aa-sr">(Source 1: '
            "Government Shared Services, page 2)</span></span>") in html
    assert "Unknown [7]." in html  # a marker with no citation is left as text


def test_declined_answer_says_so_in_words():
    a = Answer("q", "The corpus does not say <x>.", declined=True, nearest=(citation(),))
    html = render.declined_html(a)
    assert "<strong>Not answered from the corpus:</strong> The corpus does not say &lt;x&gt;." in html
    # it says what is true: these are the closest passages found, not that none of them answers
    assert "These are the closest passages found" in html and "none of them answers" not in html


def test_calculation_table_names_each_operand_source():
    calc = Calculation("difference", "£403 million − £300 million = £103 million", "£103 million", "GBP",
                       (Operand("£403 million", "GBP", 1, "forecast"), Operand("£300 million", "GBP", 2, "approved")))
    cites = [citation(), citation(n=2, page=3)]
    html = render.calculation_html(calc, cites)
    assert "<caption>Calculation: difference</caption>" in html
    assert ("<tr><td>forecast</td><td>£403 million</td><td>GBP</td><td>Source 1: Government Shared Services, "
            "page 2</td></tr>") in html
    assert "Source 2: Government Shared Services, page 3" in html
    assert "Working: £403 million − £300 million = £103 million" in html and "Result: £103 million" in html


def test_corpus_list_escapes_titles():
    html = render.corpus_html([{"doc_id": "d", "title": PAYLOAD, "publisher": None, "published": "2020-01-01",
                                "chunks": 3}])
    assert "<img" not in html and "publisher not recorded · 2020-01-01 · 3 chunks" in html


def test_stream_prefixes_end_with_the_whole_text():
    text = "one two three four five six seven"
    parts = list(render.stream_prefixes(text, step=3))
    assert parts == ["one two three", "one two three four five six", text]


def test_conversation_markdown_has_questions_answers_and_quoted_sources():
    answer = Answer("How much?", "The Treasury approved £300 million [1].", False, (citation(),))
    declined = Answer("Mars?", "The corpus does not say.", True, nearest=(citation(),))
    md = render.conversation_markdown(
        [{"role": "user", "content": "How much?"}, {"role": "assistant", "answer": answer},
         {"role": "user", "content": "Mars?"}, {"role": "assistant", "answer": declined}],
        now=datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc))
    assert md.startswith("# Audit Assistant conversation\n\nExported 2024-05-01 09:30 UTC.\n")
    assert "## Question 1\n\n> How much?\n\n**Answer** (grounded): The Treasury approved £300 million [1]." in md
    assert ("- [1] Government Shared Services, page 2 (nao-2022-government-shared-services) — National Audit "
            "Office, 2022-11-30. <https://www.nao.org.uk/press-releases/government-shared-services/>") in md
    assert "  > “the Treasury only approved a funding package of £300 million”" in md
    assert "**Not answered from the corpus** (grounded): The corpus does not say." in md


def test_conversation_markdown_escapes_questions_answers_calculations_and_links():
    """What is not ours is text: a question opening a heading, an answer quoting a document that tries to make
    its marker a link or a link definition, a calculation's operands, a URL that tries to end its autolink."""
    c = citation(title="Report [x](javascript:alert(1))", url="https://ex.org/a><img src=x onerror=alert(2)>")
    text = "It cost <b>£5</b> [1](javascript:alert(3)).\n\n[1]: javascript:alert(4)\n\n# Heading [1][2]"
    calc = Calculation("difference", "<i>£9</i> − £5 = £4", "£4 | x", "GBP", (Operand("£9", "GBP", 1, "*a*"),))
    md = render.conversation_markdown(
        [{"role": "user", "content": "# Big\n\n<script>x</script>"},
         {"role": "assistant", "answer": Answer("q", text, False, (c,), calculations=(calc,))}])
    assert "## Question 1\n\n> \\# Big\n>\n> \\<script\\>x\\</script\\>\n" in md
    assert (r"**Answer** (grounded): It cost \<b\>£5\</b\> [1]\(javascript\:alert(3))." "\n\n"
            r"[1]\: javascript\:alert(4)" "\n\n" r"\# Heading [1][2]") in md
    assert (r"Calculation (difference): \*a\* £9 GBP [1]. Working: \<i\>£9\</i\> − £5 = £4. "
            r"Result: £4 \| x.") in md
    assert (r"- [1] Report \[x\](javascript\:alert(1)), page 2 (nao-2022-government-shared-services) — National "
            r"Audit Office, 2022-11-30. <https://ex.org/a%3E%3Cimg%20src=x%20onerror=alert(2)%3E>") in md


@pytest.mark.parametrize("name, expected", [
    ("../../etc/x.pdf", "x.pdf"), ("..\\..\\windows\\y.TXT", "y.txt"), ("/abs/path/report.html", "report.html"),
    (".hidden.md", "hidden.md"), ("..", "upload"), ("a<img src=x onerror=alert(1)>.txt", "a_img src_x onerror_alert_1.txt"),
    ("Résumé 2024.pdf", "R_sum_ 2024.pdf"), ("no-extension", "no-extension"), ("x" * 300 + ".pdf", "x" * 120 + ".pdf")])
def test_safe_name(name, expected):
    assert safe_name(name) == expected
