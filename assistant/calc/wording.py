"""How a question asks for a calculation: the operation its English wording names, the two sides it compares,
the unit it asks in, and the dates and periods that only place it in time. Grammar of questions, not of any
report: the figures themselves are found in `assistant.calc.operands` and `assistant.calc.pairs`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.calc.operands import _STOP, concepts, end_of, stated
from assistant.config import Settings
from assistant.text.figures import WORD_VALUES, extract_figures
from assistant.text.patterns import COMPARING, FINANCIAL_YEAR, MONTHS, YEAR

# Which calculation a question asks for. Order matters: the more specific wording is tried first
# ("by what percentage does X exceed Y" is a percentage change, not a difference).
_NUMBER_WORD = r"(?:\d+|" + "|".join(WORD_VALUES) + ")"


# "How long" that names neither end of the span nor a delay (no "from", "between", "since", "after", "before",
# "later" or "delay"): "How long does the second phase run for?" is answered by a sentence that states the span,
# or one that states both its ends (see routing._years_between).
PLAIN_HOW_LONG = re.compile(r"^(?!.*\b(?:from|between|since|after|before|later|delay(?:ed)?)\b).*\bhow long\b", re.I)


# "per home": the thing an amount is shared among. English grammar: "per" before a unit of time is a rate a report
# states ("£400 million per annum"), "per cent" a percentage, "per head" a person.
PER = re.compile(r"\bper (?!(?:cent|annum|year|month|week|day|head)\b)([a-z]+)", re.I)


_OPERATIONS = tuple((op, re.compile(p, re.I)) for op, p in (
    ("years_between", r"how many years|pushed back|put back|delayed by|slipp?ed|how (?:long|much) (?:later|delayed)"
                      r"|how long (?:was|is) the delay|how many months\b|how late\b|how much time\b"
                      r"|how long\b(?=.*\b(?:from|between|since)\b)|how long (?:after|before)\b"
                      r"|^(?=.*\b(?:from|since)\b).*\bhow long\b"  # "From its launch, how long was it to take?"
                      rf"|{PLAIN_HOW_LONG.pattern}"),
    ("percent_change", r"percentage (?:increase|decrease|change|rise|fall|reduction)|by what (?:percentage|per ?cent|%)"
                       r"|in percentage terms"
                       r"|\b(?:up|down|rise|rose|grow|grew|increase|fall|fell|drop)\w*\b.*\bin (?:%|per ?cent|percent(?:age)?)"
                       r"|how many per ?cent|(?:percent|per cent|%) (?:more|less|higher|lower|rise|increase|fall"
                       r"|drop|decrease|growth|overrun|overspend)"),
    ("share", r"what (?:percentage|proportion|share|fraction|per ?cent\b|%)|as a (?:percentage|proportion|share) of"
              r"|(?:percentage|proportion|fraction) of"
              r"|how (?:much|many) of\b.*\bas a (?:percentage|proportion|share)\s*\??\s*$"),
    ("ratio", r"how many times|\bratio\b|\bwhat multiple\b|\bmultiple of\b"
              r"|times (?:more|less|larger|bigger|greater|smaller|as (?:much|many|large|big))"),
    ("larger", r"\b(?:which|what)(?: one)? (?:is|was|are|were|will be)(?: the)? (?:bigger|larger|greater|higher|"
               r"smaller|lower)\b|\bmore or less than\b|\b(?:larger|bigger|greater|smaller|higher|lower) of\b"),
    ("midpoint", r"mid-?point|half-?way|middle of (?:the|that) range"),
    ("per_year", rf"over (?:the )?(?:next )?{_NUMBER_WORD}[ -]years?\b"),
    ("average", r"\baverage\b|\bavg\b|\bmean (?:value|cost|amount|size)\b"),
    ("difference", r"\bshortfall\b|\bgap\b|difference between|how (?:much|many) (?:more|less|fewer|higher|lower"
                   r"|greater|bigger|larger|smaller)|by how (?:much|many)|\bexceed(?:s|ed)?\b|\bminus\b"
                   r"|\bsubtract|\bsurplus\b|\boverspen[dt]\b|\b(?:is|was|are|were|be) left\b|\bunspent\b"
                   # "how much was still unallocated / unclaimed / unused": what is not yet so, of a whole, is what is
                   # left of it (English morphology: "un-" and a participle)
                   r"|\bhow (?:much|many)\b[^?]*\bun[a-z]{3,}(?:ed|t)\b"
                   r"|\bshort of\b|\b(?:fall|fell|falls|falling) short\b|how (?:much|many|far) further\b"
                   r"|how far (?:below|above|under|over|behind|ahead)\b"
                   # "how many hectares below target", "how much over budget": a quantity word, its noun, a side
                   r"|how (?:much|many)(?: [a-z]+){0,2} (?:below|above|under|over|behind|ahead of)\b"),
    ("total", r"\bin total\b|\btotal\b|\bcombined\b|\baltogether\b|\badd(?:ed)? up\b|\bsum of\b"),
    # "what was the spend per home upgraded?": an amount for each of a counted thing, when no other wording asks
    # for anything else
    ("average", rf"\b(?:how much|what)\b.*{PER.pattern}"),
))


# Two sides of a comparison; the question's own figures are masked first so "£400m and £600m" stays whole.
_SIDES = tuple(re.compile(p, re.I | re.S) for p in (
    r"\bbetween (?P<a>.+?) and (?P<b>.+)",
    r"\bfrom (?P<a>.+?) to (?P<b>.+)",
    r"\bratio of (?P<a>.+?) (?:to|and) (?P<b>.+)",
    r"(?P<a>.+?)\bexceed(?:s|ed)?\b(?P<b>.+)",
    rf"(?P<a>.+?)\b(?:{COMPARING}|minus)\s(?P<b>.+)",
    r"\bsubtract (?P<b>.+?) from (?P<a>.+)",
    # "How far below the baseline was the rate?": the verb after the first side opens the second
    r"\bhow (?:far|much) (?:below|above|under|over|behind|ahead of) (?P<b>.+?)"
    r"\s(?:was|is|were|are|will|would)\s(?P<a>.+)",
))


# "Which is larger: X or Y?", "Was X more or less than Y?": two sides either way round an "or".
_EITHER_SIDES = tuple(re.compile(p, re.I | re.S) for p in (
    r"\b(?:bigger|larger|greater|higher|smaller|lower)\b(?:\s+of)?[\s:,;\-–—]+(?P<a>.+?),?\s+\bor\b\s+(?P<b>.+)",
    r"^\s*(?:(?:is|was|are|were|did|does|do|will|would|has|have|had)\s+)?(?P<a>.+?)\bmore or less than\b(?P<b>.+)",
))


# Only a total splits on a bare "and": elsewhere "what is the gap and why?" would be read as two figures.
_TOTAL_SIDES = (re.compile(r"\badd(?:s|ed|ing)? (?P<a>.+?) to (?P<b>[^,?]+)", re.I | re.S),  # "adding A to B, ..."
                re.compile(r"(?P<a>.+?)\b(?:and|plus)\b(?P<b>.+)", re.I | re.S))


# A side that opens as a question of its own ("what was the total bill and when did it expect to finish?"): English
# interrogatives and inverted auxiliaries; such an "and" joins two questions, not two addends.
_ASKS_AGAIN = re.compile(r"^\W*(?:when|what|where|who|whom|whose|why|how|which|did|does|do|is|was|were|are|has|have|"
                         r"had|will|would|can|could)\b", re.I)


# A share's whole, then the verb of its part; a verb after a relative pronoun belongs to the whole ("the trusts that
# have an EPR meet the standard": the whole is "the trusts that have an EPR").
_SHARE_SIDES = tuple(re.compile(p, re.I | re.S) for p in (
    r"(?:percentage|proportion|share|fraction|per ?cent|%|how much|how many) of (?P<whole>.+?)"
    r"(?<!\bthat)(?<!\bwhich)(?<!\bwho)\s(?:was|were|is|are|"
    r"had|has|have|did|does|do|will|would|went|goes|came|comes)\b(?P<part>.+)",
    r"(?P<part>.+?)\bas an? (?:percentage|proportion|share|fraction) of (?P<whole>.+)",
    # the whole put first ("Of the suspected fraud cases closed, what percentage were confirmed?")
    r"^\W*of (?P<whole>[^,?]+),\s*(?:what|how much|how many)\b[^,?]*?\b(?:was|were|is|are|had|has|have|did|does|"
    r"do|will|would)\b(?P<part>.+)",
))


# The unit a question is about, when it says so; shortfalls and gaps in audit reports are about money.
_HOW_MUCH = ("GBP", "percent")  # the units "how much" asks in when the question names none
_UNIT_CUES = ((("count",), re.compile(r"how many (?!times|years)|number of|\bfewer\b", re.I)),
              (("GBP",), re.compile(r"£|\bmoney|\bfund|\bcost|\bspen[dt]|budget|saving|\bpa(?:y|id)\b|price|worth"
                                    r"|shortfall|overspen|unspent|afford|cash|financ", re.I)),
              (("percent",), re.compile(r"percentage points|%|per ?cent\b", re.I)),
              # English grammar, not the corpus's idiom: "how much" asks for an amount of something uncountable
              # (money, a percentage), "how many" for a count; "by how much" asks of either ("by how much did the
              # backlog of cases grow").
              (_HOW_MUCH, re.compile(r"(?<!\bby )\bhow much\b", re.I)))


# A question that leans on the previous one for its subject: "What percentage is that?", "And the cost?".
_REFERS_BACK = re.compile(r"\b(?:is|was|are|were|of|than|from) (?:that|this|it|those|these|them)\b"
                          r"|\b(?:that|this|it)\s*\?\s*$|^\s*(?:and|what about|how about)\b", re.I)


# a date may open on its day ("31 March 2023"): the day goes with it, or "31" is left as a figure of the side
_TIME = re.compile(rf"\b(?:(?:the )?(?:end|start|beginning|middle) of )?(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?={MONTHS}))?"
                   rf"(?:(?:{MONTHS})\s+)?(?:{FINANCIAL_YEAR.pattern}|{YEAR.pattern})|\b(?:{MONTHS})\b", re.I)


@dataclass(frozen=True)
class _Ask:
    """The question, and its subject: the question plus the previous one when it refers back to it; `similar`
    scores sentences against a phrase by meaning (see operands.pick), when the caller has a model; `settings`
    holds the weights operands are scored with; `chunks`, the passages read (a table's rows, whose bare figures
    are no operands of their own, are read from them: see assistant.calc.series)."""

    text: str
    subject: str
    similar: Any = None
    settings: Settings = field(default_factory=Settings)
    chunks: tuple = ()


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
    return next((u for u, cue in _UNIT_CUES if any(not _modifies(question, m) for m in cue.finditer(question))),
                default)


# A past participle straight after a noun ("the buses funded by 31 December", "the planting paid for by the
# programme"): a reduced relative clause that says which things are counted, not that the figure is money. After an
# auxiliary ("how much was funded?") or a function word it is the verb of the question. English grammar.
_PARTICIPLE = re.compile(r"(?:ed|paid|spent)$", re.I)


def _modifies(question: str, m: re.Match) -> bool:
    """Whether a unit cue is a participle modifying the noun before it (see `_PARTICIPLE`)."""
    word = re.match(r"[a-z]*", question[m.start():], re.I).group()
    before = re.findall(r"[A-Za-z'’]+", question[:m.start()])
    return bool(_PARTICIPLE.search(word) and before and before[-1].lower() not in _STOP)


# A question asking how something came about or where it went ("How did the shortfall change between the two
# reports?", "What happened to the unspent money?", "Where did the overspend go?"), perhaps after a topic
# ("Court sales: how did ..."): English interrogative frames that ask for a manner, an event or a place, not for
# a figure worked out, whatever figure nouns ("shortfall", "average", "total") they hold.
_ASKS_HOW_OR_WHERE = re.compile(r"^\W*(?:[^?:]*?[:–—]\s*|[^?]*?\s-\s)?(?:how (?:did|does|do|has|have|had|is|was|are|"
                                r"were|will|would|can|could|should)\b|where\b|what happened\b)", re.I)
_INTERROGATIVE = re.compile(r"\b(?:how|what|which|who|when|where|why)\b", re.I)


def _operation(question: str) -> str | None:
    """The calculation a question's wording asks for (the first of `_OPERATIONS` it matches), or None. None too
    for a question that asks how something came about or where it went, where only a figure noun it is about
    ("shortfall", "unspent", "average", "total") sounded like a calculation, unless a later interrogative of its own
    asks for a figure ("how does the amount compare with March 2018 - what multiple is it?"); "How has the cost risen
    in percentage terms?" still asks for a percentage change."""
    op = next((name for name, p in _OPERATIONS if p.search(question)), None)
    frame = _ASKS_HOW_OR_WHERE.match(question)
    if op in _NOUN_OPERATIONS and frame and not _INTERROGATIVE.search(question, frame.end()):
        return None
    return op


# The calculations a question can seem to ask for by a noun alone ("the shortfall", "the unspent money", "the average
# price", "the total cost"); the others are asked by their own wording ("in percentage terms", "how many times").
_NOUN_OPERATIONS = frozenset({"difference", "total", "average", "midpoint"})


def compared_sides(question: str) -> tuple[str, str] | None:
    """The two things a calculation compares ("which is larger: the levy's receipts or the fund?"), without the
    times that place them, when the question names both; None otherwise. Each may be in another report, so the
    passages are searched for each side as well as for the whole question."""
    op = _operation(question)
    patterns = {"larger": _EITHER_SIDES, "total": _TOTAL_SIDES}.get(op, _SIDES)
    if op in (None, "share", "midpoint", "per_year", "average", "years_between"):
        return None
    sides = _sides(question, patterns)
    if sides is None or any(_names_nothing(s) or _only_time(s) for s in sides):
        return None
    a, b = (" ".join(_untimed(s).split()) for s in sides)
    return (a, b) if a and b else None


def _names_nothing(side: str) -> bool:
    """True for a side that only names the calculation: "How many years later", "How much later is that"."""
    return not stated(side) and not end_of(side) and not concepts(side)


def _untimed(text: str) -> str:
    """The text without its dates and periods ("March 2019", "2024-25", "by 2014"): they place a question in
    time, they are not what it measures."""
    return _TIME.sub(" ", text)


def _only_time(side: str) -> bool:
    """True for a side that is only a time ("the end of March 2020"): it dates the figure, it names none."""
    return bool(_TIME.search(side)) and not stated(_untimed(side)) and not concepts(_untimed(side))
