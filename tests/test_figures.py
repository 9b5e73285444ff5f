"""Figure extraction on the corpus and on tricky wording, its SQLite store, and the `figures` subcommand."""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.cli import figures as cli_figures
from assistant.config import Settings
from assistant.store.figures import delete_document, index_document, list_figures
from assistant.text.figures import UNITS, extract_figures, has_status, status_of
from assistant.text.sentences import split_clauses
from assistant.types import Chunk

D = Decimal
CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DOC_2022 = "nao-2022-government-shared-services"
DOC_2014 = "nao-2014-next-generation-shared-services"


def _text(doc_id: str) -> str:
    return (CORPUS / f"{doc_id}.txt").read_text(encoding="utf-8")


def _paragraphs(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*", text)]


def _overlapping_chunks(doc_id: str) -> list[Chunk]:
    """Two paragraphs per chunk, each chunk repeating the previous one's last paragraph, as ingestion overlaps."""
    text = _text(doc_id)
    paras = _paragraphs(text)
    chunks = []
    for i in range(len(paras)):
        start, end = paras[i][0], paras[min(i + 1, len(paras) - 1)][1]
        chunks.append(Chunk(id=f"{doc_id}-{i}", doc_id=doc_id, text=text[start:end], page=1,
                            char_start=start, char_end=end))
    return chunks


def _summary(figs, units=("GBP", "percent")):
    return [(f.raw, f.unit, f.value, f.low, f.high, f.measure) for f in figs if f.unit in units]


# --- the corpus ---------------------------------------------------------------------------------

def test_money_and_percentages_of_the_2022_notice():
    assert _summary(extract_figures(_text(DOC_2022))) == [
        ("10% to 15%", "percent", D(10), D(10), D(15), "savings"),
        ("£382 million to £403 million", "GBP", D(382_000_000), D(382_000_000), D(403_000_000), "funding forecast"),
        ("£300 million", "GBP", D(300_000_000), None, None, "funding approved"),
        ("£759 million", "GBP", D(759_000_000), None, None, "combined value"),
        ("£300 million", "GBP", D(300_000_000), None, None, "funding approved"),
    ]


def test_money_of_the_2014_notice_keeps_between_ranges_whole():
    assert _summary(extract_figures(_text(DOC_2014))) == [
        ("between £400 million and £600 million", "GBP", D(400_000_000), D(400_000_000), D(600_000_000),
         "savings per annum"),
        ("between £44 million and £95 million", "GBP", D(44_000_000), D(44_000_000), D(95_000_000),
         "implementation cost"),
        ("£9.8 million", "GBP", D(9_800_000), None, None, "spending to date"),
    ]


def test_counts_name_what_they_count():
    counts = [(f.raw, f.value, f.of_total, f.measure) for f in extract_figures(_text(DOC_2014)) if f.unit == "count"]
    assert counts == [
        ("two new independent shared service centres", D(2), None, "new independent shared service centres"),
        ("two shared service centres", D(2), None, "shared service centres"),
        ("140,000 customers", D(140_000), None, "customers"),
        ("two of the seven recommendations", D(2), D(7), "recommendations implemented"),
        ("five", D(5), None, "recommendations being implemented"),  # elliptical: counts the same recommendations
    ]
    counts = [(f.raw, f.value, f.measure) for f in extract_figures(_text(DOC_2022)) if f.unit == "count"]
    assert counts == [
        ("five delivery “clusters”", D(5), "delivery clusters"),
        ("all three Spending Review bids", D(3), "bids rejected"),
        ("three overarching objectives", D(3), "overarching objectives"),
        ("all three Spending Review bids", D(3), "bids rejected"),
        ("three clusters", D(3), "clusters"),
    ]


def test_years_financial_years_durations_and_dates():
    figs = extract_figures(_text(DOC_2022))
    assert [(f.raw, f.unit, f.measure) for f in figs if f.unit in ("year", "financial_year", "years")] == [
        ("2028", "year", "deadline"), ("2018", "year", None), ("2025", "year", "deadline"), ("2021", "year", None),
        ("2028", "year", "deadline"), ("three years", "years", "delay"), ("2028", "year", "deadline"),
        ("2024-25", "financial_year", "end of period"), ("2023", "year", None), ("2018", "year", None),
        ("ten-year", "years", "strategy"), ("2025", "year", "deadline"), ("2021", "year", None),
        ("2024-25", "financial_year", "end of period"),
    ]
    fy = next(f for f in figs if f.unit == "financial_year")
    assert (fy.value, fy.low, fy.high) == (D(2024), None, None)  # 2024-25 is one period, not a range
    dated = next(f for f in extract_figures(_text(DOC_2014)) if f.unit == "date")
    assert (dated.raw, dated.value, dated.iso_date) == ("December 2012", D(2012), "2012-12")


def test_footnote_markers_are_not_figures():
    figs = extract_figures(_text(DOC_2022))
    assert not [f for f in figs if f.value in (D(1), D(2), D(3), D(4)) and f.unit == "count" and "three" not in f.raw]
    approved = next(f for f in figs if f.measure == "funding approved")
    assert approved.sentence == "However, the Treasury only approved a funding package of £300 million."
    assert not any(f.sentence.startswith(("1.", "2.", "3.")) for f in figs)  # list markers left out of sentences


def test_offsets_point_at_the_raw_text_and_its_sentence():
    for doc in (DOC_2022, DOC_2014):
        text = _text(doc)
        for f in extract_figures(text):
            assert text[f.start:f.end] == f.raw
            assert text[f.sentence_start:f.sentence_end] == f.sentence
            assert f.sentence_start <= f.start < f.end <= f.sentence_end


# --- tricky wording -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("It cost £382m.", [("£382m", "GBP", D(382_000_000), None, None)]),
    ("It cost £1.2bn in all.", [("£1.2bn", "GBP", D(1_200_000_000), None, None)]),
    ("A grant of £750,000 was paid.", [("£750,000", "GBP", D(750_000), None, None)]),
    ("Fees of £500k were paid.", [("£500k", "GBP", D(500_000), None, None)]),
    ("It was 382 million pounds.", [("382 million pounds", "GBP", D(382_000_000), None, None)]),
    ("Costs rose 10 per cent.", [("10 per cent", "percent", D(10), None, None)]),
    ("Costs rose 2.5% last year.", [("2.5%", "percent", D("2.5"), None, None)]),
    ("Savings of between 10% and 15% are likely.",
     [("between 10% and 15%", "percent", D(10), D(10), D(15))]),
    ("Savings of 10 to 15 per cent are likely.", [("10 to 15 per cent", "percent", D(10), D(10), D(15))]),
    ("It needs £5 to £10 million.", [("£5 to £10 million", "GBP", D(5_000_000), D(5_000_000), D(10_000_000))]),
    ("It needs £500,000 to £1 million.",
     [("£500,000 to £1 million", "GBP", D(500_000), D(500_000), D(1_000_000))]),
    ("It grew from £100m to £200m.",  # a change over time, not a range
     [("£100m", "GBP", D(100_000_000), None, None), ("£200m", "GBP", D(200_000_000), None, None)]),
    ("It cost £44 million and £95 million.",  # "and" joins a range only after "between"
     [("£44 million", "GBP", D(44_000_000), None, None), ("£95 million", "GBP", D(95_000_000), None, None)]),
    ("It was published on 30 November 2022.", [("30 November 2022", "date", D(2022), None, None)]),
    ("Plans for 2019/20 were late.", [("2019/20", "financial_year", D(2019), None, None)]),
    ("Over 2020-25 spending rose.", [("2020-25", "year", D(2020), D(2020), D(2025))]),
    ("Figure 3 shows the trend.", []),
    ("See paragraph 2.3 for more.", []),
    ("It will finish by 2028.2 The next step follows.", [("2028", "year", D(2028), None, None)]),
    ("It serves 1.5 million customers.", [("1.5 million customers", "count", D(1_500_000), None, None)]),
    ("No one objected, and it was a one-off.", []),
])
def test_tricky_wording(text, expected):
    got = [(f.raw, f.unit, f.value, f.low, f.high) for f in extract_figures(text)]
    assert got == expected


@pytest.mark.parametrize("text, counted", [
    ("There were 13 vacancies among its staff.", [("13 vacancies", "vacancies")]),  # a stop word ends the phrase
    # the 9 after the fronted whole is a part of it, and counts schemes (a verb's subject, EXTRACTOR_VERSION 11)
    ("Of the 14 schemes completed since April 2015, 9 were finished late.", [("14 schemes", "schemes completed"),
                                                                             ("9", "schemes")]),
    ("It found 60 such cases.", [("60 such cases", "such cases")]),  # a quantifier before a plural noun stays
    ("It opened 22 further schemes.", [("22 further schemes", "further schemes")]),
    ("In total 3 were approved.", []),  # an auxiliary never opens what a count counts
    ("2 The Ministry's estimate rose.", []),  # a footnote marker before a sentence is no count
])
def test_what_a_count_counts_ends_at_a_library_stop_word(text, counted):
    assert [(f.raw, f.measure) for f in extract_figures(text) if f.unit == "count"] == counted


@pytest.mark.parametrize("text", ["The programme cost £10 million (against a budget of £8 million).",
                                  "The programme cost £10 million – against a budget of £8 million – in all."])
def test_a_figure_is_measured_from_its_own_clause_and_an_aside_is_a_clause(text):
    assert [(f.raw, f.measure) for f in extract_figures(text)] == [("£10 million", "cost"), ("£8 million", "budget")]


def test_the_one_clause_splitter_cuts_at_asides_only_when_asked():
    s = "It cost £5 million (the budget) – and more."
    assert split_clauses(s) == [0, 34, 43]  # what quoting a long sentence cuts at (assistant.answer.grounded)
    assert split_clauses(s, asides=True) == [0, 20, 31, 34, 43]


def test_decimal_points_do_not_end_sentences():
    text = "Spending was £9.8 million. The rest, 2.5 per cent of it, was late."
    figs = extract_figures(text)
    assert [f.sentence for f in figs] == ["Spending was £9.8 million.", "The rest, 2.5 per cent of it, was late."]


def test_figure_to_dict_is_json_ready():
    f = extract_figures("Clusters forecast they need £382 million to £403 million.")[0]
    d = f.to_dict()
    assert (d["value"], d["low"], d["high"], d["unit"]) == ("382000000", "382000000", "403000000", "GBP")
    assert json.loads(json.dumps(d)) == d


# --- the store --------------------------------------------------------------------------------------

def test_index_document_deduplicates_overlapping_chunks(tmp_path):
    db = tmp_path / "store" / "catalog.sqlite3"
    chunks = _overlapping_chunks(DOC_2022)
    n = index_document(db, DOC_2022, chunks)
    assert n == len(extract_figures(_text(DOC_2022))) == 24
    records = list_figures(db, doc_id=DOC_2022)
    assert len(records) == n
    forecast = next(r for r in records if r.measure == "funding forecast")
    chunk = next(c for c in chunks if c.id == forecast.chunk_id)
    assert chunk.text[forecast.start:forecast.end] == "£382 million to £403 million"
    assert (forecast.doc_id, forecast.page, forecast.low, forecast.high) == (DOC_2022, 1, D(382_000_000),
                                                                            D(403_000_000))
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reindexing_replaces_and_delete_removes(tmp_path):
    db = tmp_path / "catalog.sqlite3"
    index_document(db, DOC_2022, _overlapping_chunks(DOC_2022))
    index_document(db, DOC_2014, _overlapping_chunks(DOC_2014))
    changed = [Chunk(id="x", doc_id=DOC_2014, text="The budget was £5 million.", page=2)]
    assert index_document(db, DOC_2014, changed) == 1
    assert [(r.raw, r.page, r.measure) for r in list_figures(db, doc_id=DOC_2014)] == [("£5 million", 2, "budget")]
    assert len(list_figures(db)) == 25
    assert delete_document(db, DOC_2022) == 24
    assert [r.doc_id for r in list_figures(db)] == [DOC_2014]


def test_list_figures_grep_and_missing_store(tmp_path):
    db = tmp_path / "catalog.sqlite3"
    assert list_figures(db) == []
    assert not db.exists()  # reading never creates a store
    index_document(db, DOC_2022, _overlapping_chunks(DOC_2022))
    assert [r.raw for r in list_figures(db, grep="TREASURY only")] == ["£300 million"]
    assert [r.raw for r in list_figures(db, grep="percent")] == ["10% to 15%"]
    assert list_figures(db, grep="100%") == []  # % is matched literally, not as a wildcard
    d = list_figures(db, grep="forecast")[0].to_dict()
    # Stored once, against the first of the overlapping chunks that holds it.
    assert (d["doc_id"], d["value"], d["chunk_id"]) == (DOC_2022, "382000000", f"{DOC_2022}-5")


def test_figure_extraction_never_loads_the_store():
    """Extraction is text handling (assistant.text); the table lives in assistant.store: no cycle between them."""
    code = "import sys, assistant.text.figures; print('sqlite3' in sys.modules, 'assistant.store.figures' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False False"


# --- statuses -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, status", [
    ("were still being implemented", "being implemented"),
    ("had been implemented in full", "implemented"),
    ("the rejected bids", "rejected"),
    ("the bids the Treasury turned down", "rejected"),
    ("the funding HM Treasury approved", "approved"),
    ("the estimated implementation cost", None),
])
def test_status_of_a_phrase_is_the_most_specific(text, status):
    assert status_of(text) == status


def test_has_status_looks_for_any_wording_of_a_status():
    sentence = ("only two of the seven recommendations have been implemented in full and five are still in the "
                "process of being implemented")
    assert has_status(sentence, "implemented") and has_status(sentence, "being implemented")
    assert has_status("HM Treasury turned down all three bids", "rejected")
    assert not has_status("However, the Treasury only approved a funding package of £300 million.", "rejected")


# --- the `figures` subcommand ---------------------------------------------------------------------

def _run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="audit-assistant")
    cli_figures.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code = args.func(args, Settings())
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_table_and_json(tmp_path, capsys):
    store = tmp_path / "store"
    index_document(Settings(store_dir=store).sqlite_path, DOC_2022, _overlapping_chunks(DOC_2022))
    code, out, err = _run_cli(["figures", "--store", str(store), "--grep", "GBP"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["doc_id", "page", "unit", "value", "measure", "raw"]
    assert lines[1].split()[:4] == [DOC_2022, "1", "GBP", "382000000..403000000"]
    assert lines[1].endswith("£382 million to £403 million")
    assert len(lines) == 5 and err.strip() == "4 figures"
    code, out, _ = _run_cli(["figures", "--store", str(store), "--doc", DOC_2022, "--json", "--grep", "£759"],
                            capsys)
    rows = json.loads(out)
    assert code == 0
    # --grep also matches the sentence: every figure of the sentence that states £759 million comes back.
    assert [(r["raw"], r["unit"], r["value"], r["measure"]) for r in rows] == [
        ("2021", "year", "2021", None), ("all three Spending Review bids", "count", "3", "bids rejected"),
        ("£759 million", "GBP", "759000000", "combined value")]
    assert rows[2]["sentence"].startswith("In 2021, HM Treasury rejected all three Spending Review bids")


def test_cli_without_a_store_says_so(tmp_path, capsys):
    code, out, err = _run_cli(["figures", "--store", str(tmp_path / "nothing")], capsys)
    assert code == 1 and out == ""
    assert "No figures indexed" in err and "Ingest some documents first" in err


def test_cli_module_keeps_heavy_imports_out():
    code = ("import sys, assistant.cli.figures; "
            "print(sorted(m for m in ('torch', 'chromadb', 'sentence_transformers', 'langchain_core', 'sqlite3') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


_PIECES = list("£%0123456789.,- \n–abcdefmnoprstuvwyHIT") + [
    "million", " per cent", "between ", " and ", " to ", "two of the seven ", "December ", "2024-25", "bn", ". The "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_any_text_gives_consistent_figures(text):
    for f in extract_figures(text):
        assert text[f.start:f.end] == f.raw and f.raw
        assert text[f.sentence_start:f.sentence_end] == f.sentence
        assert f.sentence_start <= f.start < f.end <= f.sentence_end
        assert f.unit in UNITS
        assert (f.low is None) == (f.high is None) and (f.low is None or f.low < f.high)


def test_a_bare_grouped_number_counts_what_its_sentence_counted_before_it():
    """"62,400 cases ..., compared with 39,300 at the end of March 2020": the 39,300 is cases too. A bare
    grouped number with no count before it says nothing of what it counts, and a bare small digit is a
    reference or a footnote: neither is a figure."""
    from assistant.text.figures import extract_figures

    got = [(f.raw, f.unit, f.measure) for f in extract_figures(
        "62,400 cases were waiting in September 2022, compared with 39,300 at the end of March 2020.")]
    assert ("39,300", "count", "cases") in got
    assert not [f for f in extract_figures("The index stood at 12,500 in 2019.") if f.unit == "count"]
    assert not [f for f in extract_figures("It listed 40 sites, as set out in note 3 and in 4 more.")
                if f.raw in ("3", "4")]


def test_the_bare_ends_of_a_change_are_counts():
    """"Claims rose from 552,000 in 2020-21 to 701,000 in 2022-23": no noun follows either number, but they are
    what the sentence is about at two times; a bare number elsewhere still counts nothing."""
    from assistant.text.figures import extract_figures

    got = [(f.raw, f.unit) for f in extract_figures(
        "New claims registered rose from 552,000 in 2020-21 to 701,000 in 2022-23.")]
    assert ("552,000", "count") in got and ("701,000", "count") in got
    assert not [f for f in extract_figures("The index stood at 12,500 in 2019.") if f.unit == "count"]


def test_an_ungrouped_end_of_a_change_counts_what_its_sentence_counted_before_it():
    """"176 of the 213 NHS trusts had an EPR, up from 161 in January 2022": the 161 is trusts too, though it has no
    comma and no noun; an ungrouped number that ends no change still counts nothing, and one with no count before
    it in its sentence says nothing of what it counts."""
    from assistant.text.figures import extract_figures

    got = [(f.raw, f.unit, f.measure) for f in extract_figures(
        "At 31 August 2022, 176 of the 213 NHS trusts had an EPR in place, up from 161 in January 2022.")]
    assert ("161", "count", "NHS trusts") in got, got
    assert not [f for f in extract_figures("It listed 40 sites, up to note 3 and in 4 more.") if f.raw in ("3", "4")]
    assert not [f for f in extract_figures("The index rose from 125 in 2019.") if f.unit == "count"]


def test_a_number_word_takes_the_scale_after_it():
    """"a three-million target" is 3,000,000, not three (a difference with 2.05 million gave 2,049,997)."""
    from assistant.text.figures import extract_figures

    got = {f.raw: f.value for f in extract_figures("2.05 million likely starts against a three-million target, and "
                                                    "three suppliers; its target of three million starts")}
    assert got["three-million target"] == 3_000_000
    assert got["three million starts"] == 3_000_000
    assert got["three suppliers"] == 3
    assert [f.value for f in extract_figures("a target of three\nmillion starts")] == [3_000_000]  # a wrapped line


def test_a_number_that_is_a_verbs_subject_counts_what_its_sentence_counted_before():
    """"around 2,000 firms would register ..., but only 640 had done so": 640 counts firms; a bare number followed
    by no verb is still a footnote or a reference, and one with no count before it in its sentence counts nothing."""
    from assistant.text.figures import extract_figures

    found = [(f.raw, f.unit, f.measure) for f in extract_figures(
        "BEIS assumed that around 2,000 firms would register, but only 640 had done so by March 2019.")]
    assert ("640", "count", "firms") in found
    assert [f.raw for f in extract_figures("The rate fell in 2019.2 The Department agreed.")] == ["2019"]
    assert extract_figures("In the end 640 had done so.") == []
