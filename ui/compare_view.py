"""Pure rendering for the Compare tab: a Comparison and a timeline as escaped HTML, and the tab's choices.

The same rules as ui/render.py: quotes, titles, strategy names and doc_ids are untrusted, so every piece
of them goes through `esc`; the only markup is ours, and colours are set on every element we draw. The
tables are real <table>s (a caption, column and row headers); when their box is narrower than 40rem
(a 640-pixel window, i.e. 200% zoom) each row stacks into one column, every cell labelled with its
column's name, so nothing scrolls sideways.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from assistant.compare.table import ASPECTS, NOT_STATED, Cell, Comparison, Row
from assistant.compare.strategies import known_names, strategy_year
from assistant.compare.timeline import Event
from assistant.types import Citation
from ui.render import card_label, esc, page_text, safe_url

CSS = """<style>
.aa-compare{container-type:inline-size;background:#ffffff;color:#1f2430;border-radius:.4rem;padding:.5rem;
  margin:0 0 1rem 0;overflow-wrap:anywhere;word-break:break-word}
.aa-compare .aa-h{font-size:1.1rem;margin:1rem 0 .5rem 0;padding:0;color:#1f2430}
.aa-table{border-collapse:collapse;width:100%;table-layout:fixed;font-size:.92rem;line-height:1.5;
  background:#ffffff;color:#1f2430}
.aa-table caption{text-align:left;font-weight:600;padding:0 0 .4rem 0;color:#1f2430}
.aa-table caption span{display:block;font-weight:400;font-size:.88rem}
.aa-table th,.aa-table td{border:1px solid #8c929c;padding:.4rem .5rem;text-align:left;vertical-align:top;
  color:#1f2430;background:#ffffff}
.aa-table thead th{background:#e8ebf0}
.aa-table tbody th{background:#f4f5f7;font-weight:600}
.aa-compare-table thead th:first-child{width:9rem}
.aa-timeline thead th:first-child{width:8.5rem}
.aa-timeline thead th:nth-child(3),.aa-timeline thead th:nth-child(4){width:9rem}
.aa-quote{margin:0 0 .6rem 0}
.aa-quote:last-child{margin-bottom:0}
.aa-cite{display:block;font-size:.85rem;color:#3d4350}
.aa-not-stated{display:inline-block;margin:0;padding:.1rem .4rem;font-style:italic;border:1px dashed #3d4350;
  border-radius:.2rem}
.aa-table tr.aa-figures th,.aa-table tr.aa-figures td{background:#f1f5fb}
.aa-figures ul{margin:0;padding:0 0 0 1.1rem}
.aa-figures li{margin:0 0 .3rem 0}
.aa-kind{display:block;font-weight:400;font-size:.85rem;color:#3d4350}
.aa-sources{list-style:none;padding:0!important;margin:0!important}
.aa-sources li{margin:0 0 .6rem 0;padding:.4rem .5rem;border:1px solid #c4c8d0;border-radius:.3rem;
  background:#ffffff;color:#1f2430;font-size:.9rem}
.aa-sources .aa-source-name{font-weight:600;display:block}
.aa-sources a{color:#0b4fb3;text-decoration:underline}
@container (max-width: 40rem){
  .aa-table,.aa-table caption,.aa-table tbody,.aa-table tr,.aa-table th,.aa-table td{display:block;width:auto!important}
  .aa-table thead{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0,0,0,0);
    white-space:nowrap;border:0}
  .aa-table tr{margin:0 0 .75rem 0;border:1px solid #8c929c}
  .aa-table th,.aa-table td{border:0;border-top:1px solid #c4c8d0}
  .aa-table tr>:first-child{border-top:0}
  .aa-table td[data-label]::before{content:attr(data-label);display:block;font-weight:600;font-size:.85rem;
    color:#3d4350}
}
</style>"""

_MARKER = re.compile(r"\[(\d+)\]")
KIND_WORDS = {"publication": "publication", "event": "event", "period end": "end of a period",
              "deadline": "deadline"}


# -- the tab's choices -------------------------------------------------------------------------------
def strategies_by_date(documents: list[dict]) -> list[str]:
    """The stored strategies in date order (the year in their name; names without one last, as listed)."""
    strategies = known_names(documents)[0]
    return sorted(strategies, key=lambda s: (strategy_year(s) or 10**4, strategies.index(s)))


def column_choices(documents: list[dict]) -> tuple[list[str], dict[str, str], list[str]]:
    """(options, labels, default) for choosing columns: strategies in date order, then documents by
    doc_id; the default is the first two strategies (else the first two options)."""
    ordered = strategies_by_date(documents)
    doc_ids = known_names(documents)[1]
    titles = {d["doc_id"]: " ".join(str(d.get("title") or d["doc_id"]).split()) for d in documents}
    labels = {s: f"Strategy: {s}" for s in ordered}
    # A doc_id spelled like a strategy resolves to the strategy (assistant.compare.strategies), so offer it once.
    docs = [i for i in doc_ids if i not in labels]
    labels.update({i: f"Document: {titles[i]} ({i})" for i in docs})
    options = ordered + docs
    default = ordered[:2] if len(ordered) >= 2 else options[:2]
    return options, labels, default


def aspect_choices() -> tuple[list[str], dict[str, str]]:
    """(aspect keys in the table's order, their labels)."""
    return [a.key for a in ASPECTS], {a.key: a.label for a in ASPECTS}


def corpus_key(documents: list[dict]) -> tuple:
    """The stored documents' versions: an upload makes an earlier table or timeline stale."""
    return tuple((d["doc_id"], d.get("sha256"), d.get("chunks")) for d in documents)


def selection_key(columns: Iterable[str], aspects: Iterable[str], documents: list[dict]) -> tuple:
    """What a comparison depends on: the columns, the aspects and the stored documents' versions."""
    return tuple(columns), tuple(aspects), corpus_key(documents)


# -- the comparison ----------------------------------------------------------------------------------
def _marker(n: int, names: dict[int, str]) -> str:
    if n not in names:
        return f"[{n}]"
    return (f'<span class="aa-ref"><span aria-hidden="true">[{n}]</span>'
            f'<span class="aa-sr">({esc(names[n])})</span></span>')


def _with_markers(text: str, names: dict[int, str]) -> str:
    """Text escaped, each [n] given an accessible name that names its source."""
    return _MARKER.sub(lambda m: _marker(int(m.group(1)), names), esc(text))


def _where(c: Citation) -> str:
    return f"{' '.join(str(c.title or c.doc_id).split())}, {page_text(c.page)}"


def cell_html(cell: Cell, names: dict[int, str]) -> str:
    """A cell's quoted sentences, each with its marker and document and page; or "Not stated" in words."""
    if not cell.stated:
        return f'<p class="aa-not-stated">{esc(NOT_STATED[0].upper() + NOT_STATED[1:])}.</p>'
    out = []
    for c, about in zip(cell.citations, cell.about or [()] * len(cell.citations)):
        # A quote about a later strategy of the same report (the cluster model, in the 2018 column) says so.
        of = f"; about {', '.join(about)}" if about and cell.column not in about else ""
        out.append(f'<p class="aa-quote">“{esc(" ".join(c.quote.split()))}”{_marker(c.n, names)}'
                   f'<span class="aa-cite">{esc(_where(c) + of)}</span></p>')
    return "".join(out)


def figures_row_html(row: Row, names: dict[int, str]) -> str:
    """A row under an aspect: the calculated differences and ratios with their working, and the notes."""
    items = [f"<li>{_with_markers(line, names)}</li>" for line in row.lines]
    return (f'<tr class="aa-figures"><th scope="row"><span class="aa-sr">{esc(row.aspect.label)}: </span>'
            f'Figures compared</th><td colspan="{len(row.cells)}" data-label="Calculations and '
            f'notes"><ul>{"".join(items)}</ul></td></tr>')


def comparison_html(table: Comparison) -> str:
    """The comparison as a table (one row per aspect, one column per strategy), then its sources."""
    names = {c.n: card_label(c) for c in table.citations}
    labels = [c.label for c in table.columns]
    head = "".join(f'<th scope="col">{esc(label)}</th>' for label in labels)
    body = []
    for row in table.rows:
        cells = "".join(f'<td data-label="{esc(cell.column)}">{cell_html(cell, names)}</td>' for cell in row.cells)
        body.append(f'<tr><th scope="row">{esc(row.aspect.label)}</th>{cells}</tr>')
        if row.lines:
            body.append(figures_row_html(row, names))
    title = " and ".join([", ".join(labels[:-1]), labels[-1]]) if len(labels) > 1 else "".join(labels)
    caption = (f"<caption>Comparison of {esc(title)}<span>Each cell quotes the sources word for word; the "
               "numbers in brackets refer to the sources listed under the table.</span></caption>")
    return (f'<div class="aa-compare"><table class="aa-table aa-compare-table">{caption}'
            f'<thead><tr><th scope="col">Aspect</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
            f"{sources_html(table.citations)}</div>")


def sources_html(citations: Sequence[Citation]) -> str:
    """The sources under the table, one line per document page with the numbers citing it (the cells
    already hold the quoted words): title and page, doc_id, publisher and date, and a safe link."""
    groups: dict[tuple, list[Citation]] = {}
    for c in citations:
        groups.setdefault((c.doc_id, c.page), []).append(c)
    items = []
    for cs in groups.values():
        c = cs[0]
        meta = " · ".join(x for x in (c.doc_id, c.publisher, c.published) if x)
        numbers = " ".join(f"[{x.n}]" for x in cs)
        url = safe_url(c.url)
        link = (f' <a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">Open the source'
                f'<span class="aa-sr">: {esc(_where(c))} (opens in a new tab)</span></a>') if url else ""
        items.append(f'<li><span class="aa-source-name">{esc(_where(c))}</span>'
                     f'<span class="aa-cite">{esc(meta)}</span>'
                     f'<span class="aa-cite">Cited as {esc(numbers)}.{link}</span></li>')
    if not items:
        return ""
    return (f'<h2 class="aa-h">Sources</h2>'
            f'<ul class="aa-sources" aria-label="Sources of the comparison">{"".join(items)}</ul>')


# -- the timeline ------------------------------------------------------------------------------------
def timeline_html(events: Sequence[Event], scope: str = "the corpus") -> str:
    """Dated events and deadlines in date order: date and kind, what happened, strategy, and source."""
    if not events:
        return f'<div class="aa-compare"><p>No dated events or deadlines in {esc(scope)}.</p></div>'
    rows = []
    for e in events:
        c = e.citation
        what = esc(e.text) if e.source == "manifest" else f"“{esc(e.text)}”"
        where = (f"{' '.join(str(c.title or c.doc_id).split())} (date from the document list)"
                 if e.source == "manifest" else _where(c))
        rows.append(f'<tr><th scope="row"><time datetime="{esc(e.date)}">{esc(e.when)}</time>'
                    f'<span class="aa-kind">{esc(KIND_WORDS.get(e.kind, e.kind))}</span></th>'
                    f'<td data-label="Event">{what}</td>'
                    f'<td data-label="Strategy">{esc("; ".join(e.strategies) or "earlier initiatives")}</td>'
                    f'<td data-label="Source">{esc(where)}</td></tr>')
    return (f'<div class="aa-compare"><table class="aa-table aa-timeline"><caption>Timeline of {esc(scope)}'
            "<span>Every dated event and deadline, in date order, each quoted from its source.</span></caption>"
            '<thead><tr><th scope="col">Date</th><th scope="col">Event</th><th scope="col">Strategy</th>'
            f'<th scope="col">Source</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>')
