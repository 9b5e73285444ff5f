"""Spot a calculation question and compute it from the figures of the retrieved passages, citing each operand."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from assistant import calculators as calc
from assistant.calculators import CalculationResult, Quantity
from assistant.errors import CalculationError
from assistant.figures import Figure, WORD_VALUES, clause, extract_figures
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

    Evidence follows operand order. An operand the question itself supplies (the N of "over N years") comes
    last, is labelled "from the question" and has no evidence, so zip(evidence, operands) pairs them right.
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


# Which calculation a question asks for. Order matters: the more specific wording is tried first
# ("by what percentage does X exceed Y" is a percentage change, not a difference).
_NUMBER_WORD = r"(?:\d+|" + "|".join(WORD_VALUES) + ")"
_OPERATIONS = tuple((op, re.compile(p, re.I)) for op, p in (
    ("years_between", r"how many years|pushed back|put back|delayed by|slipp?ed|how (?:long|much) (?:later|delayed)"
                      r"|how long (?:was|is) the delay"),
    ("percent_change", r"percentage (?:increase|decrease|change|rise|fall|reduction)|by what (?:percentage|per ?cent)"
                       r"|how many per ?cent|(?:percent|per cent|%) (?:more|less|higher|lower)"),
    ("share", r"what (?:percentage|proportion|share|fraction|per ?cent)\b|as a (?:percentage|proportion|share) of"
              r"|(?:percentage|proportion|fraction) of"),
    ("ratio", r"how many times|\bratio\b"
              r"|times (?:more|less|larger|bigger|greater|smaller|as (?:much|many|large|big))"),
    ("midpoint", r"mid-?point|half-?way|middle of (?:the|that) range"),
    ("per_year", rf"over (?:the )?(?:next )?{_NUMBER_WORD}[ -]years?\b"),
    ("difference", r"\bshortfall\b|\bgap\b|difference between|how (?:much|many) (?:more|less|fewer|higher|lower"
                   r"|greater|bigger|larger|smaller)|by how much|\bexceed(?:s|ed)?\b|\bminus\b|\bsubtract"
                   r"|\bsurplus\b|\boverspen[dt]\b"),
    ("total", r"\bin total\b|\btotal\b|\bcombined\b|\baltogether\b|\badd(?:ed)? up\b|\bsum of\b"),
))
# Two sides of a comparison; the question's own figures are masked first so "£400m and £600m" stays whole.
_SIDES = tuple(re.compile(p, re.I | re.S) for p in (
    r"\bbetween (?P<a>.+?) and (?P<b>.+)",
    r"\bfrom (?P<a>.+?) to (?P<b>.+)",
    r"\bratio of (?P<a>.+?) (?:to|and) (?P<b>.+)",
    r"(?P<a>.+?)\bexceed(?:s|ed)?\b(?P<b>.+)",
    r"(?P<a>.+?)\b(?:than|compared (?:with|to)|versus|vs\.?|minus)\s(?P<b>.+)",
    r"\bsubtract (?P<b>.+?) from (?P<a>.+)",
))
# Only a total splits on a bare "and": elsewhere "what is the gap and why?" would be read as two figures.
_TOTAL_SIDES = (re.compile(r"(?P<a>.+?)\b(?:and|plus)\b(?P<b>.+)", re.I | re.S),)
_SHARE_SIDES = tuple(re.compile(p, re.I | re.S) for p in (
    r"(?:percentage|proportion|share|fraction|per ?cent) of (?P<whole>.+?)\s(?:was|were|is|are|had|has|have|did|"
    r"does|do|will|would|went|goes|came|comes)\b(?P<part>.+)",
    r"(?P<part>.+?)\bas an? (?:percentage|proportion|share|fraction) of (?P<whole>.+)",
))
# The unit a question is about, when it says so; shortfalls and gaps in audit reports are about money.
_UNIT_CUES = (("count", re.compile(r"how many (?!times|years)|number of|\bfewer\b", re.I)),
              ("GBP", re.compile(r"£|\bmoney|\bfund|\bcost|\bspen[dt]|budget|saving|\bpa(?:y|id)\b|price|worth"
                                 r"|shortfall|overspen|afford|how much|cash|financ", re.I)),
              ("percent", re.compile(r"percentage points|%|per ?cent", re.I)))
_STOP = set("""a an the of to in on at by for from with and or but what which who whom whose how much many is are was
were be been being do does did has have had this that these those it its their they them there than then as between
into over under per about up down out off not no can could would should will shall may might must all any each both
more most less least fewer very so such only just also ever yet if when where why""".split())
# Words that say which calculation, not which figure: they must not steer the choice of operands.
_OPERATION_WORDS = set("""shortfall gap difference percentage percent cent proportion share fraction ratio times
midpoint mid point halfway exceed total combined altogether sum add minus subtract year long later delay pushed back
put slipped larger bigger greater smaller higher lower amount number figure value increase decrease change""".split())
# Why synonym groups: reports and users name one thing differently ("asked for" money appears as a
# forecast need or a bid), so each group scores as one concept. Entries are stems (see _stem).
_SYNONYMS = [frozenset(g.split()) for g in (
    "ask asked request bid forecast need sought seek want requir",
    "approv grant allocat alloc award agre gave given provid secur",
    "spend spent cost expenditur",
    "sav save",
    "deadlin target due",
    "delay late slip push",
    "pac committe",
)]
_MIN_SCORE = 2  # one word in the figure's clause, or two in its sentence
_COVERAGE = 2 / 3  # share of a side's words its figure's passage must hold: "the Department for Education" is not
                   # "the Treasury", however well "approved" matches


def _stem(word: str) -> str:
    w = word.lower().strip("'’“”\"").removesuffix("'s").removesuffix("’s")
    for suffix in ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ed", "es", "s", "al"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    return w[:-1] if w.endswith("e") and len(w) > 3 else w


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[A-Za-z][A-Za-z'’]*", text)}  # "cloud-based" gives "cloud" and "bas"


def _concepts(text: str, names_only: bool = False) -> list[frozenset[str]]:
    """The side's words as concepts (synonym groups of stems); names_only: just its capitalised names."""
    pattern = r"(?<!^)(?<![.?!]\s)\b[A-Z][A-Za-z'’]*" if names_only else r"[A-Za-z][A-Za-z'’]*"
    words = {w.lower() for w in re.findall(pattern, text)} - _STOP
    stems = {_stem(w) for w in words if w not in _OPERATION_WORDS} - {_stem(w) for w in _OPERATION_WORDS}
    out: list[frozenset[str]] = []
    for s in sorted(stems):
        group = next((g for g in _SYNONYMS if s in g), frozenset({s}))
        if group not in out:
            out.append(group)
    return out


@dataclass(frozen=True)
class _Candidate:
    chunk: Chunk
    figure: Figure
    rank: int
    measure: frozenset[str]
    clause: frozenset[str]
    sentence: frozenset[str]
    passage: frozenset[str]

    def score(self, concepts: list[frozenset[str]], names: list[frozenset[str]] = ()) -> int:
        """How well the figure answers to the words: 3 a word in its measure, 2 in its clause, 1 in its sentence.

        0 when its passage lacks a name the question uses ("the Department for Education") or too many words.
        """
        if any(not g & self.passage for g in names):
            return 0
        if sum(1 for g in concepts if g & self.passage) < _COVERAGE * len(concepts):
            return 0
        return sum(3 if g & self.measure else 2 if g & self.clause else 1 if g & self.sentence else 0
                   for g in concepts)

    @property
    def quantity(self) -> Quantity:
        return replace(Quantity.from_figure(self.figure), label=self.label)

    @property
    def key(self) -> tuple:
        f = self.figure
        return f.unit, f.value, f.low, f.high

    @property
    def label(self) -> str:
        return self.figure.measure or self.figure.raw


def _candidates(chunks: list[Chunk]) -> list[_Candidate]:
    seen, out = set(), []
    passage_stems = [frozenset(_stems(c.text)) for c in chunks]
    for rank, chunk in enumerate(chunks):
        for f in extract_figures(chunk.text):
            where = (chunk.doc_id, chunk.page, chunk.char_start + f.start)  # overlapping chunks repeat figures
            if where in seen:
                continue
            seen.add(where)
            measure = frozenset(_stems(f.measure or ""))
            out.append(_Candidate(chunk, f, rank, measure, frozenset(_stems(clause(chunk.text, f))),
                                  frozenset(_stems(f.sentence)), measure | passage_stems[rank]))
    return out


class _Refusal(Exception):
    """A side of the question has no figure, or more than one: the message says which."""


class _NotACalculation(Exception):
    """The wording sounded like a calculation ("the skills gap") but names no figures to compute with."""


def _stated(text: str) -> list[Figure]:
    """Figures the question itself quotes ("the £300 million funding"); "the two figures" is not one."""
    return [f for f in extract_figures(text) if f.unit != "count" or f.raw[:1].isdigit()]


def _pick(cands: list[_Candidate], side: str, units: tuple[str, ...], avoid: tuple = ()) -> _Candidate:
    """The figure of the passages that `side` of the question names."""
    stated = _stated(side)
    if stated:  # the question quotes the figure: find it in the passages, to cite it
        f = stated[0]
        same = [c for c in cands if c.key == (f.unit, f.value, f.low, f.high)]
        if not same:
            raise _Refusal(f"I could not find {f.raw} in the passages I retrieved")
        return max(same, key=lambda c: (c.score(_concepts(side)), -c.rank))
    concepts, names = _concepts(side), _concepts(side, names_only=True)
    ranked = sorted(((c.score(concepts, names), -c.rank, i) for i, c in enumerate(cands)
                     if c.figure.unit in units and c.key not in avoid), reverse=True)
    if not ranked or ranked[0][0] < _MIN_SCORE:
        raise _Refusal(f"I could not find a figure for “{side.strip(' ?')}” in the passages I retrieved")
    best = cands[ranked[0][2]]
    rivals = [cands[i] for s, _, i in ranked[1:] if s == ranked[0][0] and cands[i].key != best.key]
    if rivals:
        raise _Refusal(f"More than one figure could be “{side.strip(' ?')}”: {best.figure.raw} "
                       f"({best.label}) and {rivals[0].figure.raw} ({rivals[0].label})")
    return best


def _top_two(cands: list[_Candidate], question: str, units: tuple[str, ...]) -> tuple[_Candidate, _Candidate]:
    """The two best-matching figures of different values, for questions that do not name both sides."""
    concepts, names = _concepts(question), _concepts(question, names_only=True)
    best: dict[tuple, tuple[int, int, _Candidate]] = {}
    for c in cands:
        s = c.score(concepts, names)
        if c.figure.unit in units and s >= _MIN_SCORE and (c.key not in best or (s, -c.rank) > best[c.key][:2]):
            best[c.key] = (s, -c.rank, c)
    ranked = sorted(best.values(), key=lambda t: t[:2], reverse=True)
    if len(ranked) < 2:
        raise _Refusal("I could not find two figures to compare in the passages I retrieved")
    if len(ranked) > 2 and ranked[2][0] == ranked[1][0]:
        raws = [r[2].figure.raw for r in ranked[:3]]
        raise _Refusal(f"More than two figures match the question ({raws[0]}, {raws[1]} and {raws[2]}), "
                       "so I cannot tell which to use")
    return ranked[0][2], ranked[1][2]


def _sides(question: str, patterns: tuple[re.Pattern, ...] = _SIDES) -> tuple[str, str] | None:
    masked = question
    for f in extract_figures(question):
        masked = masked[:f.start] + "#" * (f.end - f.start) + masked[f.end:]
    for pattern in patterns:
        m = pattern.search(masked)
        if m:
            return question[m.start("a"):m.end("a")].strip(" ,?"), question[m.start("b"):m.end("b")].strip(" ,?")
    return None


def _units(question: str, default: tuple[str, ...]) -> tuple[str, ...]:
    return next(((u,) for u, cue in _UNIT_CUES if cue.search(question)), default)


def _evidence(c: _Candidate, label: str | None = None) -> Evidence:
    return Evidence(chunk=c.chunk, quote=c.figure.sentence, label=label or c.label)


def _named(c: _Candidate) -> str:
    """A figure for a summary: "the funding approved (£300 million)", or just "£5 million" when unnamed."""
    shown = c.quantity.display()
    return f"the {c.figure.measure} ({shown})" if c.figure.measure else shown


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _about(result: CalculationResult) -> str:
    return "about " if "≈" in result.expression else ""


def route_calculation(question: str, chunks: list[Chunk]) -> RoutedCalculation | None:
    """The calculation a question asks for, worked out from the retrieved chunks; None if it asks for none."""
    op = next((name for name, p in _OPERATIONS if p.search(question)), None)
    if op is None:
        return None
    cands = _candidates(chunks)
    picked: list[_Candidate] = []
    try:
        routed = _ROUTES[op](question, cands, picked)
    except _NotACalculation:
        return None
    except _Refusal as exc:
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


def _two_sided(question: str, cands: list[_Candidate], picked: list, units: tuple[str, ...],
               patterns: tuple[re.Pattern, ...] = _SIDES, guess: bool = False) -> tuple[_Candidate, _Candidate, bool]:
    """Both operands, and whether their order comes from the question (True) or is free (False)."""
    sides = _sides(question, patterns)
    if sides is None:
        if len(units) > 1 and not guess:  # no sides and no unit named: a guess would compute something unasked
            raise _NotACalculation
        a, b = _top_two(cands, question, units)
    else:
        a = _pick(cands, sides[0], units)
        picked.append(a)
        same = units if _stated(sides[1]) or a.figure.unit in calc.CALENDAR else (a.figure.unit,)
        b = _pick(cands, sides[1], same, avoid=(a.key,))
    picked[:] = [a, b]
    return a, b, sides is not None and not re.search(r"\bbetween\b", question, re.I)


def _by_size(a: _Candidate, b: _Candidate, picked: list, larger_first: bool = True) -> tuple[_Candidate, _Candidate]:
    """The two operands ordered by size (ranges by their middle), when their units allow a comparison."""
    mid_a, mid_b = ((q.lo + q.hi) / 2 for q in (a.quantity, b.quantity))
    if a.figure.unit == b.figure.unit and (mid_a < mid_b if larger_first else mid_a > mid_b):
        a, b = b, a
    picked[:] = [a, b]
    return a, b


def _difference(question: str, cands: list[_Candidate], picked: list) -> _Routed:
    a, b, _ = _two_sided(question, cands, picked, _units(question, ("GBP", "count", "percent")))
    a, b = _by_size(a, b, picked)  # a gap, or "how much less", is the larger less the smaller
    result = calc.difference(a.quantity, b.quantity)
    word = next((w for w in ("shortfall", "gap", "surplus", "overspend") if w in question.lower()), "difference")
    summary = f"The {word} between {_named(a)} and {_named(b)} is {result.result}."
    return result, [_evidence(a), _evidence(b)], summary


def _years_between(question: str, cands: list[_Candidate], picked: list) -> _Routed:
    a, b, _ = _two_sided(question, cands, picked, tuple(sorted(calc.CALENDAR)), guess=True)
    a, b = _by_size(a, b, picked, larger_first=False)
    result = calc.years_between(a.quantity, b.quantity)
    if re.search(r"pushed|put back|delay|slip|later", question, re.I):
        summary = f"It moved from {a.quantity.display()} to {b.quantity.display()}, {result.result} later."
    else:
        summary = f"{b.quantity.display()} is {result.result} after {a.quantity.display()}."
    return result, [_evidence(a), _evidence(b)], summary


def _share(question: str, cands: list[_Candidate], picked: list) -> _Routed:
    m = next((p.search(question) for p in _SHARE_SIDES if p.search(question)), None)
    part_text, whole_text = (m.group("part"), m.group("whole")) if m else (question, "")
    try:
        if _pick(cands, part_text + " " + whole_text, ("count", "GBP", "percent")).figure.unit == "percent":
            return None  # the passage states the percentage itself: nothing to calculate
    except _Refusal:
        pass
    units = _units(question.replace("percentage", "").replace("per cent", ""), ("count", "GBP"))
    top = _pick(cands, part_text + " " + whole_text, units)
    part = _pick(cands, part_text, (top.figure.unit,)) if m else top
    picked.append(part)
    total = part.figure.of_total
    if total is None:  # "five are still being implemented": the whole may sit on a sibling "two of the seven"
        total = next((c.figure.of_total for c in cands if c.chunk is part.chunk and c.figure.of_total is not None
                      and c.figure.sentence_start == part.figure.sentence_start), None)
    if total is not None:
        head = (part.figure.measure or "").split(" ")[0] or "items"
        whole_q = Quantity(total, "count", label=f"all {head}")
        evidence = [_evidence(part), _evidence(part, f"all {head}")]
        whole = part
    else:
        if not whole_text:
            raise _Refusal(f"I found {part.figure.raw} but not the whole it is a share of")
        whole = _pick(cands, whole_text, (part.figure.unit,), avoid=(part.key,))
        whole_q = whole.quantity
        evidence = [_evidence(part), _evidence(whole)]
    picked.append(whole)
    result = calc.share(part.quantity, whole_q)
    if total is not None:
        shown = f"{part.quantity.display()} of {whole_q.display()}"
        summary = f"{shown} ({part.label}) is {_about(result)}{result.result}."
    else:
        summary = f"{_cap(_named(part))} is {_about(result)}{result.result} of {_named(whole)}."
    return result, evidence, summary


def _ratio(question: str, cands: list[_Candidate], picked: list) -> _Routed:
    a, b, ordered = _two_sided(question, cands, picked, _units(question, ("GBP", "count", "percent")))
    if not ordered:
        a, b = _by_size(a, b, picked)
    result = calc.ratio(a.quantity, b.quantity)
    summary = f"{_cap(_named(a))} is {_about(result)}{result.result} {_named(b)}."
    return result, [_evidence(a), _evidence(b)], summary


def _percent_change(question: str, cands: list[_Candidate], picked: list) -> _Routed:
    a, b, ordered = _two_sided(question, cands, picked, _units(question.replace("per cent", ""), ("GBP", "count")))
    if re.search(r"\bfrom\b.+\bto\b", question, re.I):
        result = calc.percent_change(a.quantity, b.quantity)
        summary = f"From {_named(a)} to {_named(b)} is a change of {_about(result)}{result.result}."
        return result, [_evidence(a), _evidence(b)], summary
    if not ordered:
        a, b = _by_size(a, b, picked)
    result = calc.exceeds_by_percent(a.quantity, b.quantity)
    summary = f"{_cap(_named(a))} exceeds {_named(b)} by {_about(result)}{result.result}."
    return result, [_evidence(a), _evidence(b)], summary


def _midpoint(question: str, cands: list[_Candidate], picked: list) -> _Routed:
    ranged = [c for c in cands if c.figure.is_range]
    a = _pick(ranged, question, _units(question, ("GBP", "count", "percent")))
    picked.append(a)
    result = calc.midpoint(a.quantity)
    return result, [_evidence(a)], f"The midpoint of {_named(a)} is {result.result}."


def _per_year(question: str, cands: list[_Candidate], picked: list) -> _Routed:
    n = re.search(rf"over (?:the )?(?:next )?({_NUMBER_WORD})[ -]years?\b", question, re.I).group(1)
    years = Quantity(Decimal(WORD_VALUES.get(n.lower(), n)), "years", label="from the question")
    a = _pick(cands, re.sub(r"over .*?years?\b", "", question), _units(question, ("GBP", "count")))
    picked.append(a)
    yearly = (a.figure.measure or "").endswith("per annum")
    if re.search(r"\b(?:per|a|each) (?:year|annum)\b|\bannual", question, re.I) and not yearly:
        result = calc.total_to_annual(a.quantity, years)
        summary = f"{_cap(_named(a))} spread over {years.display()} is {result.result} a year."
    elif yearly:
        result = calc.annual_to_total(a.quantity, years)
        summary = f"{years.display()} of {_named(a)} is {result.result} in total."
    else:
        raise CalculationError(f"{a.figure.raw} is not a yearly amount, so I cannot multiply it by {years.display()}.")
    return result, [_evidence(a)], summary


def _total(question: str, cands: list[_Candidate], picked: list) -> _Routed:
    if _sides(question, _TOTAL_SIDES) is None:
        return None  # "what was the total cost?": the passage states it, or it is not a sum of figures
    try:
        a, b, _ = _two_sided(question, cands, picked, _units(question, ("GBP", "count", "percent")), _TOTAL_SIDES)
    except _Refusal:  # "the total cost and who paid it": a bare "and" is too weak a sign to refuse on
        raise _NotACalculation from None
    result = calc.total(a.quantity, b.quantity)
    summary = f"Together, {_named(a)} and {_named(b)} come to {result.result}."
    return result, [_evidence(a), _evidence(b)], summary


_ROUTES = {"difference": _difference, "years_between": _years_between, "share": _share, "ratio": _ratio,
           "percent_change": _percent_change, "midpoint": _midpoint, "per_year": _per_year, "total": _total}
