"""Text primitives, one implementation each: sentences, terms (tokens, stop words, stems), figure patterns."""

from assistant.text.sentences import Span, split_clauses, split_sentences
from assistant.text.terms import content_terms, stem, stems, tokens

__all__ = ["Span", "split_sentences", "split_clauses", "tokens", "stem", "stems", "content_terms"]
