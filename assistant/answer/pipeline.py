"""`Assistant`: the pipeline as one object. Retrieval (a `BaseRetriever`) feeds an answerer (a `Runnable`,
grounded by default or the optional LLM) in a LangChain chain; models and stores are loaded once."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from functools import cached_property
from itertools import zip_longest
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from assistant.calc.wording import compared_sides
from assistant.store.catalog import Catalog
from assistant.config import Settings
from assistant.errors import QuestionError
from assistant.query.analysis import analyse, retrieval_query
from assistant.query.reports import ReportResolver
from assistant.query.retrieval import Filters, HybridRetriever, Searcher
from assistant.text.spelling import respelled, suspects
from assistant.types import Answer, ScoredChunk


def validate_question(question: Any, limit: int) -> str:
    """The question stripped, or a QuestionError saying what is wrong with it."""
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("the question is empty; ask something about the reports")
    if len(question) > limit:
        raise QuestionError(f"the question is {len(question)} characters long; the limit is {limit}")
    return question.strip()


class Assistant:
    """Ask questions of the stored corpus; safe to share between threads."""

    def __init__(self, settings: Settings | None = None, answerer: Runnable | None = None):
        self.settings = settings or Settings()
        self._answerer = answerer
        self._lock = threading.Lock()

    # -- components, built on first use ----------------------------------------------------------
    @cached_property
    def embedder(self):
        from assistant.store.embeddings import make_embedder

        return make_embedder(self.settings)

    @cached_property
    def store(self):
        from assistant.store.vectors import make_store

        return make_store(self.settings, self.embedder.name, self.embedder.dimension)

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.settings.sqlite_path, self.settings)

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.embedder, self.store, self.catalog, self.settings.retrieval_candidates,
                        self.settings.exact_search_max_chunks)

    @cached_property
    def reports(self) -> ReportResolver:
        return ReportResolver(self.catalog, self.searcher, self.embedder, self.settings)

    @cached_property
    def grounded(self) -> Runnable:
        from assistant.answer.grounded import GroundedAnswerer

        return GroundedAnswerer(self.embedder, self.catalog, settings=self.settings,
                                query_vector=self.searcher.query_vector)

    @cached_property
    def answerer(self) -> Runnable:
        if self._answerer is not None:
            return self._answerer
        if self.settings.answer_mode == "llm":
            from assistant.answer.llm import LLMAnswerer

            return LLMAnswerer.from_settings(self.settings, fallback=self.grounded)
        return self.grounded

    def with_answer_mode(self, mode: str) -> "Assistant":
        """An Assistant answering in another mode that shares this one's model, stores and grounded answerer."""
        other = Assistant(self.settings.with_(answer_mode=mode))
        for name in ("embedder", "store", "catalog", "searcher", "grounded", "reports"):
            other.__dict__[name] = getattr(self, name)  # cached_property values: loaded once, shared
        return other

    def retriever(self, k: int | None = None, filters: Filters | dict | None = None) -> HybridRetriever:
        """Our hybrid retrieval as a LangChain retriever, for reuse in other chains."""
        f = filters if isinstance(filters, Filters) else Filters.from_dict(filters)
        return HybridRetriever(searcher=self.searcher, k=k or self.settings.top_k, filters=f)

    def chain(self, k: int | None = None, filters: Filters | dict | None = None) -> Runnable:
        """The whole pipeline as a LangChain `Runnable`: {"question", "history"} -> Answer, the same route
        as `ask()` (validate, analyse once, resolve the reports named, retrieve, answer)."""
        return RunnableLambda(lambda inp: self.ask(inp["question"], inp.get("history"), filters, k))

    def warm_up(self) -> "Assistant":
        """Load the model, open the stores and read what exact search keeps in memory now (the UI and --batch do
        this once)."""
        _ = self.searcher, self.answerer
        self.embedder.embed_query("warm up")
        self.searcher.warm_up()
        return self

    # -- asking ---------------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, filters: Filters | dict | None = None) -> list[ScoredChunk]:
        query = validate_question(query, self.settings.max_question_chars)
        f = filters if isinstance(filters, Filters) else Filters.from_dict(filters)
        return self.searcher.search(analyse(query).clean or query, k or self.settings.top_k, f)

    def ask(self, question: str, history: list[dict] | None = None, filters: Filters | dict | None = None,
            k: int | None = None) -> Answer:
        """Answer a question from the corpus, with citations; follow-ups use `history`."""
        cold = "searcher" not in self.__dict__ or "answerer" not in self.__dict__
        t_load = time.perf_counter()
        if cold:  # the first question of this Assistant opens the stores and loads the model: timed apart
            _ = self.searcher, self.answerer
        t0 = time.perf_counter()
        with self.catalog.snapshot():  # the passages found and the evidence read to answer: one version of each
            prepared = self.prepare(question, history, filters, k)
            t1 = time.perf_counter()
            answer = self.answerer.invoke(prepared)
            t2 = time.perf_counter()
        timings = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t_load) * 1000}
        if cold:
            timings["load"] = (t0 - t_load) * 1000
        return _with_timings(answer, timings)

    def prepare(self, question: str, history: list[dict] | None = None, filters: Filters | dict | None = None,
                k: int | None = None) -> dict:
        """The answerer's input: the question validated and analysed once, the reports it names, the passages. A
        question with a slip of the keyboard ("supervison") for a word of the reports it retrieves is read, and
        searched for again, with that word (`assistant.text.spelling`); the input keeps the question as asked."""
        question = validate_question(question, self.settings.max_question_chars)
        found = self._prepare(question, history, filters, k)
        if not found["chunks"] or not suspects(question, self.settings.query_slip_min_chars):
            return found
        docs = list(dict.fromkeys(sc.chunk.doc_id for sc in found["chunks"]))
        fixed = respelled(question, self.grounded.vocabulary(docs), self.settings.query_slip_min_chars)
        if fixed == question:
            return found
        return {**self._prepare(fixed, history, filters, k), "question": question}

    def _prepare(self, question: str, history: list[dict] | None, filters: Filters | dict | None,
                 k: int | None) -> dict:
        q = analyse(question, history)
        f = filters if isinstance(filters, Filters) else Filters.from_dict(filters)
        query = (retrieval_query(q, history) or q.clean) if q.clean else ""
        asked = f  # the caller's own filters
        named = self.reports.named(q.clean, query, f) if q.clean and not f.doc_ids else ()
        if named:  # "the 2014 report": the question is about that report only
            f, targets = replace(f, doc_ids=named), named
        else:
            targets = tuple(self.reports.targets(q.clean, query, f)) if q.clean and not f.doc_ids else ()
        named_targets = targets  # named by year, body or strategy; `across` and a follow-up's report are inferred
        if len(targets) < 2 and q.clean and not asked.doc_ids:  # reports compared without being named
            # "Since the NAO's 2018 audit, how many more ...?" names one report and compares it with a later one
            compared = tuple(self.reports.across(q.clean, query, asked, list(targets)))
            if compared:
                f, targets = asked, compared
        if not targets and q.context_terms and not f.doc_ids:
            targets = self._previous_report(history, f)
        if not targets and q.clean and not f.doc_ids:  # "what did the NAO find ...?": that body's report
            targets = tuple(self.reports.of_body(q.clean, query, f))
        chunks = self._retrieve(q, history, f, k or self.settings.top_k, targets) if q.clean else []
        unheld = tuple(self.reports.unheld(q.clean)) if q.clean and not asked.doc_ids else ()
        return {"question": question, "history": history or [], "chunks": chunks, "analysis": q, "targets": targets,
                "named_targets": named_targets, "unheld": unheld}

    def _previous_report(self, history: list[dict] | None, f: Filters) -> tuple[str, ...]:
        """A follow-up ("And what were the contracts worth?") is about the report the last turn was about: the
        one whose passages best match the previous question and answer together."""
        turn = " ".join(str(t.get("content", "")) for t in (history or [])[-2:] if t.get("role") in ("user", "assistant"))
        turn = analyse(turn[: self.settings.max_question_chars]).clean if turn.strip() else ""
        hits = self.searcher.search(turn, self.settings.report_followup_hits, f) if turn else []
        return (hits[0].chunk.doc_id,) if hits else ()

    def _retrieve(self, q, history, f: Filters, k: int, targets: tuple[str, ...] = ()) -> list[ScoredChunk]:
        """Passages for the answerer: a wider pool than `k` (sentences are chosen from it), gathered
        per document when the question names two or more reports or strategies."""
        query = retrieval_query(q, history) or q.clean
        pool = max(k, self.settings.answer_passages)
        if not targets:
            sides = compared_sides(q.clean)
            if sides is None:
                return self.searcher.search(query, pool, f)
            # "Which is larger: the levy's receipts or the fund?": each side may be in a report of its own, which
            # a search for the whole question, pulled one way, can miss. Its passages, then each side's, in turn.
            return _interleave([self.searcher.search(x, pool, f) for x in (query, *sides)], pool)
        per = max(self.settings.answer_passages_per_report, pool // len(targets) + 1)
        found = [self.searcher.search(query, per, replace(f, doc_ids=(d,))) for d in targets]
        if len(targets) == 1:  # one report named: its passages first, then the rest of the corpus
            found.append(self.searcher.search(query, pool, f))
        return _interleave(found, max(pool, per * len(targets)))

    # -- reading the store ------------------------------------------------------------------------
    def documents(self) -> list[dict]:
        return self.catalog.documents()

    def chunk_text(self, chunk_id: str) -> str | None:
        chunk = self.catalog.chunks([chunk_id]).get(chunk_id)
        return chunk.text if chunk else None

    def document_text(self, doc_id: str) -> str:
        return self.catalog.document_text(doc_id)


def _interleave(found: list[list[ScoredChunk]], limit: int) -> list[ScoredChunk]:
    """The first passage of each search, then the second of each, and so on, each passage once, up to `limit`."""
    merged, seen = [], set()
    for group in zip_longest(*found):
        for sc in group:
            if sc and sc.chunk.id not in seen:
                seen.add(sc.chunk.id)
                merged.append(sc)
    return merged[:limit]


def _with_timings(answer: Answer, timings: dict[str, float]) -> Answer:
    from dataclasses import replace

    return replace(answer, timings={**timings, **{k: v for k, v in answer.timings.items() if k not in timings}})
