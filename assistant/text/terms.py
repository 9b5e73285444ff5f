"""The one terms module: tokens, stop words, stemming. Stop words come from scikit-learn's maintained
English list (installed with sentence-transformers); stems from Snowball's Porter2, the family the
catalog's FTS5 `porter` tokenizer uses, taken of simplemma's lemma so irregular forms meet ("spent",
"spending"). The catalog's index stems without the lemma; the two differ only on irregular forms."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from assistant.text.data import canonical

_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """English stop words (scikit-learn's list)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


# English auxiliary verbs: grammar, not content. scikit-learn's stop list lacks some ("did", "does", "shall").
AUXILIARIES = frozenset("do does did is are was were be been being has have had will would can could should may "
                        "might must shall".split())
# English's interrogative words, which open a question and say what it asks: grammar, a closed class.
INTERROGATIVES = frozenset("what which who whom whose when where why how".split())


# A Snowball stemmer object keeps its working string between calls, so two threads sharing one corrupt
# each other's words (IndexError under concurrent asks): one per thread.
_STEMMERS = threading.local()


@lru_cache(maxsize=65536)  # a cache, not a tuning: the distinct words of a large library fit
def stem(word: str) -> str:
    """The Snowball (Porter2) stem of the word's dictionary form: "clusters"/"cluster" and "approved"/"approve"
    meet, and so do the irregular forms a suffix stemmer leaves apart ("spent"/"spending", "led"/"lead",
    "grew"/"growing"). The dictionary form is simplemma's English lemma (a maintained lexicon, no model)."""
    stemmer = getattr(_STEMMERS, "stemmer", None)
    if stemmer is None:
        import snowballstemmer

        stemmer = _STEMMERS.stemmer = snowballstemmer.stemmer("english")
    return stemmer.stemWord(_ISE.sub("iz", _lemma(word)))


# British "-ise"/"-isation" spelt as the American "-ize"/"-ization" that Porter2 was written for, so "apologise"
# meets "apology" and "organisation" meets "organise" as their American forms do ("apologize" and "apology" share
# the stem "apolog"). Spelling, not a word list: every word goes through it on both sides, question and report.
_ISE = re.compile(r"(?<=[a-z]{3})is(?=e[sd]?$|ing$|ation)")


def _lemma(word: str) -> str:  # called only by `stem`, whose cache holds its results
    import simplemma

    return simplemma.lemmatize(word, lang="en") if word.isalpha() else word


def tokens(text: str, fold: bool = True) -> list[str]:
    """Lower-case word and number tokens; with `fold`, body names folded ("National Audit Office" -> "nao")."""
    text = canonical(text) if fold else text
    return [t.split("'")[0].split("’")[0] for t in _TOKEN.findall(text.lower())]


def is_content(token: str) -> bool:
    """Whether a token carries meaning: neither a stop word nor a single letter."""
    return token not in stop_words() and len(token) > 1


def content_terms(text: str) -> list[str]:
    """Tokens that carry meaning (`is_content`), order kept, no repeats."""
    return list(dict.fromkeys(t for t in tokens(text) if is_content(t)))


def stems(text: str) -> set[str]:
    """The stems of the text's content terms."""
    return {stem(t) for t in content_terms(text)}


def initialisms(text: str, longest: int = 6) -> frozenset[str]:
    """The initials of every run of two to `longest` words of a text, lower-cased, with and without its stop words
    ("National Health Service" -> "nhs", "Department for Work and Pensions" -> "dwp" and "dfwap", "stopped vehicle
    detection" -> "svd"): what an abbreviation could stand for. Hyphenated words count as their parts
    ("full-time equivalent" -> "fte")."""
    words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'’]*", text)]
    stop = stop_words()
    content = [w for w in words if w not in stop]
    out = set()
    for seq in (words, content):
        firsts = "".join(w[0] for w in seq)
        for n in range(2, longest + 1):
            out.update(firsts[i:i + n] for i in range(len(firsts) - n + 1))
    return frozenset(out)
