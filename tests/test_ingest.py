"""Ingestion: loaders, cleaning, chunking, the pipeline and every kind of bad input, on real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.store.catalog import Catalog
from assistant.config import Settings
from assistant.errors import IngestError
from ingest.chunking import chunk_page, split_sentences
from ingest.cleaning import clean_pages, strip_boilerplate, strip_footnote_markers
from ingest.loaders import Page, load_file
from ingest.manifest import load_manifest
from ingest.pipeline import Ingestor

REPORT_PAGES = [
    "Shared Services Review\n\nThe department expects savings of £120 million per annum from the new imple-\n"
    "mentation programme. The review covered payroll and finance.",
    "Governance\n\nThe programme board met 14 times in 2023. It approved a budget of £45 million for the "
    "second phase of the programme.",
    "Conclusion\n\nThe programme is on track to deliver value for money by 2027, according to the auditors.",
]


def test_cleaning_removes_navigation_and_footnote_markers():
    text = "Latest reportsThe Government has made progress to share back-office services1 across Whitehall.\n" \
           "Read the full report\nIt approved £300 million.3 There is uncertainty.\nLatest press releases"
    cleaned = clean_pages([Page(1, text)])[0].text
    assert cleaned.startswith("The Government has made progress")
    assert "services across Whitehall" in cleaned
    assert "£300 million. There is uncertainty." in cleaned
    assert "Read the full report" not in cleaned and "Latest press releases" not in cleaned


def test_footnote_markers_leave_figures_alone():
    text = "up to 2024-25 and £9.8 million in 2012, HC 1101, 140,000 customers"
    assert strip_footnote_markers(text) == text
    assert strip_boilerplate("Notes for editors") == "Notes for editors"  # a heading, kept


def test_a_press_notice_note_that_is_all_boilerplate_leaves_nothing_behind():
    """The note on where NAO press notices are published, numbered like the other notes to editors, goes with its
    number; a note with facts, and a number on a line of its own, stay."""
    text = ("  3. The £96 million was recognised as an impairment.\n"
            "  4. Press notices and reports are available from the date of publication on the NAO website. "
            "Hard copies can be obtained by using the relevant links on our website.\n4.\n")
    assert strip_boilerplate(text) == "  3. The £96 million was recognised as an impairment.\n\n4."


def test_sentences_keep_offsets_and_never_split_figures():
    text = "The cost was £9.8 million. Savings were e.g. large. 1. All departments need services.\n\nNext para."
    spans = split_sentences(text)
    assert [s.text for s in spans] == ["The cost was £9.8 million.", "Savings were e.g. large.",
                                       "All departments need services.", "Next para."]
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_chunks_are_exact_slices_with_sections(corpus_copy):
    doc = load_file(corpus_copy / "nao-2022-government-shared-services.txt")
    page = clean_pages(doc.pages)[0]
    chunks, _ = chunk_page("d", 1, page.text, size=500, overlap=1)
    assert len(chunks) > 5
    for c in chunks:
        assert page.text[c.char_start:c.char_end] == c.text
    assert chunks[-1].section == "Notes for editors"
    assert any("Clusters have forecast they need £382 million to £403 million" in c.text for c in chunks)
    # sentence overlap: a chunk of several sentences shares its last sentence with the next chunk
    for a, b in zip(chunks, chunks[1:]):
        if a.section == b.section and len(split_sentences(a.text)) > 1:
            assert b.char_start < a.char_end and split_sentences(a.text)[-1].text == split_sentences(b.text)[0].text


def test_manifest_is_read(corpus_copy):
    entries = load_manifest(corpus_copy)
    ids = sorted(e["doc_id"] for e in entries.values())
    assert ids == ["nao-2014-next-generation-shared-services", "nao-2022-government-shared-services"]


def test_corpus_ingests_and_reingest_is_a_noop(corpus_settings, corpus_copy):
    catalog = Catalog(corpus_settings.sqlite_path)
    docs = {d["doc_id"]: d for d in catalog.documents()}
    assert set(docs) == {"nao-2014-next-generation-shared-services", "nao-2022-government-shared-services"}
    assert docs["nao-2022-government-shared-services"]["publisher"] == "National Audit Office"
    assert docs["nao-2022-government-shared-services"]["strategy"] == ["Shared Services Strategy 2018",
                                                                       "cluster model 2021"]
    ingestor = Ingestor(corpus_settings)
    before = ingestor.store.count()
    assert before == catalog.chunk_count() > 10
    report = ingestor.ingest([corpus_copy], progress=False)
    assert [r.status for r in report.results] == ["unchanged", "unchanged"]
    assert ingestor.store.count() == before and report.embedded == 0


def test_pdf_pages_and_repeated_headers(tmp_path, pdf_factory, embedder):
    pdf = pdf_factory("review.pdf", REPORT_PAGES, header="Department of Examples - Annual Review",
                      footer="OFFICIAL - page", title="Examples Review")
    doc = load_file(pdf)
    assert [p.number for p in doc.pages] == [1, 2, 3]
    cleaned = clean_pages(doc.pages)
    assert all("Department of Examples" not in p.text and "OFFICIAL" not in p.text for p in cleaned)
    assert "implementation programme" in cleaned[0].text  # hyphenation across lines joined

    settings = Settings(store_dir=tmp_path / "store")
    report = Ingestor(settings, embedder=embedder).ingest([pdf], progress=False)
    assert report.results[0].status == "added" and report.results[0].pages == 3
    catalog = Catalog(settings.sqlite_path)
    doc_row = catalog.document("review")
    assert doc_row["title"] == "Examples Review"  # from PDF metadata: no manifest entry
    pages = {c.page: c.text for c in catalog.iter_chunks("review")}
    assert "£45 million" in pages[2] and "2027" in pages[3] and "£120 million" in pages[1]


def _bad_files(tmp_path: Path, pdf_factory) -> dict[str, Path]:
    files = {}
    files["corrupt"] = tmp_path / "corrupt.pdf"
    files["corrupt"].write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nthis is not a real pdf\n%%EOF")
    files["encrypted"] = pdf_factory("secret.pdf", ["Top secret savings of £5 million."], encrypt="pw")
    files["empty"] = tmp_path / "empty.txt"
    files["empty"].write_bytes(b"")
    files["scanned"] = pdf_factory("scanned.pdf", [""])
    files["type"] = tmp_path / "table.xlsx"
    files["type"].write_bytes(b"PK\x03\x04 not really")
    files["encoding"] = tmp_path / "latin1.txt"
    files["encoding"].write_bytes("Caf\xe9 savings of \xa3300 million".encode("latin-1"))
    files["missing"] = tmp_path / "nowhere.pdf"
    files["renamed"] = tmp_path / "page.pdf"
    files["renamed"].write_text("<!DOCTYPE html><html><body><p>Hello</p></body></html>")
    return files


REASONS = {
    "corrupt": "corrupt", "encrypted": "encrypted", "empty": "empty", "scanned": "no text layer",
    "type": "unsupported file type", "encoding": "not valid UTF-8", "missing": "no such file",
    "renamed": "content is HTML",
}


@pytest.mark.parametrize("kind", sorted(REASONS))
def test_bad_file_gets_one_clear_line(kind, tmp_path, pdf_factory):
    path = _bad_files(tmp_path, pdf_factory)[kind]
    with pytest.raises(IngestError) as err:
        load_file(path)
    message = str(err.value)
    assert REASONS[kind] in message and path.name in message and "\n" not in message


def test_bad_files_do_not_stop_good_ones_nor_lose_stored(tmp_path, pdf_factory, embedder, corpus_copy):
    settings = Settings(store_dir=tmp_path / "store")
    ingestor = Ingestor(settings, embedder=embedder)
    ingestor.ingest([corpus_copy], progress=False)
    stored = ingestor.store.count()
    good = tmp_path / "good.md"
    good.write_text("# Good note\n\nThe pilot saved £2 million in 2020.\n")
    bad = list(_bad_files(tmp_path, pdf_factory).values())
    report = ingestor.ingest(bad + [good], progress=False)
    assert len(report.failed) == len(bad)
    assert [r.doc_id for r in report.ok] == ["good"]
    assert ingestor.store.count() > stored
    assert {d["doc_id"] for d in ingestor.catalog.documents()} >= {"nao-2014-next-generation-shared-services",
                                                                  "nao-2022-government-shared-services", "good"}


def test_changed_file_replaces_its_chunks_and_prune(tmp_path, embedder):
    settings = Settings(store_dir=tmp_path / "store")
    folder = tmp_path / "docs"
    folder.mkdir()
    note = folder / "note.txt"
    note.write_text("Budget note\n\nThe first version says the budget was £10 million in 2019.\n")
    ingestor = Ingestor(settings, embedder=embedder)
    ingestor.ingest([folder], progress=False)
    old_ids = ingestor.catalog.chunk_ids("note")
    note.write_text("Budget note\n\nThe second version says the budget was £12 million in 2020.\n")
    report = ingestor.ingest([folder], progress=False)
    assert report.results[0].status == "updated"
    new_ids = ingestor.catalog.chunk_ids("note")
    assert new_ids.isdisjoint(old_ids) and ingestor.store.ids("note") == new_ids
    assert "£12 million" in ingestor.catalog.document_text("note")
    reader = Catalog(settings.sqlite_path)  # another connection, as a UI beside the CLI has
    assert [d["chunks"] for d in reader.documents()] == [len(new_ids)]  # (now cached by the reader)
    note.unlink()
    report = ingestor.ingest([folder], prune=True, progress=False)
    assert report.pruned == ["note"] and ingestor.store.count() == 0 and ingestor.catalog.documents() == []
    assert reader.documents() == []  # the registry cache sees another connection's commit
    reader.replace_document({"doc_id": "own", "file": "own.txt", "title": "Own"}, [(1, "x")], [])
    assert [d["doc_id"] for d in reader.documents()] == ["own"]  # and its own


def test_html_main_text_only(tmp_path):
    page = tmp_path / "report.html"
    page.write_text("<html><head><title>Audit of X</title><script>var a=1;</script></head><body>"
                    "<nav>Home | Reports | Latest press releases</nav><main><h1>Audit of X</h1>"
                    "<p>The audit found savings of £3 million.</p></main><footer>Contact us</footer></body></html>")
    doc = load_file(page)
    assert doc.title == "Audit of X"
    assert "savings of £3 million" in doc.pages[0].text
    assert "Home" not in doc.pages[0].text and "var a" not in doc.pages[0].text and "Contact" not in doc.pages[0].text


def test_the_doc_id_of_a_file_is_the_one_its_manifest_names(tmp_path):
    from ingest.manifest import doc_id_for

    (tmp_path / "Report (final).txt").write_text("Text.", encoding="utf-8")
    assert doc_id_for(tmp_path / "Report (final).txt") == "report-final"
    (tmp_path / "manifest.toml").write_text('[[document]]\nfile = "Report (final).txt"\ndoc_id = "nao-2024-x"\n',
                                            encoding="utf-8")
    assert doc_id_for(tmp_path / "Report (final).txt") == "nao-2024-x"


def test_a_table_laid_out_in_columns_of_spaces_is_one_sentence_per_row():
    """A "key facts" table whose figure and label columns are set apart by spaces: cleaning puts its rows apart
    before it collapses the spaces, so each row is one quote, not the whole table run together. Prose with a
    stray double space stays one sentence."""
    table = ("Key facts\n\n  375 miles      smart motorway in England, March 2020\n"
             "  £14.6 million  average cost per mile of schemes under construction\n"
             "  18             actions in the 2020 safety stocktake\n")
    cleaned = clean_pages([Page(1, table)])[0].text
    assert [s.text for s in split_sentences(cleaned)] == [
        "Key facts", "375 miles smart motorway in England, March 2020",
        "£14.6 million average cost per mile of schemes under construction", "18 actions in the 2020 safety stocktake"]
    prose = ("The department spent £12 million  on the pilot in 2021 and a further sum on its evaluation in the\n"
             "following year, when the pilot was extended to three more regions.")
    assert len(split_sentences(clean_pages([Page(1, prose)])[0].text)) == 1


def test_a_row_of_figures_set_out_with_spaces_stays_text_of_its_passage_not_a_section_name():
    """Rows of a table set out in columns of spaces, once put apart, are short lines without a full stop, as
    section titles are: a row that ends with figures ("Nursery capital grants 6.2 9.8 7.1") is text of the
    passage, quotable and found by search, not the name of the section under it (where its figures were lost)."""
    page = ("6. Spending\n\nProgramme spending by financial year (£ million):\n\n"
            "Item                              2021-22    2022-23    2023-24\n"
            "Woodland creation grants            41.3       58.7       72.4\n"
            "Nursery capital grants               6.2        9.8        7.1\n"
            "Underspend                          16.4        7.4        9.3\n\n"
            "Progress since 2021\n\nTotal spending over the three years was £251.9 million.\n")
    chunks, _ = chunk_page("gen-woods", 1, clean_pages([Page(1, page)])[0].text)
    text = "\n".join(c.text for c in chunks)
    for row in ("Item 2021-22 2022-23 2023-24", "Nursery capital grants 6.2 9.8 7.1", "Underspend 16.4 7.4 9.3"):
        assert row in text
    assert not any("16.4" in (c.section or "") for c in chunks)
    # a title that ends with one year is still a title
    assert chunks[-1].section == "Progress since 2021"


def test_a_committees_list_of_its_other_reports_is_left_out_but_its_line_in_the_contents_stays():
    """A committee report closes with the titles of the committee's other reports (publisher data,
    `back_matter`): none of them is what this report says, so the section leaves the text from its heading to the
    end, on whatever page it starts; the same heading in the contents at the front opens nothing and stays."""
    heading = "List of Reports from the Committee during the current Parliament"
    front = f"Modernising civil registration\n\nContents\nSummary\nFormal minutes\n{heading}\n\n"
    body = "Summary\n\n" + "The programme's costs have continued to rise, and the Department cannot say why. " * 20
    end = "\n\nFormal minutes\n\nWednesday 21 March 2029\n\n" + heading + "\n\n1st Asylum accommodation contracts HC 211"
    pages = clean_pages([Page(1, front + body), Page(2, end), Page(3, "5th Sellafield: legacy ponds and silos HC 279")])
    text = "\n".join(p.text for p in pages)
    assert heading in pages[0].text  # the contents line
    assert "Wednesday 21 March 2029" in text and "The programme's costs" in text
    assert "Asylum accommodation" not in text and "Sellafield" not in text and pages[1].text.count(heading) == 0
    assert [p.number for p in pages] == [1, 2, 3]

