"""Answering: the grounded answerer (deterministic, cited), its fitted parameters, citations."""
