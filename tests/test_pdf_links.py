"""Footnote markers linked to their notes, and table rows kept with their table, from the generated report PDFs
through the catalog to citations, source cards and the CLI. Quotes stay verbatim and hold no marker."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.store.catalog import Catalog
from assistant.text.sentences import split_sentences
from ingest.chunking import chunk_page
from ingest.cleaning import clean_pages
from ingest.loaders import load_file

CAPTION = "Figure 3: Planned and actual spending, 2019-20 to 2022-23"
DOC = "payroll-report"
NOTE_3 = "The remaining 8 systems are due to close by March 2025."
DECOMMISSIONED = "By March 2023 only 6 of the 14 payroll systems had been decommissioned."


def chunks_of(path: Path) -> list:
    """The chunks ingestion makes of a file (load, clean with marker positions, chunk), without the store."""
    out, section = [], None
    for page in clean_pages(load_file(path).pages):
        chunks, section = chunk_page("doc", page.number or 1, page.text, section=section, refs=page.notes)
        out += chunks
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory, embedder):
    """The 4-page report ingested by the real pipeline, real model and real Chroma."""
    from assistant.config import Settings
    from ingest.pipeline import Ingestor
    from test_pdf_structure import make_report

    report = make_report(tmp_path_factory.mktemp("links-pdf") / f"{DOC}.pdf")
    settings = Settings(store_dir=tmp_path_factory.mktemp("links-store"))
    assert not Ingestor(settings, embedder=embedder).ingest([report], progress=False).failed
    return settings


@pytest.fixture(scope="module")
def assistant(store):
    from assistant.answer.pipeline import Assistant

    return Assistant(store)


def test_every_marker_of_the_long_report_links_its_note_on_its_page(tmp_path):
    from benchmarks.report_pdf import make_long_report

    truth = make_long_report(tmp_path / "long.pdf")
    chunks = chunks_of(tmp_path / "long.pdf")
    linked = {(n["page"], n["n"]): n["text"] for c in chunks for n in c.meta.get("notes", [])}
    assert linked == truth.notes  # every note of the report (none is on the scanned page) and its exact text
    for c in chunks:
        for n in c.meta.get("notes", []):
            # The marker stood right after the word it was glued to, and left no digit in the text.
            assert re.search(r"[a-z.]$", c.text[:n["at"]]), (c.text[:n["at"]], n)
        assert "[^" not in c.text, c.text
        for s in split_sentences(c.text):
            assert not re.search(r"[a-z.]\d{1,2}$", s.text), s.text  # no "...2018-19.1"


def test_the_long_reports_tables_keep_their_header_and_each_row_its_neighbours(tmp_path):
    from benchmarks.report_pdf import make_long_report

    truth = make_long_report(tmp_path / "long.pdf")
    rows = [c for c in chunks_of(tmp_path / "long.pdf") if "row" in c.meta]
    savings = {c.meta["row"]: c.meta for c in rows if c.meta["table"] == "Figure 2: Savings by department, 2022-23"}
    hmrc = savings["HMRC"]
    assert hmrc["columns"] == ["Department", "Savings (£ million) Forecast", "Savings (£ million) Achieved"]
    assert hmrc["rows"][hmrc["row_at"]] == ["HMRC", "£12.5 million", "£9.0 million"]  # the merged header's unit
    assert [r[0] for r in savings["DWP"]["rows"]] == ["HMRC", "Home Office", "DWP", "Ministry of Justice"]
    # Every table's every row sits under its columns: each money cell of the ground truth, in its column.
    for caption, cells in truth.cells.items():
        table = {c.meta["row"]: c.meta for c in rows if c.meta["table"] == caption}
        for row, column, value in cells:
            meta = table[row]
            k = next(i for i, name in enumerate(meta["columns"]) if column in name.lower())
            got = meta["rows"][meta["row_at"]][k]
            assert got.startswith("£") and float(got[1:].split()[0]) * 1e6 == value, (caption, row, column, got)


def test_a_long_table_shows_the_cited_row_with_three_neighbours_either_side():
    from ingest.tables import table_lines

    lines = table_lines("Table 1: Staff by year", [["Year", "Staff"]] + [[str(2000 + i), str(i)] for i in range(20)])
    chunks, _ = chunk_page("doc", 1, "\n".join(lines))
    meta = {c.meta["row"]: c.meta for c in chunks}
    assert [r[0] for r in meta["2010"]["rows"]] == [str(y) for y in range(2007, 2014)]
    assert meta["2010"]["row_at"] == 3 and meta["2000"]["row_at"] == 0
    assert [r[0] for r in meta["2000"]["rows"]] == ["2000", "2001", "2002", "2003"]


def test_a_markdown_reference_links_its_note_too(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Savings\n\nThe programme saved £9 million.[^1] It closed six systems [^2] in 2023.\n\n"
                    "[^1]: Cash terms.\n[^2]: Of fourteen.\n")
    chunks = chunks_of(path)
    body = next(c for c in chunks if "saved" in c.text)
    assert body.text == "The programme saved £9 million. It closed six systems in 2023."
    assert [(n["n"], n["text"], body.text[:n["at"]][-8:]) for n in body.meta["notes"]] == \
        [(1, "Cash terms.", "million."), (2, "Of fourteen.", " systems")]


def test_chunks_read_back_from_the_catalog_carry_their_table_and_note_meta(store):
    stored = list(Catalog(store.sqlite_path).iter_chunks(DOC))
    row = next(c for c in stored if c.meta.get("row") == "2021-22")
    assert (row.meta["table"], row.meta["columns"], row.meta["row_at"]) == (CAPTION, ["Year", "Planned", "Actual"], 2)
    assert row.meta["rows"][2] == ["2021-22", "£40 million", "£52 million"]
    assert row.meta["title"]  # the document's fields come with it, as before
    body = next(c for c in stored if DECOMMISSIONED in c.text)
    assert [(n["n"], n["page"], n["text"]) for n in body.meta["notes"]] == [(3, 2, NOTE_3)]
    note = next(c for c in stored if c.meta.get("note") == 3)
    assert (note.page, note.section, note.text) == (2, "page 2, note 3", NOTE_3)


def test_a_cited_sentence_names_the_note_its_marker_referred_to(assistant, store):
    answer = assistant.ask("How many of the payroll systems had been decommissioned by March 2023?")
    cited = next(c for c in answer.citations if c.quote == DECOMMISSIONED)  # verbatim, no marker digit
    assert cited.notes == ({"n": 3, "page": 2, "text": NOTE_3},)
    page = Catalog(store.sqlite_path).page_text(DOC, 2)
    assert DECOMMISSIONED + " The programme spent" in " ".join(page.split())  # the stored page has no marker

    launched = assistant.ask("When did the Cabinet Office launch the Payroll Consolidation Programme?")
    first = launched.citations[0]
    assert first.quote == "The Cabinet Office launched the Payroll Consolidation Programme in 2018-19."
    assert first.notes == ({"n": 1, "page": 1, "text": "The programme was announced in the Spending Review 2018."},)
    for c in answer.citations + launched.citations:
        assert not re.search(r"\[\^|[a-z.]\d{1,2}$", c.quote), c.quote


def test_a_quote_without_a_marker_names_no_note_though_its_passage_has_one(store):
    from assistant.answer.citations import make_citation

    body = next(c for c in Catalog(store.sqlite_path).iter_chunks(DOC) if DECOMMISSIONED in c.text)
    other = "The programme spent £23 million more than the approved budget over the four years."
    assert make_citation(1, body, other).notes == ()
    assert make_citation(1, body, " ".join(body.text.split())).notes[0]["n"] == 3  # whitespace may differ


def test_a_cited_table_row_carries_its_table(assistant):
    answer = assistant.ask("What was the actual spend on the payroll programme in 2021-22?")
    row = next(c for c in answer.citations if "£52 million" in c.quote)
    rows = [["2019-20", "£25 million", "£21 million"], ["2020-21", "£35 million", "£38 million"],
            ["2021-22", "£40 million", "£52 million"], ["2022-23", "£20 million", "£32 million"]]
    assert row.table == {"caption": CAPTION, "columns": ["Year", "Planned", "Actual"], "rows": rows, "row_at": 2}
    assert row.notes == ()


def test_the_cli_shows_the_note_a_cited_sentence_refers_to(capsys, store):
    from assistant.cli.main import main

    code = main(["ask", "How many of the payroll systems had been decommissioned by March 2023?",
                 "--store", str(store.store_dir)])
    out = capsys.readouterr().out
    assert code == 0 and f"“{DECOMMISSIONED}”\n    see note 3 (page 2): {NOTE_3}" in out
    code = main(["ask", "How many of the payroll systems had been decommissioned by March 2023?", "--json",
                 "--store", str(store.store_dir)])
    cited = [c for c in json.loads(capsys.readouterr().out)["citations"] if c["quote"] == DECOMMISSIONED]
    assert code == 0 and cited[0]["notes"] == [{"n": 3, "page": 2, "text": NOTE_3}] and cited[0]["table"] is None
    code = main(["search", "payroll systems decommissioned March 2023", "-k", "3", "--store", str(store.store_dir)])
    out = capsys.readouterr().out
    assert code == 0 and f"see note 3 (page 2): {NOTE_3}" in out
