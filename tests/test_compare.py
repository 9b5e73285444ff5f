"""Comparisons and the timeline: exact cells and figures from the starting corpus, a third document written
here, sentence attribution on hand-made pages, exports, and the CLI through its real entry point."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from assistant.cli.main import main
from assistant.compare.table import ASPECTS, NOT_STATED, CompareError, compare_strategies, timeline
from assistant.compare.strategies import read_document, resolve_columns, usable_for
from assistant.types import Chunk

ROOT = Path(__file__).resolve().parent.parent
NGSS, SSS, CLUSTER = "Next Generation Shared Services 2012", "Shared Services Strategy 2018", "cluster model 2021"
NAO14, NAO22 = "nao-2014-next-generation-shared-services", "nao-2022-government-shared-services"
PAYROLL, NAO26 = "Payroll Modernisation 2025", "nao-2026-payroll-modernisation"

# Sentences of the starting corpus about something other than a column's strategy, labelled by hand.
EARLIER_INITIATIVES = ("Previous NAO studies have found",  # 2014: the initiatives before NGSS
                       "In 2012, the Committee of Public Accounts was disappointed")
ORIGINAL_2018_PLAN = ("The strategy delegated responsibility to government departments",  # replaced in 2021
                      "In 2018, the Cabinet Office published a new ten-year strategy",
                      "it launched a new strategy in 2018")

THIRD_DOC = """The Department's payroll programme has started well, but it is not yet on track, according to the \
National Audit Office.

In March 2025, the Department published its Payroll Modernisation strategy. The strategy aims to move every \
department onto a single payroll platform by 2030.

The Department estimated that the savings would be £200 million per annum. The estimated implementation cost was \
£150 million.

Previous payroll programmes had not been able to demonstrate value for money.

Progress is monitored through quarterly performance indicators.

The programme is not yet on track to deliver value for money.

The NAO recommends that the Department publish a benefits realisation plan.
"""


def quotes(comparison, aspect: str, column: str) -> list[str]:
    return [c.quote for c in comparison.cell(aspect, column).citations]


@pytest.fixture(scope="module")
def starting(corpus_assistant):
    """The done-when comparison: the default aspects for the two starting strategies."""
    return compare_strategies(corpus_assistant, [NGSS, SSS])


@pytest.fixture(scope="module")
def manifest() -> dict[str, dict]:
    """The corpus manifest read here, independently of the ingester: doc_id -> entry."""
    data = tomllib.loads((ROOT / "corpus" / "manifest.toml").read_text(encoding="utf-8"))
    return {d["doc_id"]: d for d in data["document"]}


@pytest.fixture(scope="module")
def third(tmp_path_factory, embedder):
    """An Assistant over the starting corpus plus a third document (its own manifest entry and strategy)."""
    from assistant.config import Settings
    from assistant.answer.pipeline import Assistant
    from ingest.pipeline import ingest_paths

    folder = tmp_path_factory.mktemp("corpus3")
    for f in (ROOT / "corpus").glob("*.txt"):
        (folder / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / f"{NAO26}.txt").write_text(THIRD_DOC, encoding="utf-8")
    (folder / "manifest.toml").write_text((ROOT / "corpus" / "manifest.toml").read_text(encoding="utf-8") + f"""
[[document]]
doc_id = "{NAO26}"
file = "{NAO26}.txt"
title = "Payroll Modernisation: progress review"
publisher = "National Audit Office"
published = "2026-06-15"
strategy = ["{PAYROLL}"]
""", encoding="utf-8")
    settings = Settings(store_dir=tmp_path_factory.mktemp("store3"), corpus_dir=folder)
    report = ingest_paths(settings, [folder], progress=False)
    assert not report.failed and len(report.ok) == 3
    return Assistant(settings), folder


# --- the done-when table ------------------------------------------------------------------------------

def test_done_when_savings_costs_deadlines_verdict(starting):
    assert [c.label for c in starting.columns] == [NGSS, SSS]
    assert [r.aspect.key for r in starting.rows] == [a.key for a in ASPECTS]
    assert starting.columns[0].doc_ids == (NAO14,) and starting.columns[1].doc_ids == (NAO22,)

    savings = starting.row("savings")
    assert quotes(starting, "savings", NGSS)[0] == \
        "The Cabinet Office estimated that the savings would be between £400 million and £600 million per annum."
    assert any("deliver savings of 10% to 15% in operating costs by 2028" in q
               for q in quotes(starting, "savings", SSS))
    assert savings.calculations == ()  # a sum of money a year and a share of costs are never combined
    assert savings.notes == ("Not comparable: £400 million to £600 million (Next Generation Shared Services 2012) "
                             "is a sum of money a year, 10% to 15% (Shared Services Strategy 2018) is a percentage "
                             "of operating costs; figures of different kinds are not combined.",)

    costs = starting.row("costs")
    assert quotes(starting, "costs", NGSS) == [
        "The estimated implementation cost was between £44 million and £95 million.",
        "To date, the total cost of participating departments has not been collated.",
        "The Cabinet Office spending to date on the strategy was £9.8 million."]
    assert quotes(starting, "costs", SSS)[:2] == [
        "The Cabinet Office is still unclear about the extent of the benefits this programme can be expected to bring "
        "and it does not know how much implementation has cost to date.",
        "Clusters have forecast they need £382 million to £403 million to deliver their preferred options in the "
        "current Spending Review period up to 2024-25."]
    diff, ratio = costs.calculations
    assert (diff.operation, diff.result) == ("difference", "£287 million to £359 million")
    assert diff.expression == ("low: £382 million − £95 million = £287 million; "
                               "high: £403 million − £44 million = £359 million")
    assert (ratio.operation, ratio.result) == ("ratio", "4.02 times to 9.16 times")
    by_n = {c.n: c for c in starting.citations}
    assert [(o.value, o.label, by_n[o.citation].doc_id) for o in diff.operands] == [
        ("£382 million to £403 million", f"{SSS}, funding forecast", NAO22),
        ("£44 million to £95 million", f"{NGSS}, implementation cost", NAO14)]
    assert costs.notes == ("Read with care: the figures measure different things, implementation cost "
                           f"({NGSS}) and funding forecast ({SSS}).",)

    deadlines = " ".join(quotes(starting, "deadlines", SSS))
    assert {"2023", "2025", "2028"} <= set(re.findall(r"\b20\d\d\b", deadlines))
    assert quotes(starting, "deadlines", NGSS) == [
        "There will be a tension between getting departments to join the centres and sticking to the programme's "
        "timetable, and maintaining a standard operating model that is acceptable to all users."]

    assert quotes(starting, "verdict", NGSS) == ["The overall programme is broadly on track."]
    [verdict] = quotes(starting, "verdict", SSS)
    assert "at present, the strategy is not on track to deliver value for money" in verdict


def test_every_default_cell_is_stated(starting):
    assert [(r.aspect.key, c.column) for r in starting.rows for c in r.cells if not c.stated] == []


@pytest.mark.parametrize("columns", [(NGSS, SSS), (SSS, CLUSTER), (NAO14, NAO22)])
def test_every_cell_quotes_its_own_strategy(corpus_assistant, starting, manifest, columns):
    """Each quote is verbatim in its document's (cleaned) text, from a document of the column's strategy, and
    never one of the sentences labelled by hand as being about another strategy."""
    comparison = starting if columns == (NGSS, SSS) else compare_strategies(corpus_assistant, list(columns))
    texts = {d: corpus_assistant.document_text(d) for d in manifest}  # the cleaned text, as stored
    checked = 0
    for row in comparison.rows:
        for column, cell in zip(comparison.columns, row.cells):
            assert cell.stated or cell.text == NOT_STATED
            for c in cell.citations:
                checked += 1
                assert c.quote in texts[c.doc_id], c.quote
                assert c.quote in c.context and c.page == 1
                assert c.title == manifest[c.doc_id]["title"] and c.url == manifest[c.doc_id]["url"]
                if column.strategy:
                    assert column.strategy in manifest[c.doc_id]["strategy"]
                else:
                    assert c.doc_id == column.label
                assert not any(s in c.quote for s in EARLIER_INITIATIVES), (row.aspect.key, c.quote)
                if column.strategy == CLUSTER:
                    assert not any(s in c.quote for s in ORIGINAL_2018_PLAN), (row.aspect.key, c.quote)
    assert checked >= 2 * len(ASPECTS)


def test_the_2018_strategy_against_its_2021_revision(corpus_assistant):
    comparison = compare_strategies(corpus_assistant, [SSS, CLUSTER], ["deadlines"])
    [calc] = comparison.row("deadlines").calculations
    # the strategy's own 2025 deadline against the cluster model's 2028: the report's "three years later"
    assert (calc.operation, calc.result, calc.expression) == ("years_between", "3 years", "2028 − 2025 = 3 years")
    assert [o.label for o in calc.operands] == [f"{CLUSTER}, deadline", f"{SSS}, deadline"]


def test_unknown_names_and_aspects_are_clear_errors(corpus_assistant):
    with pytest.raises(CompareError, match="unknown strategy or document 'Big Bang 1999'.*Known strategies: "
                                           "'Next Generation Shared Services 2012', 'Shared Services Strategy 2018', "
                                           "'cluster model 2021'; documents: nao-2014"):
        compare_strategies(corpus_assistant, [NGSS, "Big Bang 1999"])
    with pytest.raises(CompareError, match="it matches 'Next Generation Shared Services 2012', 'Shared Services "
                                           "Strategy 2018': give one"):
        compare_strategies(corpus_assistant, [CLUSTER, "shared services"])
    with pytest.raises(CompareError, match="known aspects: objectives, savings, costs"):
        compare_strategies(corpus_assistant, [NGSS, SSS], ["vibes"])
    with pytest.raises(CompareError, match="two or more different"):
        compare_strategies(corpus_assistant, [NGSS, "next generation"])


# --- a third document ---------------------------------------------------------------------------------

def test_a_third_document_with_its_own_strategy(third):
    assistant, folder = third
    comparison = compare_strategies(assistant, [NGSS, PAYROLL])
    assert comparison.columns[1].doc_ids == (NAO26,)
    assert quotes(comparison, "savings", PAYROLL) == [
        "The Department estimated that the savings would be £200 million per annum."]
    diff, ratio = comparison.row("savings").calculations  # both a sum of money a year: comparable
    assert (diff.result, ratio.result) == ("−£400 million to −£200 million", "0.33 times to 0.5 times")
    assert diff.expression == ("low: £200 million − £600 million = −£400 million; "
                               "high: £200 million − £400 million = −£200 million")
    [cost_diff, _] = comparison.row("costs").calculations
    assert cost_diff.result == "£55 million to £106 million" and comparison.row("costs").notes == ()
    assert quotes(comparison, "verdict", PAYROLL)[-1] == "The programme is not yet on track to deliver value for money."
    assert quotes(comparison, "objectives", PAYROLL) == ["The strategy aims to move every department onto a single "
                                                         "payroll platform by 2030."]
    assert comparison.cell("governance", PAYROLL).text == NOT_STATED
    text = assistant.document_text(NAO26)
    for row in comparison.rows:
        for c in comparison.cell(row.aspect.key, PAYROLL).citations:
            assert c.doc_id == NAO26 and c.quote in text and not c.quote.startswith("Previous payroll")

    events = timeline(assistant, PAYROLL)
    assert [(e.date, e.kind, e.when) for e in events] == [("2025-03", "event", "March 2025"),
                                                          ("2026-06-15", "publication", "15 June 2026"),
                                                          ("2030", "deadline", "2030")]
    assert all(e.strategies == (PAYROLL,) and e.citation.doc_id == NAO26 for e in events)


# --- sentence attribution, on pages made here ---------------------------------------------------------

class _Pages:
    """Just enough of the catalog for `read_document`: one chunk per page."""

    def __init__(self, doc_id: str, pages: list[str]):
        self.chunks = [Chunk(f"{doc_id}-{i}", doc_id, t, i, None, 0, len(t)) for i, t in enumerate(pages, 1)]

    def iter_chunks(self, doc_id):
        return iter(self.chunks)

    def page_text(self, doc_id, page):
        return self.chunks[page - 1].text


def test_attribution_rules():
    doc = {"doc_id": "d", "strategy": ["Estates Plan 2020", "hub model 2023"]}
    page = ("In 2020 the Office published its Estates Plan. It aims to close 40 offices.\n\n"
            "Earlier estates programmes failed to save money. The Office has learned from past failings.\n\n"
            "In 2023 it revised its approach. Departments now share regional hubs. It expects savings of 5%.\n"
            "2. Funding was agreed in 2019.\n\n"
            "Governance is weak.")
    about = {s.text: (s.about, s.previous) for s in read_document(_Pages("d", [page]), doc)}
    assert about == {
        "In 2020 the Office published its Estates Plan.": (("Estates Plan 2020",), False),  # name and year
        "It aims to close 40 offices.": (("Estates Plan 2020",), False),  # from its paragraph
        "Earlier estates programmes failed to save money.": ((), True),  # earlier initiatives
        "The Office has learned from past failings.": ((), False),  # learning from the past is current work
        "In 2023 it revised its approach.": (("hub model 2023",), False),
        "Departments now share regional hubs.": (("hub model 2023",), False),  # "hubs": the name's own word
        "It expects savings of 5%.": (("hub model 2023",), False),
        "Funding was agreed in 2019.": ((), True),  # a new list item; a year before every strategy
        "Governance is weak.": ((), False),  # the document as a whole
    }
    columns = resolve_columns([doc], ["Estates Plan 2020", "hub model", "d"])
    usable = {c.label: [s.text for s in read_document(_Pages("d", [page]), doc) if usable_for(s, c, doc)]
              for c in columns}
    assert "Departments now share regional hubs." in usable["Estates Plan 2020"]  # the later revision counts
    assert "It aims to close 40 offices." not in usable["hub model 2023"]  # the original plan does not
    assert "Earlier estates programmes failed to save money." not in usable["d"]
    assert "Governance is weak." in usable["hub model 2023"]


# --- the timeline -------------------------------------------------------------------------------------

def test_timeline_in_date_order_with_citations(corpus_assistant, manifest):
    events = timeline(corpus_assistant)
    assert [e.date for e in events] == sorted(e.date for e in events)
    assert [(e.date, e.kind) for e in events] == [
        ("2012", "event"), ("2012", "event"), ("2012-12", "event"), ("2014-03-31", "publication"),
        ("2018", "event"), ("2018", "event"), ("2021", "event"), ("2021", "event"), ("2022-11-30", "publication"),
        ("2023", "deadline"), ("2025", "deadline"), ("2025", "deadline"), ("2025-03", "period end"),
        ("2025-03", "period end"), ("2028", "deadline"), ("2028", "deadline"), ("2028", "deadline")]
    first = {(e.date, e.kind): e for e in reversed(events)}
    published = first["2012-12", "event"]
    assert published.strategies == (NGSS,) and published.citation.quote == \
        "In December 2012, the Cabinet Office published its Next Generation Shared Services strategy."
    update = first["2014-03-31", "publication"]
    assert (update.source, update.citation.doc_id, update.strategies) == ("manifest", NAO14, (NGSS,))
    assert update.date == manifest[NAO14]["published"] and update.when == "31 March 2014"
    texts = {d: corpus_assistant.document_text(d) for d in manifest}
    for e in events:
        if e.source == "text":
            assert e.citation.quote in texts[e.citation.doc_id] and e.when in e.citation.quote
            assert e.text.strip("…") in e.citation.quote

    def about(when: str, quote: str) -> tuple[str, ...]:
        [e] = [e for e in events if e.date == when and e.citation.quote.startswith(quote)]
        return e.strategies

    assert about("2018", "The Government has failed to deliver") == (SSS,)
    assert about("2021", "After slow progress the Cabinet Office") == (CLUSTER,)
    assert about("2021", "In 2021, HM Treasury rejected all three") == (CLUSTER,)
    assert about("2023", "With deadlines for replacing some systems") == (CLUSTER,)
    assert about("2025", "In 2018, the Cabinet Office published") == (SSS,)
    assert about("2028", "The Government has made progress") == (SSS, CLUSTER)  # the report as a whole
    assert about("2012", "In 2012, the Committee of Public Accounts") == ()  # earlier initiatives


def test_timeline_of_one_strategy(corpus_assistant):
    events = timeline(corpus_assistant, CLUSTER)
    assert [e.date for e in events] == ["2021", "2021", "2022-11-30", "2023", "2025-03", "2025-03", "2028", "2028",
                                        "2028"]
    assert all(e.citation.doc_id == NAO22 for e in events)  # not the 2018 plan's 2025: replaced by the clusters
    assert "nao-2014" not in json.dumps([e.to_dict() for e in events])


def test_the_hand_set_weights_are_the_assistants_settings(corpus_assistant, starting):
    from types import SimpleNamespace

    def tuned(**changes):
        a = corpus_assistant
        return SimpleNamespace(settings=a.settings.with_(**changes), catalog=a.catalog, embedder=a.embedder,
                               store=a.store)

    assert any(len(cell.citations) > 1 for r in starting.rows for cell in r.cells)
    best_only = compare_strategies(tuned(compare_keep_share=1.0), [NGSS, SSS])  # only sentences as good as the best
    assert all(len(cell.citations) == 1 for r in best_only.rows for cell in r.cells)
    events = timeline(corpus_assistant)
    assert any(e.text.startswith("…") or e.text.endswith("…") for e in events)  # long quotes cut to their clauses
    whole = timeline(tuned(timeline_quote_max_chars=10_000))
    assert all(e.text == e.citation.quote for e in whole if e.source == "text")
    deadlines = [e.kind for e in events].count("deadline")
    # with no room around a date for "deadline" or "at the latest", only dates the extractor calls deadlines are
    narrow = timeline(tuned(deadline_cue_chars_before=0, deadline_cue_chars_after=0))
    assert [e.kind for e in narrow].count("deadline") < deadlines


# --- exports ------------------------------------------------------------------------------------------

def test_markdown_csv_and_json_exports(corpus_assistant):
    comparison = compare_strategies(corpus_assistant, [NGSS, SSS], ["savings", "verdict"])
    md = comparison.to_markdown().splitlines()
    assert md[:4] == ["## Comparison: Next Generation Shared Services 2012 vs Shared Services Strategy 2018", "",
                      f"| Aspect | {NGSS} | {SSS} |", "|---|---|---|"]
    assert md[4].startswith("| Expected savings or benefits | The Cabinet Office estimated that the savings would be "
                            "between £400 million and £600 million per annum. [1] ")
    assert md[5].startswith("| The NAO's verdict | The overall programme is broadly on track. [")
    assert "- **Expected savings or benefits**: Not comparable: £400 million to £600 million" in "\n".join(md)
    assert any(line.startswith("- [1] ") and f"({NAO14}, page 1) <https://www.nao.org.uk/reports/update-on-the-next-"
               in line for line in md)

    rows = list(csv.reader(io.StringIO(comparison.to_csv())))
    assert rows[0] == ["aspect", NGSS, SSS, "calculations and notes"]
    assert [r[0] for r in rows[1:]] == ["Expected savings or benefits", "The NAO's verdict"]
    n = comparison.cell("verdict", NGSS).citations[0].n
    assert rows[2][1] == f"“The overall programme is broadly on track.” [{n}] — Update on the Next Generation " \
                         f"Shared Services strategy ({NAO14}, page 1)"
    assert rows[1][3].startswith("Not comparable: ")

    d = json.loads(json.dumps(comparison.to_dict()))
    assert [c["label"] for c in d["columns"]] == [NGSS, SSS]
    cell = d["rows"][1]["cells"][0]
    assert cell["stated"] and cell["citations"][0]["quote"] == "The overall programme is broadly on track."
    assert cell["citations"][0]["about"] == [] and d["rows"][0]["notes"][0].startswith("Not comparable")


# --- the CLI, through its real entry point ------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_compare_formats_and_errors(capsys, corpus_settings, tmp_path):
    store = ("--store", str(corpus_settings.store_dir))
    out_md = tmp_path / "table.md"
    code, _, err = run(capsys, "compare", NGSS, SSS, "--aspect", "costs", "--out", str(out_md), *store)
    assert code == 0 and err.strip() == f"wrote {out_md}"
    md = out_md.read_text(encoding="utf-8")
    assert md.startswith("## Comparison: ") and "| Implementation cost and funding | The estimated implementation " \
                                                 "cost was between £44 million and £95 million. [1]" in md
    assert "Difference, Shared Services Strategy 2018 − Next Generation Shared Services 2012: £287 million to " \
           "£359 million" in md

    code, out, _ = run(capsys, "compare", NGSS, SSS, "--aspect", "verdict", "--format", "csv", *store)
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0][:3] == ["aspect", NGSS, SSS] and "broadly on track" in rows[1][1]

    code, out, _ = run(capsys, "compare", NAO14, NAO22, "--aspect", "verdict", "--json", *store)
    d = json.loads(out)
    assert code == 0 and [c["doc_ids"] for c in d["columns"]] == [[NAO14], [NAO22]]

    code, out, err = run(capsys, "compare", NGSS, "Big Bang 1999", *store)
    assert code == 2 and out == "" and err.startswith("error: unknown strategy or document 'Big Bang 1999'")
    assert "Known strategies: 'Next Generation Shared Services 2012'" in err

    with pytest.raises(SystemExit):  # argparse refuses an unknown aspect before anything loads
        main(["compare", NGSS, SSS, "--aspect", "vibes", *store])
    assert "invalid choice: 'vibes'" in capsys.readouterr().err


def test_cli_timeline(capsys, corpus_settings):
    store = ("--store", str(corpus_settings.store_dir))
    code, out, _ = run(capsys, "timeline", "--json", *store)
    events = json.loads(out)
    assert code == 0 and events[2]["date"] == "2012-12" and events[2]["strategies"] == [NGSS]
    assert events[2]["citation"]["quote"].startswith("In December 2012")
    code, out, _ = run(capsys, "timeline", "--strategy", "Next Generation", *store)
    assert code == 0 and out.splitlines()[0].split() == ["2012", "event", "Next", "Generation", "Shared", "Services",
                                                         "2012"]
    assert "2014-03-31  publication" in out and "2028" not in out and "cluster" not in out


@pytest.mark.slow
def test_done_when_command_as_a_subprocess(corpus_settings, tmp_path):
    """The issue's own command, run as a user runs it (a new process, the installed entry point)."""
    cmd = [sys.executable, "-m", "assistant.cli.main", "compare", NGSS, SSS, "--store", str(corpus_settings.store_dir),
           "--width", "120"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    lines = [(line + " ").split(" | ") for line in done.stdout.splitlines() if " | " in line + " "]
    assert [c.strip() for c in lines[0]] == ["Aspect", NGSS, SSS]
    ngss, sss = (" ".join(" ".join(parts[i].strip() for parts in lines[1:]).split()) for i in (1, 2))
    for fact in ("savings would be between £400 million and £600 million per annum", "broadly on track",
                 "implementation cost was between £44 million and £95 million"):
        assert fact in ngss, fact
    for fact in ("deliver savings of 10% to 15% in operating costs by 2028", "not on track to deliver value for money",
                 "Clusters have forecast they need £382 million to £403 million", "as soon as 2023",
                 "cloud-based technology by 2025", "by 2028 at the latest"):
        assert fact in sss, fact
    assert "Not comparable: £400 million to £600 million" in done.stdout
