"""Which figure of the retrieved passages a phrase of a question names: the operands of a routed calculation.

A phrase ("the rejected Spending Review bids", "the highest implementation cost") becomes a `Query`: its
words as concepts, the capitalised names it uses, the status it asks about and the end of a range it wants.
Every figure of the passages is a `Candidate`, scored by where the query's words sit around it; a range
also gives one candidate per end, so "the maximum cost" can be £95 million out of £44 million to £95 million.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable

from assistant.calc.calculators import CALENDAR, Quantity
from assistant.config import Settings
from assistant.text.figures import Figure, clause, extract_figures, has_status, status_of
from assistant.text.sentences import lead_in
from assistant.text.terms import AUXILIARIES, initialisms, stop_words
from assistant.text.terms import stem as _stem_word
from assistant.types import Chunk

# Words that never name a figure: the library's English stop words and auxiliary verbs (assistant.text.terms).
_STOP = stop_words() | AUXILIARIES
# Words that say which calculation, which end of a range or which version ("later than originally planned"),
# not which figure: they must not steer the choice.
_OPERATION_WORDS = set("""shortfall gap difference percentage percent cent proportion share fraction ratio times
midpoint mid point halfway exceed total combined altogether sum add minus subtract year long later delay pushed back
put slipped larger bigger greater smaller higher lower amount number figure value increase decrease change range
average mean highest lowest maximum minimum upper largest biggest greatest smallest originally original initially
initial revised planned scheduled intended rise rose fall fell drop grow grew growth reduction overrun overspend
overspent""".split())
# Which end of a range a phrase asks for. "How much lower is X than Y" compares two figures, so a comparative
# counts only when it is not part of such a comparison.
_ENDS = (("high", re.compile(r"\b(?:highest|maximum|upper|largest|biggest|greatest)\b"
                             r"|(?<!much )(?<!many )(?<!far )\bhigher\b(?! than)", re.I)),
         ("low", re.compile(r"\b(?:lowest|minimum|smallest)\b|(?<!much )(?<!many )(?<!far )\blower\b(?! than)", re.I)))
_END_WORDS = {"high": "highest", "low": "lowest"}
_AMOUNTS = ("GBP", "count", "percent")  # the units a status ("the rejected bids") can qualify
# The weights and thresholds of `Candidate.score` are the `operand_*` settings (set by hand, checked on the tuning
# set by `evals/fit_settings.py`; see config.py).
_DEFAULTS = Settings()


class Refusal(Exception):
    """A side of the question has no figure, or more than one: the message says which."""


def _stem(word: str) -> str:
    """The one stemmer's stem (assistant.text.terms), of the word without quotes or a possessive."""
    return _stem_word(word.lower().strip("'’“”\"").removesuffix("'s").removesuffix("’s"))


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[A-Za-z][A-Za-z'’]*", text)}  # "cloud-based" gives "cloud" and "bas"


def concepts(text: str, names_only: bool = False) -> list[frozenset[str]]:
    """The phrase's words as concepts (a stem each); names_only: just its capitalised names. No thesaurus: where
    the question words a figure differently from the report, `_by_meaning` bridges it with the shipped model."""
    pattern = r"(?<!^)(?<![.?!]\s)\b[A-Z][A-Za-z'’]*" if names_only else r"[A-Za-z][A-Za-z'’]*"
    words = {w.lower() for w in re.findall(pattern, text)} - _STOP
    stems = {_stem(w) for w in words if w not in _OPERATION_WORDS} - {_stem(w) for w in _OPERATION_WORDS}
    out: list[frozenset[str]] = []
    for s in sorted(stems):
        group = frozenset({s})
        if group not in out:
            out.append(group)
    return out


def end_of(text: str) -> str | None:
    """The end of a range a phrase asks for: "high" for "the maximum cost", "low" for "the lowest forecast"."""
    return next((end for end, cue in _ENDS if cue.search(text)), None)


def names_no_end_noun(text: str) -> bool:
    """True for "the highest" or "the clusters' highest": an end with its noun left to the other side of an "and"."""
    m = next((m for _, cue in _ENDS for m in [cue.search(text)] if m), None)
    return m is not None and not concepts(text[m.end():])


def stated(text: str) -> list[Figure]:
    """Figures the question itself quotes ("the £300 million funding"); "the two figures" is not one."""
    return [f for f in extract_figures(text) if f.unit != "count" or f.raw[:1].isdigit()]


@dataclass(frozen=True)
class Query:
    """What a phrase of a question asks for: concepts, names, the status it qualifies by, the end of a range."""

    text: str
    concepts: tuple[frozenset[str], ...]
    names: tuple[frozenset[str], ...]
    status: str | None
    end: str | None

    @classmethod
    def of(cls, side: str, content: str | None = None) -> "Query":
        """The query of `side`; `content` lends it words ("the highest" and "lowest cost" share "cost")."""
        words = side if content is None else content
        return cls(side, tuple(concepts(words)), tuple(concepts(words, names_only=True)), status_of(words),
                   end_of(side))


@dataclass(frozen=True)
class Candidate:
    """A figure of a passage that could be an operand; `end` makes it one end of a range figure."""

    chunk: Chunk
    figure: Figure
    rank: int
    measure: frozenset[str]
    clause: frozenset[str]
    sentence: frozenset[str]
    passage: frozenset[str]
    end: str | None = None

    def score(self, q: Query, s: Settings = _DEFAULTS) -> int:
        """How well the figure answers to the query: per word, the weight of where it sits (its measure, its
        clause, its sentence), plus a bonus for the status the query asks about (the `operand_*` settings).

        0 when its passage lacks a name the question uses ("the Department for Education") or too many words.
        """
        if any(not g & self.passage for g in q.names):
            return 0
        if sum(1 for g in q.concepts if g & self.passage) < s.operand_coverage * len(q.concepts):
            return 0
        bonus = s.operand_status_bonus if q.status and self.status == q.status else 0
        return bonus + sum(s.operand_measure_weight if g & self.measure else s.operand_clause_weight if g & self.clause
                           else s.operand_sentence_weight if g & self.sentence else 0 for g in q.concepts)

    @property
    def status(self) -> str | None:
        """What happened to what the figure measures: "recommendations being implemented" -> "being implemented"."""
        return status_of(self.figure.measure or "")

    @property
    def quantity(self) -> Quantity:
        """The figure (or its end) as a calculator operand, labelled with what it measures."""
        q = Quantity.from_figure(self.figure)
        if self.end:
            return Quantity(q.hi if self.end == "high" else q.lo, q.unit, scale=q.scale, label=self.label)
        return replace(q, label=self.label)

    @property
    def key(self) -> tuple:
        """The figure's value, so the same number quoted twice is one candidate; an end is a single value."""
        f = self.figure
        if self.end:
            return f.unit, f.high if self.end == "high" else f.low, None, None
        return f.unit, f.value, f.low, f.high

    @property
    def label(self) -> str:
        """What the figure measures ("funding approved"), or its words; an end says which."""
        f = self.figure
        if self.end:
            word = _END_WORDS[self.end]
            return f"{word} {f.measure}" if f.measure else f"{word} of {f.raw}"
        return f.measure or f.raw

    def named(self) -> str:
        """The figure for a summary: "the funding approved (£300 million)", or just "£5 million" when unnamed."""
        shown = self.quantity.display()
        return f"the {self.label} ({shown})" if self.end or self.figure.measure else shown

    def admits(self, q: Query) -> bool:
        """False for an amount of another status than the query's ("the rejected bids" are not the funding
        approved), or whose sentence never mentions the query's status."""
        if not q.status or self.figure.unit not in _AMOUNTS:
            return True
        if self.status is not None:
            return self.status == q.status
        return has_status(self.figure.sentence, q.status)


def _about(chunk: Chunk) -> str:
    """What a passage's document is about: every sentence in it assumes its title, strategies and section, so
    "the estimated implementation cost" in the 2014 report is that of Next Generation Shared Services."""
    meta = chunk.meta or {}
    return " ".join([str(meta.get("title") or ""), *map(str, meta.get("strategy") or ()), chunk.section or ""])


# Looks up the figures stored for chunks at ingestion, by chunk id; a chunk it leaves out is read from its text.
# (`assistant.store.figures.stored_figures` on the catalog, passed in by the answerer.)
FigureLookup = Callable[[list[Chunk]], dict[str, list[Figure]]]


def candidates(chunks: list[Chunk], figures: FigureLookup | None = None) -> list[Candidate]:
    """Every figure of the chunks once (overlapping chunks repeat figures), in chunk order, with range ends.

    `figures` gives the chunks' stored figures; without it, or for a chunk it has none for, they are extracted."""
    seen, out = set(), []
    stored = figures(chunks) if figures is not None and chunks else {}
    # a passage names its report's title by the title's initials too ("EWEP" for "England Woodland Expansion
    # Programme"), as users abbreviate it
    passage_stems = [frozenset(_stems(" ".join([c.text, _about(c)])))
                     | initialisms(str((c.meta or {}).get("title") or "")) for c in chunks]
    for rank, chunk in enumerate(chunks):
        for f in stored[chunk.id] if chunk.id in stored else extract_figures(chunk.text):
            where = (chunk.doc_id, chunk.page, chunk.char_start + f.start)
            if where in seen:
                continue
            seen.add(where)
            measure = frozenset(_stems(f.measure or ""))
            # a list item's sentence is its announcer's too ("New woodland created with programme funding:")
            said = f"{lead_in(chunk.text, f.start)} {f.sentence}"
            c = Candidate(chunk, f, rank, measure, frozenset(_stems(clause(chunk.text, f))),
                          frozenset(_stems(said)), measure | passage_stems[rank])
            out += [c] + ([replace(c, end="low"), replace(c, end="high")] if f.is_range else [])
    return out


def _admitted(pool: list[Candidate], q: Query) -> list[Candidate]:
    """The pool less the amounts the query's status rules out (see `Candidate.admits`); all of it if none is left."""
    kept = [c for c in pool if c.admits(q)]
    return kept or pool


def _ranked(pool: list[Candidate], q: Query, s: Settings) -> list[tuple[int, int, Candidate]]:
    return sorted(((c.score(q, s), -c.rank, c) for c in _admitted(pool, q)), key=lambda t: t[:2], reverse=True)


def find(cands: list[Candidate], f: Figure, side: str, settings: Settings | None = None) -> Candidate:
    """The passage figure of the value `f` that the question quotes (a range's end will do), to cite it."""
    same = [c for c in cands if c.key == (f.unit, f.value, f.low, f.high)]
    if not same:
        raise Refusal(f"I could not find {f.raw} in the passages I retrieved")
    q, s = Query.of(side), settings or _DEFAULTS
    return max(same, key=lambda c: (c.score(q, s), c.end is None, -c.rank))


def _by_meaning(similar, side: str, pool: list[Candidate]) -> list[tuple[float, Candidate]]:
    """The figures of `pool` whose sentences mean what `side` names, best first, above `similar`'s floor.

    The fallback when no figure's words match: the question says "to come from the Treasury" where the report
    says "£738 million of HM Treasury funding"; the shipped embedding model bridges the wording."""
    if similar is None or not pool:
        return []
    scores = similar(side, [(c.chunk.id, c.figure.sentence_start, c.figure.sentence) for c in pool])
    ranked = sorted(zip(scores, range(len(pool))), reverse=True)
    return [(s, pool[i]) for s, i in ranked if s >= similar.floor]


_TIMES = CALENDAR | {"years"}  # dates and durations


def pick(cands: list[Candidate], side: str, units: tuple[str, ...], avoid: tuple = (),
         content: str | None = None, beside: str | None = None, similar=None,
         settings: Settings | None = None, context: str | None = None) -> Candidate:
    """The figure of the passages that `side` of the question names; `content` lends it words. Of figures
    that match equally well, one from document `beside` (the other operand's) is the one meant: a library
    has many reports whose "funding HM Treasury approved" is some other programme's. Figures still tied are
    told apart by the whole question, `context`: "the budget" of "did the spending on the transition exceed
    the budget" is the transition's, not another project's."""
    s = settings or _DEFAULTS
    # The question quotes the figure: find it in the passages, to cite it. A duration or date, where no time is
    # asked for, describes the side instead ("the whole three-year fund" is a sum of money, not three years).
    quoted = [f for f in stated(side) if f.unit in units or f.unit not in _TIMES]
    if quoted:
        return find(cands, quoted[0], side, s)
    q = Query.of(side, content)
    ranked: list[tuple[int, int, Candidate]] = []
    for end in dict.fromkeys((q.end, None)):  # "the maximum cost" is a range's end, or a single figure
        ranked = _ranked([c for c in cands if c.end == end and c.figure.unit in units and c.key not in avoid], q, s)
        if ranked and ranked[0][0] >= s.operand_min_score:
            break
    if not ranked or ranked[0][0] < s.operand_min_score:
        pool = [c for c in cands if c.end is None and c.figure.unit in units and c.key not in avoid]
        meant = _by_meaning(similar, side if content is None else content, pool)
        if meant:
            return meant[0][1]
        raise Refusal(f"I could not find a figure for “{side.strip(' ?')}” in the passages I retrieved")
    ranked = _measured(ranked, q, s)
    best = ranked[0][2]
    rivals = [c for s, _, c in ranked[1:] if s == ranked[0][0] and c.key != best.key]
    if rivals and beside is not None:
        tied = [c for c in [best, *rivals] if c.chunk.doc_id == beside]
        if tied and all(c.key == tied[0].key for c in tied):
            best, rivals = tied[0], []
    if rivals:  # "at a cost of £58 million compared with the £37 million budgeted": one clause, two figures
        best, rivals = _by_own_words([best, *rivals], q, cands)
    if rivals and context:
        tied = _ranked([best, *rivals], Query.of(context), s)
        if tied[0][0] > tied[1][0]:
            best, rivals = tied[0][2], []
    if rivals:
        raise Refusal(f"More than one figure could be “{side.strip(' ?')}”: {best.figure.raw} "
                      f"({best.label}) and {rivals[0].figure.raw} ({rivals[0].label})")
    return best


def _measured(ranked: list[tuple[int, int, Candidate]], q: Query, s: Settings) -> list[tuple[int, int, Candidate]]:
    """The ranking, or, when its best figure measures something the query does not name ("£330 million"
    budgeted, for "the spending on the transition") and figures of the same report measure what the query names
    ("spent £412 million"), just those: what a figure measures says what it is; the words around it only say
    what it is near."""
    best = ranked[0][2]
    if not best.measure or any(g & best.measure for g in q.concepts):
        return ranked
    named = [r for r in ranked if r[0] >= s.operand_min_score and r[2].chunk.doc_id == best.chunk.doc_id
             and any(g & r[2].measure for g in q.concepts)]
    return named or ranked


def _own_words(c: Candidate, cands: list[Candidate]) -> frozenset[str]:
    """The stems of the words that are the figure's alone: its sentence between the figures either side of it.
    A sentence comparing two figures names what each is on its own side ("at a cost of £58 million compared
    with the £37 million budgeted"), though clause and sentence are shared."""
    f, text = c.figure, c.chunk.text
    others = [o.figure for o in cands if o.chunk.id == c.chunk.id and o.figure.sentence_start == f.sentence_start
              and (o.figure.start, o.figure.end) != (f.start, f.end)]
    lo = max([o.end for o in others if o.end <= f.start], default=f.sentence_start)
    hi = min([o.start for o in others if o.start >= f.end], default=f.sentence_end)
    return frozenset(_stems(text[lo:hi]))


def _by_own_words(tied: list[Candidate], q: Query, cands: list[Candidate]) -> tuple[Candidate, list[Candidate]]:
    """Of figures the query matches equally, the one whose own words (`_own_words`) hold most of its concepts;
    all of them, still tied, when no single value has the most."""
    scored = [(sum(1 for g in q.concepts if g & _own_words(c, cands)), c) for c in tied]
    top = max(n for n, _ in scored)
    best = [c for n, c in scored if n == top]
    if top > 0 and all(c.key == best[0].key for c in best):
        return best[0], []
    return tied[0], [c for c in tied[1:] if c.key != tied[0].key]


def top_two(cands: list[Candidate], question: str, units: tuple[str, ...], similar=None,
            settings: Settings | None = None) -> tuple[Candidate, Candidate]:
    """The two best-matching figures of different values, for questions that do not name both sides."""
    try:
        return _top_two(cands, question, units, settings or _DEFAULTS)
    except Refusal:
        meant = _by_meaning(similar, question, [c for c in cands if c.end is None and c.figure.unit in units])
        firsts = [c for _, c in meant]
        second = next((c for c in firsts[1:] if c.quantity != firsts[0].quantity), None) if firsts else None
        if second is None:
            raise
        return firsts[0], second


def _top_two(cands: list[Candidate], question: str, units: tuple[str, ...],
             settings: Settings) -> tuple[Candidate, Candidate]:
    q = Query.of(question)
    best: dict[tuple, tuple[int, int, Candidate]] = {}
    for s, r, c in _ranked([c for c in cands if c.end is None and c.figure.unit in units], q, settings):
        if s >= settings.operand_min_score and c.key not in best:
            best[c.key] = (s, r, c)
    ranked = list(best.values())
    if len(ranked) < 2:
        raise Refusal("I could not find two figures to compare in the passages I retrieved")
    if len(ranked) > 2 and ranked[2][0] == ranked[1][0]:
        raws = [r[2].figure.raw for r in ranked[:3]]
        raise Refusal(f"More than two figures match the question ({raws[0]}, {raws[1]} and {raws[2]}), "
                      "so I cannot tell which to use")
    return ranked[0][2], ranked[1][2]
