"""Server mode against a real Chroma server (`chroma run` on a free loopback port, stopped at teardown).

`TestStoreProtocol` is one suite written against the store protocol (add/search/delete/ids/count and the
model check), run for the embedded store and for the server. The integration tests ingest the corpus
through the server, with the catalog kept beside the client in store_dir, and ask it questions.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # benchmarks/ (home of the server helper) is not an installed package
    sys.path.insert(0, str(ROOT))

from assistant.store.catalog import Catalog  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.errors import ConfigError, IndexMismatchError  # noqa: E402
from assistant.store.vectors import ChromaStore, make_client  # noqa: E402
from assistant.types import Chunk  # noqa: E402
from benchmarks.server import ChromaServer, free_port  # noqa: E402

QUESTION = "How much funding did HM Treasury approve for the clusters?"
DOC_2022 = "nao-2022-government-shared-services"
DIM = 8


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server for the whole session; start() fails with the server's log if it cannot start."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data").start()
    yield server
    server.stop()


# -- one suite for every store -----------------------------------------------------------------------------

def _vec(i: int) -> list[float]:
    """A distinct, deterministic vector per index: a unit axis plus a small tilt."""
    v = [0.0] * DIM
    v[i % DIM] = 1.0
    v[(i + 1) % DIM] = 0.05 * (1 + i // DIM)
    return v


def _chunks(doc_id: str, indexes: range) -> list[Chunk]:
    return [Chunk(f"{doc_id}:{i}", doc_id, f"passage {i} of {doc_id}", page=1 + i % 3, section="Summary",
                  char_start=10 * i, char_end=10 * i + 9) for i in indexes]


A, B = _chunks("a", range(0, 4)), _chunks("b", range(4, 6))
VECTORS = {c.id: _vec(i) for i, c in enumerate(A + B)}


def _add(store, chunks):
    store.add(chunks, [VECTORS.get(c.id) or _vec(int(c.id.split(":")[1])) for c in chunks])


@pytest.fixture(params=["embedded", "server"])
def open_store(request, tmp_path):
    """Open (and reopen) a ChromaStore on one fresh collection, embedded in tmp_path or on the server."""
    if request.param == "server":
        settings = Settings(store_dir=tmp_path / "catalog", chroma_url=request.getfixturevalue("chroma_server").url)
    else:
        settings = Settings(store_dir=tmp_path / "store")
    client = make_client(settings)
    name = f"protocol-{uuid.uuid4().hex[:12]}"

    def opener(model: str = "fake-model", dimension: int = DIM) -> ChromaStore:
        return ChromaStore(client, name, model, dimension)

    yield opener
    if request.param == "server":
        client.delete_collection(name)


class TestStoreProtocol:
    """The store protocol, for the embedded store and the server alike."""

    def test_add_count_and_ids(self, open_store):
        store = open_store()
        assert store.count() == 0 and store.ids() == set()
        _add(store, A + B)
        assert store.count() == 6
        assert store.ids() == {c.id for c in A + B}
        assert store.ids("a") == {"a:0", "a:1", "a:2", "a:3"} and store.ids("b") == {"b:4", "b:5"}
        assert store.ids("nobody") == set()

    def test_add_is_an_idempotent_upsert(self, open_store):
        store = open_store()
        _add(store, A + B)
        _add(store, A + B)
        assert store.count() == 6

    def test_search_nearest_first_with_cosine_similarity(self, open_store):
        store = open_store()
        _add(store, A + B)
        hits = store.search(VECTORS["a:2"], k=3)
        assert [h[0] for h in hits][0] == "a:2" and len(hits) == 3
        assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)

    def test_search_filters_by_document(self, open_store):
        store = open_store()
        _add(store, A + B)
        assert {i for i, _ in store.search(VECTORS["a:2"], k=6, doc_ids=["b"])} == {"b:4", "b:5"}
        assert {i for i, _ in store.search(VECTORS["a:2"], k=6, doc_ids=["a", "b"])} == {c.id for c in A + B}
        assert store.search(VECTORS["a:2"], k=6, doc_ids=[]) == []

    def test_exact_search_among_given_chunks_agrees_with_filtered_search(self, open_store):
        store = open_store()
        _add(store, A + B)
        for weights in ([1.0, 0.6, 0.3, 0.1], [0.1, 0.3, 0.6, 1.0], [0.2, 1.0, 0.05, 0.5]):  # no ties
            query = weights + [0.0] * (DIM - len(weights))
            exact = store.search_among(query, [c.id for c in A], k=3)
            approx = store.search(query, k=3, doc_ids=["a"])
            assert [i for i, _ in exact] == [i for i, _ in approx]
            assert [s for _, s in exact] == pytest.approx([s for _, s in approx], abs=1e-5)
        assert store.search_among(_vec(0), ["a:0", "gone:9"], k=5)[0][0] == "a:0"  # unknown ids are skipped
        assert store.search_among(_vec(0), [], k=5) == []

    def test_search_of_an_empty_store_and_k_over_count(self, open_store):
        store = open_store()
        assert store.search(_vec(0), k=5) == []
        _add(store, B)
        assert {i for i, _ in store.search(_vec(0), k=50)} == {"b:4", "b:5"}

    def test_delete(self, open_store):
        store = open_store()
        _add(store, A + B)
        store.delete(["a:1", "b:5"])
        store.delete([])
        assert store.count() == 4 and store.ids() == {"a:0", "a:2", "a:3", "b:4"}
        assert "a:1" not in {i for i, _ in store.search(VECTORS["a:1"], k=6)}

    def test_batches_beyond_chromas_maximum(self, open_store):
        store = open_store()
        many = _chunks("big", range(4100))  # over store._BATCH (4000): split into two upserts and deletes
        _add(store, many)
        assert store.count() == 4100
        store.delete([c.id for c in many[:4050]])
        assert store.ids() == {c.id for c in many[4050:]}

    def test_reopened_with_the_same_model_keeps_its_vectors(self, open_store):
        _add(open_store(), A)
        again = open_store()
        assert again.count() == 4 and again.search(VECTORS["a:3"], k=1)[0][0] == "a:3"

    def test_another_model_or_dimension_is_refused(self, open_store):
        _add(open_store(), A)
        with pytest.raises(IndexMismatchError, match="fake-model"):
            open_store(model="other-model")
        with pytest.raises(IndexMismatchError, match="16"):
            open_store(dimension=16)


# -- the assistant through the server -------------------------------------------------------------------

@pytest.fixture(scope="module")
def server_settings(chroma_server, corpus_copy, embedder, tmp_path_factory):
    """Settings whose vectors live on the server and whose catalog lives in store_dir, corpus ingested."""
    from ingest.pipeline import Ingestor

    settings = Settings(store_dir=tmp_path_factory.mktemp("server-mode-catalog"), chroma_url=chroma_server.url)
    report = Ingestor(settings, embedder=embedder).ingest([corpus_copy], progress=False)
    assert not report.failed and [r.status for r in report.results] == ["added", "added"]
    return settings


def test_server_mode_answers_with_a_citation(server_settings):
    from assistant.answer.pipeline import Assistant

    answer = Assistant(server_settings).ask(QUESTION)
    assert not answer.declined and "£300 million" in answer.text
    cited = [c for c in answer.citations if c.doc_id == DOC_2022 and "£300 million" in c.quote]
    assert cited, answer.to_dict()
    assert f"[{cited[0].n}]" in answer.text


def test_vectors_live_on_the_server_and_the_catalog_beside_the_client(server_settings, chroma_server):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.HttpClient(host=chroma_server.host, port=chroma_server.port,
                                 settings=ChromaSettings(anonymized_telemetry=False))
    on_server = client.get_collection(server_settings.collection).count()
    assert on_server == Catalog(server_settings.sqlite_path).chunk_count() > 10
    assert not (server_settings.store_dir / "chroma").exists()  # nothing embedded on disk


def test_reingest_through_the_server_leaves_the_count_unchanged(server_settings, corpus_copy, embedder):
    from ingest.pipeline import Ingestor

    ingestor = Ingestor(server_settings, embedder=embedder)
    before = ingestor.store.count()
    report = ingestor.ingest([corpus_copy], progress=False)
    assert [r.status for r in report.results] == ["unchanged", "unchanged"] and report.embedded == 0
    assert ingestor.store.count() == before == ingestor.catalog.chunk_count()


def test_cli_ask_with_chroma_url(server_settings, capsys):
    from assistant.cli.main import main

    code = main(["ask", "--store", str(server_settings.store_dir), "--chroma-url", server_settings.chroma_url,
                 "--json", QUESTION])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and "£300 million" in out["answer"]
    assert DOC_2022 in {c["doc_id"] for c in out["citations"]}


def test_a_library_searched_exactly_is_answered_while_the_server_is_down(tmp_path, corpus_copy, embedder):
    """Below `exact_search_max_chunks` the library's vectors are read from the server once, when the assistant warms
    up, and kept: a question asked after the server stops is still answered, with its citation (the catalog is
    beside the client). Above the bound the stopped server is one clear error (tests/test_ui_errors.py)."""
    from assistant.answer.pipeline import Assistant
    from ingest.pipeline import Ingestor

    server = ChromaServer(tmp_path / "chroma").start()
    try:
        settings = Settings(store_dir=tmp_path / "store", chroma_url=server.url)
        assert not Ingestor(settings, embedder=embedder).ingest([corpus_copy], progress=False).failed
        assistant = Assistant(settings).warm_up()
    finally:
        server.stop()
    answer = assistant.ask(QUESTION)
    assert not answer.declined and "£300 million" in answer.text
    assert any(c.doc_id == DOC_2022 and "£300 million" in c.quote for c in answer.citations)
    # a report named: a search within its passages, from the same vectors
    named = assistant.ask("In the 2014 report, how much had the Cabinet Office spent on the strategy to date?")
    assert "£9.8 million" in named.text
    assert {c.doc_id for c in named.citations} == {"nao-2014-next-generation-shared-services"}


def test_unreachable_server_is_one_clear_error(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ConfigError, match="cannot reach the Chroma server"):
        make_client(Settings(store_dir=tmp_path, chroma_url=url))
    from assistant.cli.main import main

    assert main(["search", "--store", str(tmp_path), "--chroma-url", url, "funding"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: cannot reach the Chroma server at " + url)
