"""Human reports of a run: Markdown, and one self-contained HTML page (inline CSS bars, no scripts, no assets)."""

from __future__ import annotations

import html
from typing import Any, Sequence

from evals.metrics import INFO, METRICS
from evals.table import metric_table

__all__ = ["render_markdown", "render_html", "render_comparison"]

_TAG_COLUMNS = ("cases", "correctness", "citation_recall", "evidence_support", "quote_faithfulness", "pass_rate")


def _num(name: str, value: Any) -> str:
    if value is None:
        return "n/a"
    if name.startswith("latency"):
        return f"{value:.0f} ms"
    if name in ("cases", "errors"):
        return str(value)
    return f"{value:.3f}"


def _cell(text: Any, limit: int = 400) -> str:
    """Text made safe for one Markdown table cell: markup escaped (Markdown renders inline HTML; document text
    is data), quote marks left as written ("NAO's", not "NAO&#x27;s"), one line, pipes escaped, shortened."""
    s = " ".join(str(text or "").split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return html.escape(s, quote=False).replace("|", "\\|")


def _citations_md(answer: dict[str, Any]) -> str:
    cites = answer.get("citations") or []
    return "<br>".join(_cell(f"[{c.get('n')}] {c.get('doc_id')} p.{c.get('page')}: \"{c.get('quote')}\"", 300)
                       for c in cites) or "none"


def render_markdown(summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> str:
    """report.md: overall metrics, per-tag metrics, then every failing case with its answer and citations."""
    overall = summary["overall"]
    title = _cell(summary.get("label", "run"))
    out = [f"# Evaluation: {title}", ""]
    meta = [f"{k}: {_cell(summary[k])}" for k in ("set", "mode", "created") if summary.get(k)]
    if meta:
        out += ["- " + m for m in meta] + [""]
    out += ["## Metrics", "", metric_table({summary.get("label", "run"): overall}), "## By tag", ""]
    out.append("| tag | " + " | ".join(_TAG_COLUMNS) + " |")
    out.append("|---|" + "---:|" * len(_TAG_COLUMNS))
    for tag, m in summary.get("by_tag", {}).items():
        out.append(f"| {_cell(tag)} | " + " | ".join(_num(c, m.get(c)) for c in _TAG_COLUMNS) + " |")
    failing = [r for r in rows if not r["passed"]]
    out += ["", f"## Failing cases ({len(failing)} of {len(rows)})", ""]
    if failing:
        out.append("| id | question | answer | failed checks | citations |")
        out.append("|---|---|---|---|---|")
        for r in failing:
            out.append(f"| {_cell(r['id'])} | {_cell(r['question'], 200)} | {_cell(r['answer'].get('answer'), 300)} | "
                       f"{_cell('; '.join(r['failures']), 300)} | {_citations_md(r['answer'])} |")
    else:
        out.append("None.")
    return "\n".join(out) + "\n"


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;
color:#1b1b1b}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;
vertical-align:top;text-align:left}th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bars{display:grid;grid-template-columns:12rem 1fr 5rem;gap:.35rem .75rem;align-items:center;max-width:48rem}
.track{background:#e6e6e6;height:1rem;border-radius:3px}.bar{background:#1d70b8;height:1rem;border-radius:3px}
.bar.low{background:#d4351c}.bar.mid{background:#f47738}
.fail{color:#a4260f;font-weight:600}.pass{color:#00703c;font-weight:600}
blockquote{margin:.25rem 0;padding:.25rem .5rem;border-left:3px solid #1d70b8;background:#f6f8fa}
.meta{color:#505a5f}
"""


def _bars(overall: dict[str, Any]) -> str:
    parts = ['<div class="bars">']
    for m in METRICS:
        v = overall.get(m)
        if m.startswith("latency"):
            parts.append(f'<span>{m}</span><span></span><span>{_num(m, v)}</span>')
            continue
        width = 0 if v is None else max(0.0, min(1.0, v)) * 100
        level = "" if v is None or v >= 0.8 else (" mid" if v >= 0.5 else " low")
        parts.append(
            f'<span>{m}</span>'
            f'<span class="track" aria-hidden="true"><span class="bar{level}" style="display:block;width:{width:.1f}%">'
            f"</span></span><span>{_num(m, v)}</span>")
    for m in INFO:
        v = overall.get(m)
        parts.append(f"<span>{m}</span><span></span><span>{'n/a' if v is None else f'{v:.0f}'}</span>")
    parts.append("</div>")
    return "".join(parts)


def _citations_html(answer: dict[str, Any]) -> str:
    cites = answer.get("citations") or []
    if not cites:
        return "<em>none</em>"
    items = []
    for c in cites:
        where = f"[{c.get('n')}] {c.get('title') or c.get('doc_id')} ({c.get('doc_id')}), page {c.get('page')}"
        quote = html.escape(str(c.get("quote") or ""))
        items.append(f"<div>{html.escape(where)}<blockquote>{quote}</blockquote></div>")
    return "".join(items)


def render_html(summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> str:
    """report.html: one page, no external assets or scripts; every piece of document or answer text escaped."""
    e = html.escape
    overall = summary["overall"]
    label = e(str(summary.get("label", "run")))
    meta = " · ".join(f"{k}: {e(str(summary[k]))}" for k in ("set", "mode", "created") if summary.get(k))
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>Evaluation: {label}</title><style>{_CSS}</style></head><body>",
           f"<h1>Evaluation: {label}</h1>", f'<p class="meta">{meta} · {overall.get("cases")} cases · '
           f'{overall.get("errors", 0)} errors</p>', "<h2>Metrics</h2>", _bars(overall), "<h2>By tag</h2>",
           "<table><thead><tr><th>tag</th>" + "".join(f"<th>{c}</th>" for c in _TAG_COLUMNS) + "</tr></thead><tbody>"]
    for tag, m in summary.get("by_tag", {}).items():
        out.append(f"<tr><td>{e(tag)}</td>" + "".join(f'<td class="n">{_num(c, m.get(c))}</td>' for c in _TAG_COLUMNS)
                   + "</tr>")
    out.append("</tbody></table>")
    failing = [r for r in rows if not r["passed"]]
    out.append(f"<h2>Failing cases ({len(failing)} of {len(rows)})</h2>")
    if failing:
        out.append("<table><thead><tr><th>id</th><th>question</th><th>answer</th><th>failed checks</th>"
                   "<th>citations</th></tr></thead><tbody>")
        for r in failing:
            fails = "".join(f"<li>{e(f)}</li>" for f in r["failures"])
            out.append(f"<tr><td>{e(r['id'])}<br><small>{e(', '.join(r.get('tags', [])))}</small></td>"
                       f"<td>{e(r['question'])}</td><td>{e(str(r['answer'].get('answer') or ''))}</td>"
                       f"<td><ul>{fails}</ul></td><td>{_citations_html(r['answer'])}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>None.</p>")
    out.append(f"<details><summary>All cases ({len(rows)})</summary><table><thead><tr><th>id</th><th>result</th>"
               "<th>latency</th><th>question</th></tr></thead><tbody>")
    for r in rows:
        status = '<span class="pass">pass</span>' if r["passed"] else '<span class="fail">fail</span>'
        out.append(f"<tr><td>{e(r['id'])}</td><td>{status}</td><td class=\"n\">{r['latency_ms']:.0f} ms</td>"
                   f"<td>{e(r['question'])}</td></tr>")
    out.append("</tbody></table></details></body></html>")
    return "\n".join(out) + "\n"


def render_comparison(summaries: dict[str, dict[str, Any]]) -> str:
    """comparison.md: overall metrics of several runs side by side, then correctness per tag."""
    out = ["# Comparison", "", metric_table({k: s["overall"] for k, s in summaries.items()}),
           "## Correctness by tag", ""]
    names = list(summaries)
    out.append("| tag | " + " | ".join(names) + " |")
    out.append("|---|" + "---:|" * len(names))
    tags = sorted({t for s in summaries.values() for t in s.get("by_tag", {})})
    for t in tags:
        out.append(f"| {_cell(t)} | " + " | ".join(
            _num("correctness", summaries[n].get("by_tag", {}).get(t, {}).get("correctness")) for n in names) + " |")
    return "\n".join(out) + "\n"
