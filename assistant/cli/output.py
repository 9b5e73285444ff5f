"""Text for a terminal: what every CLI command prints goes through `printable`, so document text, titles and
file names cannot carry terminal escapes or forge output lines."""

from __future__ import annotations

import unicodedata

# Bidirectional-text controls reorder what a terminal shows (a file name can look like another one).
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text, keep_newlines: bool = False) -> str:
    """Text safe to print to a terminal or a log: control characters (ANSI/OSC escapes, carriage returns, a
    newline in a file name that would forge another output line, bidi overrides) shown as escapes, `\\x1b`.

    >>> printable("a\\x1b]0;x\\x07\\nb")
    'a\\\\x1b]0;x\\\\x07\\\\nb'
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if (ch == "\n" and keep_newlines) or not (unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI)
                   else ch.encode("unicode_escape").decode("ascii") for ch in text)
