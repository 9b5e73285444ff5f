"""Audit Assistant: cited answers from public audit reports."""

from assistant.config import Settings
from assistant.types import Answer, Chunk, Citation


def __getattr__(name):  # Assistant pulls in LangChain; import it only when asked for
    if name == "Assistant":
        from assistant.answer.pipeline import Assistant

        return Assistant
    raise AttributeError(name)


__all__ = ["Settings", "Assistant", "Answer", "Citation", "Chunk"]
