"""Instructions hidden in questions and documents. A question's instructions to the assistant are cut before
retrieval; a document's sentences addressed to an AI are data to show, never evidence."""

from __future__ import annotations

import re

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
