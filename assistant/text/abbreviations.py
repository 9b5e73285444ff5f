"""Abbreviations a document defines ("electronic patient record (EPR)", "Ministry of Justice (MoJ)"), so a
question that says one form finds a sentence that says the other. Read from the documents themselves, never
listed by hand.

Written here because the maintained implementations come inside heavy NLP stacks (scispacy's detector needs
spaCy and a model download); this is the published algorithm of Schwartz and Hearst (2003), "A simple
algorithm for identifying abbreviation definitions in biomedical text", which those tools also implement.
"""

from __future__ import annotations

import re

from assistant.text.terms import stems

# "(EPR)", "(MoJ)", "(CSCs)": 2 to 10 characters, starting with a letter, at least two capitals.
_SHORT = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9&-]{1,9})\s*\)")
_WORD = re.compile(r"[^\s()]+")


def _long_form(short: str, before: str) -> str | None:
    """Schwartz-Hearst: the shortest end of `before` whose characters spell `short` right to left, the
    first character starting a word."""
    s, i = len(short) - 1, len(before) - 1
    while s >= 0:
        c = short[s].lower()
        if not c.isalnum():
            s -= 1
            continue
        while i >= 0 and (before[i].lower() != c or (s == 0 and i > 0 and before[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i -= 1
        s -= 1
    start = before.rfind(" ", 0, i + 1) + 1
    return before[start:].strip()


def definitions(text: str) -> dict[str, str]:
    """Each abbreviation the text defines, upper-cased and without a plural s, with its long form."""
    out: dict[str, str] = {}
    for m in _SHORT.finditer(text):
        short = m.group(1)
        if sum(ch.isupper() for ch in short) < 2:
            continue
        key = short[:-1] if short.endswith("s") and short[:-1].isupper() else short
        words = _WORD.findall(text[max(0, m.start() - 200):m.start()])
        window = words[-min(len(key) + 5, 2 * len(key)):]
        long = _long_form(key, " ".join(window))
        if long and len(long.split()) >= 2 and long.lower() != key.lower():
            out.setdefault(key.upper(), long)
    return out


def bridges(defined: dict[str, str]) -> list[tuple[str, frozenset[str]]]:
    """(the abbreviation's stem, the long form's stems) for each definition: what `widen` adds."""
    out = []
    for short, long in defined.items():
        long_stems = frozenset(stems(long))
        short_stems = stems(short)
        if long_stems and len(short_stems) == 1:
            out.append((next(iter(short_stems)), long_stems))
    return out


def widen(have: set[str], links: list[tuple[str, frozenset[str]]]) -> set[str]:
    """The stems of a text with each defined abbreviation's other form added: a sentence saying "EPR" also
    has "electronic patient record", and one saying all of "electronic patient record" also has "EPR"."""
    out = set(have)
    for short, long in links:
        if short in have:
            out |= long
        elif long <= have:
            out.add(short)
    return out
