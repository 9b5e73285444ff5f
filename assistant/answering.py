"""The grounded answerer: deterministic, no LLM. It picks the source sentences that best answer the
question and composes a short answer from them, each followed by its citation marker; a calculation
question is routed to the calculators; an unsupported question is declined.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from functools import lru_cache
from dataclasses import dataclass
from typing import Any

import snowballstemmer
from langchain_core.runnables import Runnable, RunnableConfig

from assistant.catalog import Catalog
from assistant.questions import (CANONICAL_FORMS, GENERIC, Question, analyse, canonical, is_instruction,
                                 previous_question)
from assistant.types import Answer, Calculation, Chunk, Citation, Operand, ScoredChunk
from ingest.chunking import split_sentences

# Calibrated on evals/sets/shared_services.jsonl (see README, "Calibration"): below MIN_SUPPORT the best
# sentence is too weak to present; above MAX_UNKNOWN the question is mostly about things the corpus
# never mentions.
MIN_SUPPORT = 0.42
MAX_UNKNOWN = 0.0  # any subject word the corpus never uses: the reports do not cover the question
MAX_OFF_TOPIC = 0.15  # share of the question's subject weight the quoted reports may lack
LONG_QUOTE = 300  # characters; longer sentences are cut to their best clauses
POOL = 10  # sentences embedded per question: the main cost of `ask` after retrieval

_MONEY = re.compile(r"£\s?\d[\d,.]*\s*(?:million|billion|bn|m|k|thousand)?", re.I)
_PERCENT = re.compile(r"\d+(?:\.\d+)?\s?(?:%|per ?cent)", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b|\b(?:January|February|March|April|May|June|July|August|September|"
                   r"October|November|December)\b")
_NUMBER = re.compile(r"\b(?!(?:19|20)\d\d\b)\d[\d,]*\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                     r"dozen|hundred|thousand|all)\b", re.I)
_WHO = re.compile(r"\bhead of\b|\bchief\b|\bminister\b|\bsecretary\b|\bdirector\b|\b[A-Z][a-z]+ [A-Z][a-z]+,")
_WHY = re.compile(r"\bbecause\b|\bdue to\b|\bconcluded\b|\bas a result\b|\bin order to\b|\bso that\b|"
                  r"\bconcerns?\b|\bresulting in\b", re.I)
_AMOUNT = re.compile(f"{_MONEY.pattern}|{_PERCENT.pattern}", re.I)  # "how much" savings may be a share
TYPE_CUES = {"money": _AMOUNT, "percent": _PERCENT, "date": _YEAR, "count": _NUMBER, "who": _WHO, "why": _WHY}


# Porter2, the family FTS5's porter tokenizer uses. A stemmer object keeps its working string between calls,
# so two threads sharing one corrupt each other's words (IndexError under concurrent asks): one per thread.
_STEMMERS = threading.local()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter2) stem, so "clusters"/"cluster" and "approved"/"approve" meet."""
    stemmer = getattr(_STEMMERS, "stemmer", None)
    if stemmer is None:
        stemmer = _STEMMERS.stemmer = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word)


def _stems(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[a-z0-9]+", canonical(text).lower())}


@dataclass
class Candidate:
    chunk: ScoredChunk
    start: int  # offsets in chunk.text
    end: int
    text: str
    score: float = 0.0
    coverage: float = 0.0
    cue: float = 0.0
    about: str = ""

    @property
    def key(self) -> tuple:
        c = self.chunk.chunk
        return c.doc_id, c.page, c.char_start + self.start


class _VectorCache:
    """Sentence vectors, kept so repeated sentences are embedded once per process (bounded, LRU)."""

    def __init__(self, embedder, size: int = 20000):
        self.embedder, self.size, self.data = embedder, size, OrderedDict()

    def get(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.data]
        if missing:
            for t, v in zip(missing, self.embedder.embed_documents(missing)):
                self.data[t] = v
            while len(self.data) > self.size:
                self.data.popitem(last=False)
        for t in texts:
            self.data.move_to_end(t)
        return [self.data[t] for t in texts]


class _DocStems:
    """The word stems of each chunk of a document, cached (bounded, LRU) and checked against the document's
    chunk ids, so a re-ingested document is read again.

    Why by hand and not with the FTS index: counting a word's chunks within a few documents with FTS5 means
    visiting every chunk of the library that has the word, which grows with the library (tens of ms per word
    at 100k chunks); the stems of the few documents a question retrieves are cheap to keep."""

    def __init__(self, catalog: Catalog, size: int = 256):  # documents; up to ~100 KB each
        self.catalog, self.size, self.data = catalog, size, OrderedDict()
        self.lock = threading.Lock()

    def get(self, doc_ids: list[str]) -> dict[str, list[frozenset[str]]]:
        current = self.catalog.chunk_ids_of(doc_ids)
        out = {}
        for d, ids in current.items():
            with self.lock:
                hit = self.data.get(d)
            if hit is None or hit[0] != ids:
                texts = self.catalog.chunk_texts(d)
                hit = (tuple(i for i, _ in texts), [frozenset(_stems(t)) for _, t in texts])
            with self.lock:
                self.data[d] = hit
                self.data.move_to_end(d)
                while len(self.data) > self.size:
                    self.data.popitem(last=False)
            out[d] = hit[1]
        return out


def _has(term: str, stems: frozenset[str]) -> bool:
    """Whether a chunk with these stems has the term (every word of a hyphenated one)."""
    words = re.findall(r"[a-z0-9]+", canonical(term).lower())
    return bool(words) and all(stem(w) in stems for w in words)


def _dot(a, b) -> float:
    return float(sum(x * y for x, y in zip(a, b)))


class GroundedAnswerer(Runnable[dict, Answer]):
    """A `Runnable` from {"question", "history", "chunks"} to an `Answer` built only from quoted sources."""

    def __init__(self, embedder, catalog: Catalog | None = None, max_sentences: int = 3):
        self.embedder = embedder
        self.catalog = catalog
        self.max_sentences = max_sentences
        self._vectors = _VectorCache(embedder)
        self._doc_stems = _DocStems(catalog) if catalog is not None else None

    def invoke(self, input: dict, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        question = input["question"]
        chunks: list[ScoredChunk] = list(input.get("chunks") or [])
        q = input.get("analysis") or analyse(question, input.get("history"))
        if not q.clean:
            return _decline(question, "The question only gives instructions; I answer from the sources alone, "
                                      "so please ask about the reports.", [])
        if not chunks:
            return _decline(question, "The corpus does not say: no passage matches the question.", [])
        routed = self._calculation(q, chunks, previous_question(input.get("history")) if q.context_terms else None)
        if routed is not None:
            return routed
        targets = tuple(input.get("targets") or ())
        everywhere = self._library_frequency(q)  # read once: the off-topic check weighs the words again
        weights = self._term_weights(q, list(dict.fromkeys(sc.chunk.doc_id for sc in chunks)), everywhere)
        unknown = sum(-w for w in weights.values() if w < 0) / max(1e-9, sum(abs(w) for w in weights.values()))
        cands = self._score(q, chunks, {t: abs(w) for t, w in weights.items()}, targets)
        best = cands[0] if cands else None
        if best is None or best.score < MIN_SUPPORT or unknown > MAX_UNKNOWN:
            return _decline(question, f"The corpus does not say {_restate(q.clean)}", cands[:3])
        chosen = self._choose(q, cands)
        if self._off_topic(q, weights, chosen, everywhere):
            return _decline(question, f"The corpus does not say {_restate(q.clean)}", cands[:3])
        premise = _unsupported_figures(q.clean, chunks)
        return _compose(question, chosen, premise)

    # -- scoring -----------------------------------------------------------------------------------
    def _library_frequency(self, q: Question) -> dict[str, int]:
        """How many chunks of the whole library have each question term."""
        terms = list(q.content_terms) + list(q.context_terms) + list(q.expansions)
        return self.catalog.document_frequency(terms, CANONICAL_FORMS) if self.catalog is not None and terms else {}

    def _term_weights(self, q: Question, scope: list[str] | None = None,
                      everywhere: dict[str, int] | None = None) -> dict[str, float]:
        """IDF weight per question term; negative for terms the corpus never uses.

        The IDF is taken over the chunks of `scope`, the reports the retrieved passages come from, not over
        the whole library: which words of a question pick out its answer inside those reports should not
        change when unrelated reports are added ("NAO" is rare in a library of departmental reports, but
        every paragraph of an NAO report says it)."""
        terms = list(q.content_terms) + list(q.context_terms) + list(q.expansions)
        if self.catalog is None or not terms:
            return {t: 1.0 for t in terms}
        everywhere = everywhere if everywhere is not None else self._library_frequency(q)
        if scope:
            chunks = [c for per_doc in self._doc_stems.get(scope).values() for c in per_doc]
            n = max(1, len(chunks))
            local = {t: sum(1 for c in chunks if _has(t, c)) for t in terms}
        else:
            n, local = max(1, self.catalog.chunk_count()), everywhere
        # a word the scope lacks but the library uses weighs as if one chunk had it
        df = {t: local[t] or min(1, everywhere[t]) for t in terms}
        years = {str(d["year"]) for d in self.catalog.documents() if d.get("year")}
        # The words of a figure the question states ("£1 billion") count half: the figure may be a false
        # premise, and in a large library some other report always has a figure like it.
        stated = {w for m in _AMOUNT.finditer(q.clean) for w in re.findall(r"[a-z0-9]+", m.group().lower())}
        out = {}
        for t in terms:
            w = math.log(1 + (n + 1) / (df[t] + 0.5)) * (0.5 if t in stated else 1.0)
            if t in q.expansions:
                out[t] = 0.5 * w if df[t] else 0.0  # a thesaurus word never counts as missing
                continue
            w *= 0.5 if t in q.context_terms else 1.0
            if local[t] == 0 and (t in years or t in q.expanded_terms):
                out[t] = 0.0  # a report's year that only the metadata has, or a word the thesaurus translated
                continue
            out[t] = w if everywhere[t] > 0 or local[t] > 0 or t in GENERIC else -w
        return out

    def _score(self, q: Question, chunks: list[ScoredChunk], weights: dict[str, float],
               targets: tuple[str, ...] = ()) -> list[Candidate]:
        seen, cands = set(), []
        top = chunks[0].score or 1.0
        stems = {stem(t): w for t, w in weights.items()}
        total = sum(stems.values()) or 1.0
        # a phrase the reports use for a word the reports never use ("on track" for "verdict") stands for
        # that word, which is what the question turns on: it weighs as much as the question's strongest word
        strongest = max(weights.values(), default=1.0) or 1.0
        for sc in chunks:
            meta = sc.chunk.meta
            # What the passage's document is about (its title, its strategies) is context every sentence
            # in it assumes: "the savings" in a report on Next Generation Shared Services are its savings.
            about = " ".join([str(meta.get("title") or "")] + list(meta.get("strategy") or []))
            context = _stems(sc.chunk.text + " " + about + " " + (sc.chunk.section or ""))
            for span in split_sentences(sc.chunk.text):
                c = Candidate(sc, span.start, span.end, span.text)
                if c.key in seen or len(span.text) < 25 or is_instruction(span.text):
                    continue
                seen.add(c.key)
                have = _stems(span.text)
                low = span.text.lower()
                # A phrase the reports use for a question word ("on track" for "verdict") counts in full.
                phrase = sum(weights.get(t, 0.0) or strongest for t, p in q.phrases if p in low)
                c.coverage = (sum(w for s, w in stems.items() if s in have) + phrase
                              + 0.25 * sum(w for s, w in stems.items() if s not in have and s in context)) / total
                c.about = about
                cue = sum(1.0 for t in q.types if t in TYPE_CUES and TYPE_CUES[t].search(span.text))
                cue = min(1.0, cue / max(1, len([t for t in q.types if t in TYPE_CUES])))
                c.cue = cue
                c.score = 0.5 * c.coverage + 0.05 * (sc.score / top)
                cands.append(c)
        cands.sort(key=lambda c: -(c.score + 0.2 * c.cue))
        pool = cands[:POOL]  # only the most promising sentences are embedded: it keeps `ask` fast
        if pool:
            qv = self.embedder.embed_query(" ".join([q.clean] + list(q.context_terms)))
            for c, v in zip(pool, self._vectors.get([f"{c.about}: {c.text}" for c in pool])):
                c.score += 0.5 * max(0.0, _dot(qv, v))
        for c in cands[POOL:]:
            c.score += 0.5 * 0.5 * max(0.0, c.chunk.similarity or 0.0)  # not embedded: a discounted estimate
        own = {stem(t): w for t, w in weights.items() if t in q.terms}
        focus = max(own, key=own.get) if own else None  # the rarest word of the question itself
        for c in cands:
            c.score *= 1.0 + 0.4 * c.cue  # the kind of fact asked for (a sum, a date, a name) is there
            if focus and focus in _stems(c.text):
                c.score *= 1.1
            if targets and len(targets) == 1 and c.chunk.chunk.doc_id in targets:
                c.score *= 1.15  # the question names this report
        cands.sort(key=lambda c: -c.score)
        return cands

    def _off_topic(self, q: Question, weights: dict[str, float], chosen: list[Candidate],
                   everywhere: dict[str, int] | None = None) -> bool:
        """Whether a subject word of the question is absent from every report the answer would quote.

        In a large library nearly every word occurs somewhere ("staff" in some other report), so the
        corpus-wide check is not enough: the reports the answer comes from must use the words too."""
        if self.catalog is None:
            return False
        subject = [t for t in q.subject_terms if weights.get(t, 0) > 0 and not t.isdigit()
                   and t not in q.expanded_terms]
        docs = list(dict.fromkeys(c.chunk.chunk.doc_id for c in chosen))
        # weighed within the quoted reports themselves: a word they never use ("staff") weighs as their
        # rarest, however common other reports of the library make it
        weights = {**weights, **{t: w for t, w in self._term_weights(q, docs, everywhere).items() if t in subject and w > 0}}
        per_doc = self._doc_stems.get(docs)
        missing = {t for t in subject if not any(_has(t, c) for cs in per_doc.values() for c in cs)}
        total = sum(weights[t] for t in subject) or 1.0
        return sum(weights[t] for t in missing) / total > MAX_OFF_TOPIC

    def _choose(self, q: Question, cands: list[Candidate]) -> list[Candidate]:
        """The best sentence, plus close runners-up that add something; for comparisons, one per document."""
        best = cands[0]
        chosen = [best]
        if "compare" in q.types or _mentions_two_periods(q.clean):
            docs = [best.chunk.chunk.doc_id]
            for c in cands[1:]:
                if c.chunk.chunk.doc_id not in docs and c.score >= max(MIN_SUPPORT, 0.5 * best.score):
                    chosen.append(c)
                    docs.append(c.chunk.chunk.doc_id)
        covered = _stems(" ".join(c.text for c in chosen))
        for c in cands[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if c in chosen or c.score < 0.85 * best.score:
                continue
            new = {s for s in _stems(c.text) if s in {stem(t) for t in q.terms}} - covered
            if new or (q.types and any(t in TYPE_CUES and TYPE_CUES[t].search(c.text) and
                                       not TYPE_CUES[t].search(" ".join(x.text for x in chosen)) for t in q.types)):
                chosen.append(c)
                covered |= _stems(c.text)
        return chosen

    def _calculation(self, q: Question, chunks: list[ScoredChunk], context: str | None = None) -> Answer | None:
        from assistant.routing import route_calculation

        routed = route_calculation(q.clean, [sc.chunk for sc in chunks], context=context)
        if routed is None:
            return None
        by_chunk = {sc.chunk.id: sc for sc in chunks}
        citations: list[Citation] = []
        numbers: list[int] = []
        for ev in routed.evidence:
            quote = ev.quote if ev.quote in ev.chunk.text else ev.chunk.text
            existing = next((c.n for c in citations if c.chunk_id == ev.chunk.id and c.quote == quote), None)
            if existing is None:
                existing = len(citations) + 1
                citations.append(_citation(existing, by_chunk.get(ev.chunk.id, ScoredChunk(ev.chunk, 0)).chunk,
                                           quote))
            numbers.append(existing)
        marks = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
        if routed.calculation is None or routed.error:
            text = f"{routed.error} {marks}".strip() if marks else routed.error
            return Answer(q.text, text, declined=not marks, citations=tuple(citations))
        calc = routed.calculation
        operands = tuple(Operand(o.value, o.unit, numbers[i] if i < len(numbers) else None, o.label)
                         for i, o in enumerate(calc.operands))
        calc = Calculation(calc.operation, calc.expression, calc.result, calc.unit, operands)
        text = f"{routed.summary} {marks} Working: {calc.expression}. {marks}"
        return Answer(q.text, text, declined=False, citations=tuple(citations), calculations=(calc,))


def _mentions_two_periods(text: str) -> bool:
    return len(set(re.findall(r"\b(?:19|20)\d{2}\b", text))) >= 2


def _restate(question: str) -> str:
    # The question is not echoed back: it may carry a false figure or an injected instruction.
    return "what this question asks: no passage in the reports supports an answer."


def _best_clauses(text: str, terms: set[str]) -> tuple[int, int]:
    """Offsets of the clause window of a long sentence that covers most question terms."""
    cuts = [0] + [m.end() for m in re.finditer(r"[,;:]\s+|\s+(?:and|but|which|while|although)\s+", text)] + [len(text)]
    best, span = -1.0, (0, len(text))
    for i in range(len(cuts) - 1):
        for j in range(i + 1, len(cuts)):
            start, end = cuts[i], cuts[j]
            if end - start > LONG_QUOTE:
                break
            piece = text[start:end]
            score = len(_stems(piece) & terms) + 0.001 * len(piece)
            if score > best and end - start >= 40:
                best, span = score, (start, end)
    start, end = span
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip(" ,;:"))


def _citation(n: int, chunk: Chunk, quote: str) -> Citation:
    m = chunk.meta
    return Citation(n, chunk.id, chunk.doc_id, str(m.get("title") or chunk.doc_id), chunk.page, quote,
                    m.get("url"), m.get("publisher"), m.get("published"), chunk.text)


def _compose(question: str, chosen: list[Candidate], premise: list[str]) -> Answer:
    citations, parts = [], []
    terms = {stem(t) for t in re.findall(r"[a-z0-9]+", question.lower())}
    if premise:
        parts.append("The corpus does not support the figure given in the question; here is what it says.")
    for c in chosen:
        quote = c.text
        if len(quote) > LONG_QUOTE:
            s, e = _best_clauses(quote, terms)
            quote = quote[s:e]
        n = len(citations) + 1
        citations.append(_citation(n, c.chunk.chunk, quote))
        shown = quote if quote == c.text else _elide(c.text, quote)
        parts.append(f"{shown} [{n}]")
    return Answer(question, " ".join(parts), declined=False, citations=tuple(citations))


def _elide(sentence: str, quote: str) -> str:
    """The quoted clauses of a long sentence, with ellipses where words were left out."""
    start = sentence.find(quote)
    lead = "…" if start > 0 else ""
    tail = "" if start + len(quote) >= len(sentence) - 1 else "…"
    shown = f"{lead}{quote}{tail}"
    return shown if tail or shown.endswith((".", "!", "?")) else shown + "."


def _decline(question: str, text: str, nearest: list[Candidate]) -> Answer:
    near = tuple(_citation(i + 1, c.chunk.chunk, c.text) for i, c in enumerate(nearest))
    return Answer(question, text, declined=True, nearest=near)


def _unsupported_figures(question: str, chunks: list[ScoredChunk]) -> list[str]:
    """Money and percentage figures in the question that no retrieved passage states."""
    from assistant.figures import extract_figures

    asked = [f for f in extract_figures(question) if f.unit in ("GBP", "percent")]
    if not asked:
        return []
    stated = [f for sc in chunks for f in extract_figures(sc.chunk.text)]
    values = {(f.unit, v) for f in stated for v in (f.value, f.low, f.high) if v is not None}
    return [f.raw for f in asked if all((f.unit, v) not in values for v in (f.value, f.low, f.high) if v is not None)]
