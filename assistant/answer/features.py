"""Evidence that a sentence answers a question, as numbers a fitted model weighs (see `params.json`).

Every signal is general: the sentence's meaning against the question's (the shipped embedding model), the
question's rare words it shares (weighted by how rare they are in the reports retrieved), the kind of answer
it shows ("who" wants a person, "when" a date), where its passage ranked, and whether it comes from the report
the question names. None is a word list fitted to a test question.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from assistant.config import Settings
from assistant.query.analysis import Question
from assistant.query.safety import is_instruction
from assistant.text.abbreviations import widen
from assistant.text.data import canonical
from assistant.text.patterns import (ASKS_KNOWN, CODE, COUNT, COUNTED, EVIDENCE, MONEY, MONTHS, PERCENT, REFERENCE,
                                    UNKNOWN, announced, heading, period_met, periods, shows)
from assistant.text.sentences import split_sentences
from assistant.text.terms import content_terms, stem, stems, stop_words
from assistant.types import ScoredChunk

FEATURES = ("bias", "dense", "dense_gap", "dense_top", "late", "late_gap", "chunk_sim", "chunk_rrank", "lex", "lex_ctx", "lex_gap",
            "missing_top", "rare_hit", "focus", "absent", "measure_hit", "measure_miss", "type_hit", "type_miss", "target_in", "target_out", "short", "length",
            "type_x_dense", "rare_x_dense", "soft_lex", "soft_focus", "soft_min", "period_other", "list_lead",
            "unknown", "specific")
# Which way each feature may move a sentence's score when the sentence models are fitted, fixed by what it means
# (1: more of it makes a sentence likelier to answer, -1: less likely, 0: left to the data): more of the question's
# words or meaning, the kind of answer asked for, a better-ranked passage, the report the question names push up;
# a figure that measures something else, the answer type missing, the question's rarest word missing, another
# period or another report push down. Length and the question-wide `absent` are left free. Without the signs, a
# weight can take the opposite sign to make up for a correlated feature, and that does not carry over to other
# questions (a missing answer type once ranked sentences up).
FEATURE_SIGNS = {"dense": 1, "dense_gap": 1, "dense_top": 1, "late": 1, "late_gap": 1, "chunk_sim": 1, "chunk_rrank": 1,
                 "lex": 1, "lex_ctx": 1, "lex_gap": 1, "missing_top": -1, "rare_hit": 1, "focus": 1, "absent": 0,
                 "measure_hit": 1, "measure_miss": -1, "type_hit": 1, "type_miss": -1, "target_in": 1,
                 "target_out": -1, "short": 0, "length": 0, "type_x_dense": 1, "rare_x_dense": 1, "soft_lex": 1,
                 "soft_focus": 1, "soft_min": 1, "period_other": -1, "list_lead": 1,
                 "unknown": -1, "specific": 1}
# The hand-set parts of the features' definitions are Settings (feature_*); params.json was fitted with them.
_DEFAULTS = Settings()


@dataclass
class Candidate:
    """One sentence of a retrieved passage, with its evidence and fitted probability of answering."""

    chunk: ScoredChunk
    passage_rank: int  # of its passage in retrieval
    start: int  # offsets in chunk.text
    end: int
    text: str
    f: dict[str, float] = field(default_factory=dict)
    p: float = 0.0  # probability that it answers (the binary model): decides whether to answer at all
    rank: float = 0.0  # its score among the question's sentences (the ranking model): decides which one
    held: frozenset = frozenset()  # the question's stems the sentence holds (abbreviations widened)
    focus: frozenset = frozenset()  # the question's stems that are not its report's subject (its title)

    @property
    def doc_id(self) -> str:
        return self.chunk.chunk.doc_id

    @property
    def key(self) -> tuple:
        c = self.chunk.chunk
        return c.doc_id, c.page, c.char_start + self.start


def sentences(chunks: list[ScoredChunk], settings: Settings | None = None) -> list[Candidate]:
    """Candidate sentences of the retrieved passages, each once (overlapping chunks repeat sentences)."""
    min_chars = (settings or _DEFAULTS).feature_min_sentence_chars
    seen, out = set(), []
    for rank, sc in enumerate(chunks):
        for span in split_sentences(sc.chunk.text):
            c = Candidate(sc, rank, span.start, span.end, span.text)
            # a line of capitalised words alone ("Twenty-ninth Report of Session 2016–17", "House of Commons
            # Committee of Public Accounts") is a title, never a statement that answers; a row with a dot leader
            # or an amount ("Westgate Offender Services .... 2 CSCs") is data, and one whose capitalised phrases
            # are set apart by commas or semicolons names people with their posts ("Graham Whitlock, Superintendent
            # Registrar, Leeds City Council; ..."), as witness lists, members' lists and signatures do; one holding
            # a reference code is an entry of a list ("6 Association of Veterans' Advocates (VDS0006)")
            if c.key in seen or len(span.text) < min_chars or is_instruction(span.text) or (
                    heading(span.text) and not _DATA_ROW.search(span.text) and not _APPOSITION.search(span.text)
                    and not _SIGNED.search(span.text) and not CODE.search(span.text)):
                continue
            seen.add(c.key)
            out.append(c)
    return out


def idf(terms: list[str], doc_stems: list[frozenset[str]]) -> dict[str, float]:
    """Inverse document frequency of each term's stem over the given passages (smoothed, never zero)."""
    n = len(doc_stems)
    return {t: math.log(1 + (n + 1) / (sum(1 for s in doc_stems if stem(t) in s) + 0.5)) for t in terms}


def lexical(cands: list[Candidate], q: Question, weights: dict[str, float], scope: list[frozenset[str]],
            links: list[tuple[str, frozenset[str]]] = (), settings: Settings | None = None,
            initials: set[str] = frozenset()) -> None:
    """Share of the question's term weight each sentence has, in itself and in its passage's context; and the
    share no passage of the retrieved reports has at all (`absent`, the same for every sentence). `initials`: those
    of the retrieved reports' runs of words (`assistant.text.terms.initialisms`), for the names a question uses."""
    n_rare = (settings or _DEFAULTS).feature_rare_terms
    wanted = {stem(t): w for t, w in weights.items()}
    total = sum(wanted.values()) or 1.0
    seen = widen(set().union(*scope), links) if scope else set()
    absent = sum(w for s, w in wanted.items() if s not in seen and not s.isdigit()) / total
    top = max(wanted, key=wanted.get) if wanted else None
    rare = sorted(wanted, key=wanted.get, reverse=True)[:n_rare]  # the question's rarest terms
    contexts: dict[str, set[str]] = {}
    topics: dict[str, set[str]] = {}
    for c in cands:
        meta = c.chunk.chunk.meta
        key = c.chunk.chunk.id
        if key not in contexts:
            about = " ".join([str(meta.get("title") or ""), *list(meta.get("strategy") or []),
                              c.chunk.chunk.section or "", c.chunk.chunk.text])
            contexts[key] = widen(stems(about), links)
        have, context = widen(stems(c.text), links), contexts[key]
        # The question's focus: its words that are not the report's subject (its title). Every sentence of a
        # report on "shared services" shares those; the ones that answer share the rest.
        if c.doc_id not in topics:
            topics[c.doc_id] = stems(" ".join([str(meta.get("title") or ""), *list(meta.get("strategy") or [])]))
        focus = {s: w for s, w in wanted.items() if s not in topics[c.doc_id]}
        # A question all of whose words are the report's subject ("what is the cluster model?" of a report on the
        # cluster model) leaves no focus to miss: every sentence holds all of it, as `soft_focus` counts it too
        c.f["focus"] = sum(w for s, w in focus.items() if s in have) / sum(focus.values()) if focus else 1.0
        c.f["lex"] = sum(w for s, w in wanted.items() if s in have) / total
        c.f["absent"] = absent
        c.f["lex_ctx"] = sum(w for s, w in wanted.items() if s not in have and s in context) / total
        c.f["missing_top"] = float(top is not None and top not in have and top not in context)
        c.f["rare_hit"] = sum(1.0 for s in rare if s in have) / max(1, len(rare))
        c.held, c.focus = frozenset(s for s in wanted if s in have), frozenset(focus)
    best = max((c.f["lex"] for c in cands), default=0.0)
    from assistant.store.embeddings import model_words

    common = model_words((settings or _DEFAULTS).embedding_model)
    missing = float(bool(absent_names(q.clean, seen, initials, common))) if scope else 0.0
    for c in cands:
        c.f["lex_gap"] = c.f["lex"] - best
        c.f["name_absent"] = missing


# A proper name: a capitalised word inside a sentence, or a code of letters and digits ("HS2"). Words in capitals
# ("SVD", "NHS") are `_ACRONYM`s, read against what they could stand for. English capitalisation, no list.
_PROPER = re.compile(r"(?<!^)(?<![.?!:]\s)(?<![.?!:])\b(?:[A-Z][a-z]+(?:['’]s)?|[A-Z][A-Za-z]*\d[A-Za-z\d]*)\b")
# An abbreviation in capitals, of three to six letters, perhaps plural ("NHS", "SROs"): two-letter ones ("UK", "IT")
# are too often common words or places the reports name in full in other words.
_ACRONYM = re.compile(r"\b([A-Z]{3,6})s?\b")
# The capitalised word opening a text or one of its sentences, perhaps after a dash or a quotation mark.
_OPENING = re.compile(r"(?:^|(?<=[.?!:]))[^\w]*?\b([A-Z][a-z]+)\b")
_MONTH_NAMES = re.compile(rf"(?:{MONTHS})|(?:{'|'.join(m[:3] for m in MONTHS.split('|'))})t?\.?$", re.I)


def absent_names(question: str, seen: set[str], initials: set[str] = frozenset(),
                 common: frozenset[str] = frozenset()) -> list[str]:
    """The proper names of the question ("Crossrail", "HS2", "Thames", "NHS") that no passage of the retrieved
    reports uses (`seen`: their stems, abbreviations widened), body names folded first ("National Audit Office" is
    "NAO"). An abbreviation in capitals counts as used when the reports define it or have words it could stand for
    (`initials`: "HEG" for "Household Efficiency Grant"), since users coin their own; `initials` also holds the stems of
    the reports' titles and publishers ("the NAO's report" names its publisher). A question about a named thing
    the reports never name is about something else; a common word the reports do not use ("led", "hope") is only a
    paraphrase, and is never counted here. A capitalised word opening the question or one of its sentences
    ("Sellafield decommissioning costs - ...") is capitalised by position, so it counts only when the model's
    vocabulary (`common`: its whole words) lacks it; "Describe", "Compare" and "Give" are common words."""
    text = canonical(question.strip())
    stop = stop_words()
    out = []
    openings = [m.group(1) for m in _OPENING.finditer(text) if m.group(1).lower() not in common] if common else []
    for name in dict.fromkeys([*(m.group() for m in _PROPER.finditer(text)), *openings]):
        word = name.lower().rstrip("'’").removesuffix("'s").removesuffix("’s")
        if word in stop or _MONTH_NAMES.match(word) or stem(word) in seen or word in seen or stem(word) in initials:
            continue
        out.append(name)
    for m in _ACRONYM.finditer(text):
        word = m.group(1).lower()
        if word in seen or stem(word) in seen or word in initials:
            continue
        out.append(m.group())
    return out


def soft(cands: list[Candidate], weights: dict[str, float], words) -> None:
    """The lexical evidence again, with each question word matched by meaning: its best cosine similarity
    (static word vectors distilled from the shipped model, `words`) to any word of the sentence, 1 when the
    stems match. `soft_lex` and `soft_focus` weigh the words by rarity, as `lex` and `focus` do; `soft_min` is the
    least-matched focus word: a question asking about something the sentence never mentions, in any words."""
    import numpy as np

    terms = [t for t in weights if not t.isdigit()]
    if not terms or words is None:
        for c in cands:
            c.f.update(soft_lex=0.0, soft_focus=0.0, soft_min=0.0)
        return
    per = [[w for w in content_terms(c.text) if not w.isdigit()] for c in cands]
    vocab = list(dict.fromkeys(w for ws in per for w in ws))
    sims = np.clip(words.similarity(terms, vocab), 0.0, 1.0) if vocab else np.zeros((len(terms), 0))
    col = {w: i for i, w in enumerate(vocab)}
    stems_of = [stem(t) for t in terms]
    w = np.asarray([weights[t] for t in terms], dtype=float)
    for c, ws in zip(cands, per):
        best = sims[:, [col[x] for x in ws]].max(axis=1) if ws else np.zeros(len(terms))
        best = np.where([s in c.held for s in stems_of], 1.0, best)
        c.f["soft_lex"] = float((w * best).sum() / (w.sum() or 1.0))
        mask = np.asarray([s in c.focus for s in stems_of])
        c.f["soft_focus"] = float((w * best)[mask].sum() / (w[mask].sum() or 1.0)) if mask.any() else 1.0
        c.f["soft_min"] = float(best[mask].min()) if mask.any() else 1.0


# A block of lines ending on a date of its own line ("Rt Hon Gareth Pelling MP / Secretary of State for Transport /
# October 2020"): a signature, a name and post dated as signed, which says who wrote or signed what it ends
_SIGNED = re.compile(rf"\S\n(?:.*\n)*\s*(?:\d{{1,2}}\s+)?(?:{MONTHS})\s+\d{{4}}\s*$")
# Phrases set apart by a comma or a semicolon: an enumeration or an apposition, which a title does not have
_APPOSITION = re.compile(r"\w[,;]\s")
_DATA_ROW = re.compile(rf"\.{{4,}}|…|{MONEY.pattern}|{PERCENT.pattern}", re.I)
_QUANTITY = re.compile(f"{MONEY.pattern}|{PERCENT.pattern}|{COUNT.pattern}", re.I)


def measures(sentence: str, wanted: set[str], window: int = Settings.feature_measure_window_chars) -> bool | None:
    """Whether a figure of the sentence measures what the question counts (one of its stems within a few
    words of the figure); None when the sentence has no figure."""
    # a number a document is referred by ("HC 1082", "paragraph 3") measures nothing
    hits = [m for m in _QUANTITY.finditer(sentence) if not REFERENCE.search(sentence[max(0, m.start() - 12):m.start()])]
    if not hits:
        return None
    return any(wanted & stems(sentence[max(0, m.start() - window):m.end() + window]) for m in hits)


def other_period(sentence: str, asked: set[str], context: set[str]) -> bool:
    """Whether the sentence speaks of another time than the one the question asks about: the question names a
    period ("in 2019-20"), the sentence names periods and none is it, and neither does its passage (title, year of
    publication, section or text). "What was leakage in 2023-24?" is not answered by leakage in 2019-20."""
    if not asked or any(period_met(a, context) for a in asked):
        return False
    named = periods(sentence)
    return bool(named) and not any(period_met(a, named) for a in asked)


def leads_list(sentence: str, asked: set[str], counted: set[str], settings: Settings = _DEFAULTS) -> bool:
    """Whether the sentence announces a list of what the question asks about: it ends by counting things the
    question names ("The programme has four objectives:" for "what are its objectives?"), or it ends with a colon
    and holds a noun the question counts ("the three objectives"). The items follow it, not in it, so its own
    words say little; structure, not wording, any list a report introduces this way. `asked`: the question's
    stems; `counted`: the stems of what it counts."""
    if any(stems(noun) & asked for _, noun in announced(sentence, settings.answer_list_short_chars,
                                                         settings.answer_list_tail_words)):
        return True
    return sentence.rstrip().endswith(":") and bool(counted & stems(sentence))


def asked_nouns(q: Question) -> set[str]:
    """The stem of what a "why" question asks for, which it need not name: reasons ("The cost has risen for two main
    reasons." announces the answer to "Why is each assessment costing more?")."""
    return {stem("reason")} if "reason" in q.types else set()


# The answer kinds `specific` counts: every kind of answer evidence (`EVIDENCE`) but a span of time, whose evidence
# is a date's too (a date would count twice).
_SPECIFIC = tuple(kind for kind in EVIDENCE if kind != "duration")


def shape(cands: list[Candidate], q: Question, targets: tuple[str, ...], settings: Settings | None = None) -> None:
    """Answer type, what a figure measures, the period a sentence speaks of, a list announced, retrieval rank,
    named report and length features."""
    s = settings or _DEFAULTS
    top = max((c.chunk.score for c in cands), default=1.0) or 1.0
    wanted = {stem(t) for t in q.measured}
    asked = periods(q.clean)
    terms = stems(" ".join(q.terms)) | asked_nouns(q)
    counted = {x for m in COUNTED.finditer(q.clean) for x in stems(m.group(2))}
    gap = not ASKS_KNOWN.search(q.clean)  # "does it know...?" is answered by a sentence saying it does not
    contexts: dict[str, set[str]] = {}
    for c in cands:
        chunk = c.chunk.chunk
        if asked and chunk.id not in contexts:
            contexts[chunk.id] = periods(" ".join([str(chunk.meta.get("title") or ""), str(chunk.meta.get("year") or ""),
                                                   chunk.section or "", chunk.text]))
        c.f["period_other"] = float(other_period(c.text, asked, contexts.get(chunk.id, set())))
        hit = measures(c.text, wanted, s.feature_measure_window_chars) if wanted else None
        c.f["measure_hit"] = float(hit is True)
        c.f["measure_miss"] = float(hit is False)
        shown = [t for t in q.types if shows(t, c.text, q.clean)]
        c.f["type_hit"] = len(shown) / len(q.types) if q.types else 0.0
        c.f["type_miss"] = float(bool(q.types) and not shown)
        # How many kinds of answer the sentence could give, whatever the question asks: a sentence that states a
        # figure, a date or a name answers more often than one that only speaks about the question's subject
        # ("the savings must be reported more clearly" against "the savings would be £400 million"). Its ranking
        # weight was fitted alone, every other weight held (`python -m evals.fit --ranking-alone specific`); the
        # sentence probability model, fitted before it, gives it none.
        c.f["specific"] = sum(shows(t, c.text) for t in _SPECIFIC) / len(_SPECIFIC)
        c.f["list_lead"] = float(leads_list(c.text, terms, counted, s))
        c.f["unknown"] = float(gap and says_unknown(c.text, q))  # it says that what is asked is not known
        c.f["chunk_sim"] = float(c.chunk.similarity or 0.0)
        c.f["chunk_rrank"] = 1.0 / (1 + c.passage_rank)
        c.f["target_in"] = float(bool(targets) and c.doc_id in targets)
        c.f["target_out"] = float(bool(targets) and c.doc_id not in targets)
        c.f["short"] = float(len(c.text) < s.feature_short_chars)
        c.f["length"] = min(len(c.text), s.feature_length_cap_chars) / s.feature_length_cap_chars
        c.f["_retrieval"] = c.chunk.score / top


def says_unknown(text: str, q: Question) -> bool:
    """Whether the sentence says that what the question asks is not known ("The department does not know how many
    of the homes were finished" for "How many homes were finished?"): it has the grammar of a stated gap, and what
    it says is not known, up to the end of that clause, shares a content word with the question. A sentence that
    says something else is not known ("23 of its 31 depots need new connections, but it has no estimate of the
    cost" for "How many depots need new connections?") is no gap in the answer; nor is one that shows the kind
    of answer asked before its gap (the 23 depots)."""
    m = UNKNOWN.search(text)
    if m is None or any(shows(t, text[:m.start()], q.clean) for t in q.types):
        return False
    unknown = re.split(r"[,;:.]", text[m.end():], maxsplit=1)[0]
    return bool(stems(unknown) & stems(q.clean))


def dense(cands: list[Candidate], qv: list[float], vectors: list[list[float]]) -> None:
    """Cosine of question and sentence vectors (normalised), and the gap to the best sentence."""
    for c, v in zip(cands, vectors):
        c.f["dense"] = float(sum(x * y for x, y in zip(qv, v)))
    finish_dense(cands)


def late(cands: list[Candidate], qv: list[float], stored: dict[tuple[str, int], bytes]) -> None:
    """Cosine of the question and each sentence's stored vector (pooled from its passage's own embedding pass
    at ingestion). A sentence without one (an older store, or a passage replaced by an ingest while the question
    was answered) gets its own embedding's similarity when it was embedded (`dense`), else its passage's."""
    import numpy as np

    q = np.asarray(qv, dtype=np.float32)
    for c in cands:
        raw = stored.get((c.chunk.chunk.id, c.start))
        c.f["late"] = float(np.frombuffer(raw, dtype=np.float32) @ q) if raw else c.f.get("dense", c.f["chunk_sim"])
    best = max((c.f["late"] for c in cands), default=0.0)
    for c in cands:
        c.f["late_gap"] = c.f["late"] - best


def finish_dense(cands: list[Candidate]) -> None:
    """The gap of each sentence's dense score to the best, and which sentence is best."""
    best = max((c.f.get("dense", 0.0) for c in cands), default=0.0)
    for c in cands:
        c.f["dense_gap"] = c.f.get("dense", 0.0) - best
        c.f["dense_top"] = float(c.f["dense_gap"] >= 0.0)


def interactions(c: Candidate) -> None:
    """Evidence that counts together: the kind of answer asked for in a sentence that means the same thing."""
    c.f["type_x_dense"] = c.f.get("type_hit", 0.0) * c.f.get("dense", 0.0)
    c.f["rare_x_dense"] = c.f.get("rare_hit", 0.0) * c.f.get("dense", 0.0)


QUESTION_FEATURES = ("bias", "best_p", "top_p", "top_focus", "top_lex", "top_late", "top_type", "absent",
                     "has_type", "top_chunk_sim", "any_measure_hit", "top_measure_miss", "top_unknown", "weak_type",
                     "q_terms", "two_types")

# The answer types (`assistant.text.patterns.EVIDENCE`) whose evidence is incomplete: a person is often named without
# a title or a verb of saying, and a reason without a causal word (measured on the tuning set: answerable who- and
# why-questions whose quoted sentences show no match are common). A question asking only for these says less by its
# best sentence's missing the type (`weak_type`), and is never declined for it (`grounded._type_missing`).
INCOMPLETE_TYPES = frozenset({"person", "reason"})
# A question's length as decline evidence saturates: past this many content words, more say nothing new. By hand
# (a scale for the fitted weight, not a cut-off: the weight is fitted on the tuning set with it).
_TERMS_COUNTED = 10


# Which way each piece of evidence may push "answerable" when the decline model is fitted: more of the question
# found, a likelier best sentence, the kind of answer asked for shown, push up; question words that no retrieved
# report uses at all, a figure that measures something else, push down; 0 leaves the sign to the data. (A best
# sentence about another period than asked is declined by rule before the model is asked: see
# GroundedAnswerer.answerable.) Fixed
# by what the features mean, so a quirk of the tuning set cannot flip one (an off-topic question, rare there,
# must not look answerable because its words are absent).
QUESTION_SIGNS = {"best_p": 1, "top_p": 1, "top_focus": 1, "top_lex": 1, "top_late": 1, "top_type": 1,
                  "absent": -1, "has_type": 0, "top_chunk_sim": 1, "any_measure_hit": 1, "top_measure_miss": -1,
                  "top_unknown": -1, "weak_type": 0, "q_terms": 0, "two_types": 0}


def question_features(cands: list[Candidate], q: Question | None = None) -> dict[str, float]:
    """Evidence that the question is answerable at all, from its best sentences (`cands` ranked best first,
    each with `p`) and from the question itself: what the decline model weighs. A question asking only for a person
    or a reason (`weak_type`) says less by its best sentence's not showing one; a question of few words
    (`q_terms`: its content words and those a follow-up carries from the last turn, counted up to
    `_TERMS_COUNTED`) matches any sentence less well, answerable or not; a question asking for two kinds of
    answer (`two_types`: "who ran it, and since when?") has one sentence show one of them at most."""
    top = cands[0]
    types = q.types if q is not None else ()
    n_terms = len(q.terms) + len(q.context_terms) if q is not None else 0
    return {"best_p": max(c.p for c in cands), "top_p": top.p, "top_focus": top.f.get("focus", 0.0),
            "top_lex": top.f.get("lex", 0.0), "top_late": top.f.get("late", 0.0),
            "top_type": top.f.get("type_hit", 0.0), "absent": top.f.get("absent", 0.0),
            "has_type": float(top.f.get("type_hit", 0.0) > 0 or top.f.get("type_miss", 0.0) > 0),
            "top_chunk_sim": top.f.get("chunk_sim", 0.0),
            "any_measure_hit": max(c.f.get("measure_hit", 0.0) for c in cands),
            "top_measure_miss": top.f.get("measure_miss", 0.0), "top_unknown": top.f.get("unknown", 0.0),
            "weak_type": float(bool(types) and all(t in INCOMPLETE_TYPES for t in types)),
            "q_terms": min(n_terms, _TERMS_COUNTED) / _TERMS_COUNTED,
            "two_types": float(len(types) >= 2)}


def linear(f: dict[str, float], weights: dict[str, float]) -> float:
    """A weighted sum of the features (the ranking model's score; no bias: only differences matter)."""
    return sum(w * f.get(name, 0.0) for name, w in weights.items() if name != "bias")


def probability(f: dict[str, float], weights: dict[str, float]) -> float:
    """The fitted logistic model: the probability that the sentence answers the question."""
    z = sum(w * (1.0 if name == "bias" else f.get(name, 0.0)) for name, w in weights.items())
    # Clamped against overflow in exp: beyond 30 the probability is 1 or 0 to within 1e-13, a guard, not a tuning.
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


class VectorCache:
    """Sentence vectors, kept so a sentence is embedded once per process (bounded, LRU, thread-safe). Its size
    is not a Settings field: it bounds memory and changes no answer (an evicted sentence is embedded again)."""

    def __init__(self, embedder, size: int = 20000):
        self.embedder, self.size, self.data = embedder, size, OrderedDict()
        self.lock = threading.Lock()

    def get(self, texts: list[str]) -> list[list[float]]:
        with self.lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self.data]
        if missing:
            vectors = self.embedder.embed_documents(missing)
            with self.lock:
                self.data.update(zip(missing, vectors))
                while len(self.data) > self.size:
                    self.data.popitem(last=False)
        with self.lock:
            for t in texts:
                self.data.move_to_end(t)
            return [self.data[t] for t in texts]
