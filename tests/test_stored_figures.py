"""Answering reads the figures table: the calculators take a retrieved chunk's figures as ingestion stored them,
and read them from the chunk's text only where the store has none for it (an older store, a chunk never
indexed, a text other than the one indexed). Over a real ingested corpus with the real model, an answer is the
same either way."""

from __future__ import annotations

import sqlite3

import pytest

from assistant.answer.pipeline import Assistant
from assistant.calc import operands
from assistant.config import Settings
from assistant.store import figures as store_figures
from assistant.store import migrations
from assistant.store.catalog import Catalog
from assistant.store.figures import index_document, list_figures, stored_figures
from assistant.text.figures import extract_figures
from assistant.types import Chunk

pytestmark = pytest.mark.slow

DOC_2022 = "nao-2022-government-shared-services"
DOC_2014 = "nao-2014-next-generation-shared-services"
QUESTIONS = [
    ("What is the shortfall between what the clusters forecast they need and what the Treasury approved?",
     "£82 million to £103 million"),
    ("What percentage of the Public Accounts Committee's recommendations had been implemented in full?", "28.6%"),
    ("By how many years was the cloud deadline pushed back?", "3 years"),
]


@pytest.fixture(scope="module")
def settings(tmp_path_factory, corpus_copy, embedder) -> Settings:
    """The corpus ingested into a store of this module's own (the tests below change its figures table)."""
    from ingest.pipeline import ingest_paths

    settings = Settings(store_dir=tmp_path_factory.mktemp("stored-figures") / "store", corpus_dir=corpus_copy)
    assert not ingest_paths(settings, [corpus_copy], progress=False).failed
    return settings


@pytest.fixture(scope="module")
def assistant(settings) -> Assistant:
    return Assistant(settings).warm_up()


class Spy:
    """Counts the reader's calls and the chunk texts the calculators extract figures from."""

    def __init__(self, monkeypatch, chunk_texts: set[str], reader=stored_figures):
        self.reads, self.served, self.extracted = 0, set(), 0

        def read(db, chunks):
            self.reads += 1
            got = reader(db, chunks)
            self.served |= set(got)
            return got

        def extract(text):
            self.extracted += text in chunk_texts
            return extract_figures(text)

        monkeypatch.setattr(store_figures, "stored_figures", read)
        monkeypatch.setattr(operands, "extract_figures", extract)


def _answer(assistant: Assistant, question: str) -> dict:
    d = assistant.ask(question).to_dict()
    d.pop("timings_ms")
    return d


def _chunk_texts(assistant: Assistant) -> set[str]:
    return {c.text for doc in (DOC_2022, DOC_2014) for c in assistant.catalog.iter_chunks(doc)}


@pytest.mark.parametrize("question, result", QUESTIONS)
def test_a_calculation_reads_the_table_and_answers_as_extraction_does(assistant, monkeypatch, question, result):
    texts = _chunk_texts(assistant)
    with monkeypatch.context() as m:
        table = Spy(m, texts)
        from_table = _answer(assistant, question)
    with monkeypatch.context() as m:
        extraction = Spy(m, texts, reader=lambda db, chunks: {})  # the store has nothing: every chunk is read
        from_text = _answer(assistant, question)

    assert from_table["calculations"][0]["result"] == result and not from_table["declined"]
    assert from_table == from_text
    assert table.reads == 1 and table.served and table.extracted == 0  # every retrieved chunk from the table
    assert extraction.reads == 1 and extraction.extracted > 0


def test_chunks_without_stored_rows_fall_back_to_extraction(assistant, settings, monkeypatch):
    question, result = QUESTIONS[0]
    expected = _answer(assistant, question)
    with sqlite3.connect(settings.sqlite_path) as db:  # as a store indexed before the table was read
        db.execute("DELETE FROM figure_chunks")
    try:
        with monkeypatch.context() as m:
            spy = Spy(m, _chunk_texts(assistant))
            assert _answer(assistant, question) == expected
        assert spy.reads == 1 and spy.served == set() and spy.extracted > 0
        assert len(list_figures(settings.sqlite_path, doc_id=DOC_2022)) == 24  # listings still read the rows
    finally:
        for doc in (DOC_2022, DOC_2014):
            index_document(settings.sqlite_path, doc, list(assistant.catalog.iter_chunks(doc)))


def test_the_reader_gives_each_chunk_its_extracted_figures_or_leaves_it_out(assistant, settings):
    chunks = list(assistant.catalog.iter_chunks(DOC_2022))
    got = stored_figures(assistant.catalog.db, chunks)
    assert set(got) == {c.id for c in chunks}
    assert all(got[c.id] == extract_figures(c.text) for c in chunks)
    assert sum(map(len, got.values())) > len(list_figures(settings.sqlite_path, doc_id=DOC_2022))  # overlaps kept

    blanked = Chunk(chunks[0].id, DOC_2022, " " * len(chunks[0].text), chunks[0].page)  # same id, other text
    never = Chunk("never-indexed", DOC_2022, "It cost £5 million.", 1)
    assert stored_figures(assistant.catalog.db, [blanked, never]) == {}
    assert stored_figures(assistant.catalog.db, []) == {}


def test_figures_of_another_extractor_version_are_read_again(assistant, monkeypatch):
    chunks = list(assistant.catalog.iter_chunks(DOC_2014))
    monkeypatch.setattr(store_figures, "EXTRACTOR_VERSION", store_figures.EXTRACTOR_VERSION + 1)
    assert stored_figures(assistant.catalog.db, chunks) == {}


def test_a_store_whose_figures_table_predates_migrations_keeps_its_listing(tmp_path):
    """The figures table as it was made before it came under the catalog's migrations, with one row per place:
    migrating keeps the rows listed, and the reader finds no chunk in it (so the calculators extract)."""
    path = tmp_path / "catalog.sqlite3"
    with sqlite3.connect(path) as db:
        for sql in migrations.statements(migrations._FIGURES):
            db.execute(sql)
        db.execute("INSERT INTO figures (doc_id, chunk_id, page, pos, raw, value, unit, measure, sentence, "
                   "sentence_start, sentence_end, start, \"end\") VALUES ('d', 'd-1', 2, 9, '£5 million', "
                   "'5000000', 'GBP', 'budget', 'The budget was £5 million.', 0, 26, 15, 25)")
    catalog = Catalog(path)
    assert migrations.version(catalog.db) == migrations.LATEST
    assert [(r.raw, r.page, r.measure) for r in list_figures(path)] == [("£5 million", 2, "budget")]
    assert stored_figures(catalog.db, [Chunk("d-1", "d", "The budget was £5 million.", 2)]) == {}
