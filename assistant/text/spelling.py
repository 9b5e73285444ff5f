"""Slips of the keyboard in a question ("supervison", "recomendations", "probaton"), read as the word of the
reports that they are one slip from.

Most misspellings are one slip from the word meant: a letter left out, added, changed, or two letters swapped
(Damerau, "A technique for computer detection and correction of spelling errors", CACM 7(3), 1964, found over
80% were). A question word is read as a report word when the word is neither English (simplemma's lexicon, a
maintained word list) nor used by the reports the question retrieved, and a word of those reports is one such slip
from it; of several, the one the reports use most. A rare English word ("halving") is never changed, nor a name
or an abbreviation the user coined ("mgmt": too short to tell a slip from shorthand).

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
    (then the first in alphabetical order, for a stable answer). `longest`: the length of the vocabulary's longest
    word, when the caller knows it; a word longer by two or more is no slip for any (and a very long one, pasted or
    hostile, is not expanded into its many one-slip strings)."""
    if longest is None:
        longest = max(map(len, vocabulary), default=0)
    if word in vocabulary or len(word) > longest + 1:
        return None
    near = [w for w in one_slip(word) if w in vocabulary]
    if not near:
        return None
    return min(near, key=lambda w: (-vocabulary[w], w))


_WORD = re.compile(r"(?<![\w'’-])[A-Za-z]+(?![\w'’-])")


def suspects(text: str, min_chars: int) -> set[str]:
    """The words of `text` that could be slips (`could_slip`), as typed."""
    return {m.group() for m in _WORD.finditer(text) if could_slip(m.group(), min_chars)}


def respelled(text: str, vocabulary: Counter, min_chars: int) -> str:
    """`text` with each word that is a slip for a word of `vocabulary` replaced by that word; the rest as typed."""
    words = suspects(text, min_chars)
    longest = max(map(len, vocabulary), default=0) if words else 0
    fixes = {w: corrected(w, vocabulary, longest) for w in words}
    if not any(fixes.values()):
        return text
    return _WORD.sub(lambda m: fixes.get(m.group()) or m.group(), text)
