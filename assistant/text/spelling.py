"""Slips of the keyboard in a question ("supervison", "recomendations", "probaton"), read as the word of the
reports that they are one slip from.

Most misspellings are one slip from the word meant: a letter left out, added, changed, or two letters swapped
(Damerau, "A technique for computer detection and correction of spelling errors", CACM 7(3), 1964, found over
80% were). A question word is read as a report word when the word is neither English (simplemma's lexicon, a
maintained word list) nor used by the reports the question retrieved, and a word of those reports is one such slip
from it; of several, the one the reports use most. Failing that, an English word one slip from it whose stem the
reports use in another form ("recomendations" where they write "recommends"). The question's opening word counts in
lower case: it is capitalised because it opens the question, not because it is a name. A rare English word
("halving") is never changed, nor a name inside the question or an abbreviation the user coined ("mgmt": too short
to tell a slip from shorthand).

Why by hand: the single-edit candidates are Norvig's few lines ("How to Write a Spelling Corrector"); the
maintained libraries for it (symspellpy, rapidfuzz) would be a dependency for a dozen lines, and the vocabulary
here is the retrieved reports', not a general dictionary.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from string import ascii_lowercase as _LETTERS


def one_slip(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion of a letter from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changes = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return deletes | swaps | changes | inserts


@lru_cache(maxsize=4096)  # a cache, not a tuning: the lexicon lookup is the slow part
def is_english(word: str) -> bool:
    """Whether simplemma's English lexicon knows the word (an inflected form counts)."""
    import simplemma

    return bool(simplemma.is_known(word, lang="en"))


def could_slip(word: str, min_chars: int) -> bool:
    """Whether `word` (a question's term) could be a slip: lower-case letters only, at least `min_chars` long (a
    shorter unknown word is more often shorthand, "mgmt", "svcs"), and no English word."""
    return len(word) >= min_chars and word.isalpha() and word.islower() and not is_english(word)


def corrected(word: str, vocabulary: Counter, longest: int | None = None) -> str | None:
    """The reports' word that `word` (one that `could_slip`) is a slip for, or None: `word` is not in `vocabulary`
    (the reports' words with their counts), and a vocabulary word is one slip from it; of several, the most used
    (then the first in alphabetical order, for a stable answer). Else an English word one slip from it whose stem the
    reports use, in a form they do not ("recomendations" where they write "recommends"). `longest`: the length of the
    vocabulary's longest word, when the caller knows it. A word longer than any English word is no slip (and a very
    long one, pasted or hostile, is not expanded into its many one-slip strings)."""
    if longest is None:
        longest = max(map(len, vocabulary), default=0)
    if word in vocabulary or len(word) > max(longest + 1, _LONGEST_ENGLISH):
        return None
    edits = one_slip(word)
    near = [w for w in edits if w in vocabulary]
    if near:
        return min(near, key=lambda w: (-vocabulary[w], w))
    # Else a form of a report's word that the reports do not use ("recomendations" where they write "recommends"):
    # an English word one slip away whose stem they use, the stem they use most
    # (English first: the lexicon's lookup is fast, stemming every one-slip string is not; a stem begins its words)
    from assistant.text.terms import stem

    used = {}
    for w in (w for w in edits if w.isalpha() and is_english(w)):
        root = stem(w)
        n = sum(c for v, c in vocabulary.items() if v.startswith(root) and stem(v) == root)
        if n:
            used[w] = n
    if not used:
        return None
    return min(used, key=lambda w: (-used[w], w))


_WORD = re.compile(r"(?<![\w'’-])[A-Za-z]+(?![\w'’-])")
# The longest word of the major English dictionaries ("pneumonoultramicroscopicsilicovolcanoconiosis", 45 letters):
# a longer one is no slip for an English word, and is not expanded into its one-slip strings
_LONGEST_ENGLISH = 45


def suspects(text: str, min_chars: int) -> set[str]:
    """The words of `text` that could be slips (`could_slip`), as typed; the opening word also when it is capitalised
    as a question opens ("Recomendations of the 2022 report?"), not only when typed in lower case."""
    out = {m.group() for m in _WORD.finditer(text) if could_slip(m.group(), min_chars)}
    first = _WORD.search(text)
    if first is not None and first.group()[1:].islower() and could_slip(first.group().lower(), min_chars):
        out.add(first.group())
    return out


def respelled(text: str, vocabulary: Counter, min_chars: int) -> str:
    """`text` with each word that is a slip for a word of `vocabulary` replaced by that word (capitalised where the
    slip was); the rest as typed."""
    words = suspects(text, min_chars)
    longest = max(map(len, vocabulary), default=0) if words else 0
    fixes = {}
    for w in words:
        fixed = corrected(w.lower(), vocabulary, longest)
        if fixed:
            fixes[w] = fixed.capitalize() if w[0].isupper() else fixed
    if not fixes:
        return text
    return _WORD.sub(lambda m: fixes.get(m.group()) or m.group(), text)
