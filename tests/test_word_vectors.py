"""Static word vectors distilled from the shipped model: a question's words meet a report's words by meaning."""

from __future__ import annotations

import pytest

from assistant.answer import features as F
from assistant.config import Settings
from assistant.types import Chunk, ScoredChunk


@pytest.fixture(scope="module")
def words():
    from assistant.store.wordvectors import make_word_vectors

    return make_word_vectors(Settings())


def test_words_of_like_meaning_are_nearer_than_unrelated_ones(words):
    sims = words.similarity(["staff", "spent"], ["employees", "cost", "weather"])
    assert sims[0, 0] > sims[0, 2] + 0.3  # staff ~ employees, not weather
    assert sims[1, 1] > sims[1, 2] + 0.2  # spent ~ cost


def test_the_table_is_distilled_once_and_then_read_from_the_cache(words, monkeypatch):
    """A second load reads the saved table: distilling again would fail here."""
    import model2vec.distill

    from assistant.store import wordvectors
    from assistant.store.embeddings import resolve_model_path

    def no_second_distil(*args, **kwargs):
        raise AssertionError("distilled twice")

    monkeypatch.setattr(model2vec.distill, "distill", no_second_distil)
    path = resolve_model_path(Settings().embedding_model)
    again = wordvectors.WordVectors(wordvectors._distil(path, wordvectors._table_dir(path, Settings().cache_dir)))
    assert again.similarity(["staff"], ["employees"])[0, 0] == pytest.approx(
        float(words.similarity(["staff"], ["employees"])[0, 0]), abs=1e-5)


def _candidate(text: str) -> F.Candidate:
    chunk = Chunk(id="c1", doc_id="d", text=text, page=1, section=None, char_start=0, char_end=len(text), meta={})
    return F.Candidate(ScoredChunk(chunk, 1.0, 1, 1, 0.5), 0, 0, len(text), text)


def test_soft_evidence_matches_a_question_word_by_meaning(words):
    """"staff" is not in either sentence; the one about employees matches it by meaning, the other does not;
    a word held exactly counts in full."""
    cands = [_candidate("The department employed 4,000 employees in 2020."),
             _candidate("The weather in 2020 was unusually wet.")]
    weights = {"staff": 2.0, "department": 1.0}
    for c in cands:
        c.held = frozenset(F.stem(t) for t in weights if F.stem(t) in F.stems(c.text))
        c.focus = frozenset({"staff"})
    F.soft(cands, weights, words)
    about_employees, about_weather = cands
    assert about_employees.f["soft_focus"] > about_weather.f["soft_focus"] + 0.3
    assert about_employees.f["soft_lex"] > about_weather.f["soft_lex"]
    assert about_employees.f["soft_lex"] >= 1.0 / 3  # "department" held exactly: its whole weight
    assert about_employees.f["soft_min"] == about_employees.f["soft_focus"]  # one focus word


def test_a_sentence_without_a_stored_vector_uses_its_own_embedding():
    """An ingest may replace a passage while its question is answered: its sentences' stored vectors are gone,
    and the similarity of the sentence itself, embedded now, stands in (not the whole passage's)."""
    embedded, not_embedded = _candidate("A sentence embedded now."), _candidate("Another sentence.")
    for c in (embedded, not_embedded):
        c.f["chunk_sim"] = 0.2
    embedded.f["dense"] = 0.7
    F.late([embedded, not_embedded], [1.0, 0.0], stored={})
    assert embedded.f["late"] == 0.7 and not_embedded.f["late"] == 0.2


def test_words_are_looked_up_from_many_threads_at_once(words):
    """Readers ask at once (the UI, server mode): the tokenizer underneath refuses concurrent use, so lookups
    are serialised where they must be and none fails."""
    from concurrent.futures import ThreadPoolExecutor

    def look(n: int):
        return words.vectors([f"word{n}x{i}" for i in range(200)]).shape

    with ThreadPoolExecutor(8) as pool:
        shapes = list(pool.map(look, range(16)))
    assert all(s[0] == 200 for s in shapes)
