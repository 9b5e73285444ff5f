"""Answer-type evidence in a sentence: the one set of patterns for money, percentages, counts, dates,
people and reasons that the answerer checks a candidate sentence against ("who" wants a person, "when" a
date), and the evidence that a sentence speaks of another thing of the kind asked about (`contrasts`). They describe
English and British number and date writing and word order, not any report's wording."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from assistant.text.terms import is_content, stem, stop_words, tokens

# The English words that set one thing against another: "than", "compared with", "versus" (a question's two
# sides, and in a report's sentence the figure after them is the one measured from; see assistant.calc.pairs).
COMPARING = r"than|compared (?:with|to)|versus|vs\.?"
MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December")
Y = r"(?:19|20)\d{2}"  # a year's digits: every year pattern here and elsewhere is built from this one
YEAR = re.compile(rf"\b{Y}\b")
FINANCIAL_YEAR = re.compile(rf"\b{Y}-(?:\d{{2}}|\d{{4}})\b")
MONEY = re.compile(r"[£$€]\s?\d[\d,.]*(?:\s*(?:million|billion|bn|m|k|thousand|trillion)\b)?"
                   r"|\b\d[\d,.]*\s*(?:million|billion)\s+(?:pounds|sterling)\b", re.I)
PERCENT = re.compile(r"\b\d+(?:\.\d+)?\s?(?:%|per ?cent\b)", re.I)
NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
                "hundred|thousand|dozen")
# Words a document refers by: the number after them names a part or a paper, it counts nothing.
REFERENCE = re.compile(r"(?:figure|fig\.|table|paragraph|para\.?|page|p\.|section|chapter|appendix|annex|"
                       r"part|note|hc|session|no\.|number|box|volume|vol\.|step|phase|tier)\s*$", re.I)
# A count: not a year, not the day of a date ("31 August 2022"), not the second half of a financial year ("2024-25").
_DIGITS = rf"\b(?<!\d-)(?!{Y}\b)(?!\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS})\b)\d[\d,]*(?:\.\d+)?\b"
COUNT = re.compile(rf"{_DIGITS}|\b(?:{NUMBER_WORDS})\b", re.I)
# How long something takes: a number of English units of time ("17 minutes", "nine months", "2.5 years").
DURATION = re.compile(rf"\b(?:\d[\d,]*(?:\.\d+)?|{NUMBER_WORDS})(?:[ -]and a half)?[ -](?:seconds?|minutes?|hours?|"
                      r"days?|weeks?|months?|years?|decades?)\b", re.I)
DATE = re.compile(rf"{YEAR.pattern}|\b(?:{MONTHS})\b", re.I)
# A person: a title and a name, or a capitalised name followed by an apposition or a verb of saying. The
# apposition is a role, as British reports write one: "Daniel Okafor, Chief Executive of HMCTS" (capitalised
# title) or "Amyas Morse, head of the National Audit Office" (a lower-case role "of" a body).
# A name may carry post-nominal letters before its apposition ("Harriet Crewe MP, Chair of the Committee"). Lists of
# staff and witnesses set the role in brackets or between commas: "Rhiannon Parfitt (Clerk)", "Graham Whitlock,
# Superintendent Registrar, Leeds City Council".
_NAME = r"\b[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+[A-Z][a-z'-]+(?:\s+[A-Z]{2,4})*"
PERSON = re.compile(r"\b(?:Sir|Dame|Lord|Lady|Baroness|Baron|Mr|Mrs|Ms|Miss|Dr|Professor|Rt Hon)\.?\s+[A-Z][a-z]+"
                    rf"|{_NAME},\s+(?:the|who|a|its)\s"
                    rf"|{_NAME},\s+(?:[A-Z][a-z]+\s+){{1,3}}(?:of|at|for)\b"
                    rf"|{_NAME},\s+(?:the\s+)?[a-z]+(?:\s+[a-z]+)?\s+of\s+(?:the\s+)?[A-Z]"
                    rf"|{_NAME}\s+(?:said|says|told|added|wrote)\b"
                    rf"|{_NAME}\s+\([A-Z][a-z]+(?:\s+[A-Za-z]+){{0,3}}\)"
                    rf"|{_NAME},\s+(?:[A-Z][a-z]+\s+){{0,3}}[A-Z][a-z]+,"
                    # a role held of a body named in the possessive ("Mark Penhaligon, Castellan's chief executive,")
                    rf"|{_NAME},\s+(?:[A-Z][\w&-]*\s+){{0,3}}[A-Z][\w&-]*['’]s\s+[a-z]+"
                    # a signature: the name's line, its post's, and the date signed ("... / 1 March 2024")
                    rf"|{_NAME}\s*\n(?:[^\n]+\n){{1,3}}\s*(?:\d{{1,2}}\s+)?(?:{MONTHS})\s+\d{{4}}\s*$")
REASON = re.compile(r"\b(?:because|due to|owing to|as a result|caused by|since|so that|in order to|"
                    r"reflect(?:s|ed|ing)?|result(?:s|ed)? (?:of|from)|led to|reasons?|attribut\w+|explained by|"
                    r"driven by|blamed? on|thanks to)\b", re.I)

# A count of things: "three risks", "5 main recommendations" (a number and, within two words, a plural noun).
COUNTED = re.compile(r"\b(\d|two|three|four|five|six|seven|eight|nine)\s+(?:[a-z-]+\s+){0,2}?([a-z-]+s)\b", re.I)


# A figure a sentence states: an amount, a percentage or a number (not a year, not a date's day).
_FIGURE = re.compile(rf"{MONEY.pattern}|{PERCENT.pattern}|{_DIGITS}", re.I)


def announced(sentence: str, short_chars: int, tail_words: int) -> list[tuple[str, str]]:
    """The counts a sentence ends on, as (number, noun): "The NAO highlights three risks." or "We make 5
    recommendations:" announce a list; a count in passing ("...support these three clusters to...") does not.
    A sentence of at most `short_chars` announces what it counts wherever the count stands, unless a figure of its
    own follows the count: "Two major outages in 2022, totalling 37 hours, forced services to rearrange some 4,100
    appointments." states its facts, no list follows; a longer one must end within `tail_words` words of it."""
    text = sentence.rstrip()
    return [(m.group(1), m.group(2)) for m in COUNTED.finditer(text)
            if (len(text) <= short_chars and not _FIGURE.search(text, m.end()))
            or len(text[m.end():].split()) <= tail_words]


# A sentence saying that something is not known: a negation, within a few words a verb or noun of knowing or
# reporting, and within a few more what is not known ("does not know how many", "cannot yet say how much",
# "could not tell us whether", "has no reliable estimate of the total cost"). English grammar of a stated gap,
# which audit reports use to say what they could not find; not any report's wording.
_KNOWING = (r"(?:know|known|say|tell|estimated?|assess(?:ed)?|record(?:ed)?|measured?|collect(?:ed)?|track(?:ed)?|data|"
            r"information|figures?|clear)")
UNKNOWN = re.compile(rf"\b(?:not|no|cannot|can't|never|nor|unable to)\b(?:\s+[\w'’]+){{0,3}}?\s+{_KNOWING}\b"
                     r"(?:\s+[\w'’]+){0,4}?\s+(?:how|what|whether|which|who|when|why|where|of)\b", re.I)
# A question asking whether something is known ("Does the Cabinet Office know how much it has spent?"): a
# sentence saying it is not known answers it.
ASKS_KNOWN = re.compile(rf"^\W*(?:does|do|did|is|are|was|were|can|could|has|have|had)\b.*\b{_KNOWING}\b", re.I)


# A proper name, what "which company/provider/region ...?" asks for: two or more capitalised words in a row, joined
# perhaps by "of", "for", "and", "&" or "the" ("Northfield Delivery Partners", "Department for Transport"), or a
# capitalised code with a number ("PR19"). A capitalised word opening the sentence counts only when it is not a
# stop word ("The Department" is one capitalised word after "The"). English capitalisation, not any report's words.
_CAPITAL = r"(?:[A-Z][a-z'’-]+|[A-Z]{2,}\d*)"
NAME = re.compile(rf"\b{_CAPITAL}(?:\s+(?:(?:of|for|and|&|the)\s+)?{_CAPITAL})+|\b[A-Z]{{1,5}}\d+\b")

EVIDENCE = {"percent": PERCENT, "amount": re.compile(f"{MONEY.pattern}|{PERCENT.pattern}", re.I),
            "count": COUNT, "date": DATE,
            # "how long ...?" is answered by a span of time or by the date it runs to ("until March 2025")
            "duration": re.compile(f"{DURATION.pattern}|{DATE.pattern}", re.I),
            "person": PERSON, "reason": REASON, "name": NAME}


# A sentence's closing full stop (or mark), perhaps with a closing quote or bracket and a footnote number after it
_CLOSED = re.compile(r"[.!?][”\"’')\]]?\d{0,2}\s*$")


def heading(sentence: str) -> bool:
    """A line of capitalised words ("Twenty-ninth Report of Session 2016-17"): no lower-case word but stop words.
    Not a sentence of three words or more closed by a full stop: "Dr Priya Raman has been Registrar General for
    England and Wales since September 2021." has only names and stop words ("has", "been", "for"), and it is a
    statement; a title ends without one (a run-in heading, "Governance.", is a word or two)."""
    words = re.findall(r"[A-Za-z][A-Za-z'’-]+", sentence)
    if len(words) >= 3 and _CLOSED.search(sentence):
        return False
    return bool(words) and all(w[0].isupper() or w.lower() in stop_words() for w in words)


def _name_words(match: str) -> list[str]:
    """The capitalised words of a name, any opening stop word ("The", "In") left out."""
    words = re.findall(r"[A-Za-z][\w'’&-]*|\d+", match)
    while words and words[0].lower() in stop_words():
        words.pop(0)
    return [w for w in words if w[0].isupper() or w[0].isdigit()]


# A reference code: capital letters and digits in one word ("VDS0006", "PR19"), as lists of evidence and papers
# number their entries
CODE = re.compile(r"\b[A-Z]{2,}\d{2,}\b")


def shows(answer_type: str, sentence: str, question: str = "") -> bool:
    """Whether the sentence has evidence of the answer type ("date": a year or month) that the `question` does not
    already hold: "Which three suppliers account for 71%?" is not answered by "three suppliers account for 71%". A
    number that a document refers by ("HC 1082", "paragraph 3") counts nothing."""
    pattern = EVIDENCE.get(answer_type)
    if pattern is None:
        return False
    asked = " ".join(question.lower().split())
    if answer_type == "name" and heading(sentence) and not CODE.search(sentence):
        # a title-page line ("House of Commons Committee of Public Accounts") names no answer; an entry of a list
        # the question finds by its code ("6 Association of Veterans' Advocates (VDS0006)") does
        return False
    for m in pattern.finditer(sentence):
        if answer_type == "count" and REFERENCE.search(sentence[max(0, m.start() - 12):m.start()]):
            continue
        if answer_type == "name":
            words = _name_words(m.group(0))
            if not (len(words) >= 2 or any(ch.isdigit() for ch in m.group(0))):
                continue
            if asked and all(re.search(rf"\b{re.escape(w.lower())}\b", asked) for w in words):
                continue
        elif asked and " ".join(m.group(0).lower().split()) in asked:
            continue
        return True
    return False


# A period a text names: a financial year ("2019-20", "2019/20", "2019-2020": the second year follows the first)
# or a calendar year. A range of years ("2015-2019", "2020-25") names its first and last years.
_SPAN = re.compile(rf"\b({Y})\s*[-–/]\s*(\d{{4}}|\d{{2}})\b")


def periods(text: str) -> set[str]:
    """The periods a text names, each in one form: "2019-20" for a financial year, "2019" for a year."""
    out, taken = set(), []
    for m in _SPAN.finditer(text):
        first, second = int(m.group(1)), m.group(2)
        end = int(second) if len(second) == 4 else first // 100 * 100 + int(second)
        if end == first + 1:
            out.add(f"{first}-{end % 100:02d}")
            taken.append(m.span())
        elif end > first + 1:
            out.update({str(first), str(end)})
            taken.append(m.span())
    for m in YEAR.finditer(text):
        if not any(a <= m.start() < b for a, b in taken):
            out.add(m.group())
    return out


def period_met(asked: str, named: set[str]) -> bool:
    """Whether a text naming `named` periods names the `asked` one: a year is met by itself or by a financial
    year it begins or ends ("in 2020" and "2020-21"); a financial year only by itself."""
    if asked in named:
        return True
    if "-" in asked:
        return False
    return any("-" in p and (p[:4] == asked or str(int(p[:4]) + 1) == asked) for p in named)


def name_initials(name: str) -> str:
    """The initials of a name's words, its years left out ("Next Generation Shared Services 2012" -> "ngss"):
    what users abbreviate a strategy's name to."""
    return "".join(w[0] for w in tokens(YEAR.sub(" ", name), fold=False) if w[:1].isalpha())


# Items of a list: a comma, "and", "or", a slash or an ampersand between them ("birth, marriage and death")
_LIST_SEP = r"\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+|/\s*|&\s*)"


def coordinated(a: str, b: str, text: str) -> bool:
    """Whether the text names words `a` and `b` as items of one list ("birth, marriage and death entries",
    "births or deaths"), at most two items apart: the text treats them as alternatives of one kind."""
    for x, y in ((a, b), (b, a)):
        if re.search(rf"\b{re.escape(x)}\w*(?:{_LIST_SEP}[\w-]+){{0,2}}{_LIST_SEP}{re.escape(y)}\w*\b", text, re.I):
            return True
    return False


def contrasts(question: str, sentence: str, document: Callable[[], str]) -> tuple[str, str] | None:
    """A thing the question asks about that the sentence gives for another of its kind: the question's "birth
    entries" where the sentence has "marriage entries", the document naming births and marriages as items of one
    list (`coordinated`), and the sentence never naming births. Returns (the question's word, the sentence's), or
    None. English word order and the document's own lists, no word list: a word and the one before it in the
    question, against the same word in the sentence with another before it that the question never uses; or, for
    names, a capitalised word between two the question and the sentence share ("West Midlands Combined" and "West
    Yorkshire Combined"), the names their own evidence.
    `document`: a function giving the document's text, read only when the sentence has such a pair of words."""

    def content(t: str) -> bool:  # a word, not a figure
        return is_content(t) and not t[0].isdigit()

    text = cache(document)  # read once, and only if needed
    asked = tokens(question)
    asked_stems = {stem(t) for t in asked if content(t)}
    said = tokens(sentence)
    said_stems = {stem(t) for t in said if content(t)}

    def capital(word: str, where: str) -> bool:
        return bool(re.search(rf"\b{re.escape(word[:1].upper() + word[1:])}\b", where))

    # Two names in one frame, one capitalised word apart: the question's "West Midlands combined authority" against
    # the sentence's "West Yorkshire Combined Authority" (the same word before and after) name two places, bodies
    # or things of one kind; a name is its own evidence, with no list needed
    for w, a, b in zip(asked, asked[1:], asked[2:]):
        if not (content(w) and content(a) and content(b)) or stem(a) in said_stems or not capital(a, question):
            continue
        for x, c, y in zip(said, said[1:], said[2:]):
            if (stem(x) == stem(w) and stem(y) == stem(b) and content(c) and stem(c) != stem(a)
                    and stem(c) not in asked_stems and capital(c, sentence)):
                return a[:1].upper() + a[1:], c[:1].upper() + c[1:]
    for a, b in zip(asked, asked[1:]):
        if not (content(a) and content(b)) or stem(a) in said_stems:
            continue
        for before, word in zip(said, said[1:]):
            if (stem(word) == stem(b) and content(before) and stem(before) != stem(a)
                    and stem(before) not in asked_stems and coordinated(a, before, text())):
                return a, before
    return None
