"""The one text toolkit: sentences keep offsets through PDF wraps, list numbers, abbreviations and footnote
markers; terms use a maintained stop list and one stemmer; answer-type evidence reads dates, money, people."""

from __future__ import annotations

from assistant.config import Settings
from assistant.query.analysis import analyse
from assistant.text.patterns import shows
from assistant.text.sentences import split_sentences
from assistant.text.terms import content_terms, stem, tokens


def test_a_pdf_wrapped_line_stays_one_sentence_with_its_deadline():
    text = "All departments must move to cloud-based technology by\n2025. The cost was £9.8 million."
    spans = split_sentences(text)
    assert [s.text for s in spans] == ["All departments must move to cloud-based technology by\n2025.",
                                       "The cost was £9.8 million."]
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_numbered_paragraphs_lose_their_numbers_and_names_keep_their_initials():
    text = "1. Mr. J. Smith, the head of the NAO, said so. (a) The budget was £1.2 billion to £1.5 billion."
    assert [s.text for s in split_sentences(text)] == ["Mr. J. Smith, the head of the NAO, said so.",
                                                       "The budget was £1.2 billion to £1.5 billion."]


def test_a_footnote_marker_glued_to_a_full_stop_is_not_quoted():
    text = "Costs rose in 2018-19.2 The supplier left in March.3 Work stopped."
    assert [s.text for s in split_sentences(text)] == ["Costs rose in 2018-19.", "The supplier left in March.",
                                                       "Work stopped."]


def test_terms_fold_body_names_and_drop_library_stop_words():
    assert content_terms("Who was in charge of the National Audit Office in 2022?") == ["charge", "nao", "2022"]
    assert tokens("National Audit Office", fold=False) == ["national", "audit", "office"]
    assert stem("clusters") == stem("cluster") and stem("approved") == stem("approve")


def test_answer_types_come_from_question_words_and_sentence_evidence():
    assert analyse("Who was in charge of the NAO in 2022?").types == ("person",)
    assert analyse("When will all departments be on the cloud?").types == ("date",)
    assert analyse("How much did the Treasury approve?").types == ("amount",)
    assert shows("person", "Gareth Davies, the head of the NAO, said today that it was late.")
    assert shows("date", "The deadline moved to March 2028.")
    assert shows("amount", "HM Treasury approved £300 million.")
    assert not shows("amount", "HM Treasury approved the bids.")


def test_settings_take_str_paths():
    s = Settings(store_dir=".audit-assistant/store")
    assert s.store_dir.name == "store" and s.sqlite_path.parent == s.store_dir
