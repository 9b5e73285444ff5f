"""Publisher data (body names, navigation lines), read once from `data/publishers.toml`."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

_FILE = Path(__file__).with_name("data") / "publishers.toml"


@lru_cache(maxsize=1)
def publishers() -> dict:
    """The parsed publisher data file."""
    return tomllib.loads(_FILE.read_text(encoding="utf-8"))


def navigation_lines() -> list[str]:
    """Navigation and boilerplate lines of publishers' web pages."""
    return list(publishers()["navigation"]["lines"])


def back_matter_headings() -> list[str]:
    """Headings of a report's closing sections that list other publications (a committee's other reports)."""
    return list(publishers().get("back_matter", {}).get("headings", []))


@lru_cache(maxsize=1)
def _folds() -> list[tuple[re.Pattern, str]]:
    out = []
    for body in publishers()["body"]:
        names = sorted(body["aliases"], key=len, reverse=True)
        out.append((re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b", re.I), body["name"]))
    return out


def body_forms() -> dict[str, list[str]]:
    """Each body's folded name (lower case) and every name it goes by, for the lexical index."""
    return {b["name"].lower(): [b["name"].lower()] + [a.lower() for a in b["aliases"]]
            for b in publishers()["body"]}


def canonical(text: str) -> str:
    """The text with each body's names folded into one ("National Audit Office" -> "NAO")."""
    for pattern, name in _folds():
        text = pattern.sub(name, text)
    return text
