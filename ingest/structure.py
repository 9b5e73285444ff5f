"""The page-text markup loaders write and the chunker reads: headings, table rows and footnotes.

Structure travels inside the page text, because the text is what every later step (cleaning, the catalog's
stored pages, chunk offsets) shares. The marks are borrowed from Markdown and pandoc, so a `.md` file means
the same thing, and each mark sits on a line of its own, never inside a sentence that could be quoted:

    ## Part Two: Progress and savings              a heading (any number of #, then a space)
    Table: Figure 3: Planned and actual spending   a table's caption, first line of its paragraph
    Columns: Year | Planned | Actual               its header row (when it has one), second line
    Figure 3: Planned and actual spending, row 2021-22: Planned £40 million, Actual £52 million
    [^3]: The supplier was paid in advance.          footnote 3 of the page
    payroll services[^3] across government          a reference to footnote 3, glued to the word it follows

A reference is taken out of the text when it is cleaned (`ingest.cleaning.take_note_refs`): the page keeps
where it stood, and the chunker records, in the meta of the passage holding it, the note it refers to.

A section path has two tiers: the part ("Part Two", "Chapter 3", "Appendix One", "Annex A") and the heading
under it. A heading "Part Two: Progress and savings" names both; the path reads "Part Two > Progress and
savings".
"""

from __future__ import annotations

import re

from assistant.text.figures import TABLE_ROW

SEP = " > "
HEADING = re.compile(r"^(#{1,6})[ \t]+(?P<text>\S.*?)[ \t]*#*[ \t]*$")
CAPTION = re.compile(r"^Table:[ \t]*(?P<text>\S.*?)[ \t]*$")
COLUMNS = re.compile(r"^Columns:[ \t]*(?P<text>.*?)[ \t]*$")
FOOTNOTE = re.compile(r"^\[\^(?P<n>\d{1,3})\]:[ \t]*")
NOTE_REF = re.compile(r"\[\^(?P<n>\d{1,3})\](?!:)")
ROW = TABLE_ROW  # the one pattern: figure extraction reads each cell's header from it
_NUMBER_WORDS = ("One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten|Eleven|Twelve|Thirteen|Fourteen|Fifteen|"
                 "Sixteen|Seventeen|Eighteen|Nineteen|Twenty")
# "Part Two", "Chapter 3", "Appendix A", "Annex IV", then the title after a colon, a dash or a space (a part
# heading set over two lines reads "Part One Background" once its lines are joined).
_PART = re.compile(rf"^(?P<part>(?:Part|Chapter|Appendix|Annex)\s+(?:{_NUMBER_WORDS}|\d+|[IVX]+|[A-Z])\b)(?![.\d])"
                   r"(?:\s*[:.–—-]\s*(?P<title>\S.*)|\s+(?P<rest>[A-Z]\S*.*))?$")
# A figure or table caption ends with the period it covers, which the row prefix leaves out:
# "Figure 3: Planned and actual spending, 2019-20 to 2022-23" -> "Figure 3: Planned and actual spending".
_PERIOD = r"(?:\d{4}(?:[-–/]\d{2,4})?)"
_TRAILING_PERIOD = re.compile(rf",?\s*(?:(?:from|between)\s+)?{_PERIOD}(?:\s*(?:to|and|[-–])\s*{_PERIOD})?\s*$")


def heading(text: str) -> str:
    """A heading line: '## text'."""
    return f"## {' '.join(text.split())}"


def caption_line(caption: str) -> str:
    """The first line of a table block: 'Table: caption'."""
    return f"Table: {' '.join(caption.split())}"


def columns_line(header: list[str]) -> str:
    """A table's header row: 'Columns: Year | Planned | Actual' (a '|' inside a name is written '/')."""
    return "Columns: " + " | ".join(" ".join(h.replace("|", "/").split()) for h in header)


def parse_columns(line: str) -> list[str] | None:
    """The column names of a 'Columns:' line, or None when the line is not one."""
    m = COLUMNS.match(line)
    return [c.strip() for c in m.group("text").split("|")] if m else None


def footnote_line(number: int | str, text: str) -> str:
    """A footnote: '[^3]: text'."""
    return f"[^{number}]: {' '.join(text.split())}"


def note_ref(number: int | str) -> str:
    """A reference to footnote `number`, glued to the word before it: '[^3]'."""
    return f"[^{number}]"


def row_prefix(caption: str) -> str:
    """The caption as it starts each row: without the period it covers."""
    short = _TRAILING_PERIOD.sub("", caption).rstrip(" ,:;")
    return short or caption


def row_line(caption: str, label: str, cells: list[tuple[str, str]]) -> str:
    """One table row as a sentence that stands alone: 'Figure 3: ..., row 2021-22: Planned £40 million, ...'."""
    body = ", ".join(f"{h} {v}".strip() if h else v for h, v in cells if v)
    return " ".join(f"{row_prefix(caption)}, row {label}: {body}".split())


def parse_row(line: str) -> tuple[str, str, list[str]] | None:
    """(prefix, row label, cells) of a row line, or None when the line is not one."""
    m = ROW.match(line)
    if not m:
        return None
    return m.group("prefix"), m.group("label"), m.group("cells").split(", ")


def is_part(text: str, loose: bool = True) -> bool:
    """Whether a heading names a part of the report ("Part Two", "Chapter 3: ..."); `loose=False` wants the
    part alone or its title after a colon or dash, as a line of body type must show to be taken for one."""
    m = _PART.match(text.strip())
    return bool(m) and (loose or not m.group("rest"))


def enter(path: list[str], text: str) -> list[str]:
    """The section path after a heading: a part starts a new path, any other heading replaces the one in force."""
    text = " ".join(text.split())
    m = _PART.match(text)
    if m:
        title = m.group("title") or m.group("rest")
        return [m.group("part")] + ([title.strip()] if title else [])
    if path and is_part(path[0]):
        return [path[0], text]
    return [text]


def to_section(path: list[str]) -> str | None:
    """The path as a chunk's section: 'Part Two > Progress and savings'."""
    return SEP.join(path) if path else None


def from_section(section: str | None) -> list[str]:
    """The path a section string stands for (the section carried from the previous page)."""
    if not section:
        return []
    if section.startswith("page ") and ", note " in section:
        return []  # a footnote's section is never carried
    return section.split(SEP)
