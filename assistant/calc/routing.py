"""Spot a calculation question and compute it from the figures of the retrieved passages, citing each operand."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from assistant.calc import calculators as calc
from assistant.calc import series
from assistant.calc.calculators import CalculationResult, Quantity
from assistant.config import Settings
from assistant.errors import CalculationError
from assistant.text.figures import WORD_VALUES, extract_figures
from assistant.text.spelling import is_english
from assistant.calc.operands import (Candidate, FigureLookup, Query, Refusal, _by_meaning, _ranked, candidates,
                                     concepts, find, names_no_end_noun, pick, stated, top_two)
from assistant.calc.pairs import _at_times, _in_period, _rates_asked, _same_paragraph, _same_sentence, _stated_change
from assistant.calc.wording import (_ASKS_AGAIN, _EITHER_SIDES, _HOW_MUCH, _NUMBER_WORD, _OPERATIONS, _REFERS_BACK,
                                    _SHARE_SIDES, _SIDES, _TIME, _TOTAL_SIDES, _UNIT_CUES, PER, PLAIN_HOW_LONG, _Ask,
                                    _names_nothing, _only_time, _operation, _sides, _units, _untimed)
from assistant.text.patterns import DURATION, MONTHS, YEAR
from assistant.text.terms import stems
from assistant.types import Calculation, Chunk


@dataclass(frozen=True)
class Evidence:
    """The passage behind one operand: its chunk, the verbatim sentence quoted, and what the figure is."""

    chunk: Chunk
    quote: str
    label: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the chunk by id, document and page, with the quote and label."""
        return {"chunk_id": self.chunk.id, "doc_id": self.chunk.doc_id, "page": self.chunk.page,
                "quote": self.quote, "label": self.label}


@dataclass(frozen=True)
class RoutedCalculation:
    """A routed question: the calculation (or None with `error`), one Evidence per operand, a one-line summary.

    Evidence follows operand order. An operand the question itself supplies (the N of "over N years", the
    three of "each of the three bids" when no passage counts them) comes last, is labelled "from the question"
    and has no evidence, so zip(evidence, operands) pairs them right.
    """

    calculation: Calculation | None
    evidence: tuple[Evidence, ...]
    summary: str
    error: str | None = None
    operation: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the CLI, the evals and the UI."""
        return {"operation": self.operation, "summary": self.summary, "error": self.error,
                "calculation": self.calculation.to_dict() if self.calculation else None,
                "evidence": [e.to_dict() for e in self.evidence]}


def _pick(ask: _Ask, cands: list[Candidate], *args, **kwargs) -> Candidate:
    return pick(cands, *args, similar=ask.similar, settings=ask.settings, **kwargs)


class _NotACalculation(Exception):
    """The wording sounded like a calculation ("the skills gap") but names no figures to compute with."""


def _evidence(c: Candidate, label: str | None = None) -> Evidence:
    return Evidence(chunk=c.chunk, quote=c.figure.sentence, label=label or c.label)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _about(result: CalculationResult) -> str:
    return "about " if "≈" in result.expression else ""


def route_calculation(question: str, chunks: list[Chunk], context: str | None = None,
                      similar=None, figures: FigureLookup | None = None,
                      settings: Settings | None = None) -> RoutedCalculation | None:
    """The calculation a question asks for, worked out from the retrieved chunks; None if it asks for none.

    `context` is the previous question of the conversation: a question that refers back to it ("What
    percentage is that?") takes its subject from it. Which calculation is asked comes from `question` alone.
    `figures` looks up the chunks' figures stored at ingestion (see `operands.candidates`); `settings` gives
    the weights operands are scored with (the `operand_*` settings; their defaults when None).
    """
    op = _operation(question)
    if op is None:
        return None
    subject = f"{question} {context}" if context and _REFERS_BACK.search(question) else question
    cands = candidates(chunks, figures)
    picked: list[Candidate] = []
    try:
        routed = _ROUTES[op](_Ask(question, subject, similar, settings or Settings(), tuple(chunks)), cands, picked)
    except _NotACalculation:
        return None
    except Refusal as exc:
        noun = {"years_between": "number of years", "per_year": "amount"}.get(op, op.replace("_", " "))
        msg = f"{exc}, so I cannot work out the {noun}."
        return RoutedCalculation(None, tuple(_evidence(c) for c in picked), msg, msg, op)
    except CalculationError as exc:
        return RoutedCalculation(None, tuple(_evidence(c) for c in picked), str(exc), str(exc), op)
    if routed is None:
        return None
    result, evidence, summary = routed
    return RoutedCalculation(result, tuple(evidence), summary, None, op)


_Routed = tuple[CalculationResult, list[Evidence], str] | None  # calculation, evidence, summary; None: not one


def _two_sided(ask: _Ask, cands: list[Candidate], picked: list, units: tuple[str, ...],
               patterns: tuple[re.Pattern, ...] = _SIDES, guess: bool = False) -> tuple[Candidate, Candidate, bool]:
    """Both operands, and whether their order comes from the question (True) or is free (False)."""
    timed = not (set(units) & calc.CALENDAR)
    cands = _rates_asked(ask.text, cands)
    sides = _sides(ask.text, patterns)
    if sides is not None and any(_names_nothing(s) for s in sides):
        sides = None  # "How many years later than originally planned is the deadline": one subject, two figures
    if sides is not None and timed and any(_only_time(s) for s in sides):
        sides = None  # "between March 2019 and March 2020, how many more homes": two times of one measure
    dated = ask.text  # the question with its periods, which `timed` takes out of `ask`
    if timed:  # years and periods place the question in time; they are never operands of a sum of money
        years = list(dict.fromkeys(YEAR.findall(dated)))
        ask = replace(ask, text=_untimed(ask.text), subject=_untimed(ask.subject))
        if sides is not None:  # "spending by the end of 2014-15 exceed the budget": the year dates a side
            sides = tuple(" ".join(_untimed(s).split()) for s in sides)
        # "between January and August 2022": two months of one year date the two figures by their months
        months = list(dict.fromkeys(m.capitalize() for m in re.findall(rf"\b(?:{MONTHS})\b", dated, re.I)))
        times = years if len(years) == 2 else months if len(years) == 1 and len(months) == 2 else []
        if sides is None and times:  # "between March 2019 and March 2020": one measure at two times
            pair = _at_times(cands, times, ask.subject, units, ask.settings, dated)
            if pair is not None:
                picked[:] = list(pair)
                return pair[0], pair[1], False
    quoted = [f for f in stated(ask.text) if f.unit in units]
    if sides is None and len(quoted) == 2:  # "How many years after the 2018 launch is the 2028 deadline?"
        a = find(cands, quoted[0], ask.text, ask.settings)
        picked.append(a)
        b = find(cands, quoted[1], ask.text, ask.settings)
    elif sides is None and timed and len(given := [f for f in stated(ask.text) if f.unit not in calc.CALENDAR]) == 1 \
            and (given[0].unit in units or units == _HOW_MUCH):
        # "Leakage was 2,770 Ml/d in 2022-23: how much further must it fall to reach the goal?": the question
        # gives one operand; the rest of it names the other, in the same unit and, where it has one, the same report.
        # Its unit is the one asked, or "how much" asks it (an amount of anything: money, megalitres); "how many
        # megalitres ... to hit the 15% target" gives a percentage that only names the target
        a = find(cands, given[0], ask.text, ask.settings)
        picked.append(a)
        rest = " ".join(ask.subject.replace(given[0].raw, " ").split())
        own = [c for c in cands if c.chunk.doc_id == a.chunk.doc_id]
        b = _pick(ask, own, rest, (a.figure.unit,), avoid=(a.key,), context=dated)  # its times tell ties apart
    elif sides is None:
        if len(units) > 1 and not guess:  # no sides and no unit named: a guess would compute something unasked
            raise _NotACalculation
        # "how many hectares below target in 2023-24?": the one period the question names dates both figures
        # (that year's row, not another year's), where at least two figures are dated in it; it is no operand
        pool = _in_period(replace(ask, text=dated), [c for c in cands if c.figure.unit in units]) \
            if timed and not _BOUNDED.search(dated) else cands
        a, b = top_two(pool, ask.subject, units, similar=ask.similar, settings=ask.settings)
    else:
        # "the highest and lowest cost": an end whose noun is on the other side borrows that side's words
        both = " ".join(sides)
        lent = [both if names_no_end_noun(s) else None for s in sides]
        a = _pick(ask, cands, sides[0], units, content=lent[0])
        picked.append(a)
        same = units if stated(sides[1]) or a.figure.unit in calc.CALENDAR else (a.figure.unit,)
        # "did the spending exceed its budget?": a side that refers back ("its", "their") is of the first side's
        # subject, so its figure is in the first side's report; English reference, not any report's wording
        own = [c for c in cands if c.chunk.doc_id == a.chunk.doc_id] if _REFERS_TO_FIRST.match(sides[1]) else []
        b = _pick(ask, own or cands, sides[1], same, avoid=(a.key,), content=lent[1], beside=a.chunk.doc_id,
                  context=ask.subject)
    picked[:] = [a, b]
    return a, b, sides is not None and not re.search(r"\bbetween\b", ask.text, re.I)


# A year after a word that makes it a bound or one side of a comparison ("fall after 2022-23", "than in 2021",
# "by March 2018", "since 2016"), not the time the whole question is in: English prepositions and comparison.
_BOUNDED = re.compile(rf"\b(?:after|before|since|until|till|by|than|from|to|between)\s+(?:(?:in|the|end|start|"
                      rf"of|{MONTHS})\s+)*(?:19|20)\d\d\b", re.I)


_REFERS_TO_FIRST = re.compile(r"^\W*(?:its|their|his|her)\b", re.I)


def _by_size(a: Candidate, b: Candidate, picked: list, larger_first: bool = True) -> tuple[Candidate, Candidate]:
    """The two operands ordered by size (ranges by their middle), when their units allow a comparison."""
    mid_a, mid_b = ((q.lo + q.hi) / 2 for q in (a.quantity, b.quantity))
    if a.figure.unit == b.figure.unit and (mid_a < mid_b if larger_first else mid_a > mid_b):
        a, b = b, a
    picked[:] = [a, b]
    return a, b


def _distinct(a: Candidate, b: Candidate) -> None:
    """Refuse one value found on both sides: it is not two figures to compare, whatever each is labelled."""
    qa, qb = a.quantity, b.quantity
    if (qa.unit, qa.lo, qa.hi) == (qb.unit, qb.lo, qb.hi):
        raise Refusal(f"I found {a.figure.raw} on both sides and no second figure to compare it with")


def _difference(ask: _Ask, cands: list[Candidate], picked: list) -> _Routed:
    units = _units(ask.text, ("GBP", "count", "percent"))
    try:
        a, b, _ = _two_sided(ask, cands, picked, units)
    except (Refusal, _NotACalculation) as exc:  # "by how much did the cost per mile rise?": a sentence may state it
        a, b = _stated_change(ask, cands, picked, units, exc)
    if _sides(ask.text, _SIDES) is None and a.figure.unit == b.figure.unit == "count" and a.measure and b.measure \
            and not a.measure & b.measure:
        # "By how much have the companies cut their headcount?" names no two sides: two counts of different things
        # ("1,050 left" and "11 companies") have no difference; the passage states the change, or none does
        raise _NotACalculation
    a, b = _by_size(a, b, picked)  # a gap, or "how much less", is the larger less the smaller
    _distinct(a, b)
    result = calc.difference(a.quantity, b.quantity)
    word = next((w for w in ("shortfall", "gap", "surplus", "overspend") if w in ask.text.lower()), "difference")
    summary = f"The {word} between {a.named()} and {b.named()} is {result.result}."
    return result, [_evidence(a), _evidence(b)], summary


def _years_between(ask: _Ask, cands: list[Candidate], picked: list) -> _Routed:
    if PLAIN_HOW_LONG.search(ask.text):
        # the two ends stated in the one sentence that fits the question best ("between May 2015 and March 2020",
        # "began on 1 July 2022 and is due to close on 31 March 2024"); else a sentence states the span, or nothing
        a, b = _stated_change(ask, cands, picked, tuple(sorted(calc.CALENDAR)), _NotACalculation())
        if DURATION.search(a.figure.sentence):
            raise _NotACalculation  # "a new ten-year strategy ... by 2025": the sentence states the span itself
    else:
        a, b, _ = _two_sided(ask, cands, picked, tuple(sorted(calc.CALENDAR)), guess=True)
    a, b = _by_size(a, b, picked, larger_first=False)
    result = calc.years_between(a.quantity, b.quantity, in_months=bool(re.search(r"\bmonths\b", ask.text, re.I)))
    if result.quantity is not None and result.quantity.hi < 0:
        # "how much later than the date the NAO was given in 2021?": no span runs backwards, so one end is a year
        # that only dates the question ("in 2021"), not the date asked about
        raise Refusal(f"{b.quantity.display()} is before {a.quantity.display()}, so they are not the two ends asked "
                      f"about")
    if re.search(r"pushed|put back|delay|slip|later", ask.text, re.I):
        summary = f"It moved from {a.quantity.display()} to {b.quantity.display()}, {result.result} later."
    else:
        summary = f"{b.quantity.display()} is {result.result} after {a.quantity.display()}."
    return result, [_evidence(a), _evidence(b)], summary


def _report_figure(ask: _Ask, cands: list[Candidate], text: str, units: tuple[str, ...]) -> Candidate:
    """The figure that fits the whole of a share question best, which says what report the share is of: as `pick`,
    but figures of one unit tied with it in its own sentence are no ambiguity here ("210 cases had been closed, of
    which 85 were confirmed": which is the part and which the whole is for `_part` to say)."""
    try:
        return _pick(ask, cands, text, units)
    except Refusal:
        ranked = _ranked([c for c in cands if c.end is None and c.figure.unit in units], Query.of(text), ask.settings)
        if not ranked or ranked[0][0] < ask.settings.operand_min_score:
            raise
        tied = [c for score, _, c in ranked if score == ranked[0][0]]
        if len({c.figure.unit for c in tied}) > 1 or not all(_same_sentence(c, tied[0]) for c in tied):
            raise
        return tied[0]


# A side that is only a pronoun (English): it stands for something said before it.
_PRONOUN = re.compile(r"\W*(?:that|this|it|those|these|they|them)\W*", re.I)


def _share(ask: _Ask, cands: list[Candidate], picked: list) -> _Routed:
    m = next((p.search(ask.text) for p in _SHARE_SIDES if p.search(ask.text)), None)
    part_text, whole_text = (m.group("part"), m.group("whole")) if m else (ask.subject, "")
    if m and _PRONOUN.fullmatch(part_text):
        # "Only some of the firms expected signed up by March 2019 - what percentage of the expected number was
        # that?": the pronoun stands for what the question said before it asked
        part_text = ask.text[:m.start()]
    # "What share of the funding allowed for 2020-25 had companies spent by March 2023?": the times place
    # each side, they are not its figure (a share is never of a year)
    part_text, whole_text = (" ".join(_untimed(t).split()) for t in (part_text, whole_text))
    # "how much of the budget had been used up, as a percentage?": the result's unit names no part of the side
    part_text = re.sub(r"[\s,;:-]*\bas an? (?:percentage|proportion|share|fraction)\W*$", "", part_text, flags=re.I)
    try:
        probe = _pick(ask, cands, part_text + " " + whole_text, ("count", "GBP", "percent"))
        if probe.figure.unit == "percent":
            return None  # the passage states the percentage itself: nothing to calculate
    except Refusal:
        probe = None
    # the percentage is the result asked for, not the unit of the part or the whole ("what % are ...?")
    units = _units(re.sub(r"percentage|per ?cent|%", "", ask.subject, flags=re.I), ("count", "GBP"))
    try:
        top = _report_figure(ask, cands, part_text + " " + whole_text, units)
    except Refusal:
        if probe is None or probe.figure.unit in units or not _sides_measure(probe, whole_text):
            raise
        # "What proportion of the buses funded ... were carrying passengers?": "funded" hints at money, but no sum
        # of money fits, and the figure that best fits both sides counts what the whole names (buses)
        units = (probe.figure.unit,)
        top = _pick(ask, cands, part_text + " " + whole_text, units)
    # A share is of one report's figures: the report whose figure fits the whole question best gives both the part
    # and the whole, so a library's other reports cannot lend one ("£1.45 billion spent to date" on prisons is not
    # part of the £1.6 billion allowed for leakage).
    cands = [c for c in cands if c.chunk.doc_id == top.chunk.doc_id]
    part = _part_beside(ask, cands, part_text, m.group("part"), whole_text, (top.figure.unit,)) if m else top
    picked.append(part)
    total = part.figure.of_total
    if total is None:  # "five are still being implemented": the whole may sit on a sibling "two of the seven"
        sibling = next((c for c in cands if _same_sentence(c, part) and c.figure.of_total is not None), None)
        if sibling is not None:
            total = sibling.figure.of_total
            if total == part.figure.value and sibling.key != part.key:
                # "2,830 live-lane stops, of which 310 occurred on sections with detection": the figure picked is
                # the whole the sibling is a part of, so the sibling is the part
                part = picked[-1] = sibling
    if total is not None:
        head = (part.figure.measure or "").split(" ")[0] or ("items" if part.figure.unit == "count" else "the amount")
        whole_q = Quantity(total, part.figure.unit, label=f"all {head}")
        # the whole is cited where it is written: the part's sentence ("176 of the 213 trusts"), or the one before
        # it ("The 37 trusts without an EPR ... Of these, 22 are ...")
        whole = next((c for c in reversed(cands) if c.chunk.id == part.chunk.id and c.end is None
                      and c.figure.unit == part.figure.unit and c.figure.value == total
                      and c.figure.start < part.figure.start and not _same_sentence(c, part)), part)
        evidence = [_evidence(part), _evidence(whole, f"all {head}")]
    else:
        if not whole_text:
            raise Refusal(f"I found {part.figure.raw} but not the whole it is a share of")
        try:
            whole = _pick(ask, cands, whole_text, (part.figure.unit,), avoid=(part.key,))
        except Refusal:
            # "what percentage of the expected number was that?" names the whole by no word of the report ("BEIS
            # assumed that around 2,000 firms would register ..., but only 640 had done so"): where the part's
            # sentence holds one other figure of its unit, the two are the part and the whole, the smaller the part
            other = {c.key: c for c in cands if _same_sentence(c, part) and c.end is None and c.key != part.key
                     and c.figure.unit == part.figure.unit}
            if len(other) != 1:
                raise
            part, whole = sorted([part, *other.values()], key=lambda c: c.quantity.value)
            picked[-1] = part
        whole_q = whole.quantity
        evidence = [_evidence(part), _evidence(whole)]
    picked.append(whole)
    result = calc.share(part.quantity, whole_q)
    if total is not None:
        shown = f"{part.quantity.display()} of {whole_q.display()}"
        label = f" ({part.label})" if part.label != part.quantity.display() else ""  # "(£64 million)" says nothing new
        summary = f"{shown}{label} is {_about(result)}{result.result}."
    else:
        summary = f"{_cap(part.named())} is {_about(result)}{result.result} of {whole.named()}."
    return result, evidence, summary


def _part_beside(ask: _Ask, cands: list[Candidate], part_text: str, timed: str, whole_text: str,
                 units: tuple[str, ...]) -> Candidate:
    """The part of a share whose whole the question states ("How much of the expected £1.6bn loss is down to
    fraud?"): a report gives a part beside its whole ("... £1.6 billion in March 2023. Of this, an estimated £410
    million is expected to arise from fraud"), so the figures of the whole's paragraph are read first; a part
    elsewhere in the passages ("£12.3 million of suspected fraud losses has been recovered") is another share's."""
    whole = stated(whole_text)
    at = [c for c in cands if whole and c.key == (whole[0].unit, whole[0].value, whole[0].low, whole[0].high)]
    beside = [c for c in cands if c not in at and any(_same_paragraph(c, w) for w in at)]
    if beside:
        try:
            return _part(ask, beside, part_text, timed, units)
        except Refusal:
            # "the original £1.1 billion budget comprised £738 million of HM Treasury funding and £362 million to be
            # met by the Ministry": too few of the side's words ("to come from the Treasury") are in the passage to
            # pick by them, but the words after each part up to the next say what it is
            after = _by_words_after([c for c in beside if c.end is None and c.figure.unit in units], part_text, cands)
            if after is not None:
                return after
    return _part(ask, cands, part_text, timed, units)


# Where a figure's words end: the next conjunction, semicolon or closing bracket (English clause structure)
_CLAUSE_END = re.compile(r"\s(?:and|but|or|while|whereas)\s|[;)]")


def _by_words_after(pool: list[Candidate], side: str, cands: list[Candidate]) -> Candidate | None:
    """The figure of `pool` whose words after it, up to the next figure of its sentence or the end of its clause
    ("£738 million of HM Treasury funding and ..."), hold more of the side's names than any other value's; None when
    none holds any or two values tie. A part of a whole is told by who gives or gets it, named after it: "of HM Treasury
    funding", "to be met by the Ministry"; a common word of the side ("spent on consultants") tells no part apart."""
    concepts_ = Query.of(side).names
    scored = []
    for c in pool:
        f, text = c.figure, c.chunk.text
        nexts = [o.figure.start for o in cands if o.chunk.id == c.chunk.id and o.figure.start >= f.end
                 and o.figure.sentence_start == f.sentence_start]
        stop = min([*nexts, f.sentence_end])
        words = text[f.end:stop]
        cut = _CLAUSE_END.search(words)
        words = words[:cut.start()] if cut else words
        held = stems(words)
        scored.append((sum(1 for g in concepts_ if g & held), c))
    scored.sort(key=lambda x: -x[0])
    if not scored or scored[0][0] == 0:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0] and scored[1][1].key != scored[0][1].key:
        return None
    return scored[0][1]


def _part(ask: _Ask, cands: list[Candidate], part_text: str, timed: str, units: tuple[str, ...]) -> Candidate:
    """The part of a share, named by `part_text` (the side without its times). Figures it fits equally are told
    apart by the whole question; where its words fit no figure ("how much of the £815m budget had been used up
    by 31 March 2023?"), the side with its time (`timed`) finds the figure of that date: a time is no operand,
    but it says which figure the side means."""
    try:
        return _pick(ask, cands, part_text, units, context=ask.text)
    except Refusal:
        times = [" ".join(t.group().split()).lower() for t in _TIME.finditer(timed)]
        dated = [c for c in cands if times and c.end is None and c.figure.unit in units
                 and all(t in " ".join(c.figure.sentence.split()).lower() for t in times)]
        if len({c.quantity for c in dated}) == 1:
            return dated[0]
        meant = _by_meaning(ask.similar, part_text or timed, dated)
        if not meant:
            raise
        return meant[0][1]


def _sides_measure(c: Candidate, whole_text: str) -> bool:
    """Whether what the figure measures shares a word with the whole the question names ("2,940 buses" for "the
    buses funded by 31 December 2023")."""
    return bool(stems(c.figure.measure or "") & stems(whole_text))


def _compared(ask: _Ask, cands: list[Candidate], picked: list, units: tuple[str, ...],
              fn) -> tuple[Candidate, Candidate, CalculationResult]:
    """Both operands, in the question's order or, where it gives none, the larger first, and `fn` of them."""
    a, b, ordered = _two_sided(ask, cands, picked, units)
    if not ordered:
        a, b = _by_size(a, b, picked)
    return a, b, fn(a.quantity, b.quantity)


def _ratio(ask: _Ask, cands: list[Candidate], picked: list) -> _Routed:
    units = _units(ask.text, ("GBP", "count", "percent"))
    try:
        a, b, result = _compared(ask, cands, picked, units, calc.ratio)
    except (Refusal, _NotACalculation) as exc:  # "How many times over was the round oversubscribed?"
        a, b = _by_size(*_stated_change(ask, cands, picked, units, exc), picked)
        result = calc.ratio(a.quantity, b.quantity)
    return result, [_evidence(a), _evidence(b)], f"{_cap(a.named())} is {_about(result)}{result.result} {b.named()}."


def _percent_change(ask: _Ask, cands: list[Candidate], picked: list) -> _Routed:
    # the percentage is the result asked for ("how much did claims go up in %?"), not the unit of its operands
    # ("by how many per cent": "how many" asks for the percentage there, not for a count)
    units = _units(re.sub(r"%|\bper ?cent\b|\bpercentage\b|\bhow much\b|\bhow many\b(?=\s*(?:%|per ?cent))", "",
                          ask.text, flags=re.I), ("GBP", "count"))
    try:
        if re.search(r"\bfrom\b.+\bto\b", ask.text, re.I):  # "from X to Y": a change, in the question's order
            a, b, _ = _two_sided(ask, cands, picked, units)
            result = calc.percent_change(a.quantity, b.quantity)
            summary = f"From {a.named()} to {b.named()} is a change of {_about(result)}{result.result}."
        else:
            a, b, result = _compared(ask, cands, picked, units, calc.exceeds_by_percent)
            summary = f"{_cap(a.named())} exceeds {b.named()} by {_about(result)}{result.result}."
    except (Refusal, _NotACalculation) as exc:
        # "By what percentage did the contribution rise?" names neither side nor unit: a guess between two figures
        # would compute something unasked, but the sentence that fits the question best may state the change
        a, b = _stated_change(ask, cands, picked, units, exc)
        result = calc.percent_change(a.quantity, b.quantity)
        summary = f"From {a.named()} to {b.named()} is a change of {_about(result)}{result.result}."
    return result, [_evidence(a), _evidence(b)], summary


def _larger(ask: _Ask, cands: list[Candidate], picked: list) -> _Routed:
    """Which of two figures is the larger, with the difference as the working: the figures may come from two
    reports ("the levy's receipts or the fund")."""
    sides = _sides(ask.text, _EITHER_SIDES)
    if sides is None:
        raise _NotACalculation  # "which is the larger programme?": one subject, no two figures to weigh
    first, second, _ = _two_sided(ask, cands, picked, _units(ask.text, ("GBP", "count", "percent")), _EITHER_SIDES)
    # Each figure is named as the question names it: the user's words say which is which.
    named = {first.key: f"{sides[0]} ({first.quantity.display()})",
             second.key: f"{sides[1]} ({second.quantity.display()})"}
    a, b = _by_size(first, second, picked)
    _distinct(a, b)
    result = calc.difference(a.quantity, b.quantity)
    if re.search(r"\bmore or less than\b", ask.text, re.I):
        word = "more" if a is first else "less"
        summary = f"{_cap(named[first.key])} is {word} than {named[second.key]}, by {result.result}."
    else:
        summary = f"{_cap(named[a.key])} is larger than {named[b.key]}, by {result.result}."
    return result, [_evidence(first), _evidence(second)], summary


def _midpoint(ask: _Ask, cands: list[Candidate], picked: list) -> _Routed:
    ranged = [c for c in cands if c.figure.is_range and c.end is None]
    a = _pick(ask, ranged, ask.subject, _units(ask.subject, ("GBP", "count", "percent")))
    picked.append(a)
    result = calc.midpoint(a.quantity)
    return result, [_evidence(a)], f"The midpoint of {a.named()} is {result.result}."


def _per_year(ask: _Ask, cands: list[Candidate], picked: list) -> _Routed:
    question = ask.text
    if dict(_OPERATIONS)["total"].search(question):  # "the total spent on X over the four years": a row's sum
        routed = _row_total(ask)
        if routed is not None:
            return routed
    n = re.search(rf"over (?:the )?(?:next )?({_NUMBER_WORD})[ -]years?\b", question, re.I).group(1)
    years = Quantity(Decimal(WORD_VALUES.get(n.lower(), n)), "years", label="from the question")
    a = _pick(ask, cands, re.sub(r"over .*?years?\b", "", question), _units(question, ("GBP", "count")))
    picked.append(a)
    yearly = (a.figure.measure or "").endswith("per annum")
    if re.search(r"\b(?:per|a|each) (?:year|annum)\b|\bannual", question, re.I) and not yearly:
        result = calc.total_to_annual(a.quantity, years)
        summary = f"{_cap(a.named())} spread over {years.display()} is {result.result} a year."
    elif yearly:
        result = calc.annual_to_total(a.quantity, years)
        summary = f"{years.display()} of {a.named()} is {result.result} in total."
    else:
        raise CalculationError(f"{a.figure.raw} is not a yearly amount, so I cannot multiply it by {years.display()}.")
    return result, [_evidence(a)], summary


def _average(ask: _Ask, cands: list[Candidate], picked: list) -> _Routed:
    """A total shared among a count: the count is the one in the total's sentence, else the question's own."""
    units = ("count",) if _UNIT_CUES[0][1].search(ask.text) else ("GBP",)  # "average number of", else money
    asked = [f for f in extract_figures(ask.text) if f.unit == "count" and f.value > 0]  # "each of the three bids"
    per = PER.search(ask.text)  # "the spend per home": the count is of homes, whatever else the question names
    asked_about = set().union(*concepts(per.group(1) if per else ask.subject))

    def counted(c: Candidate) -> list[Candidate]:
        """The counts of what the question is about in the total's own sentence ("allocated to 84 trusts")."""
        return [o for o in cands if _same_sentence(o, c) and o.figure.unit == "count" and o.end is None and o.key != c.key and o.measure & asked_about
                and o.figure.value > 1]  # a total among one thing is no average

    # An average per thing is a total shared among a count of those things: a total whose sentence counts them
    # is the one meant, over totals that match the question's words as well but count nothing it asks about.
    sharable = [c for c in cands if c.figure.unit in units and counted(c)]
    avoid = tuple(("count", f.value, None, None) for f in asked)  # the total is not the count ("the three bids")
    # nor is it looked up as the figure the question quotes: "for the 412 buses approved, the average grant per bus"
    subject = ask.subject
    for f in asked:  # its number only: "the three rejected bids" still says which bids
        subject = subject.replace(f.raw, f.raw.split(maxsplit=1)[1] if " " in f.raw else " ")
    try:
        try:
            whole = _pick(ask, sharable or cands, subject, units, avoid=avoid)
        except Refusal:
            if not sharable:
                raise
            whole = _pick(ask, cands, subject, units, avoid=avoid)
    except Refusal:
        if asked:
            raise
        raise _NotACalculation from None  # "is it above average?": no total, no count, no calculation
    picked.append(whole)
    # The count divides by what the question is about: "£1.3 billion allocated to 84 trusts" for an average
    # per trust; the "nine months" of "nine months later ... to cost £1.34 billion" is no count of anything asked.
    beside = counted(whole)
    if asked:
        clash = [c for c in beside if c.figure.value != asked[0].value
                 and any(g & c.measure for g in concepts(asked[0].raw))]
        beside = [c for c in beside if c.figure.value == asked[0].value]
        if clash and not beside:  # "each of the four bids" where the passage counts three: not the question's four
            raise Refusal(f"The passage counts {clash[0].figure.raw}, not {asked[0].raw}")
    if beside:
        count, evidence = beside[0].quantity, [_evidence(whole), _evidence(beside[0])]
        picked.append(beside[0])
    elif asked:
        count, evidence = Quantity(asked[0].value, "count", label="from the question"), [_evidence(whole)]
    else:  # "the average annual saving" with nothing to divide by: the passage states it, or nothing does
        spread = _spread(ask, whole, cands, picked)
        if spread is None:
            raise _NotACalculation
        return spread
    result = calc.average(whole.quantity, count)
    summary = (f"{_cap(whole.named())} shared among {count.display()} ({count.label}) is "
               f"{_about(result)}{result.result} each.")
    return result, evidence, summary


def _row_total(ask: _Ask) -> _Routed:
    """The sum along the row of a table of figures by period that the question names ("nursery capital grants
    across its first three years"), over the periods it names or, naming none, the whole row; None when the
    passages set out no such row."""
    row = series.row_asked(ask.subject, list(ask.chunks))
    cells = series.columns_asked(ask.text, row) if row is not None else []
    if len(cells) < 2:
        return None
    qs = [row.quantity(p, v) for p, v in cells]
    result = calc.total(*qs)
    periods = [p for p, _ in cells]
    when = f"{', '.join(periods[:-1])} and {periods[-1]}"
    evidence = [Evidence(chunk=row.chunk, quote=row.line, label=q.label) for q in qs]
    return result, evidence, f"Across {when}, “{row.label}” totals {result.result}."


def _total(ask: _Ask, cands: list[Candidate], picked: list) -> _Routed:
    routed = _row_total(ask)
    if routed is not None:
        return routed
    sides = _sides(ask.text, _TOTAL_SIDES)
    if sides is None or _ASKS_AGAIN.match(sides[1]):
        named = _named_rows_total(ask, cands, picked)
        if named is not None:
            return named
        # "what was the total cost?": the passage states it, or it is not a sum of figures, unless the figure that
        # fits is a rate its sentence gives a length of time for ("£3.1 million a month ... for six months")
        return _over_time(ask, cands, picked)
    try:
        a, b, _ = _two_sided(ask, cands, picked, _units(ask.text, ("GBP", "count", "percent")), _TOTAL_SIDES)
    except Refusal:  # "the total cost and who paid it": a bare "and" is too weak a sign to refuse on
        raise _NotACalculation from None
    if a.figure.unit == b.figure.unit == "count" and a.measure and b.measure and not a.measure & b.measure:
        raise _NotACalculation  # "total leakage across England and Wales": megalitres and trusts add to nothing
    result = calc.total(a.quantity, b.quantity)
    summary = f"Together, {a.named()} and {b.named()} come to {result.result}."
    return result, [_evidence(a), _evidence(b)], summary


# A capitalised word inside the question ("Westgate", "Harbour's"): a name that may label a row of a table
_NAME_WORD = re.compile(r"(?<!^)(?<![.?!:]\s)\b([A-Z][a-z]{2,})(?:['’]s)?\b")


def _row_line(c: Candidate) -> str:
    """The line of its passage a figure is written on."""
    text = c.chunk.text
    start = text.rfind("\n", 0, c.figure.start) + 1
    end = text.find("\n", c.figure.end)
    return text[start:] if end < 0 else text[start:end]


def _named_rows_total(ask: _Ask, cands: list[Candidate], picked: list) -> _Routed:
    """"The combined value once Westgate takes on Harbour's companies": the sum of the rows of a table that the
    question's names label ("Westgate Offender Services ..... 2 CSCs ... £53 million"), one figure of the asked unit
    each; None unless two rows or more are named, each by one name alone and holding one such figure. Table
    structure (a row is a line that opens with its label), no corpus word."""
    units = _units(ask.text, ("GBP",))
    names = dict.fromkeys(m.group(1) for m in _NAME_WORD.finditer(ask.text))
    # the opening word is capitalised by position: a name only when it is no English word ("Westgate probation
    # contracts ...", not "Total value of ...")
    opening = re.match(r"\W*([A-Z][a-z]{2,})(?:['’]s)?\b", ask.text)
    if opening and not is_english(opening.group(1).lower()):
        names[opening.group(1)] = None
    rows: dict[str, list[Candidate]] = {}
    for c in cands:
        if c.end is not None or c.figure.unit not in units:
            continue
        line = _row_line(c)
        if not re.search(r"\.{3,}|…", line):  # a row of a table set out with leader dots
            continue
        first = re.match(r"\s*([A-Z][a-z]+)", line)
        if first and first.group(1) in names:
            rows.setdefault(first.group(1), []).append(c)  # a row repeated by overlapping chunks keeps one value
    chosen = [found[0] for found in rows.values() if len({(o.figure.unit, o.figure.value) for o in found}) == 1]
    if len(chosen) < 2 or len(chosen) != len(rows):
        return None
    picked[:] = chosen
    result = calc.total(*(c.quantity for c in chosen))
    labels = [re.split(r"\s*(?:\.{3,}|…)", _row_line(c).strip(), maxsplit=1)[0] for c in chosen]
    shown = " and ".join(f"{label} ({c.quantity.display()})" for label, c in zip(labels, chosen))
    return result, [_evidence(c) for c in chosen], f"Together, {shown} come to {result.result}."


# A period an amount is asked for ("per year", "a month", "annual") and the period a figure is stated for, written
# just after it ("£3.1 million a month", "£400 million per annum")
_RATE_ASKED = re.compile(r"\b(?:per|a|an|each|every)\s+(year|annum|month)\b|\b(annual|yearly|monthly)\b", re.I)
_RATE_AFTER = re.compile(r"\s*(?:a|an|per|each|every)\s+(year|annum|month)\b", re.I)


def _period(word: str) -> str:
    """The period a rate word names: "month" for "month" and "monthly", else "year" ("annum", "annual", "yearly")."""
    return "month" if word.lower().startswith("month") else "year"


def _length(c: Candidate, period: str) -> Decimal | None:
    """How many of `period` (year or month) a figure is as a length of time ("eight years", "six months")."""
    if period == "year" and c.figure.unit == "years":
        return c.figure.value
    if c.figure.unit == "count" and (c.figure.measure or "").split(" ")[0] in (period, period + "s"):
        return c.figure.value
    return None


def _duration(ask: _Ask, c: Candidate, cands: list[Candidate], period: str) -> tuple[Quantity, Candidate | None] | None:
    """The length of time, in `period`s, that an amount is spread over or paid for: the one the question names
    ("the six-month extension"), else the one the amount's own sentence states ("£264 million over eight years");
    with the figure it is read from, the sentence's where it states the question's length too (so it is cited),
    None where only the question gives it. None when neither names one, or the sentence several."""
    beside = {c2.figure.value: c2 for c2 in cands
              if _same_sentence(c2, c) and c2.key != c.key and c2.end is None and _length(c2, period)}
    asked = [f for f in extract_figures(ask.text.replace("-", " ")) if f.unit in ("years", "count")
             and ((f.unit == "years" and period == "year") or (f.measure or "").split(" ")[0] in (period, period + "s"))]
    if asked and asked[0].value not in beside:
        return Quantity(asked[0].value, "count", label=f"{period}s, from the question"), None
    if asked:
        beside = {asked[0].value: beside[asked[0].value]}
    if len(beside) != 1:
        return None
    c2 = next(iter(beside.values()))
    return Quantity(_length(c2, period), "count", label=f"{period}s"), c2


def _spread(ask: _Ask, whole: Candidate, cands: list[Candidate], picked: list) -> _Routed:
    """An amount per year or month asked for, from a total its sentence states over a length of time: "£264 million
    over eight years" is £33 million a year. None when the question asks for no period or no length is stated."""
    rate = _RATE_ASKED.search(ask.text)
    if rate is None or whole.figure.unit not in ("GBP", "count") or _RATE_AFTER.match(
            whole.chunk.text[whole.figure.end:]):
        return None  # a figure stated per year already answers per year
    period = _period(rate.group(1) or rate.group(2))
    found = _duration(ask, whole, cands, period)
    if found is None:
        return None
    n, c2 = found
    result = calc.average(whole.quantity, n)
    evidence = [_evidence(whole)] + ([_evidence(c2)] if c2 is not None else [])
    picked.extend([c for c in (c2,) if c is not None])
    summary = f"{_cap(whole.named())} over {n.display()} {period}s is {_about(result)}{result.result} a {period}."
    return result, evidence, summary


def _over_time(ask: _Ask, cands: list[Candidate], picked: list) -> _Routed:
    """A total asked for, from the rate that fits the question and the length of time its sentence or the question
    gives: "£3.1 million a month" for "six months" is £18.6 million. None when the figure that fits the question
    best is a total the passage states ("The total cost of the contract was £264 million"): that is quoted, not
    worked out again."""
    units = _units(ask.text, ("GBP", "count"))
    rates = [c for c in cands if c.end is None and c.figure.unit in units
             and _RATE_AFTER.match(c.chunk.text[c.figure.end:])]
    if not rates:
        return None
    try:
        best = _pick(ask, [c for c in cands if c.end is None], ask.subject, units)
        if best not in rates and dict(_OPERATIONS)["total"].search(best.figure.sentence):  # as a question's "total" reads
            return None
        a = best if best in rates else _pick(ask, rates, ask.subject, units)
    except Refusal:
        return None
    period = _period(_RATE_AFTER.match(a.chunk.text[a.figure.end:]).group(1))
    found = _duration(ask, a, cands, period)
    if found is None:
        return None
    n, c2 = found
    picked.extend([a] + [c for c in (c2,) if c is not None])
    result = calc.rate_to_total(a.quantity, n, period)
    evidence = [_evidence(a)] + ([_evidence(c2)] if c2 is not None else [])
    summary = f"{_cap(a.named())} a {period} for {n.display()} {period}s is {_about(result)}{result.result} in total."
    return result, evidence, summary


_ROUTES = {"difference": _difference, "years_between": _years_between, "share": _share, "ratio": _ratio,
           "percent_change": _percent_change, "larger": _larger, "midpoint": _midpoint, "per_year": _per_year,
           "average": _average, "total": _total}
