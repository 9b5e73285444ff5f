"""The grounded answerer: deterministic, no LLM. It scores every sentence of the retrieved passages with a
model fitted on the tuning set (`params.json`, refitted by `python -m evals.fit`), answers with the sentence
most likely to answer (and a close runner-up that adds something), and declines when no sentence is likely
enough. A calculation question is routed to the calculators; a comparison quotes each named report.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

from assistant.answer import features as F
from assistant.answer.citations import decline, make_citation
from assistant.config import Settings
from assistant.query.analysis import Question, analyse, asked_periods, previous_question, question_parts
from assistant.query.reports import naming_words
from assistant.text.patterns import (ASKS_KNOWN, CODE, EVIDENCE, YEAR, contrasts, name_initials, period_met,
                                     periods, shows)
from assistant.text.sentences import split_clauses
from assistant.text.terms import initialisms, stems, tokens
from assistant.types import Answer, Calculation, Operand, ScoredChunk

PARAMS_FILE = Path(__file__).with_name("params.json")
NOT_SUPPORTED = "The corpus does not say what this question asks: no passage in the reports supports an answer."
NOT_KNOWN = "The reports do not give this: the passage closest to the question says it is not known (quoted below)."
NOT_HELD = "The library holds no {report}, so I cannot say what it says; the documents list shows the reports held."
NO_SUCH = ("The corpus does not say what this question asks: the passages closest to it give no {kind} for it "
           "(quoted below).")
OTHER = ("The corpus does not say what this question asks: the passage closest to it is about {other}, not {asked} "
         "(quoted below).")


@lru_cache(maxsize=4)
def load_params(path: str = str(PARAMS_FILE)) -> dict[str, Any]:
    """The fitted parameters: feature weights, decline threshold, runner-up ratio, sentences embedded."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {**raw, "weights": dict(zip(raw["features"], raw["weights"]))}
    if raw.get("decline_weights"):
        out["decline_weights"] = dict(zip(raw["question_features"], raw["decline_weights"]))
    if raw.get("rank_weights"):
        out["rank_weights"] = dict(zip(raw["features"], raw["rank_weights"]))
    return out


class _DocStems:
    """The stems of each chunk of a document, cached (bounded, LRU) and checked against the document's chunk
    ids so a re-ingested document is read again. Why by hand: term rarity is weighed within the reports a
    question retrieves, and counting through FTS would visit every chunk of a large library. Its size is not
    a Settings field: it bounds memory and changes no answer (an evicted document is read again)."""

    def __init__(self, catalog, size: int = 256):
        self.catalog, self.size, self.data = catalog, size, OrderedDict()
        self.lock = threading.Lock()

    def get(self, doc_ids: list[str]) -> list[frozenset[str]]:
        return [s for hit in self._read(doc_ids) for s in hit[1]]

    def initials(self, doc_ids: list[str]) -> set[str]:
        """The initials of the documents' runs of words ("nhs" for "National Health Service"), what an abbreviation a
        question coins could stand for, and the stems of their titles and publishers."""
        return set().union(*(hit[3] for hit in self._read(doc_ids)))

    def links(self, doc_ids: list[str]) -> list[tuple[str, frozenset[str]]]:
        """The abbreviations the documents define, as stem links (see assistant/text/abbreviations.py)."""
        return list(dict.fromkeys(link for hit in self._read(doc_ids) for link in hit[2]))

    def words(self, doc_ids: list[str]) -> Counter:
        """The documents' words (lower case, body names folded, as questions' terms are) with their counts."""
        out: Counter = Counter()
        for hit in self._read(doc_ids):
            out.update(hit[4])
        return out

    def _read(self, doc_ids: list[str]) -> list[tuple]:
        from assistant.text.abbreviations import bridges, definitions

        out = []
        for d, ids in self.catalog.chunk_ids_of(doc_ids).items():
            with self.lock:
                hit = self.data.get(d)
            if hit is None or hit[0] != ids:
                texts = self.catalog.chunk_texts(d)
                meta = self.catalog.document(d) or {}
                defined = definitions("\n\n".join(t for _, t in texts))
                # A strategy the manifest names ("Next Generation Shared Services 2012") is abbreviated by its
                # initials ("NGSS") as a name the text defines is: what users write for it.
                for name in meta.get("strategy") or []:
                    short = name_initials(str(name))
                    if len(short) >= 3:
                        defined.setdefault(short.upper(), YEAR.sub(" ", str(name)).strip())
                links = tuple(bridges(defined))
                about = " ".join(str(x) for x in [meta.get("title"), meta.get("publisher"),
                                                  *(meta.get("strategy") or [])]
                                 if x)  # what the report is called and who published it: a report is named by both
                hit = (tuple(i for i, _ in texts), [frozenset(stems(t)) for _, t in texts], links,
                       frozenset().union(stems(about), initialisms(about), *(initialisms(t) for _, t in texts)),
                       Counter(w for _, t in texts for w in tokens(t)))
            with self.lock:
                self.data[d] = hit
                self.data.move_to_end(d)
                while len(self.data) > self.size:
                    self.data.popitem(last=False)
            out.append(hit)
        return out


class MeaningMatch:
    """Scores sentences against a phrase by meaning (cosine of MiniLM vectors): how the calculators find an
    operand that the question words differently from the report. A sentence's vector is the one stored at
    ingestion when there is one, else it is embedded now. `floor` is the least score that counts."""

    def __init__(self, embedder, vectors: F.VectorCache, floor: float, catalog=None):
        self.embedder, self.vectors, self.floor, self.catalog = embedder, vectors, floor, catalog

    def __call__(self, phrase: str, sentences: list[tuple[str, int, str]]) -> list[float]:
        import numpy as np

        q = np.asarray(self.embedder.embed_query(phrase), dtype=np.float32)
        stored = self.catalog.sentence_vectors({c for c, _, _ in sentences}) if self.catalog is not None else {}
        missing = [t for c, s, t in sentences if (c, s) not in stored]
        fresh = dict(zip(missing, self.vectors.get(missing))) if missing else {}
        out = []
        for c, s, t in sentences:
            raw = stored.get((c, s))
            v = np.frombuffer(raw, dtype=np.float32) if raw else np.asarray(fresh[t], dtype=np.float32)
            out.append(float(v @ q))
        return out


class GroundedAnswerer(Runnable[dict, Answer]):
    """A `Runnable` from {"question", "history", "chunks", "analysis", "targets", "named_targets"} to an `Answer`."""

    def __init__(self, embedder, catalog=None, params: dict[str, Any] | None = None,
                 settings: Settings | None = None, query_vector=None):
        self.embedder = embedder
        self.settings = settings or Settings()
        # The retriever's cached query embedding when given: the question was just embedded to search.
        self._query_vector = query_vector or embedder.embed_query
        self.catalog = catalog
        self.params = params or load_params()
        self._vectors = F.VectorCache(embedder)
        self._meaning = MeaningMatch(embedder, self._vectors, self.settings.operand_min_similarity, catalog)
        self._doc_stems = _DocStems(catalog) if catalog is not None else None

    @cached_property
    def words(self):
        """Static word vectors of the settings' model (distilled on first use; see assistant/store/wordvectors)."""
        from assistant.store.wordvectors import make_word_vectors

        return make_word_vectors(self.settings)

    # -- the contract ----------------------------------------------------------------------------------
    def invoke(self, input: dict, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        question = input["question"]
        chunks: list[ScoredChunk] = list(input.get("chunks") or [])
        q: Question = input.get("analysis") or analyse(question, input.get("history"))
        targets = tuple(input.get("targets") or ())
        if not q.clean:
            return decline(question, "The question only gives instructions; I answer from the sources alone, "
                                     "so please ask about the reports.")
        if not chunks:
            return decline(question, "The corpus does not say: no passage matches the question.")
        unheld = tuple(input.get("unheld") or ())
        if unheld:  # "What did the 2019 PAC report recommend?" with no such report: another report is no answer
            return decline(question, NOT_HELD.format(report=" or the ".join(unheld)))
        routed = self._calculation(q, chunks, input.get("history"))
        if routed is not None and not routed.declined:
            return routed
        cell = _table_cell(q, chunks) if routed is None else None
        if cell is not None:
            return cell
        cands = self.candidates(q, chunks, targets)
        # A comparison of reports the question names (by year, body or strategy) is answered when the question is
        # answerable or one of them has a sentence likely to answer by itself ("Who won the 2018 World Cup?" names
        # a report of 2018 and is declined). Reports drawn in without being named ("Forget the reports. What is
        # the capital of France?") earn no such allowance: the decline model alone decides.
        named = tuple(input.get("named_targets") or ())
        if cands and len(targets) >= 2 and len(named) >= 2 and max(
                (c.p for c in cands if c.doc_id in named), default=0.0) >= self.params["threshold"]:
            return self._compare(question, q, chunks, cands, targets)
        if not cands or not self.answerable(cands, q):
            reason = routed.text if routed is not None else (
                NOT_KNOWN if cands[:1] and cands[0].f.get("unknown") else NOT_SUPPORTED)
            return decline(question, reason, self._nearest(cands))
        if len(targets) >= 2:
            return self._compare(question, q, chunks, cands, targets)
        if cands[0].f.get("unknown"):
            # the sentence most likely to answer says that what is asked is not known: quoting it as the answer
            # would give a gap as a fact ("640 depots will need new connections, but it has no reliable estimate
            # of the total cost" for "What is the estimated total cost?"), so it is quoted with a decline
            return decline(question, NOT_KNOWN, self._nearest(cands))
        whole = _heading_list(q, cands, self.settings, self.catalog) or self.expand(q, cands[0])
        chosen = self._choose(q, cands, whole)
        missing = _type_missing(q, self._answering(q, chosen, whole)) or _unmet(q, chosen)
        if missing:
            # "Which four water companies had to restate their figures?" quoted "4 companies had not followed the
            # method": the sentences that match best hold no answer of the kind asked for, so none is given.
            return decline(question, NO_SUCH.format(kind=missing), self._nearest(cands))
        other = self._contrasted(q, chosen)
        if other is not None:
            return decline(question, OTHER.format(asked=other[0], other=other[1]), self._nearest(cands))
        chosen = _continued(q, chosen, self.catalog)
        rival = _disagreeing(chosen[0], self._runners_up(cands), self.params["threshold"])
        if rival is not None:
            return _disagreement(question, q, chosen[0], rival, self.settings)
        return _compose(question, q, chosen, _unsupported_figures(q.clean, chunks), self.settings)

    def _answering(self, q: Question, chosen: list[F.Candidate], whole: list[F.Candidate]) -> list[F.Candidate]:
        """The quoted sentences that could hold the answer's kind (a name, an amount): the best with what it brings
        (`whole`: a list's items, its reason), and a runner-up only where the fitted model finds it likely to answer
        by itself. A runner-up quoted for the words it adds shows a name or a figure by the way ("Which trust had
        the backlog?" quoted a sentence naming a security standard), and that is no answer. A question asking for
        two kinds ("who bought it and for how much?") is answered by two sentences, each likely enough to answer
        by the decline model's measure: the second is not expected to answer the whole question by itself."""
        brought = {c.key for c in whole}
        floor = self.params["threshold"] if len(q.types) < 2 else self.params["decline_threshold"]
        return [c for c in chosen if c.key in brought or c.p >= floor]

    def _contrasted(self, q: Question, chosen: list[F.Candidate]) -> tuple[str, str] | None:
        """"What was the error rate for birth entries?" is not answered by "The error rate for marriage entries was
        4.9%" in a report that lists births and marriages as one kind of thing (`patterns.contrasts`): what the best
        sentence says is of the other one, and no sentence quoted names the one asked about. Returns (the word asked
        about, the sentence's), or None."""
        if self.catalog is None or not chosen:
            return None
        best = chosen[0]
        found = contrasts(q.clean, best.text, lambda: self.catalog.document_text(best.doc_id))
        if found is None or stems(found[0]) <= stems(" ".join(c.text for c in chosen)):
            return None
        return found

    def answerable(self, cands: list[F.Candidate], q: Question | None = None) -> bool:
        """Whether the best sentences are likely enough to answer: not when the question names something no
        retrieved report names, nor when the best speaks of another period than asked; else the fitted decline
        model when there is one, else the best sentence's probability against the threshold."""
        if cands[0].f.get("name_absent"):
            # The question names something ("Crossrail", "HS2") that no retrieved report names at all: what they say
            # is about something else, however well the other words match.
            return False
        if cands[0].f.get("period_other"):
            # The best sentence speaks of another period than the one asked about, and its passage never names
            # that one: the figure for 2019-20 does not answer for 2023-24, however well its words match.
            return False
        model = self.params.get("decline_weights")
        if model:
            return F.probability(F.question_features(cands, q), model) >= self.params["decline_threshold"]
        return max(c.p for c in cands) >= self.params["threshold"]

    def _nearest(self, cands: list[F.Candidate]) -> list[tuple]:
        """The passages quoted with a declined answer: its best sentences."""
        return [(c.chunk.chunk, c.text) for c in cands[: self.settings.answer_nearest_shown]]

    def _runners_up(self, cands: list[F.Candidate]) -> list[F.Candidate]:
        """The sentences ranked just after the best, where a second sentence to quote is looked for."""
        return cands[1: 1 + self.settings.answer_runner_up_window]

    def vocabulary(self, doc_ids: list[str]) -> Counter:
        """The words of these reports with their counts (what a slip in a question is read against)."""
        return self._doc_stems.words(doc_ids) if self._doc_stems is not None else Counter()

    # -- scoring ---------------------------------------------------------------------------------------
    def candidates(self, q: Question, chunks: list[ScoredChunk], targets: tuple[str, ...] = ()) -> list[F.Candidate]:
        """Every sentence of the passages with its features and probability of answering, best first."""
        s = self.settings
        cands = F.sentences(chunks, s)
        if not cands:
            return []
        terms = list(q.terms) + list(q.context_terms)
        docs = list(dict.fromkeys(c.doc_id for c in cands))
        scope = self._doc_stems.get(docs) if self._doc_stems else []
        links = self._doc_stems.links(docs) if self._doc_stems else []
        initials = self._doc_stems.initials(docs) if self._doc_stems else set()
        rarity = F.idf(terms, scope or [frozenset(F.stems(sc.chunk.text)) for sc in chunks])
        # The words that name a report ("the NAO levy report", "the PAC's review") chose the report; in its sentences
        # they match what a report says of itself ("Press notices and reports are available on the NAO website"),
        # not what is asked of it, so they count for less. A year is no such word: it dates what is asked.
        naming = {w for w in naming_words(q.clean) if not YEAR.fullmatch(w)}
        weights = {t: w * (s.answer_context_term_weight if t in q.context_terms else 1.0)
                   * (s.answer_naming_term_weight if t in naming else 1.0) for t, w in rarity.items()}
        F.lexical(cands, q, weights, scope, links, s, initials)
        F.soft(cands, weights, self.words)
        F.shape(cands, q, targets, s)
        # The sentences worth embedding: the most promising by the cheap evidence (embedding is the main cost).
        cheap = sorted(cands, key=lambda c: -(
            s.answer_prerank_lex_weight * c.f["lex"] + s.answer_prerank_lex_ctx_weight * c.f["lex_ctx"]
            + s.answer_prerank_chunk_sim_weight * c.f["chunk_sim"] + s.answer_prerank_type_weight * c.f["type_hit"]
            + s.answer_prerank_rank_weight * c.f["chunk_rrank"]))
        pool = cheap[: int(self.params["pool"])]  # 0: the stored sentence vectors alone
        qv = self._query_vector(" ".join([q.clean, *q.context_terms]))
        if pool:
            F.dense(pool, qv, self._vectors.get([c.text for c in pool]))
        if self.catalog is not None:
            F.late(cands, qv, self.catalog.sentence_vectors({c.chunk.chunk.id for c in cands}))
        for c in cheap[len(pool):]:  # not embedded: the stored sentence vector's similarity stands in
            c.f["dense"] = c.f.get("late", c.f["chunk_sim"])
        F.finish_dense(cands)
        ranking = self.params.get("rank_weights") or self.params["weights"]
        for c in cands:
            F.interactions(c)
            c.p = F.probability(c.f, self.params["weights"])
            c.rank = F.linear(c.f, ranking)
        cands.sort(key=lambda c: -c.rank)
        # A reference code the question quotes ("who sent written evidence CRM0003?") that one sentence alone holds
        # makes the question a look-up: that sentence (the entry "3 Society of Genealogists (CRM0003)") goes first,
        # and the other entries of its list (other codes alone) last, since they are not what is asked
        codes = set(CODE.findall(q.clean))
        holding = [c for c in cands if codes & set(CODE.findall(c.text))] if codes else []
        if len({c.text for c in holding}) == 1:
            cands.sort(key=lambda c: (c not in holding, bool(CODE.search(c.text)) and c not in holding))
        return cands

    def expand(self, q: Question, best: F.Candidate) -> list[F.Candidate]:
        """What is quoted when `best` is the chosen sentence, before any runner-up: a sentence that announces a
        list with the list's items; an item of a list asked for with its announcer and the other items; for "why",
        a sentence without a reason with the first of the next few that gives one, where reports explain (else
        the next). Else `best` alone. The tuning fit labels a sentence by what this quotes, so a list's announcer
        is learnt as the answer it leads to."""
        items = _list_items(q, best, self.settings, self.catalog)
        if items:
            return [best, *items]
        whole = _list_of(q, best, self.settings, self.catalog)
        if whole:
            return whole
        before = _reason_before(q, best)
        if before:
            return [*before, best]
        reason = _reason_after(q, best, self.settings, self.catalog)
        return [best, *reason]

    def _choose(self, q: Question, cands: list[F.Candidate],
                whole: list[F.Candidate] | None = None) -> list[F.Candidate]:
        """The best sentence, and a runner-up of the same report that shows the kind of answer asked for, where
        the ranking model can hardly tell the two apart or where it brings something asked that the best lacks: the
        second-ranked sentence is often the one that answers, and a question's answer often spans two sentences
        ("the revised cost and end date"). How far below the best's ranking score the runner-up may be
        (`second_gap`), and how likely it must be, as a share of the best's probability (`second_ratio`), are fitted
        on the tuning set; one bringing what is lacking comes before one that only ranks close, and the answer keeps
        the ranking's order. A runner-up that speaks only of another period than asked is never quoted. A best sentence
        that announces a list ("The NAO highlights three risks.") is followed by the list's items, and so is a
        runner-up that announces one it counts or marks ("We see four main risks:").
        `whole`: what `expand` gives for the best sentence, when the caller has it already."""
        best = cands[0]
        whole = self.expand(q, best) if whole is None else whole
        if len(whole) > 1 and not _reason_wanting(q, best, whole, self._runners_up(cands)):
            return whole
        fallback = whole  # for "why", the sentence after the best, if no runner-up giving a reason is quoted
        chosen = [best]
        ratio, gap = self.params["second_ratio"], self.params.get("second_gap", 0.0)
        # What the question asks that the best lacks: a kind of answer it asks for that the best does not show
        # ("when will it finish, who is its director ...?"); a period it names that the best does not ("leakage in
        # 2019-20, and where had it got to by 2022-23?"); in a question of several parts ("how much did they need,
        # and how much did the Treasury approve?"), its words the best does not hold. A runner-up bringing one is
        # quoted however far below the best it ranks, as is one announcing a list of what is asked.
        lacking_types = {t for t in q.types if not shows(t, best.text, q.clean)}
        parts = question_parts(q.clean)
        several = parts > 1
        lacking_words = stems(" ".join(q.terms)) - stems(best.text) if several else set()
        asked = asked_periods(q.clean)
        lacking_periods = {a for a in asked if not period_met(a, periods(best.text))} if len(asked) > 1 else set()
        limit = 2 * self.settings.answer_quote_max_chars  # what the answer quotes, together, within two long quotes
        table = best.chunk.chunk.meta.get("table")
        caption = table if isinstance(table, str) else ""
        # The runner-ups that could follow the best at all, each with the periods it names (what follows does not
        # depend on what is chosen, so it is worked out once for both passes below)
        pool = []
        for c in self._runners_up(cands):
            if c.doc_id != best.doc_id or c.p < ratio * best.p or c.text in best.text or best.text in c.text:
                continue
            if c.text.strip() and c.text.strip() in caption:
                continue  # the caption of the best's table: a quoted row is shown with its caption already
            if q.types and not any(shows(t, c.text) for t in q.types):
                # "how much" wants an amount: a runner-up without one adds nothing asked for. Evidence the question
                # holds counts here ("what is its budget in 2023?" is answered by "the budget rose in 2023 to ...")
                continue
            named = periods(c.text) if asked else set()
            if named and not several and not any(period_met(a, named) for a in asked):
                # it speaks of another period only: "£41 million in 2019-20" is no answer for 2021-22 (in a question
                # of several parts a period may date one part: "when will it finish, ... its budget in 2023?")
                continue
            pool.append((c, named))
        # First the runner-ups that bring what is lacking, then those the model can hardly tell from the best: a
        # second sentence that only repeats the best ("the Treasury approved £300 million") must not take the place
        # that another part of the question needs
        for c, named, close_ok in [(c, named, ok) for ok in (False, True) for c, named in pool]:
            # a question of several parts has room for a sentence more for each part after the first, for the
            # sentences that bring what it asks
            if len(chosen) >= self.settings.answer_max_sentences + (0 if close_ok else parts - 1):
                continue
            if any(c is x for x in chosen) or sum(len(x.text) for x in chosen) + len(c.text) > limit:
                continue
            # Within `second_gap` of the best's ranking score the model cannot tell which of the two answers. It
            # replaced a rule that quoted any runner-up bringing question words the best lacks: on the tuning set
            # that rule was no more often right, and its answers were longer.
            new_types = {t for t in lacking_types if shows(t, c.text, q.clean)}
            new_periods = {a for a in lacking_periods if period_met(a, named)}
            new_words = lacking_words & stems(c.text) if lacking_words else set()
            close = close_ok and best.rank - c.rank <= gap
            if new_types or new_periods or new_words or c.f.get("list_lead") or close:
                # A runner-up that announces a list ("We see four main risks:") is quoted with its items, never left
                # hanging on its colon; only a list it counts or marks, since a colon also opens a quotation.
                items = _list_items(q, c, self.settings, self.catalog, strict=True)
                if items:
                    return [*chosen, c, *items]
                chosen.append(c)
                lacking_types -= new_types
                lacking_periods -= new_periods
                lacking_words -= new_words
        if len(chosen) == 1 and len(fallback) > 1:
            return fallback
        return [best, *sorted(chosen[1:], key=lambda x: -x.rank)]

    def _compare(self, question: str, q: Question, chunks: list[ScoredChunk], cands: list[F.Candidate],
                 targets: tuple[str, ...]) -> Answer:
        """One sentence from each named report, or a line saying which report is silent. The sentences are
        chosen on what the question asks of the reports, without the words that name them ("the 2018 NAO
        review"): those chose the reports, and in them they match front matter ("Report by the Comptroller and
        Auditor General … 24 May 2018"), not the answer."""
        naming = naming_words(q.clean)
        asked = tuple(t for t in q.terms if t not in naming)
        if naming and asked and asked != q.terms:
            q = replace(q, terms=asked)
            cands = self.candidates(q, chunks, targets)
        picks, silent = [], []
        floor = self.settings.answer_compare_floor * self.params["threshold"]
        when = {c.doc_id: str(c.chunk.chunk.meta.get("published") or c.chunk.chunk.meta.get("year") or "")
                for c in cands}
        for d in targets:
            own = [c for c in cands if c.doc_id == d]
            # A later report restating an earlier one's figure ("In December 2022 the NAO reported a forecast of
            # £312 million") says what the other report said, not what it finds: where one of its sentences likely
            # enough to answer states an amount of its own, or none, the restating ones are passed over.
            earlier = [e for e in targets if e != d and when.get(e, "") < when.get(d, "")]
            if earlier and self.catalog is not None:
                from assistant.store.figures import amounts

                said = amounts(self.catalog.db, earlier, _AMOUNTS)
                money = {(u, v) for u, v, _ in said if u == "GBP"}
                fresh = [c for c in own if not _restates(c.text, said, money)]
                if fresh and len(fresh) < len(own) and max(self._known_p(c) for c in fresh) >= floor:
                    own = fresh
            # In a comparison a report's saying it does not know ("it does not know how much implementation has
            # cost") is its answer: it counts as it would without that evidence of a gap.
            if own and max(self._known_p(c) for c in own) >= floor:
                picks.extend(self._choose(q, own))
            else:
                silent.append(d)
        if not picks:
            return decline(question, NOT_SUPPORTED, self._nearest(cands))
        answer = _compose(question, q, picks, [], self.settings)
        if silent:
            titles = {c.doc_id: str(c.chunk.chunk.meta.get("title") or c.doc_id) for c in cands}
            names = ", ".join(titles.get(d, d) for d in silent)
            answer = Answer(answer.question, f"{answer.text} {names}: no passage on this was found.",
                            declined=False, citations=answer.citations)
        return answer

    def _known_p(self, c: F.Candidate) -> float:
        """The sentence's probability of answering, leaving out that it says something is not known."""
        if not c.f.get("unknown"):
            return c.p
        return F.probability({**c.f, "unknown": 0.0}, self.params["weights"])

    # -- calculations --------------------------------------------------------------------------------
    def _calculation(self, q: Question, chunks: list[ScoredChunk], history) -> Answer | None:
        """A calculation's answer, a declined one saying which figure is missing, or None (not a calculation)."""
        if "reason" in q.types or (q.types and set(q.types) <= {"name", "person"}):
            # "what two reasons explain the rise in the average cost?" asks why, and "which three companies made
            # up the shortfall?" asks who: neither asks for a figure worked out
            return None
        from assistant.calc.routing import route_calculation
        from assistant.query.safety import withhold_instructions  # no operand from a sentence aimed at an AI
        from assistant.store.figures import stored_figures  # the figures found at ingestion, not found again

        context = previous_question(history) if q.context_terms else None
        figures = None if self.catalog is None else (lambda cs: stored_figures(self.catalog.db, cs))
        routed = route_calculation(q.clean, [withhold_instructions(sc.chunk) for sc in chunks], context=context,
                                   similar=self._meaning, figures=figures, settings=self.settings)
        if routed is None:
            return None
        citations, numbers = [], []
        for ev in routed.evidence:
            quote = ev.quote if ev.quote in ev.chunk.text else ev.chunk.text
            n = next((c.n for c in citations if c.chunk_id == ev.chunk.id and c.quote == quote), None)
            if n is None:
                n = len(citations) + 1
                citations.append(make_citation(n, ev.chunk, quote))
            numbers.append(n)
        marks = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
        if routed.calculation is None or routed.error:
            nearest = [(ev.chunk, ev.quote) for ev in routed.evidence]
            return decline(q.text, routed.error or NOT_SUPPORTED, nearest)
        calc = routed.calculation
        operands = tuple(Operand(o.value, o.unit, numbers[i] if i < len(numbers) else None, o.label)
                         for i, o in enumerate(calc.operands))
        calc = Calculation(calc.operation, calc.expression, calc.result, calc.unit, operands)
        text = f"{routed.summary} {marks} Working: {calc.expression}. {marks}"
        return Answer(q.text, text, declined=False, citations=tuple(citations), calculations=(calc,))


def _table_cell(q: Question, chunks: list[ScoredChunk]) -> Answer | None:
    """A question asking for one figure of a table set out with spaces, by its row and its year ("How many
    kilometres of managed realignment were completed in 2022-23?"), answered with that cell, the row quoted (its
    citation shows the table, so the year each figure is under can be checked); None for any other question. Not
    for a question asking why, who, when or which: a row holds figures only."""
    from assistant.calc.series import cell_asked

    if set(q.types) & {"reason", "person", "name", "date", "duration"}:
        return None
    found = cell_asked(q.clean, [sc.chunk for sc in chunks])
    if found is None:
        return None
    row, period, value = found
    text = f"In {period}, “{row.label}” was {value}. [1]"
    return Answer(q.text, text, declined=False, citations=(make_citation(1, row.chunk, row.line),))


# The kinds of figure a report restates from another: sums of money, counts and percentages (a year or a date
# places a statement in time and is shared by reports that say different things)
_AMOUNTS = ("GBP", "count", "percent")


def _restates(text: str, said: set, money: set) -> bool:
    """Whether the sentence states an amount and every amount it states is an earlier report's: a sum of money by
    its value (`money`: (unit, value)), a count or a percentage by its value and what it measures (`said`: (unit,
    value, measure); "five delivery clusters" restates no "five departments")."""
    from assistant.text.figures import extract_figures

    own = {(f.unit, f.value, f.measure) for f in extract_figures(text) if f.unit in _AMOUNTS}
    return bool(own) and all((u, v) in money if u == "GBP" else (u, v, m) in said for u, v, m in own)


def _type_missing(q: Question, chosen: list[F.Candidate]) -> str | None:
    """The kind of answer the question asks for (an amount, a name, ...) when none of the sentences to quote shows
    one the question does not already hold, and its evidence is exact enough to decline on; else None. A question
    whether something is known ("Does the department know how much ...?") is answered by a sentence saying it
    is not, which shows no amount."""
    exact = [t for t in q.types if t in EVIDENCE and t not in F.INCOMPLETE_TYPES]
    if not exact or ASKS_KNOWN.search(q.clean):
        return None
    # "by how much did leakage rise?" is answered by "96 Ml/d": an amount in any unit, a number that is not a year
    shown = {*q.types, *(("count",) if "amount" in q.types else ())}
    if any(shows(t, c.text, q.clean) for c in chosen for t in shown):
        return None
    return exact[0]


def _unmet(q: Question, chosen: list[F.Candidate]) -> str | None:
    """The period a question asks about ("spend in 2019-20") when the sentences to quote name it nowhere in their
    passages, titles or years of publication: the figure of another period is no answer. Else None. (The things a
    "how many" question counts, matched by their words near a figure, were declined on too, and not kept: on the
    validation set that declined an answerable question and no unanswerable one, since a count is often worded
    otherwise than the question words it.)"""
    asked = asked_periods(q.clean)
    if asked:
        named: set[str] = set()
        for c in chosen:
            ch = c.chunk.chunk
            named |= periods(" ".join([str(ch.meta.get("title") or ""), str(ch.meta.get("year") or ""),
                                       ch.section or "", ch.text]))
        if not any(period_met(p, named) for p in asked):
            return " or ".join(sorted(asked)) + " figure"  # "... give no 2019-20 figure for it"
    # "the years after 2024-25" asks beyond a period that "£300 million for the period up to 2024-25" only reaches:
    # where the sentences to quote name that period only as an end ("up to", "until", "by") and no later one, they
    # say nothing of the time after it (English prepositions of time, not any report's wording)
    for m in _AFTER.finditer(q.clean):
        end = m.group(1)
        quoted = " ".join(c.text for c in chosen)
        later = any(int(p[:4]) > int(end[:4]) for p in periods(quoted))
        ends = len(re.findall(rf"\b(?:up to|until|till|to|by|before)\s+(?:the end of\s+)?(?:\w+\s+)?"
                              rf"{re.escape(end)}", quoted))
        if not later and ends and ends == quoted.count(end):
            return f"figure after {end}"
    return None


_AFTER = re.compile(r"\b(?:after|beyond)\s+((?:19|20)\d\d(?:-\d\d)?)\b", re.I)


def _following(best: F.Candidate, catalog=None) -> list[F.Candidate]:
    """The sentences after `best` in its passage (none addressed to an answerer), as candidates to quote; with
    the catalog, carried on into the next passage of its page, where a list announced at the end of a passage
    continues."""
    out = [c for c in _passage(best) if c.start >= best.end]
    nxt = catalog.next_chunk(best.chunk.chunk) if catalog is not None else None
    if nxt is not None:
        # Passages overlap by a sentence: the next one's sentences that start after the last one taken
        done = best.chunk.chunk.char_start + (out[-1].end if out else best.end)
        first = F.Candidate(ScoredChunk(nxt, best.chunk.score), best.passage_rank, 0, 0, "")
        out += [c for c in _passage(first) if nxt.char_start + c.start >= done]
    return out


# A list announced without a count ("The NAO recommends several measures to ensure ...") and set out in the sentence
# after it, which says what the list holds ("These include ..."). English's quantifiers and the verbs that open a
# list's contents, not any report's wording; a counted or colon-led list is `_list_items`'s.
_UNCOUNTED = re.compile(r"\b(?:several|various|many|some|a (?:number|range|series|set) of)\s+(?:[a-z-]+\s+)?"
                        r"[a-z-]+s\b", re.I)
_CONTENTS = re.compile(r"^\W*(?:These|They|Those)\s+(?:include[ds]?|comprise[ds]?)\b")


def _continued(q: Question, chosen: list[F.Candidate], catalog=None) -> list[F.Candidate]:
    """The quoted sentences, each that announces an uncounted list of something asked followed by the sentence that
    sets the list out: "The NAO recommends several measures to ensure the transition ... is a success." quoted alone
    says that there are recommendations, not what they are. Only an announcer holding a word of the question other
    than those naming a report (an announcer quoted for "NAO" alone announces what was not asked)."""
    asked = stems(" ".join(q.terms)) - stems(" ".join(naming_words(q.clean)))
    out = list(chosen)
    for c in chosen:
        if not _UNCOUNTED.search(c.text) or not stems(c.text) & asked:
            continue
        after = _following(c, catalog)[:1]
        if after and _CONTENTS.match(after[0].text) and all(after[0].text != x.text for x in out):
            out.insert(out.index(c) + 1, after[0])
    return out


def _passage(best: F.Candidate) -> list[F.Candidate]:
    """The sentences of `best`'s passage (none addressed to an answerer), in order, as candidates to quote."""
    from assistant.query.safety import is_instruction
    from assistant.text.sentences import split_sentences

    return [F.Candidate(best.chunk, best.passage_rank, s.start, s.end, s.text)
            for s in split_sentences(best.chunk.chunk.text) if not is_instruction(s.text)]


def _list_of(q: Question, best: F.Candidate, settings: Settings, catalog=None) -> list[F.Candidate]:
    """When the best sentence is an item of a list asked for ("First, splitting the service creates new hand-offs"
    after "The NAO highlights three risks."), the sentence that announces the list and all its items; else []."""
    before = [c for c in _passage(best) if c.end <= best.start][-settings.answer_list_max_items:]
    for announcer in reversed(before):
        items = _list_items(q, announcer, settings, catalog)
        if items and any(i.start == best.start for i in items):
            return [announcer, *items]
    return []


def _list_items(q: Question, best: F.Candidate, settings: Settings, catalog=None,
                strict: bool = False) -> list[F.Candidate]:
    """The items of a list the best sentence announces: it ends with a colon, or it ends by counting things the
    question names ("three risks", "5 recommendations"), and the sentences after it in its passage are the items, as
    many as it counts (at most `answer_list_max_items`). Structure, not wording: any list a report introduces
    this way. `strict`: only a list the sentence counts or whose items are marked ("- ", "(a)"); a colon alone
    may open a quotation ("Harriet Crewe MP, Chair of the Committee, said:") or a table's rows."""
    from assistant.text.figures import WORD_VALUES
    from assistant.text.patterns import announced

    max_items, short = settings.answer_list_max_items, settings.answer_list_short_chars
    text = best.text.rstrip()
    wanted = stems(" ".join(q.terms)) | F.asked_nouns(q)
    count = None
    for number, noun in announced(text, short, settings.answer_list_tail_words):
        # the sentence ends on what it counts ("...highlights three risks.", "...made 5 recommendations:"), so
        # it names a list rather than mentioning a number in passing ("...support these three clusters to...")
        if stems(noun) & wanted:
            n = number.lower()
            count = int(n) if n.isdigit() else WORD_VALUES.get(n)
            break
    if count is None and not text.endswith(":"):
        return []
    if count is not None and (count < 2 or len(text) > settings.answer_quote_max_chars):  # one thing is no list
        return []
    following = _following(best, catalog)
    lead = []
    if count is not None and following and following[0].text.rstrip().endswith(":"):
        lead, following = following[:1], following[1:]  # "We make five recommendations. The Department should:"
    marked = _marked_items(following, catalog)
    if strict and count is None and not marked:
        return []
    items = (marked or following)[: min(count or max_items, max_items)]
    if count is not None and len(items) < count:
        return []  # the list runs past this passage: quoting part of it would look like the whole
    return [*lead, *items]


def _heading_list(q: Question, cands: list[F.Candidate], settings: Settings, catalog=None) -> list[F.Candidate]:
    """The list under a heading that names what the question asks for ("What did the NAO recommend on smart
    motorways?" over "Recommendations" and its lettered items), in the best sentence's report: its items, each a
    marked line of one sentence, however the ranking placed them, since items under a heading rarely repeat the
    heading's word. Not when the question asks about one item: the best sentence is an item holding a question word
    that no other item holds ("What did the NAO recommend about leakage incentives?"). Else []. Layout and the
    question's own words, no list of headings: any heading a report gives its points under. Not for a question
    asking for a figure, a date or a person ("How many recommendations did it make?"): the list holds none."""
    from assistant.text.sentences import item_marker

    if set(q.types) - {"name", "reason"}:
        return []
    best = cands[0]
    asked = stems(" ".join(q.terms)) - stems(str(best.chunk.chunk.meta.get("title") or ""))
    lists, seen = [], set()
    for c in cands:
        chunk = c.chunk.chunk
        if c.doc_id != best.doc_id or chunk.id in seen or not chunk.section:
            continue
        seen.add(chunk.id)
        if not stems(chunk.section.split(" > ")[-1]) & asked:
            continue
        sentences = _passage(c)
        items = _marked_items(sentences, catalog) if sentences else []
        first = _line_prefix(items[0], catalog) if items else ""  # read once: it may be read on the page
        if len(items) < 2 or len(items) < len(sentences) or not _opens_list(first):
            continue  # items of one sentence each, from the list's first: points, not paragraphs or a list's tail
        # the list may run on into the next passage of its section
        rest = [i for i in _marked_items(_following(items[-1], catalog), catalog)
                if i.chunk.chunk.section == chunk.section]
        if rest and _line_marker(rest[0], catalog) == item_marker(first):
            items += rest
        if len(items) <= settings.answer_list_max_items:  # a longer list is not quoted in part
            lists.append(items)
    if not lists:
        return []
    items = lists[0]
    holders = Counter(s for i in items for s in stems(i.text) & asked)  # how many items hold each question word
    if any(best.key == i.key for i in items) and any(holders.get(s) == 1 for s in stems(best.text) & asked):
        return []
    ranked = {c.key: c for c in cands}
    return [ranked.get(i.key, i) for i in items]


def _line_prefix(c: F.Candidate, catalog=None) -> str:
    """What stands before the sentence on its line: in its passage, or for a sentence that opens its passage, on
    its page (a passage starts at its first sentence, after the line's list marker: "a) Highways England should
    ...")."""
    text = c.chunk.chunk.text
    at = text.rfind("\n", 0, c.start)
    if at >= 0 or catalog is None or text[:c.start].strip():
        return text[at + 1:c.start]
    page = catalog.page_text(c.doc_id, c.chunk.chunk.page) or ""
    start = c.chunk.chunk.char_start
    if page[start:start + len(text)] != text:
        return text[:c.start]  # the page has changed since (a document replaced mid-answer)
    return page[page.rfind("\n", 0, start) + 1:start] + text[:c.start]


def _opens_list(prefix: str) -> bool:
    """Whether a list item's marker is a list's first ("a)", "1.", "(i)") or a bullet, which any item may be."""
    mark = prefix.strip().strip("().")
    return mark.lower() in ("a", "1", "i") or not any(ch.isalnum() for ch in mark)


def _line_marker(c: F.Candidate, catalog=None) -> str | None:
    """The kind of list-item marker before the sentence on its line ("a." for "b) "), or None."""
    from assistant.text.sentences import item_marker

    return item_marker(_line_prefix(c, catalog))


def _marked_items(following: list[F.Candidate], catalog=None) -> list[F.Candidate]:
    """When the sentences after an announcer are marked list items ("- ", "b.", "(iii)"), the first sentence of each
    item, up to the first line that is not an item of the same kind: an item may run to several sentences
    ("- Interest rates. Most loans carry variable rates ..."), and its first sentence names it. Else [] (the
    sentences themselves are the items). Layout, not wording (`assistant.text.sentences.item_marker`). With the
    catalog, the marker of a sentence that opens its passage is read on its page (`_line_prefix`)."""
    from assistant.text.sentences import item_marker

    def line_start(c: F.Candidate) -> str:
        return _line_prefix(c, catalog)

    kind = item_marker(line_start(following[0])) if following else None
    if kind is None:
        return []
    items = []
    for c in following:
        before = line_start(c)
        marker = item_marker(before)
        if marker == kind:
            items.append(c)
        elif marker is not None or not before.strip():
            break  # a line that is not an item of this list: the list has ended
        # else the item's next sentence, on its line: the item is named by its first
    return items


# A sentence that opens by pointing back ("This made the first phase more exposed to fraud."): what it points to is
# the sentence before it. English grammar of reference, not any report's wording.
_POINTS_BACK = re.compile(r"^\W*(?:This|These|That|Those|Such)\b")


def _reason_before(q: Question, best: F.Candidate) -> list[F.Candidate]:
    """For "why", a best sentence that gives no reason and opens by pointing back ("This made the first phase more
    exposed to fraud") is preceded by the sentence it points to, which is the cause; else []."""
    if "reason" not in q.types or shows("reason", best.text) or not _POINTS_BACK.match(best.text):
        return []
    before = [c for c in _passage(best) if c.end <= best.start]
    return before[-1:]


def _reason_wanting(q: Question, best: F.Candidate, whole: list[F.Candidate], runners: list[F.Candidate]) -> bool:
    """For "why", whether `whole` is the best sentence and the one after it, taken for want of a reason near it
    (`_reason_after`: none of the next few gives one), while a runner-up of its report does give one: the runner-up
    is then quoted instead ("...running late?" is answered by "...six months later than proposed, because the radar
    equipment required further testing", ranked third, not by the sentence after the best)."""
    if q.types != ("reason",) or whole[0] is not best or any(shows("reason", c.text) for c in whole):
        return False
    return any(c.doc_id == best.doc_id and shows("reason", c.text) for c in runners)


def _reason_after(q: Question, best: F.Candidate, settings: Settings, catalog=None) -> list[F.Candidate]:
    """For "why", a best sentence that states what happened but gives no reason is followed by the next
    sentence of its passage, where reports put the explanation ("Highways England attributes the increase
    to…"); a next sentence that introduces a list ("The main reasons are:") brings its items."""
    if q.types != ("reason",) or shows("reason", best.text):  # a why-question alone; a reason not yet given
        return []
    after = _following(best, catalog)
    if after and after[0].text.rstrip().endswith(":"):
        return after[: 1 + settings.answer_list_max_items]
    # the first of the next few sentences that gives a reason ("The unit relies on four contractors. Officials
    # told us that vacancies arose mainly because..."), else the next one
    near = after[:settings.answer_reason_reach]
    return next(([c] for c in near if shows("reason", c.text)), after[:1])


def _best_clauses(text: str, wanted: set[str], max_chars: int, min_chars: int, types: tuple[str, ...] = (),
                  question: str = "") -> tuple[int, int]:
    """Offsets of the clause window of a long sentence (`min_chars` to `max_chars` long) that covers most of
    the question's stems, each kind of answer the question asks for that the window shows counting as one more
    ("why" keeps the clause that gives the reason, "how much" the one with the amount); among windows covering
    as many, the longest."""
    cuts = split_clauses(text)
    best, span = -1.0, (0, len(text))
    for i in range(len(cuts) - 1):
        for j in range(i + 1, len(cuts)):
            start, end = cuts[i], cuts[j]
            if end - start > max_chars:
                break
            piece = text[start:end]
            # the length only breaks ties: a thousandth a character is under one stem in any window under 1,000
            score = (len(stems(piece) & wanted) + sum(1 for t in types if shows(t, piece, question))
                     + 0.001 * len(piece))
            if score > best and end - start >= min_chars:
                best, span = score, (start, end)
    start, end = span
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip(" ,;:"))


def _compose(question: str, q: Question, chosen: list[F.Candidate], premise: list[str],
             settings: Settings) -> Answer:
    citations, parts = [], []
    wanted = stems(" ".join([q.clean, *q.context_terms]))
    if premise:
        parts.append("The corpus does not support the figure given in the question; here is what it says.")
    for c in chosen:
        quote = c.text
        if len(quote) > settings.answer_quote_max_chars:
            s, e = _best_clauses(quote, wanted, settings.answer_quote_max_chars, settings.answer_quote_min_chars,
                                 q.types, q.clean)
            quote = quote[s:e]
        n = len(citations) + 1
        citations.append(make_citation(n, c.chunk.chunk, quote))
        parts.append(f"{_flowing(quote if quote == c.text else _elide(c.text, quote))} [{n}]")
    return Answer(question, " ".join(parts), declined=False, citations=tuple(citations))


def _flowing(text: str) -> str:
    """A quoted sentence as it reads, its printed line breaks as spaces: a PDF wraps a sentence over several lines
    ("The error was live for around nine\nhours ..."), which the answer shows as one line of prose. The citation
    keeps the words exactly as the page has them."""
    return " ".join(text.split())


def _disagreeing(best: F.Candidate, others: list[F.Candidate], threshold: float) -> F.Candidate | None:
    """A sentence of another document, likely enough to answer too, that gives a different figure for what the
    best sentence's figure measures (same unit, same measure as the figure extractor reads it): two sources that
    disagree. Neither is picked silently; both are shown (issue: a memo's "£5 billion" beside the NAO's "£300
    million")."""
    from assistant.text.figures import extract_figures

    mine = [f for f in extract_figures(best.text) if f.unit not in ("year", "financial_year", "date") and f.measure]
    if not mine:
        return None
    for c in others:
        # A rival is about the same thing: it holds every word of the question that the best holds (HM
        # Treasury's funding for the clusters is no rival to its funding for another programme).
        if c.doc_id == best.doc_id or c.p < threshold or not best.held <= c.held:
            continue
        for g in extract_figures(c.text):
            for f in mine:
                if g.unit == f.unit and g.measure == f.measure and not _same_value(f, g):
                    return c
    return None


def _same_value(f, g) -> bool:
    """Whether two figures could state the same value (a range counts as holding any value inside it)."""
    lo_f, hi_f = (f.low, f.high) if f.low is not None else (f.value, f.value)
    lo_g, hi_g = (g.low, g.high) if g.low is not None else (g.value, g.value)
    return lo_f is not None and lo_g is not None and lo_f <= hi_g and lo_g <= hi_f


def _disagreement(question: str, q: Question, best: F.Candidate, rival: F.Candidate, settings: Settings) -> Answer:
    """Both figures, each after the name of the source that gives it, and a sentence saying they differ."""
    answer = _compose(question, q, [best, rival], [], settings)
    parts = []
    for c, cite in zip((best, rival), answer.citations):
        meta = c.chunk.chunk.meta
        source = ", ".join(str(x) for x in (meta.get("publisher"), meta.get("title") or c.doc_id) if x)
        parts.append(f"{source}: {_flowing(cite.quote)} [{cite.n}]")
    text = "The sources differ on this figure. " + " ".join(parts)
    return Answer(question, text, declined=False, citations=answer.citations)


def _elide(sentence: str, quote: str) -> str:
    """The quoted clauses of a long sentence, with ellipses where words were left out."""
    start = sentence.find(quote)
    lead = "…" if start > 0 else ""
    tail = "" if start + len(quote) >= len(sentence) - 1 else "…"
    shown = f"{lead}{quote}{tail}"
    return shown if tail or shown.endswith((".", "!", "?")) else shown + "."


def _unsupported_figures(question: str, chunks: list[ScoredChunk]) -> list[str]:
    """Money and percentage figures in the question that no retrieved passage states (a false premise)."""
    from assistant.text.figures import extract_figures

    asked = [f for f in extract_figures(question) if f.unit in ("GBP", "percent")]
    if not asked:
        return []
    from assistant.query.safety import withhold_instructions

    stated = [f for sc in chunks for f in extract_figures(withhold_instructions(sc.chunk).text)]  # not a poison's
    values = {(f.unit, v) for f in stated for v in (f.value, f.low, f.high) if v is not None}
    return [f.raw for f in asked if all((f.unit, v) not in values for v in (f.value, f.low, f.high) if v is not None)]

