"""Reading a question: instructions cut out, answer type, terms, follow-up context."""

from assistant.query.analysis import Question, analyse, previous_question, retrieval_query

__all__ = ["Question", "analyse", "previous_question", "retrieval_query"]
