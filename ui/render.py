"""Pure rendering for the chat UI: Answer, Citation and Calculation to HTML, labels and Markdown.

Documents are untrusted (officials upload files nobody vetted), so every piece of document text that
reaches the page goes through `esc` (for HTML, shown with `st.html`, which neither parses Markdown nor
runs scripts) or `md_escape` (for Streamlit labels and messages and the conversation export, which are
Markdown). The only markup in the output is ours. Colours are set on every element we draw, so contrast
holds in either theme.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from typing import Iterable, Iterator
from urllib.parse import urlsplit

from assistant.types import Answer, Calculation, Citation
from ingest.uploads import UPLOADED

CSS = """<style>
.aa-sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;
  clip:rect(0,0,0,0);white-space:nowrap;border:0}
.aa-answer,.aa-card,.aa-declined,.aa-calc,.aa-docs{overflow-wrap:anywhere;word-break:break-word}
.aa-answer p{margin:0 0 .5rem 0;line-height:1.6}
.aa-ref{font-size:.8em;font-weight:600;vertical-align:super;line-height:0;margin-left:.1em}
.aa-card{background:#ffffff;color:#1f2430;border-radius:.4rem;padding:.25rem .25rem .1rem .25rem}
.aa-meta{margin:0 0 .5rem 0;color:#3d4350;font-size:.9rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.aa-meta dt{font-weight:600;display:inline}
.aa-meta dd{display:inline;margin:0 0 0 .25rem}
.aa-passage{margin:0 0 .5rem 0;padding:.6rem .8rem;background:#f3f4f6;color:#1f2430;
  border-left:4px solid #4a5568;border-radius:.2rem;line-height:1.6;font-size:.95rem}
.aa-passage mark{background:#ffe066;color:#111111;padding:0 .1em;border-radius:.15em;
  outline:1px solid #8a6d00}
.aa-card a,.aa-docs a{color:#0b4fb3;text-decoration:underline}
.aa-declined{background:#fff4e5;color:#3b2800;border:2px dashed #8a5300;border-radius:.5rem;
  padding:.6rem .9rem;margin:0 0 .5rem 0}
.aa-declined strong{color:#3b2800}
.aa-calc{background:#ffffff;color:#1f2430;border:1px solid #5c6370;border-radius:.4rem;padding:.5rem .75rem;
  margin:0 0 .5rem 0}
.aa-calc table{border-collapse:collapse;width:100%;font-size:.92rem}
.aa-calc caption{text-align:left;font-weight:600;padding-bottom:.3rem;color:#1f2430}
.aa-calc th,.aa-calc td{border-bottom:1px solid #c4c8d0;padding:.25rem .4rem;text-align:left;color:#1f2430;
  overflow-wrap:break-word;word-break:normal}
.aa-calc .aa-working{margin:.4rem 0 0 0;font-family:ui-monospace,monospace;font-size:.9rem}
.aa-docs{list-style:none;padding:0!important;margin:0!important}
.aa-docs li{margin:0 0 .55rem 0;padding:.35rem .5rem;background:#ffffff;color:#1f2430;border-radius:.3rem;
  border:1px solid #c4c8d0;font-size:.88rem}
.aa-docs .aa-doc-title{font-weight:600;display:block}
.aa-docs .aa-doc-meta{color:#3d4350}
.aa-upload{background:#fff4e5;color:#3b2800;border:2px solid #8a5300;border-radius:.3rem;padding:.3rem .6rem;
  margin:0 0 .5rem 0;font-size:.92rem}
.aa-upload strong{color:#3b2800}
.aa-note{color:inherit;font-size:.9rem;margin:0 0 .5rem 0}
.aa-notes{margin:0 0 .5rem 0;padding:0 0 0 1.2rem;color:#1f2430;font-size:.9rem}
.aa-table{border-collapse:collapse;width:100%;margin:0 0 .5rem 0;font-size:.9rem;color:#1f2430;background:#ffffff}
.aa-table caption{text-align:left;font-weight:600;padding-bottom:.3rem;color:#1f2430}
.aa-table th,.aa-table td{border:1px solid #c4c8d0;padding:.25rem .4rem;text-align:left;color:#1f2430;
  overflow-wrap:break-word;word-break:normal}
.aa-table thead th{background:#e8eaee}
.aa-table tr.aa-cited th,.aa-table tr.aa-cited td{background:#ffe066;color:#111111;font-weight:600;
  border-top:2px solid #8a6d00;border-bottom:2px solid #8a6d00}
/* GOV.UK focus: yellow ring with a black edge, seen on any background (the theme is ui/.streamlit) */
:focus-visible{outline:3px solid #ffdd00!important;outline-offset:0!important;box-shadow:0 0 0 5px #0b0c0c!important}
</style>"""

# What can make Markdown (CommonMark, GFM, Streamlit's extras) out of plain text, and nothing more, so that
# ordinary punctuation reads as written. Anywhere: the marks of emphasis, code, links, images, HTML, tables,
# strike-through and Streamlit's LaTeX ($); a colon glued to what follows (a scheme such as "javascript:",
# Streamlit's ":red[" and ":smile:"); an ampersand that starts an entity ("&lt;"). At the start, what opens a
# block: a heading, quote, list or rule ("#", ">", "-", "+", "=", "1." or "1)" before a space).
_MD_ANYWHERE = re.compile(r"[\\`*_\[\]<>|~$]|:(?=\S)|&(?=#?\w+;)")
_MD_LEADING = re.compile(r"[#>+=-]|\d{1,9}[.)](?=\s|$)")
_MARKER = re.compile(r"\[(\d+)\]")
_SCHEMES = {"http", "https"}


def esc(value: object) -> str:
    """Text made safe to place inside HTML (element content or a quoted attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


def md_escape(value: object) -> str:
    """Text made literal for Markdown (Streamlit labels and messages, the conversation export): whitespace runs
    folded to one line and every mark that could make a link, image, HTML tag, emphasis, table cell, block or
    Streamlit directive escaped; commas, full stops, apostrophes, hyphens and brackets are left as written."""
    return _md_literal(" ".join(("" if value is None else str(value)).split()), at_start=True)


def _md_literal(text: str, at_start: bool) -> str:
    """One line of text escaped; `at_start` when it begins a line, where a block could open."""
    lead = _MD_LEADING.match(text) if at_start else None
    head = ""
    if lead:
        head, text = lead.group(0)[:-1] + "\\" + lead.group(0)[-1], text[lead.end():]
    return head + _MD_ANYWHERE.sub(r"\\\g<0>", text)


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) URL with a host; None otherwise (javascript:, data:...)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if any(ch in url for ch in "\x00\r\n\t") or any(ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in _SCHEMES or not parts.netloc:
        return None
    return url


def page_text(page: int | None) -> str:
    return f"page {page}" if page is not None else "no page number"


def is_uploaded(c: Citation) -> bool:
    """Whether a citation quotes a document uploaded through the UI (ingest/uploads.py marks its publisher)."""
    return c.publisher == UPLOADED


def card_label(c: Citation, prefix: str = "Source") -> str:
    """The plain-text name of a source card: "Source 1: Government Shared Services, page 2", and for an
    upload "..., page 1 (uploaded by a user)"."""
    title = " ".join(str(c.title or c.doc_id).split())
    label = f"{prefix} {c.n}: {title}, {page_text(c.page)}"
    return label + " (uploaded by a user)" if is_uploaded(c) else label


def highlight(context: str | None, quote: str) -> str:
    """The passage, escaped, with the quoted words inside <mark>; whitespace differences are tolerated."""
    if not context:
        return f"<mark>{esc(quote)}</mark>"
    words = quote.split()
    match = None
    if words:
        pattern = r"\s+".join(re.escape(w) for w in words)
        match = re.search(pattern, context)
    if match is None:
        # The quote is not in the passage (an edited clause): show both, the quote marked.
        return f"{esc(context)}<br><span class=\"aa-sr\">Quoted: </span><mark>{esc(quote)}</mark>"
    s, e = match.span()
    return f"{esc(context[:s])}<mark>{esc(context[s:e])}</mark>{esc(context[e:])}"


def source_card_html(c: Citation) -> str:
    """The body of a source card: publisher, date, page, the highlighted passage, the link. An upload says
    first, in words, that it is one."""
    uploaded = is_uploaded(c)
    meta = [("Source", "a user's upload") if uploaded else ("Publisher", c.publisher or "not recorded"),
            ("Published", c.published or "not recorded"),
            ("Page", c.page if c.page is not None else "none (single-page document)"), ("Document", c.doc_id)]
    if c.section:  # where in the document: "Part Two > Progress and savings", a table's caption, a footnote
        meta.insert(-1, ("Section", c.section))
    items = "".join(f"<div><dt>{esc(k)}:</dt><dd>{esc(v)}</dd></div>" for k, v in meta)
    banner = (f'<p class="aa-upload" role="note"><strong>{esc(UPLOADED)}.</strong> Check it against the '
              "published reports.</p>" if uploaded else "")
    parts = [f'<div class="aa-card">{banner}<dl class="aa-meta">{items}</dl>',
             f'<blockquote class="aa-passage" aria-label="{esc(card_label(c))}: quoted passage">'
             f"{highlight(c.context, c.quote)}</blockquote>"]
    if c.table:
        parts.append(table_html(c.table))
    if c.notes:
        parts.append(notes_html(c.notes))
    url = safe_url(c.url)
    if url:
        host = urlsplit(url).netloc
        parts.append(f'<p><a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">'
                     f"Open the source on {esc(host)}<span class=\"aa-sr\"> (opens in a new tab)</span></a></p>")
    parts.append("</div>")
    return "".join(parts)


def table_html(table: dict) -> str:
    """A quoted table row in its table: the caption, the header row, the rows around it, the quoted row
    marked by colour, weight and words ("quoted row", for a screen reader)."""
    columns = table.get("columns") or []
    rows = table.get("rows") or []
    width = max([len(columns)] + [len(r) for r in rows])
    head = ""
    if columns:
        cells = "".join(f'<th scope="col">{esc(h)}</th>' for h in list(columns) + [""] * (width - len(columns)))
        head = f"<thead><tr>{cells}</tr></thead>"
    body = []
    for i, row in enumerate(rows):
        row = list(row) + [""] * (width - len(row))
        cited = i == table.get("row_at")
        label = esc(row[0]) + ('<span class="aa-sr"> (quoted row)</span>' if cited else "")
        cells = "".join(f"<td>{esc(v)}</td>" for v in row[1:])
        attrs = ' class="aa-cited" aria-current="true"' if cited else ""
        body.append(f'<tr{attrs}><th scope="row">{label}</th>{cells}</tr>')
    return (f'<table class="aa-table"><caption>{esc(table.get("caption"))}</caption>{head}'
            f'<tbody>{"".join(body)}</tbody></table>')


def notes_html(notes) -> str:
    """The footnotes the quoted words refer to: "See note 3 (page 2): text"."""
    items = []
    for note in notes:
        where = f" (page {note.get('page')})" if note.get("page") is not None else ""
        text = note.get("text") or "its text is not on that page"
        items.append(f"<li>See note {esc(note.get('n'))}{esc(where)}: {esc(text)}</li>")
    return f'<ul class="aa-notes" aria-label="Footnotes the quote refers to">{"".join(items)}</ul>'


def _paragraphs(escaped: str) -> str:
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in escaped.split("\n\n") if p.strip())


def answer_html(text: str, citations: Iterable[Citation] = ()) -> str:
    """The answer text, escaped, with each [n] marker given an accessible name naming its source."""
    names = {c.n: card_label(c) for c in citations}

    def marker(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in names:
            return m.group(0)
        return (f'<span class="aa-ref"><span aria-hidden="true">[{n}]</span>'
                f'<span class="aa-sr">({esc(names[n])})</span></span>')

    return f'<div class="aa-answer">{_paragraphs(_MARKER.sub(marker, esc(text)))}</div>'


def declined_html(answer: Answer) -> str:
    """A declined answer: says so in words and looks different (dashed amber box), not by colour alone."""
    near = (f'<p class="aa-note">These are the closest passages found; judge whether they answer it.</p>'
            if answer.nearest else "")
    return (f'<div class="aa-declined" role="note" aria-label="Not answered from the corpus">'
            f"<p><strong>Not answered from the corpus:</strong> {esc(answer.text)}</p>{near}</div>")


def calculation_html(calc: Calculation, citations: Iterable[Citation] = ()) -> str:
    """A calculation: a table of its operands (each with its source) and the working."""
    names = {c.n: card_label(c) for c in citations}
    rows = []
    for o in calc.operands:
        source = names.get(o.citation, f"Source {o.citation}") if o.citation is not None else "not cited"
        rows.append(f"<tr><td>{esc(o.label or '')}</td><td>{esc(o.value)}</td><td>{esc(o.unit)}</td>"
                    f"<td>{esc(source)}</td></tr>")
    return (f'<div class="aa-calc"><table><caption>Calculation: {esc(calc.operation)}</caption>'
            '<thead><tr><th scope="col">Operand</th><th scope="col">Value</th><th scope="col">Unit</th>'
            f'<th scope="col">Source</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<p class="aa-working">Working: {esc(calc.expression)}</p>'
            f'<p class="aa-working">Result: {esc(calc.result)}</p>'
            "</div>")


def corpus_html(docs: list[dict]) -> str:
    """The stored documents: title, then publisher, date and chunk count."""
    items = []
    for d in docs:
        meta = " · ".join([d.get("publisher") or "publisher not recorded", d.get("published") or "undated",
                           f"{d.get('chunks') or 0} chunks"])
        items.append(f'<li><span class="aa-doc-title">{esc(d.get("title") or d.get("doc_id"))}</span>'
                     f'<span class="aa-doc-meta">{esc(meta)}</span></li>')
    return f'<ul class="aa-docs" aria-label="Documents in the corpus">{"".join(items)}</ul>'


def note_html(text: str) -> str:
    """A short note in the theme's own text colour (st.caption's grey fails contrast on white)."""
    return f'<p class="aa-note">{esc(text)}</p>'


def stream_prefixes(text: str, step: int = 3) -> Iterator[str]:
    """Growing prefixes of the text, a few words at a time, for showing an answer as it streams."""
    words = text.split(" ")
    for i in range(step, len(words), step):
        yield " ".join(words[:i])
    yield text


def conversation_markdown(messages: list[dict], now: datetime | None = None) -> str:
    """The conversation as a Markdown document, each answer followed by its sources and quotes, a quoted table
    row with its table and a quote's footnotes. Every piece of text that is not ours (a question, an answer,
    which quotes documents, and all document text) goes through `md_escape`: data, never markup."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# Audit Assistant conversation", "", f"Exported {stamp}.", ""]
    turn = 0
    for m in messages:
        if m["role"] == "user":
            turn += 1
            out += [f"## Question {turn}", "", _quote_block(_md_paragraphs(m["content"])), ""]
            continue
        answer: Answer = m["answer"]
        if answer.declined:
            out += [f"**Not answered from the corpus** ({md_escape(answer.mode)}): {_md_paragraphs(answer.text)}",
                    ""]
            if answer.nearest:
                out += ["Nearest passages:", ""]
                out += [_source_line(c) for c in answer.nearest] + [""]
            continue
        out += [f"**Answer** ({md_escape(answer.mode)}): {_md_paragraphs(answer.text, markers=True)}", ""]
        for calc in answer.calculations:
            ops = "; ".join(" ".join(md_escape(x) for x in (o.label or "operand", o.value, o.unit))
                            + (f" [{o.citation}]" if o.citation is not None else "") for o in calc.operands)
            out += [f"Calculation ({md_escape(calc.operation)}): {ops}. Working: {md_escape(calc.expression)}. "
                    f"Result: {md_escape(calc.result)}.", ""]
        if answer.citations:
            out += ["Sources:", ""]
            out += [_source_line(c) for c in answer.citations] + [""]
    return "\n".join(out).rstrip() + "\n"


def _md_paragraphs(text: object, markers: bool = False) -> str:
    """Text made literal paragraph by paragraph (`md_escape` folds each to one line); with markers, an answer's
    [n] markers, which are ours, stay readable, and what follows one cannot join it into a link, a reference
    definition or a reference ("[1](", "[1]:", "[1][")."""
    paragraphs = [p for p in re.split(r"\n\s*\n", "" if text is None else str(text)) if p.strip()]
    if not markers:
        return "\n\n".join(md_escape(p) for p in paragraphs)
    out = []
    for p in paragraphs:
        pieces = _MARKER.split(" ".join(p.split()))  # text, n, text, n, ..., text
        line = ""
        for i, piece in enumerate(pieces):
            if i % 2:
                line += f"[{piece}]"
                continue
            escaped = _md_literal(piece, at_start=i == 0)
            if i and escaped and escaped[0] in "(:":
                escaped = "\\" + escaped
            line += escaped
        out.append(line)
    return "\n\n".join(out)


def _md_url(url: str) -> str:
    """A URL fit for a Markdown autolink ("<...>"): the characters that would end it or break it encoded."""
    return url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


def _source_line(c: Citation) -> str:
    where = page_text(c.page) + (f", {md_escape(c.section)}" if c.section else "")
    bits = [f"[{c.n}] {md_escape(c.title)}, {where} ({md_escape(c.doc_id)})"]
    uploaded = is_uploaded(c)
    when = ", ".join(md_escape(x) for x in (None if uploaded else c.publisher, c.published) if x)
    if when:
        bits.append(f" — {when}")
    if uploaded:
        bits.append(f" — **{UPLOADED}**")
    url = safe_url(c.url)
    if url:
        bits.append(f". <{_md_url(url)}>")
    out = "- " + "".join(bits) + "\n\n" + _quote_block(f"“{md_escape(c.quote)}”", indent="  ")
    extras = _table_markdown(c.table) + _notes_markdown(c.notes)
    return out + "".join(f"\n\n  {line}" for line in extras)


def _notes_markdown(notes) -> list[str]:
    """The footnotes a quote refers to, one line each: "see note 3 (page 2): text", the text escaped."""
    lines = []
    for note in notes:
        where = f" (page {md_escape(note.get('page'))})" if note.get("page") is not None else ""
        text = md_escape(note.get("text")) if note.get("text") else "its text is not on that page"
        lines.append(f"see note {md_escape(note.get('n'))}{where}: {text}")
    return lines


def _table_markdown(table: dict | None) -> list[str]:
    """A quoted table row under its caption and header, as a Markdown table (a plain line when the table has
    no header row); every cell escaped, so a '|' in a cell stays in its cell."""
    if not table:
        return []
    rows = table.get("rows") or []
    at = table.get("row_at")
    row = list(rows[at]) if isinstance(at, int) and 0 <= at < len(rows) else []
    lines = [f"Table: {md_escape(table.get('caption'))} (quoted row)"]
    columns = list(table.get("columns") or [])
    if not columns:
        return lines + ["Row: " + " · ".join(md_escape(v) for v in row)]
    width = max(len(columns), len(row))

    def cells(values: list) -> str:
        return "| " + " | ".join(md_escape(v) for v in list(values) + [""] * (width - len(values))) + " |"

    # one paragraph: the lines of a table must follow each other
    return lines + ["\n  ".join([cells(columns), "| " + " | ".join(["---"] * width) + " |", cells(row)])]


def _quote_block(text: str, indent: str = "") -> str:
    return "\n".join(f"{indent}> {line}" if line else f"{indent}>" for line in str(text).splitlines() or [""])
