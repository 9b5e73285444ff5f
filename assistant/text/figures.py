"""Find the figures in audit prose: money, percentages, counts, years, financial years and dates.

The SQLite figures table lives in `assistant.store.figures`; its functions are re-exported here.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from decimal import Decimal
from typing import Any

from assistant.text.patterns import REFERENCE as _REFERENCE, Y
from assistant.text.sentences import split_clauses, split_sentences
from assistant.text.terms import AUXILIARIES, stop_words

UNITS = ("GBP", "percent", "count", "year", "financial_year", "date", "years")  # "years" is a duration
# The store keeps each chunk's figures with this number (`assistant.store.figures`): raise it with any change
# to what `extract_figures` finds, so that figures stored by an older extractor are read from the text again.
# The character windows the extractor reads around a figure (12 before it for "by" or "paragraph", 20 for "of
# which", 60 either side for a count's status) are part of that definition, not settings: the stored figures
# were found with them, so they change only with this number.
EXTRACTOR_VERSION = 11  # 3, 4: a sentence may end at a title-page line or table row; 5: the bare ends of a change
# ("from 552,000 to 701,000") are counts; 6: a semicolon inside a line no longer ends a sentence; 7: a lettered or
# numbered line ("b. produce a workforce plan;") starts a sentence of its own; 8: a number word takes the scale
# after it ("a three-million target"); 9: an amount after "of which", and a figure after a whole fronted by "of"
# ("Of those 176, 121 meet ..."), is a part of it; 10: an ungrouped bare number at an end of a change ("up from
# 161 in January 2022") counts what its sentence counts, as a grouped one does; 11: a bare number after a whole
# fronted by "of" and a comma ("Of these, 22 are ...", "Of the 37 trusts, 22 are ...") is a part of it, and one
# followed by an auxiliary ("but only 640 had done so") counts what an earlier count of its sentence counts


@dataclass(frozen=True)
class Figure:
    """One figure in a text: its words, normalised value, unit, what it measures and where it sits.

    For a range, `value` is the low end and `low`/`high` hold both ends. A financial year's value is the
    year it starts (2024-25 -> 2024); a date's value is its year, with `iso_date` giving the rest.
    """

    raw: str
    value: Decimal
    unit: str
    start: int
    end: int
    sentence: str
    sentence_start: int
    sentence_end: int
    low: Decimal | None = None
    high: Decimal | None = None
    measure: str | None = None
    of_total: Decimal | None = None  # "two of the seven": the seven
    iso_date: str | None = None

    @property
    def is_range(self) -> bool:
        """True for a range such as "£382 million to £403 million"."""
        return self.low is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields: Decimals become strings so no precision is lost."""
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def normalise(d: Decimal) -> Decimal:
    """The same number without trailing zeros or exponent: Decimal('9800000.0') -> Decimal('9800000')."""
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


# --- patterns -------------------------------------------------------------------------------------

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"\s?(?:thousand|million|billion|trillion)\b|(?:k|m|mn|bn|tn)\b"
_SCALES = {"thousand": 10**3, "k": 10**3, "million": 10**6, "m": 10**6, "mn": 10**6,
           "billion": 10**9, "bn": 10**9, "trillion": 10**12, "tn": 10**12}
# Each short scale's word ("bn" is "billion"): how the reports write what users abbreviate.
SCALE_WORDS = {short: word for short, value in _SCALES.items() if len(short) <= 2
               for word, same in _SCALES.items() if len(word) > 2 and same == value}
_ONES = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
WORD_VALUES = {w: i + 1 for i, w in enumerate(_ONES)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_WORDS = (rf"(?:{'|'.join(_TENS)})(?:-(?:{'|'.join(_ONES[:9])}))?\b"
          rf"|(?:{'|'.join(sorted(_ONES, key=len, reverse=True))})\b")
_MONTHS = ("January February March April May June July August September October November "
           "December").split()
_PCT = r"\s?(?:%|per\s?cent\b|percent\b)"
_NOT_AFTER = r"(?<![\w£$.,/\-–])"  # "services1", "Office.2", "£9.8": glued digits are footnotes or decimals

_PATTERNS = [(kind, re.compile(p, re.I)) for kind, p in (
    ("date", rf"\b(?:(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+)?(?P<m>{'|'.join(_MONTHS)})\s+"
             rf"(?:(?P<d2>\d{{1,2}}),?\s+)?(?P<y>{Y})\b"),
    ("fy", rf"(?<![\d£])(?P<y1>{Y})\s?[-–/]\s?(?P<y2>{Y}|\d{{2}})(?![\d%])"),
    ("money_range", rf"(?:(?P<btw>between|from)\s+)?£\s?(?P<n1>{_NUM})(?P<s1>{_SCALE})?\s*"
                    rf"(?P<c>to|–|—|-|and)\s*(?P<p2>£)?\s?(?P<n2>{_NUM})(?P<s2>{_SCALE})?"),
    ("money", rf"£\s?(?P<n>{_NUM})(?P<s>{_SCALE})?|{_NOT_AFTER}(?P<n2>{_NUM})(?P<s2>{_SCALE})?\s?pounds\b"),
    ("pct_range", rf"(?:(?P<btw>between|from)\s+)?{_NOT_AFTER}(?P<n1>{_NUM})(?P<p1>{_PCT})?\s*"
                  rf"(?P<c>to|–|—|-|and)\s*(?P<n2>{_NUM}){_PCT}"),
    ("pct", rf"{_NOT_AFTER}(?P<n>{_NUM}){_PCT}"),
    ("duration", rf"{_NOT_AFTER}(?P<n>\d+|{_WORDS})[\s-]years?\b"),
    ("year", r"(?<![\d£$,.\-–/])(?P<y>1[89]\d{2}|20\d{2})"
             r"(?![\d%]|,\d{3}|\s?(?:per\s?cent|million|billion|bn\b|m\b))"),
    ("count_of", rf"{_NOT_AFTER}(?P<all>all\s+)?(?P<n>{_NUM}|{_WORDS})\s+of\s+"
                 rf"(?:the\s+|its\s+|their\s+|these\s+|those\s+)?(?P<t>{_NUM}|{_WORDS})"),
    ("count", rf"{_NOT_AFTER}(?P<n>{_NUM})(?P<s>\s(?:thousand|million|billion)\b)?(?![\d%]|\s?per\s?cent)"),
    # "three million target", "a three-million target": a number word takes the scale after it
    ("count_word", rf"\b(?P<all>all\s+)?(?P<n>{_WORDS})(?P<s>[\s-](?:thousand|million|billion)\b)?(?!-)"),
)]

# Numbers after these words are references to the report's furniture, not figures.
_WORD = re.compile(r"\s*([“\"‘']?)([A-Za-z][A-Za-z'’\-]*)([”\"’']?)")


def _number(tok: str) -> Decimal:
    t = tok.lower()
    if t in WORD_VALUES:
        return Decimal(WORD_VALUES[t])
    if "-" in t and t.split("-")[0] in WORD_VALUES:
        tens, ones = t.split("-")
        return Decimal(WORD_VALUES[tens] + WORD_VALUES[ones])
    return Decimal(t.replace(",", ""))


def _value(num: str, scale: str | None = None) -> Decimal:
    d = _number(num)
    scale = (scale or "").strip(" \t\r\n-").lower()  # "three-million", "three\nmillion" (a wrapped line)
    if scale:
        d *= _SCALES[scale]
    return normalise(d)


@lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    """Words that end the noun phrase after a count: the one terms module's stop words and auxiliaries."""
    return stop_words() | AUXILIARIES


def _plural(text: str, pos: int, limit: int) -> bool:
    """Whether the word at `pos` looks like a plural noun ("cases"): a word in -s, not "-ss", not a possessive
    ("Ministry's") and no stop word."""
    m = _WORD.match(text, pos, limit)
    lw = m.group(2).lower() if m else ""
    return (lw.endswith("s") and not lw.endswith(("ss", "'s", "’s")) and lw not in _stop()
            and lw not in WORD_VALUES)


def _noun_after(text: str, pos: int, limit: int) -> tuple[str, int]:
    """The short noun phrase after a count ("140,000 customers" -> "customers") and where it ends."""
    stop = _stop()
    words: list[str] = []
    end = pos
    while len(words) < 5:
        m = _WORD.match(text, end, limit)
        if not m:
            break
        w = m.group(2)
        lw = w.lower()
        if lw in WORD_VALUES or (lw in stop and (words or lw in AUXILIARIES or not w.islower()
                                                  or not _plural(text, m.end(), limit))):
            break  # a function word ends the phrase; "60 such cases", "22 further schemes" keep their quantifier
        if words and lw.endswith(("ed", "ly")):
            # "bids received from": a participle before a preposition starts the verb phrase, whereas
            # "shared service centres" keeps its adjective.
            nxt = _WORD.match(text, m.end(), limit)
            if not nxt or nxt.group(2).lower() in stop:
                break
        words.append(w.strip("'’"))
        end = m.end()
        if m.group(3):  # a closing quote ends the phrase: five delivery “clusters”
            break
    return " ".join(words), end


# --- readers: one per pattern kind; each returns (start, end, fields) or None to reject the match ---

def _read(kind: str, text: str, m: re.Match) -> tuple[int, int, dict] | None:
    g = m.groupdict()
    start, end = m.span()
    if kind == "date":
        month = next(i for i, name in enumerate(_MONTHS, 1) if name.lower() == g["m"].lower())
        day, year = g["d"] or g["d2"], int(g["y"])
        iso = f"{year:04d}-{month:02d}"
        if day:
            try:
                iso = date(year, month, int(day)).isoformat()
            except ValueError:
                return None
        return start, end, {"value": Decimal(year), "unit": "date", "iso_date": iso}
    if kind == "fy":
        y1, y2 = int(g["y1"]), g["y2"]
        y2n = int(y2) if len(y2) == 4 else (y1 // 100) * 100 + int(y2)
        if y2n == y1 + 1 or (len(y2) == 2 and int(y2) == (y1 + 1) % 100):
            return start, end, {"value": Decimal(y1), "unit": "financial_year"}
        if y1 < y2n <= y1 + 50:  # "2020-25", "2020-2030": a span of years, kept whole
            return start, end, {"value": Decimal(y1), "low": Decimal(y1), "high": Decimal(y2n), "unit": "year"}
        return None
    if kind in ("money_range", "pct_range"):
        if g["btw"] and g["btw"].lower() == "from":
            return None  # "from £100m to £200m" is a change over time, not a range
        if g["c"].lower() == "and" and not g["btw"]:
            return None  # "£44 million and £95 million" is a range only after "between"
        if kind == "money_range":
            if not (g["p2"] or g["s2"]):
                return None
            low, high = _value(g["n1"], g["s1"]), _value(g["n2"], g["s2"])
            if not g["s1"] and g["s2"] and _value(g["n1"], g["s2"]) < high:
                low = _value(g["n1"], g["s2"])  # "£5 to £10 million": a scale written once applies to both
            unit = "GBP"
        else:
            low, high = _value(g["n1"]), _value(g["n2"])
            unit = "percent"
            if not g["p1"] and (low > high or low >= 1900):
                return None
        if low >= high:
            return None
        return start, end, {"value": low, "low": low, "high": high, "unit": unit}
    if kind == "money":
        return start, end, {"value": _value(g["n"] or g["n2"], g["s"] or g["s2"]), "unit": "GBP"}
    if kind == "pct":
        return start, end, {"value": _value(g["n"]), "unit": "percent"}
    if kind == "duration":
        return start, end, {"value": _value(g["n"]), "unit": "years", "noun": _noun_after(text, end, len(text))[0]}
    if kind == "year":
        return start, end, {"value": Decimal(g["y"]), "unit": "year"}
    if _REFERENCE.search(text[max(0, start - 12):start]):
        return None
    if kind == "count_of":
        noun, noun_end = _noun_after(text, end, len(text))
        n, total = _number(g["n"]), _number(g["t"])
        if n > total:
            return None
        return start, noun_end if noun else end, {"value": normalise(n), "unit": "count",
                                                  "of_total": normalise(total), "noun": noun}
    noun, noun_end = _noun_after(text, end, len(text))
    if kind == "count" and not noun and _OF_PART.search(text[max(0, start - 40):start]):
        # "Of these, 22 are mental health trusts", "Of the 37 trusts, 22 are ...": a part of a whole named before
        return start, end, {"value": _value(g["n"], g.get("s")), "unit": "count", "noun": "", "bare": True}
    if kind == "count" and not noun and not _OF_WHICH.search(text[max(0, start - 20):start]) and not (
            _OF_FRONT.search(text[max(0, start - 20):start]) and text[end:end + 1] == ","):  # "Of those 176, ..."
        change_end = bool(_CHANGE_END.search(text[max(0, start - 6):start]))
        # a number that is the subject of a verb ("but only 640 had done so") counts something; a footnote or a
        # reference is followed by no auxiliary (English grammar: the auxiliaries of assistant.text.terms)
        subject = (re.match(r"\s+([a-z]+)\b", text[end:end + 12]) or [None, None])[1] in AUXILIARIES
        if "," not in g["n"] and not change_end and not subject:
            return None  # a bare digit with nothing counted is a reference, a footnote or noise
        if change_end and "," in g["n"]:
            # "New claims rose from 552,000 in 2020-21 to 701,000 in 2022-23": the ends of a change count what
            # the sentence is about, though no noun follows them
            return start, end, {"value": _value(g["n"], g.get("s")), "unit": "count", "noun": ""}
        # A bare grouped number ("compared with 39,300"), or any at an end of a change ("up from 161"), is no
        # footnote: it counts what an earlier count of its sentence counts, or it is dropped (see extract_figures)
        return start, end, {"value": _value(g["n"], g.get("s")), "unit": "count", "noun": "", "bare": True}
    if kind == "count_word" and g["n"].lower() == "one":
        return None  # "no one objected", "one reason": only "one of the seven" counts
    value = _value(g["n"], g.get("s"))
    return start, noun_end if noun else end, {"value": value, "unit": "count", "noun": noun}


# --- sentences and clauses ------------------------------------------------------------------------

def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text` (the one splitter, `assistant.text.sentences`): list markers
    and footnote digits glued to a full stop are left out."""
    return [(s.start, s.end) for s in split_sentences(text, bare=True)]


def clause_span(text: str, sent: tuple[int, int], start: int, end: int) -> tuple[int, int]:
    """The clause of a sentence around text[start:end] (the one clause splitter's, asides cut off); a cut
    inside the figure ("between £44 million and £95 million") is not one."""
    cuts = [sent[0] + c for c in split_clauses(text[sent[0]:sent[1]], asides=True)]
    return max(c for c in cuts if c <= start), min(c for c in cuts if c >= end)


def clause(text: str, figure: Figure) -> str:
    """The clause of `text` (the text the figure was extracted from) that holds the figure."""
    lo, hi = clause_span(text, (figure.sentence_start, figure.sentence_end), figure.start, figure.end)
    return text[lo:hi]


# --- what a figure measures -----------------------------------------------------------------------

# Why a hand-written table: NAO prose names what a sum is with a few stock phrases ("implementation
# cost", "spending to date", "approved a funding package"). A table is auditable, and a wrong guess
# costs a label, never a number. The first pattern found in the figure's clause wins, so specific
# phrases come before the general words they contain.
_AMOUNT_MEASURES = tuple((re.compile(p, re.I), m) for p, m in (
    (r"implementation cost|costs? of implement|\bto implement", "implementation cost"),
    (r"spen(?:t|ding|d) (?:to date|so far)|\bto date\b", "spending to date"),
    (r"saving|\bsaved?\b", "savings"),
    (r"forecast", "funding forecast"),
    (r"\bneeds?\b|\brequire|\brequest|\bbids?\b|\bsought\b|\basked for\b", "funding requested"),
    (r"approv|\bgrant|allocat|\bawarded\b|\bagreed\b", "funding approved"),
    (r"combined value|total value|worth", "combined value"),
    (r"budget", "budget"),
    (r"overspen", "overspend"),
    (r"income|revenue", "income"),
    (r"increas|\brise\b|\brose\b|grow|growth", "increase"),
    (r"reduc|decreas|\bcut\b|\bfell\b|\bfall\b", "reduction"),
    (r"\bcosts?\b", "cost"),
    (r"spen[dt]|expenditure", "spending"),
    (r"fund", "funding"),
))
# What happened to the things counted, looked for close to the count: "rejected all three bids".
_STATUSES = tuple((re.compile(p, re.I), s) for p, s in (
    (r"implemented in full|fully implemented", "implemented"),
    (r"being implemented|in progress|under ?way", "being implemented"),
    (r"\bimplemented\b", "implemented"),
    (r"\brejected\b|turned down|\brefused\b", "rejected"),
    (r"\bapproved\b|\baccepted\b", "approved"),
    (r"\bcompleted\b|\bdelivered\b", "completed"),
    (r"\bdelayed\b", "delayed"),
))
_ANNUAL = re.compile(r"\s*(?:per annum|per year|a year|each year|annually)\b", re.I)


def status_of(text: str) -> str | None:
    """What happened to the things a phrase names, the most specific status first ("being implemented")."""
    return next((s for p, s in _STATUSES if p.search(text)), None)


def has_status(text: str, status: str) -> bool:
    """Whether `text` says anywhere that something reached `status` ("turned down" counts as "rejected")."""
    return any(s == status and p.search(text) for p, s in _STATUSES)


def _measure(text: str, f: dict, sent: tuple[int, int], start: int, end: int, noun: str) -> str | None:
    lo, hi = clause_span(text, sent, start, end)
    unit = f["unit"]
    if unit in ("year", "financial_year", "date"):
        before, after = text[max(lo, start - 12):start].lower(), text[end:hi].lower()
        if re.search(r"\bby\s*$", before) or after.startswith(" at the latest"):
            return "deadline"
        if re.search(r"\b(?:up to|until|till)\s*$", before):
            return "end of period"
        if re.search(r"\b(?:since|from)\s*$", before):
            return "start"
        return "publication" if re.search(r"publish", text[lo:hi], re.I) else None
    if unit == "years":
        return "delay" if re.match(r"\s*(?:later|late|behind|delay)", text[end:hi], re.I) else (noun or None)
    if unit == "count":
        window = text[max(lo, start - 60):start] + " " + text[end:min(hi, end + 60)]
        status = status_of(window)
        head = noun.split()[-1] if noun else ""
        if status:
            return f"{head} {status}".strip()
        return noun or None
    in_row = _row_measure(text, sent, start)
    if in_row:
        return in_row
    if unit == "GBP" and _COMPARED.match(text, end) and re.search(r"budget|approv", text[end:hi], re.I):
        return "overspend"  # "£23 million more than the approved budget" is by how much, not the budget
    found = next((m for p, m in _AMOUNT_MEASURES if p.search(text[lo:hi])), None)
    if found and _ANNUAL.match(text, end):
        found += " per annum"
    return found


_OF_WHICH = re.compile(r",?\s+of (?:which|whom|these|them)\s+$", re.I)
# A whole fronted by "of" at the start of a sentence ("Of those 176, ...", "Of the 50 projects, ...")
_OF_OPENING = re.compile(r"\W*of\s+(?:(?:the|those|these|its|their)\s+)?", re.I)  # all of a sentence before it
_OF_FRONT = re.compile(rf"(?:^|[.!?]\s+){_OF_OPENING.pattern}$", re.I)
# A part after a whole fronted by "of" and closed by a comma: "Of these, 22 are ...", "Of the 37 trusts, 22 are ..."
# (English: the fronted "of" phrase names what the number is a part of)
_OF_PART = re.compile(r"(?:^|[.!?]\s+)\W*of\s+(?:these|those|them|(?:the|those|these|its|their)\s+[\w,.£%\s-]{1,30}?)"
                      r"\s*,\s*$", re.I)
# The fronted "of" phrase that refers back to the previous sentence's figure: "Of these, 22 are ..."
_OF_BACK = re.compile(r"\W*of\s+(?:these|those|them)\s*,\s*$", re.I)
# A table row as ingestion writes it (ingest.structure): "Figure 3: Spending, row 2021-22: Planned £40 million,
# Actual £52 million". Each cell starts with its column's header, which is what the cell's figure measures.
TABLE_ROW = re.compile(r"^(?P<prefix>.+?), row (?P<label>[^:]+): (?P<cells>.+)$")
_COMPARED = re.compile(r"\s+(?:more|higher|greater|above)\s+than\b", re.I)


def _row_measure(text: str, sent: tuple[int, int], start: int) -> str | None:
    """What a figure in a table row measures: its column header, with the caption's measure when the header
    names none ("Actual" under "Planned and actual spending" -> "actual spending")."""
    row = TABLE_ROW.match(text[sent[0]:sent[1]])
    if not row or sent[0] + row.start("cells") > start:
        return None
    cell_start = text.rfind(", ", sent[0] + row.start("cells"), start)
    cell_start = sent[0] + row.start("cells") if cell_start < 0 else cell_start + 2
    header = " ".join(text[cell_start:start].split()).strip(" :").lower()
    if not header or re.search(r"\d", header):
        return None
    named = next((m for p, m in _AMOUNT_MEASURES if p.search(header)), None)
    caption = next((m for p, m in _AMOUNT_MEASURES if p.search(row.group("prefix"))), None)
    return header if named or not caption else f"{header} {caption}"


_CHANGE_END = re.compile(r"\b(?:from|to)\s+$", re.I)  # "rose from N to M": English prepositions of a change


def extract_figures(text: str) -> list[Figure]:
    """Every figure in `text`, in order: money, percentages, counts, years, financial years, dates, ranges."""
    spans = sentences(text)
    starts = [s for s, _ in spans]
    claimed: list[tuple[int, int]] = []
    found: list[tuple[int, int, tuple[int, int], dict]] = []
    for kind, pattern in _PATTERNS:  # in priority order: a span claimed once is not read again
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in claimed):
                continue
            got = _read(kind, text, m)
            if got is None:
                continue
            start, end, fields = got
            i = bisect.bisect_right(starts, start) - 1
            if i < 0 or end > spans[i][1] or any(start < e and s < end for s, e in claimed):
                continue  # outside any sentence: a list marker or a footnote number
            claimed.append((start, end))
            found.append((start, end, spans[i], fields))
    figures = []
    last_noun: dict[tuple[int, int], str] = {}
    last_of: dict[tuple[tuple[int, int], str], tuple[Decimal, int]] = {}  # a sentence's last count or amount
    fronted: dict[tuple[tuple[int, int], str], Decimal] = {}  # a sentence's whole fronted by "of" ("Of the 50 ...,")
    for start, end, sent, fields in sorted(found, key=lambda x: x[0]):
        noun = fields.pop("noun", "") or ""
        if fields["unit"] == "count" and _OF_BACK.fullmatch(text, sent[0], start):
            # "The 37 trusts without an EPR are not evenly spread. Of these, 22 are ...": a part of the previous
            # sentence's last count, and a count of what it counted
            i = starts.index(sent[0])
            prev = spans[i - 1] if i > 0 else None
            if prev is not None and last_noun.get(prev) and (prev, "count") in last_of:
                noun = last_noun[prev]
                fields["of_total"] = last_of[(prev, "count")][0]
                fields.pop("bare", None)
        # "Of the 50 projects, eight had been completed, 33 were in delivery ...", "Of those 176, 121 meet ...": a
        # whole fronted by "of" before the sentence's comma, of which each later figure of its unit is a part
        front = bool(_OF_OPENING.fullmatch(text, sent[0], start))
        if fields.pop("bare", False) and not last_noun.get(sent) and not front:
            continue  # a bare grouped number with no count before it in its sentence: nothing says what it counts
        if fields["unit"] == "count":
            # An elliptical count ("two of the seven recommendations ... and five are ...") counts the same things.
            noun = noun or last_noun.get(sent, "")
            if noun:
                last_noun[sent] = noun
        if fields["unit"] in ("count", "GBP"):
            before = last_of.get((sent, fields["unit"]))
            # "210 cases had been closed, of which 85 were confirmed", "payments totalling £117 million, of which
            # £64 million came from ...": the 85 is a part of the 210, the £64 million of the £117 million
            whole = fronted.get((sent, fields["unit"]))
            if before is not None and fields.get("of_total") is None and _OF_WHICH.search(text[before[1]:start]):
                fields["of_total"] = before[0]
            elif whole is not None and fields.get("of_total") is None:
                fields["of_total"] = whole
            if front:
                fronted[(sent, fields["unit"])] = fields["value"]
            last_of[(sent, fields["unit"])] = (fields["value"], end)
        measure = _measure(text, fields, sent, start, end, noun)
        figures.append(Figure(raw=text[start:end], start=start, end=end, sentence=text[sent[0]:sent[1]],
                              sentence_start=sent[0], sentence_end=sent[1], measure=measure, **fields))
    return figures
