"""Footnotes of HTML pages (ingest/html_notes.py): '<sup>3</sup>' and '<a href="#fn3">' references are taken out
of the quotable text and linked to their notes, and the notes ('<li id="fn3">', a "Notes" list) are chunks of
their own, from the loader through the real pipeline to a citation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.chunking import chunk_page
from ingest.cleaning import clean_pages
from ingest.loaders import load_file

SENTENCE = "By March 2023 the department had closed 6 of its 14 widget payroll systems."
NOTE_1 = "The remaining 8 systems are due to close by March 2025."
NOTE_2 = "Cash terms, not adjusted for inflation."
NOTE_3 = "Announced in the Spending Review 2021."

PAGE = f"""<!doctype html><html><head><title>Widget payroll review</title></head><body>
<nav><a href="/">Home</a></nav>
<main><h1>Widget payroll review</h1>
<h2>Progress</h2>
<p>{SENTENCE}<sup id="fnref1"><a href="#fn1" class="footnote-ref">1</a></sup> The programme spent £40 million
in 2021-22<sup>2</sup>, more than it planned.</p>
<p>Each office had 40 m<sup>2</sup> of space. The programme was extended <a href="#fn3">[3]</a> in 2022.</p>
</main>
<footer><section class="footnotes"><hr><ol>
<li id="fn1"><p>{NOTE_1} <a href="#fnref1" class="footnote-back">↩</a></p></li>
<li id="fn2">{NOTE_2}</li>
<li id="fn3">{NOTE_3}</li>
</ol></section></footer></body></html>"""


def chunks_of(folder: Path, html: str) -> list:
    """The chunks the loader, cleaner and chunker make of an HTML page (written to `folder` first)."""
    path = folder / "page.html"
    path.write_text(html)
    out = []
    for page in clean_pages(load_file(path).pages):
        out += chunk_page("doc", page.number, page.text, refs=page.notes)[0]
    return out


def test_html_references_are_taken_out_and_linked_and_notes_chunked_alone(tmp_path):
    chunks = chunks_of(tmp_path, PAGE)
    body = next(c for c in chunks if SENTENCE in c.text)
    assert body.text == (f"{SENTENCE} The programme spent £40 million in 2021-22, more than it planned.\n\n"
                         "Each office had 40 m2 of space. The programme was extended in 2022.")  # m²: not a note
    assert [(n["n"], n["text"], body.text[:n["at"]][-8:]) for n in body.meta["notes"]] == \
        [(1, NOTE_1, "systems."), (2, NOTE_2, " 2021-22"), (3, NOTE_3, "extended")]
    notes = {c.meta["note"]: (c.text, c.section) for c in chunks if "note" in c.meta}
    assert notes == {1: (NOTE_1, "note 1"), 2: (NOTE_2, "note 2"), 3: (NOTE_3, "note 3")}  # no '↩', no number
    assert not any("[^" in c.text or "↩" in c.text for c in chunks)


def test_a_heading_titled_notes_over_a_plain_list_marks_its_items_as_notes(tmp_path):
    chunks = chunks_of(tmp_path, "<html><body><p>The scheme paid £3 million.<sup>1</sup> It closed in 2020.<sup>2</sup>"
                                 "</p><h2>Notes</h2><ol><li>1. Of which £1 million was recovered.</li>"
                                 "<li>Figures unaudited.</li></ol></body></html>")
    assert [c.text for c in chunks] == ["The scheme paid £3 million. It closed in 2020.",
                                        "Of which £1 million was recovered.", "Figures unaudited."]
    assert [(n["n"], n["text"]) for n in chunks[0].meta["notes"]] == \
        [(1, "Of which £1 million was recovered."), (2, "Figures unaudited.")]
    assert chunks[0].section is None  # the "Notes" heading went with its list


def test_a_cited_html_sentence_names_its_note_and_no_quote_holds_a_marker(tmp_path, embedder):
    from assistant.answer.pipeline import Assistant
    from assistant.config import Settings
    from ingest.pipeline import Ingestor

    path = tmp_path / "review.html"
    path.write_text(PAGE)
    settings = Settings(store_dir=tmp_path / "store")
    assert not Ingestor(settings, embedder=embedder).ingest([path], progress=False).failed
    answer = Assistant(settings).ask("How many widget payroll systems had the department closed by March 2023?")
    cited = next(c for c in answer.citations if c.quote == SENTENCE)  # verbatim, no marker digit
    assert cited.notes == ({"n": 1, "page": 1, "text": NOTE_1},)
    for c in answer.citations:
        assert not re.search(r"\[\^|[a-z.]\[?\d\]?$|↩", c.quote), c.quote
