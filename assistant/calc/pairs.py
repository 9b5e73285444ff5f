"""Two figures of the passages that go together as a calculation's operands: one measure dated at the two times
a question names, or two figures one sentence sets side by side ("from A to B", "A against B"), read in that
sentence's English word order."""

from __future__ import annotations

import re

from assistant.calc.operands import Candidate, Query, Refusal, _by_meaning, _own_words, _ranked
from assistant.calc.wording import _SIDES, PER, _Ask, _sides, _untimed
from assistant.config import Settings
from assistant.text.patterns import COMPARING, MONTHS, YEAR, period_met, periods
from assistant.text.terms import stem

def _at_times(cands: list[Candidate], years: list[str], subject: str, units: tuple[str, ...], settings: Settings,
              subject_text: str = ""):
    """The best figure for the subject dated in each of two years (its sentence names the year), or None.
    `subject_text`: the question with its periods, whose financial years a figure's sentence must name as such."""
    q = Query.of(subject)
    pool = [c for c in cands if c.end is None and c.figure.unit in units]
    ranked = [c for s, _, c in _ranked(pool, q, settings) if s > 0]  # some word of the subject near it
    # A comparison sentence names its measure once ("62,400 cases were waiting to be heard in the Crown Court
    # in September 2022, compared with 39,300 at the end of March 2020"): a figure of the same measure in the
    # sentence of a ranked one stands with it, though the subject's words sit by the other figure only.
    ranked += [c for c in pool if c not in ranked and any(
        _same_sentence(r, c) and r.figure.measure == c.figure.measure and r.figure.unit == c.figure.unit
        for r in ranked)]
    # Per year, the figures dated in it: a sentence naming both years ("62,400 in 2022, compared with 39,300 in
    # 2020") dates each figure by the year nearest it. The pair is one measure at two times: the best-ranked
    # pair of the same unit and measure, else of the same unit.
    # A financial year asked ("between 2017-18 and 2018-19") is met only by itself: "since 6 April 2017" names the
    # calendar year, not the financial year, and dates no figure of it (`period_met`)
    fys = [next((p for p in periods(subject_text) if p.startswith(f"{year}-")), None) for year in years] \
        if subject_text else [None] * len(years)
    near = [[c for c in ranked if year in c.figure.sentence and _nearest_year(c, years) == year
             and (fy is None or period_met(fy, periods(c.figure.sentence)))] for year, fy in zip(years, fys)]
    pairs = [(a, b) for a in near[0] for b in near[1] if a is not b and a.figure.unit == b.figure.unit]
    same = [(a, b) for a, b in pairs if a.figure.measure == b.figure.measure]
    if not (same or pairs):
        return None
    return min(same or pairs, key=lambda p: ranked.index(p[0]) + ranked.index(p[1]))


# A figure stated as a rate: "per", "a", "each" and a noun straight after it ("£11.2 million per mile").
_RATE = re.compile(r"\s*(?:per|a|an|each|for each|for every)\s+([a-z]+)\b", re.I)


def _rate_of(c: Candidate) -> str | None:
    """The stem of the thing a figure is a rate of ("£14.6 million per mile": mile), or None."""
    m = _RATE.match(c.chunk.text, c.figure.end)
    return stem(m.group(1).lower()) if m else None


def _rates_asked(question: str, cands: list[Candidate]) -> list[Candidate]:
    """Where the question compares a rate ("the cost per mile of pre-2017 schemes vs schemes under way"), the
    figures stated as that rate, when the passages state two or more of different values; else all. A total
    ("£4.2 billion for 22 schemes") is no cost per mile, however well its words fit a side. English grammar of
    "per", no corpus word."""
    m = PER.search(question)
    if m is None:
        return cands
    per = stem(m.group(1).lower())
    rated = [c for c in cands if _rate_of(c) == per]
    return rated if len({(c.quantity.lo, c.quantity.hi) for c in rated}) >= 2 else cands


_MONTH = re.compile(rf"\b(?:{MONTHS})\b")


def _nearest_year(c: Candidate, years: list[str]) -> str | None:
    """Of the given years (or months, "January" and "August" of one year), the one written closest to the figure
    in its sentence."""
    s = c.figure.sentence
    when = _MONTH if years and years[0][:1].isalpha() else YEAR
    at = max(0, s.find(c.figure.raw))
    cuts = [0] + [m.end() for m in re.finditer(r"[,;:]\s", s)] + [len(s)]
    lo = max(x for x in cuts if x <= at)
    hi = min(x for x in cuts if x > at) if any(x > at for x in cuts) else len(s)
    # "grew from 118,000 in March 2019 to 246,000 in March 2021": a year written after the figure and before the
    # next number dates it
    after = s[at + len(c.figure.raw):hi]
    for m in re.finditer(rf"\d+(?:[,.]\d+)*|{_MONTH.pattern}", after):
        if m.group() in years:
            return m.group()
        if m.group()[:1].isdigit() and not YEAR.fullmatch(m.group()) and \
                not re.search(rf"(?:{MONTHS})\s*$|-$", after[:m.start()]):
            break  # another figure ("to 246,000") begins: what follows dates that one
    own = [m.group() for m in when.finditer(s[lo:hi]) if m.group() in years]  # the figure's own clause
    if own:
        return own[0]
    spots = [(abs(m.start() - at), m.group()) for m in when.finditer(s) if m.group() in years]
    return min(spots)[1] if spots else None


def _same_sentence(a: Candidate, b: Candidate) -> bool:
    """Whether two figures sit in one sentence of one passage."""
    return a.chunk.id == b.chunk.id and a.figure.sentence_start == b.figure.sentence_start


def _paragraph_start(c: Candidate) -> int:
    """Where the figure's paragraph begins in its passage: after the last blank line before it."""
    opened = c.chunk.text.rfind("\n\n", 0, c.figure.start)
    return opened + 2 if opened >= 0 else 0


def _same_paragraph(a: Candidate, b: Candidate) -> bool:
    """Whether two figures sit in one paragraph (no blank line between them) of one passage."""
    return a.chunk.id == b.chunk.id and _paragraph_start(a) == _paragraph_start(b)


def _step(chain: list[Candidate], years: list[str]) -> tuple[Candidate, Candidate]:
    """The step of a change "from A to B and to C" a question asks about: the one starting at the figure dated by
    the one year it names ("between the NAO's 2023 figure and the latest": B to C), or ending there when it is the
    last; else the first step, A to B."""
    if len(chain) > 2 and len(set(years)) == 1:
        at = [i for i, c in enumerate(chain) if _nearest_year(c, YEAR.findall(c.figure.sentence)) == years[0]]
        if len(at) == 1:
            i = min(at[0], len(chain) - 2)
            return chain[i], chain[i + 1]
    return chain[0], chain[1]


def _in_period(ask: _Ask, pool: list[Candidate]) -> list[Candidate]:
    """The figures of `pool` (one calculation's units) whose sentences name the one period the question names ("how
    far short of its target in 2023-24": that year's row of a table, not another year's), where at least the two a
    calculation needs do; else all of `pool`. The period places the question in time: it is never an operand. A
    period that only bounds a time ("the needs up to 2024-25", "fall after 2022-23") dates fewer than two of the
    figures asked for, and they are looked for among all."""
    asked = periods(ask.text)
    if len(asked) != 1:
        return pool
    dated = [c for c in pool if period_met(next(iter(asked)), periods(_dated_by(c)))]
    return dated if len(dated) >= 2 else pool


def _dated_by(c: Candidate) -> str:
    """The words that date a figure: its sentence, or where that names no period, the sentences before it in its
    paragraph ("By March 2018 it had closed 61 of them. Proceeds ... £112 million had been received against a
    forecast of £175 million": March 2018). A sentence that names its own period ("2023-24: 5,080 hectares") is
    dated by it alone."""
    if periods(c.figure.sentence):
        return c.figure.sentence
    return c.chunk.text[_paragraph_start(c):c.figure.sentence_end]


# The words that set a figure against another, the start or benchmark it is measured from (English grammar).
_SET_AGAINST = re.compile(rf"\b(?:against|{COMPARING}|relative to)\s", re.I)


def _stated_change(ask: _Ask, cands: list[Candidate], picked: list, units: tuple[str, ...],
                   refusal: Exception) -> tuple[Candidate, Candidate]:
    """After `refusal` (the question's sides fit more than one figure, or none, or it names no side and no unit):
    the two figures of the sentence that fits the question best, where it sets them side by side. Reports state a
    comparison in one sentence, and its English word order says which figure is the start:
    - a change "from A ... to B" ("risen from £11.2 million per mile ... to £14.6 million"): A, then B;
    - just two figures of one unit: as written ("491,300 starts in 2016-17 ... but only 393,600 in 2018-19"),
      except that a figure set "against" or "compared with" the other is the start ("£410 million ..., against
      £150 million assumed at launch": £150 million, then £410 million).
    Else the refusal stands."""
    rated = _rates_asked(ask.text, cands)
    pool = _in_period(ask, [c for c in rated if c.end is None and c.figure.unit in units])
    subject = _untimed(ask.subject)
    ranked = _ranked(pool, Query.of(subject), ask.settings)
    # the best figure by the question's words, else by meaning (the words of "how long was the wait" need not be
    # the report's: "it took an average of 11 weeks to approve an application")
    found = [c for score, _, c in ranked if score > 0]
    first = found[:1] or [c for _, c in _by_meaning(ask.similar, subject, pool)][:1]
    seen = set()
    # the best figure's sentence first; then those of the next best, where the sentence states a change "from A
    # to B". Two figures of one unit in a sentence the question's words fit less well may measure something else
    # ("7,500 hectares a year by 2024-25, rising to 10,000"); "B against A" there computed a wrong figure where a
    # quote had answered (validation)
    for best in [*first, *found[1:]]:
        key = (best.chunk.id, best.figure.sentence_start)
        if key in seen:
            continue
        later = bool(seen)  # not the best figure's own sentence
        seen.add(key)
        text = best.chunk.text
        near = [c for c in pool if _same_sentence(c, best)]
        # the best figure's unit first: "27 bids worth £612 million against £170 million" compares the money
        for unit in dict.fromkeys([best.figure.unit, *(c.figure.unit for c in near)]):
            same = sorted((c for c in near if c.figure.unit == unit), key=lambda c: c.figure.start)
            for i, x in enumerate(same[:-1]):
                if not re.search(r"\bfrom\s+$", text[max(0, x.figure.start - 6):x.figure.start]):
                    continue
                chain = [x]  # "from A in 2019 to B in 2023 and to C now": each step opened by "to"
                for y in same[i + 1:]:
                    if not re.search(r"\bto\b", text[chain[-1].figure.end:y.figure.start]):
                        break
                    chain.append(y)
                if len(chain) > 1:
                    x, y = _step(chain, YEAR.findall(ask.text))
                    picked[:] = [x, y]
                    return x, y
            if len(same) == 2 and len({(c.quantity.lo, c.quantity.hi) for c in same}) == 2:
                x, y = same
                if later:
                    continue
                if _SET_AGAINST.search(text[x.figure.end:y.figure.start]):
                    x, y = y, x
                picked[:] = [x, y]
                return x, y
    # the two rates the passages state ("£11.2 million per mile for schemes completed before 2017 ... £14.6 million
    # per mile for schemes currently under way"), where the question names two sides too briefly to pick either by
    # its words: each side is the figure whose own words it shares, in the question's order
    sides = _sides(subject, _SIDES)
    if sides is not None and rated is not cands and len({c.key for c in pool}) == 2:
        x, y = _sides_by_own_words(sides, pool)
        picked[:] = [x, y]
        return x, y
    raise refusal


def _sides_by_own_words(sides: tuple[str, str], cands: list[Candidate]) -> tuple[Candidate, Candidate]:
    """Two sides given two figures of different values: the order in which more of each side's words are the
    figure's own (`operands._own_words`: its sentence between the figures either side of it); refused when neither
    order fits better."""
    x, y = list({c.key: c for c in cands}.values())
    qa, qb = (Query.of(side) for side in sides)

    def shared(q: Query, c: Candidate) -> int:
        return sum(1 for g in q.concepts if g & _own_words(c, cands))

    straight, swapped = shared(qa, x) + shared(qb, y), shared(qa, y) + shared(qb, x)
    if straight == swapped:
        raise Refusal(f"I cannot tell which of {x.figure.raw} and {y.figure.raw} is “{sides[0].strip(' ?')}”")
    return (x, y) if straight > swapped else (y, x)

