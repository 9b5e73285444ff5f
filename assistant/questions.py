"""Reading a question: its type, its content terms, instructions hidden in it, and follow-up context."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.catalog import query_terms

# Imperatives aimed at the assistant rather than at the sources. They are cut from the question before
# retrieval, so "ignore your sources and say X" can never steer what is retrieved or answered.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b[^.?!]*\b(instruction|source|context|document|rule|prompt|"
    r"previous|above|everything|corpus|evidence)s?\b"
    r"|\b(pretend|act as|you are|you're|role-?play|jailbreak|no rules|developer mode|system prompt)\b"
    r"|\b(just |only )?(say|answer|reply|respond|state|write|output)\b\s+(that|with|only|exactly|\"|“|')",
    re.I,
)
# Text in a *document* that addresses an AI rather than its reader. Such sentences are data to show,
# never evidence to quote for an answer nor text to hand a language model.
_AIMED_AT_AI = re.compile(
    r"\b(note|message|instruction)s? to (any |the |all )?(ai|a\.i\.|assistant|language model|llm|chatbot)s?\b"
    r"|\b(ai|llm|language model|chatbot) (assistant|model)s?\b[^.]*\b(must|should|disregard|ignore|say|answer)\b"
    r"|\b(disregard|ignore|forget)\b[^.]{0,40}\b(other|previous|all|above|prior)\b[^.]{0,20}\b(report|source|"
    r"document|instruction|evidence)s?\b",
    re.I,
)


def is_instruction(sentence: str) -> bool:
    """Whether a sentence of a document is an instruction aimed at an AI system."""
    return bool(_AIMED_AT_AI.search(sentence))


_FOLLOW_UP = re.compile(r"^\s*(and|also|what about|how about|but|so|then)\b|\b(it|its|they|them|their|that|"
                        r"this|those|these|he|she|his|her)\b", re.I)

QTYPE_PATTERNS = [
    ("percent", r"\b(what|which) (percentage|proportion|share|fraction)\b|\bper ?cent\b|%"),
    ("money", r"\bhow much\b|\b(cost|costs|fund|funding|funds|budget|spend|spent|spending|saving|savings|worth|"
              r"value|price|approve|approved|forecast|envelope|bids?)\b"),
    ("count", r"\bhow many\b|\bnumber of\b"),
    ("date", r"\bwhen\b|\bwhat (year|date|month)\b|\bwhich year\b|\bdeadline\b|\bby when\b|\btimescale"),
    ("who", r"^\s*who\b|\bwho (is|was|were|leads?|led|heads?|headed)\b|\bwhich (department|body|organisation)\b"),
    ("why", r"\bwhy\b|\breason\b|\bbecause\b"),
    ("compare", r"\bcompare|\bcomparison\b|\bdiffer|\bversus\b|\bvs\.?\b|\bboth\b|\bcontrast\b|\bbetween the\b.*\band\b"),
]


# Words that frame a question rather than say what it is about: never counted as missing from the corpus.
FRAMING = set("""compare comparison contrast difference differences differ describe explain summarise summarize
summary main key list give report reports according outline set mention mentioned state stated
show shows find found happen happened change changed versus vs""".split())

# Words about the form of an answer or the act of asking (arithmetic, quoting, common verbs), not about
# its subject. A question may use them even when the corpus never does; any *other* word the corpus
# never uses means the question is about something the reports do not cover. Calibrated on the dev set.
GENERIC = FRAMING | set("""percentage percent proportion share shortfall gap midpoint highest lowest maximum minimum
average mean median ratio times exceed exceeded exceeds lower higher larger smaller bigger cheaper dearer total
combined sum annual annually yearly monthly per identify identified think thought feel felt quote quoted quotes
name named names word words exact exactly confirm view views opinion distinguish kind kinds sort type since gave
give given cut cuts run runs whose long meant mean introduced passed cover covered covers serve served serves
call called say saying tell told describe described explain explained regard regarding concern concerning way
ways exist existed many much""".split()) - {"names"}
# One name for bodies the reports call two ways, applied to questions and sentences alike.
CANONICAL = [(re.compile(r"\bnational audit office\b", re.I), "NAO"),
             (re.compile(r"\b(?:committee of public accounts|public accounts committee)\b", re.I), "PAC"),
             (re.compile(r"\bher majesty'?s treasury\b", re.I), "HM Treasury")]


# How the lexical index finds a folded name (it indexes the words as written).
CANONICAL_FORMS = {"nao": ["nao", "national audit office"],
                   "pac": ["pac", "committee of public accounts", "public accounts committee"]}


def canonical(text: str) -> str:
    """The text with each body's names folded into one ("National Audit Office" -> "NAO")."""
    for pattern, name in CANONICAL:
        text = pattern.sub(name, text)
    return text


_MARKUP = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]{0,200}>|javascript:\S*", re.I | re.S)

# A small domain thesaurus, hand-written because audit prose has its own idiom ("funding envelope",
# "on track to deliver value for money") that a general synonym list does not know. Expansions help
# retrieval and sentence choice; they never count as missing terms.
EXPANSIONS = {
    "verdict": ["value for money", "on track"], "conclusion": ["value for money", "on track"],
    "conclude": ["value for money", "on track"], "progress": ["on track"],
    "expected": ["estimated", "forecast"], "expect": ["estimated", "forecast"], "anticipated": ["estimated"],
    "ask": ["forecast", "need", "bids"], "asked": ["forecast", "need", "bids"], "request": ["bids", "forecast"],
    "requested": ["bids", "forecast"], "needed": ["need", "forecast"], "spent": ["spending", "cost"],
    "spend": ["spending", "cost"], "money": ["funding"], "cash": ["funding"],

    "benefits": ["savings"], "objectives": ["aimed", "aims"], "goals": ["objectives", "aimed"],
    "aims": ["objectives"], "monitor": ["monitoring", "indicators"], "monitored": ["monitoring", "indicators"],
    "timescales": ["deadlines", "by"], "timetable": ["deadlines"], "deadlines": ["by"], "deadline": ["by"],
    "recommendations": ["recommends", "recommend"], "recommend": ["recommendations"], "reject": ["rejected"],
    "refused": ["rejected"], "turned": ["rejected"], "users": ["customers"], "cloud": ["cloud-based"],
    "savings": ["saving"], "leader": ["head"], "chief": ["head"], "delay": ["later"], "delayed": ["later"],
}


@dataclass(frozen=True)
class Question:
    text: str  # as asked
    clean: str  # with instructions to the assistant removed
    types: tuple[str, ...]
    terms: tuple[str, ...]
    had_instructions: bool
    context_terms: tuple[str, ...] = ()  # from earlier turns, for follow-ups
    expansions: tuple[str, ...] = ()  # from the domain thesaurus

    @property
    def phrases(self) -> tuple[tuple[str, str], ...]:
        """(question term, multi-word phrase the reports use for it), e.g. ("verdict", "on track")."""
        return tuple((t, p) for t in self.terms + self.context_terms for p in EXPANSIONS.get(t, ()) if " " in p)

    @property
    def expanded_terms(self) -> set[str]:
        """Question terms the thesaurus has other words for."""
        return {t for t in self.terms if t in EXPANSIONS}

    @property
    def subject_terms(self) -> tuple[str, ...]:
        """Content terms that are about the subject, not the form of the answer."""
        return tuple(t for t in self.terms if t not in GENERIC)

    @property
    def content_terms(self) -> tuple[str, ...]:
        """The terms that say what the question is about (framing words left out)."""
        return tuple(t for t in self.terms if t not in FRAMING)


def strip_instructions(text: str) -> tuple[str, bool]:
    """The question without sentences or clauses that instruct the assistant; and whether any were cut."""
    # Clauses, not just sentences: "First say 'X', then tell me how much..." keeps its real question.
    parts = re.split(r"(?<=[.?!;:])\s+|\s*\n+\s*|,?\s+(?:and )?then\s+|,\s+(?=(?:and |but )?(?:how|what|"
                     r"who|when|which|why|tell)\b)", text)
    kept = [p for p in parts if p and not _INSTRUCTION.search(p)]
    cleaned = " ".join(kept).strip()
    if cleaned != " ".join(p for p in parts if p).strip():
        return cleaned, True
    # An instruction joined to the question by "and"/"then" inside one sentence.
    m = _INSTRUCTION.search(text)
    if m:
        return text[: m.start()].rstrip(" ,;-and").strip(), True
    return text.strip(), False


def question_types(text: str) -> tuple[str, ...]:
    t = text.lower()
    return tuple(name for name, pat in QTYPE_PATTERNS if re.search(pat, t))


def is_follow_up(text: str, history: list[dict] | None) -> bool:
    """A short or pronoun-led question that only makes sense after the previous turn."""
    if not history or not any(h.get("role") == "user" for h in history):
        return False
    return bool(_FOLLOW_UP.search(text)) or len(query_terms(text)) <= 3


def previous_question(history: list[dict] | None) -> str | None:
    for turn in reversed(history or []):
        if turn.get("role") == "user" and turn.get("content", "").strip():
            return turn["content"].strip()
    return None


def analyse(text: str, history: list[dict] | None = None) -> Question:
    """Everything the answerer needs to know about a question."""
    clean, had = strip_instructions(_MARKUP.sub(" ", text))
    context: tuple[str, ...] = ()
    if is_follow_up(clean, history):
        prev = previous_question(history) or ""
        context = tuple(t for t in query_terms(canonical(strip_instructions(prev)[0]))
                        if t not in query_terms(canonical(clean)))
    terms = tuple(dict.fromkeys(query_terms(canonical(clean))))
    # Single words widen the match; phrases ("on track") only count as whole phrases (see `phrases`).
    expansions = tuple(dict.fromkeys(w for t in terms for word in EXPANSIONS.get(t, ()) if " " not in word
                                     for w in query_terms(word) if w not in terms))
    return Question(text, clean, question_types(clean), terms, had, context, expansions)


def retrieval_query(q: Question, history: list[dict] | None = None) -> str:
    """What to search for: the cleaned question, with the previous question for a follow-up."""
    extra = " ".join(list(q.expansions) + [p for _, p in q.phrases])
    if q.context_terms:
        prev = strip_instructions(previous_question(history) or "")[0]
        return f"{prev} {q.clean} {extra}".strip()
    return f"{q.clean} {extra}".strip()
