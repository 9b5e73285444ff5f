"""Reading a question: instructions to the assistant cut out, the kind of answer it wants, its content terms,
and the previous turn's subject for a follow-up. No thesaurus and no list of this corpus's words: the
embedding model bridges a question's wording and a report's (see `assistant/answer/`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.query.safety import strip_instructions
from assistant.text.figures import SCALE_WORDS
from assistant.text.normalise import normalise
from assistant.text.patterns import MONTHS, Y, periods
from assistant.text.spelling import is_english, one_slip
from assistant.text.terms import AUXILIARIES, INTERROGATIVES, content_terms, stop_words

_MARKUP = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]{0,200}>|javascript:\S*", re.I | re.S)

_AUXILIARY = "|".join(sorted(AUXILIARIES))  # the one list of English auxiliaries (assistant/text/terms)
# The kind of answer a question wants, read from English question words (not from any report's idiom):
# the answer-type evidence a sentence must show ("who" wants a person, "when" a date, "why" a reason).
ANSWER_TYPES = (
    # A per cent after a number is a figure the question gives ("which suppliers account for 71%?"), not one it
    # asks for ("what % of trusts", "by how many per cent").
    ("percent", re.compile(r"\b(?:what|which) (?:percentage|proportion|share|fraction)\b|(?<!\d)(?<!\d )"
                           r"(?:\bper ?cent\b|%)", re.I)),
    # "how much", and the money that the verb "cost" and the adjective "worth" take by their grammar, asked by
    # "what": "what did the venues cost?", "what is the contract worth?" ("cost" after a determiner or a
    # preposition is the noun: "what did it say about the cost increases?", "what did it find on cost?" ask no
    # amount). The "what" opens the question, not a clause inside it ("did it know what the work had cost?" asks
    # whether it is known).
    ("amount", re.compile(r"\bhow much\b|^\W*(?:(?:and|but|so)\s+)?what(?:['’]s|\s+(?:did|does|do|"
                          r"will|would|has|have|is|was|are|were))\b[^?,;]*?(?<!\bthe )(?<!\ba )(?<!\bits )"
                          r"(?<!\btheir )(?<!\babout )(?<!\bon )(?<!\bof )(?<!\bin )(?<!\bfor )(?<!\bover )"
                          r"\b(?:cost(?:s|ing)?|worth)\b\s*(?:[\w'’-]+\s*){0,5}\??\s*$", re.I)),
    ("count", re.compile(r"\bhow many\b|\bnumber of\b|\bno\. of\b", re.I)),
    # "when" asks for a date where it asks: opening the question, before the inverted auxiliary of a question
    # ("and when did it go live?") or after a preposition ("by when?"). Inside a sentence, before its subject,
    # it sets a time ("Who chaired the committee when it reported?" asks who).
    ("date", re.compile(rf"^\W*(?:(?:and|but|so|then|or)\s+)?when\b|\bwhen\s+(?:{_AUXILIARY})\b"
                        r"|\b(?:by|until|till|to|since|from)\s+when\b"
                        r"|\b(?:what|which) (?:year|date|month|day)\b|\bhow soon\b", re.I)),
    ("duration", re.compile(r"\bhow long\b", re.I)),
    ("person", re.compile(r"\bwho(?:m|se)?\b", re.I)),
    # "why", and asking for the reasons themselves ("what two reasons does it give", "what does it blame for");
    # the causative "make" asks why as "what caused" does ("what made the department change course?"; "what made
    # up the budget?" asks what it held).
    ("reason", re.compile(r"\bwhy\b|\bhow come\b|\bwhat (?:caused|led to)\b|\bwhat (?:made|makes)\b(?!\s+up\b)"
                          r"|\breasons?\b|\bblam(?:e|es|ed)\b", re.I)),
    # "which company ...?", "which provider ...?", "the name of ...": a proper name. "which of", "which is" and a
    # relative "which" before its clause's subject ("the scheme which the Department ran") ask something else.
    ("name", re.compile(rf"\bwhich\s+(?!(?:of|one|ones|the|a|an|it|they|we|he|she|year|date|month|day|percentage|"
                        rf"proportion|share|fraction|{_AUXILIARY})\b)[a-z]"
                        r"|\bnames?\b", re.I)),
)

# A question of more than one part: a question word or an inverted auxiliary opening a clause coordinated with the
# first ("How much did the clusters need, and how much did the Treasury approve?", "... who is its director, and
# what is its budget?"), perhaps after a preposition ("and by when?"). English grammar of coordinated questions,
# not any report's wording.
_ANOTHER_PART = re.compile(r"(?:[,;]|\b(?:and|or|but)\b)\s+(?:(?:and|or|but)\s+)?(?:([a-z]+)\s+)?"
                           rf"(?:what|when|where|which|who|whom|whose|why|how|{_AUXILIARY})\b", re.I)


def question_parts(text: str) -> int:
    """How many things the question asks, in clauses coordinated with each other: 1, and one more for each clause
    after the first. A word between the joint and the question word must be a stop word (the library's list): a
    preposition ("and by when?"), not a noun the clause is about."""
    return 1 + sum(1 for m in _ANOTHER_PART.finditer(text) if m.group(1) is None or m.group(1).lower() in stop_words())


# A question that only makes sense after the previous turn: it starts by continuing it or leans on a pronoun.
_FOLLOW_UP = re.compile(r"^\s*(and|also|what about|how about|but|so|then)\b|\b(it|its|they|them|their|that|"
                        r"this|those|these|he|she|his|her)\b", re.I)


@dataclass(frozen=True)
class Question:
    text: str  # as asked
    clean: str  # with instructions to the assistant removed
    types: tuple[str, ...]  # answer types wanted: percent, amount, count, date, duration, person, reason, name
    terms: tuple[str, ...]  # content terms
    had_instructions: bool
    context_terms: tuple[str, ...] = ()  # from the previous question, for follow-ups
    measured: tuple[str, ...] = ()  # what a "how many"/"how much" question counts: "how many staff" -> staff


# "how many staff", "how much funding", "the number of homes", "what percentage of schemes": the words after
# the quantity word name what the figure must measure.
_MEASURED = re.compile(r"\b(?:how many|how much|number of|(?:percentage|proportion|share) of)\s+((?:[a-z][\w'-]*\s+){0,2}"
                       r"[a-z][\w'-]*)", re.I)


def measured_terms(text: str) -> tuple[str, ...]:
    """The content words naming what a quantity question measures (up to three after the quantity word)."""
    m = _MEASURED.search(text)
    if not m:
        return ()
    after = m.group(1).split()
    if after[0].lower() == "of":  # "how many of the Committee's recommendations": the phrase after "of" is counted
        after = text[m.start(1):].split()[1:8]
    elif after[0].lower() in stop_words():  # "how much the Cabinet Office had spent": a function word (scikit-learn's
        return ()  # stop list) opens a clause or a comparison ("how many more"), not the noun measured
    words = []
    for w in after:  # up to the verb: "how much funding did HM Treasury approve" -> funding
        if w.lower() in AUXILIARIES:
            break
        words.append(w)
    return tuple(content_terms(" ".join(words)))[-3:]  # a noun phrase ends on its head ("... recommendations")


# A "when" (or "after", "once", "if") clause that sets the scene before the question proper: "When Ofwat made four
# companies restate their figures, what did it do to their leakage?" asks "what", not "when".
# "When will it finish, who ...?" is itself a question: an auxiliary straight after "when" asks it. The question
# proper may open on a preposition ("..., by how much did it rise?").
_SCENE = re.compile(r"^\s*(?:when|after|once|if|as)\b(?!\s+(?:will|would|did|does|do|is|are|was|were|has|have|had|can|"
                    r"could|should|shall|may|might|must)\b)[^,?]*,\s*(?=(?:what|which|who|whom|whose|how|why|where|"
                    r"did|does|do|was|were|is|are|has|have|had)\b|\w+\s+(?:what|which|who|whom|whose|how)\b)", re.I)


# A question opened by another question word asks that; a "when" inside it sets a time. One that is not ("Tell me
# when the strategy was published", "strategy published when?") asks when.
_OPENED = re.compile(rf"^\W*(?:what|which|who|whom|whose|how|why|where|{_AUXILIARY})\b", re.I)


def question_types(text: str) -> tuple[str, ...]:
    """The answer types a question asks for."""
    text = _SCENE.sub("", text)
    asks_when = bool(re.search(r"\bwhen\b", text, re.I)) and not _OPENED.search(text)
    return tuple(name for name, pattern in ANSWER_TYPES if pattern.search(text) or (name == "date" and asks_when))


# A year after a determiner or a possessive names a thing ("the 2012 strategy", "the NAO's 2014 report", "its
# 2021 plan"); it does not place the question in time. English grammar: the closed class of determiners. A
# financial year ("the 2021-22 financial year") is always a period.
_NAMING_YEAR = re.compile(rf"(?:\b(?:the|a|an|its|their|his|her|our|this|that|these|those)|['’]s)\s+"
                          rf"(?:(?:{MONTHS})\s+)?{Y}\b(?!\s*[-–/]\s*\d)", re.I)


def asked_periods(text: str) -> set[str]:
    """The periods a question asks about ("spending in 2019-20"): not a year that names a thing ("the 2012
    strategy"), nor those of a clause that sets its scene ("When Ofwat made four companies restate their figures in
    2021, what did it do ...?" asks about no period)."""
    return periods(_NAMING_YEAR.sub(" ", _SCENE.sub("", text)))


def previous_question(history: list[dict] | None) -> str | None:
    """The last question the user asked in `history`."""
    for turn in reversed(history or []):
        if turn.get("role") == "user" and str(turn.get("content", "")).strip():
            return str(turn["content"]).strip()
    return None


def is_follow_up(text: str, history: list[dict] | None) -> bool:
    """A short or pronoun-led question that only makes sense after the previous turn."""
    if not previous_question(history):
        return False
    return bool(_FOLLOW_UP.search(text)) or len(content_terms(text)) <= 3


# A financial year in a user's shorthand: "23/24" is 2023-24, as the reports write it (two years in a row, so
# not a date or a fraction). Questions only: a document's text is quoted verbatim and never rewritten.
_SHORT_FY = re.compile(r"(?<![\d/])(\d{2})/(\d{2})(?![\d/])")


# An amount in a user's shorthand ("£1.1bn", "£62m") written as the reports write it ("£1.1 billion"), so that its
# words meet theirs; "m" only after a currency sign ("62m" may be metres), and never "k" (the reports write
# "£500,000", not "£500 thousand"). Questions only, as above.
_SHORT_AMOUNT = re.compile(r"(?<![\w.,])([£$€]?)(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(bn|mn|tn|m)\b", re.I)


def _amounts(text: str) -> str:
    """The question with each "£1.1bn" written "£1.1 billion"."""
    def full(m: re.Match) -> str:
        sign, number, short = m.groups()
        if short.lower() == "m" and not sign:
            return m.group()
        return f"{sign}{number} {SCALE_WORDS[short.lower()]}"
    return _SHORT_AMOUNT.sub(full, text)


def _financial_years(text: str) -> str:
    """The question with each "23/24" written as the reports write it, "2023-24"."""
    def full(m: re.Match) -> str:
        a, b = int(m.group(1)), int(m.group(2))
        return f"{1900 + a if a >= 90 else 2000 + a}-{m.group(2)}" if b == (a + 1) % 100 else m.group()
    return _SHORT_FY.sub(full, text)


def _uncapped(text: str) -> str:
    """A question typed all in capitals ("HOW MUCH DID HM TREASURY APPROVE?") read in lower case: where every letter is
    a capital, a capital says nothing of a name or an abbreviation, and read as typed each word was taken for a name
    the reports must use. A question with any lower-case letter is as typed."""
    return text.lower() if re.search(r"[A-Z]", text) and not re.search(r"[a-z]", text) else text


_OPENING = re.compile(r"^\W*([A-Za-z]+)\b(?!['’])")


def _question_word(text: str) -> str:
    """The question with a slip of the keyboard in its opening question word read as that word: "wy is the cost
    rising?" asks why, and the kind of answer asked for is read from that word; "Wy is ...?", capitalised as a question
    opens, is not a name the reports must use. A slip as `spelling` reads one (a letter left out, added, changed or two
    swapped) of exactly one interrogative, in an opening word of lower-case letters (or a capital and lower-case
    letters, not a possessive) that is no English word; "wen" (English) and "hwo" (one slip from "how" and "who") are
    left as typed."""
    m = _OPENING.match(text)
    word = m.group(1) if m else ""
    lower = word.lower()
    if not word or not (word.islower() or word[1:].islower()) or lower in INTERROGATIVES or is_english(lower):
        return text
    near = one_slip(lower) & INTERROGATIVES
    if len(near) != 1:
        return text
    meant = near.pop()
    return text[:m.start(1)] + (meant.capitalize() if word[0].isupper() else meant) + text[m.end(1):]


def analyse(text: str, history: list[dict] | None = None) -> Question:
    """Everything the answerer needs to know about a question, read once."""
    # Normalised first, as documents are at ingestion, so the two meet in one form (full-width, look-alike
    # and invisible characters are undone before markup or instructions are looked for).
    clean, had = strip_instructions(_MARKUP.sub(" ", normalise(text)))
    clean = _question_word(_amounts(_financial_years(_uncapped(clean))))
    terms = tuple(content_terms(clean))
    context: tuple[str, ...] = ()
    if clean and is_follow_up(clean, history):
        prev = strip_instructions(previous_question(history) or "")[0]
        context = tuple(t for t in content_terms(prev) if t not in terms)
    return Question(text, clean, question_types(clean), terms, had, context, measured_terms(clean))


def retrieval_query(q: Question, history: list[dict] | None = None) -> str:
    """What to search for: the cleaned question, with the previous question for a follow-up."""
    if q.context_terms:
        prev = strip_instructions(previous_question(history) or "")[0]
        return f"{prev} {q.clean}".strip()
    return q.clean
