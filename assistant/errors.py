"""The assistant's error hierarchy: the core raises these, only the edges (CLI, UI) translate them."""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error the assistant raises on purpose; its message is one line for a user."""


class ConfigError(AssistantError):
    """A setting is missing or invalid."""


class IngestError(AssistantError):
    """A file could not be ingested (corrupt, encrypted, empty, scanned, wrong type, too large...)."""

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class IndexMismatchError(AssistantError):
    """The store was built with another embedding model than the one asked to query it."""


class QuestionError(AssistantError):
    """A question is empty or too long."""


class CalculationError(AssistantError):
    """A calculator was given operands it cannot combine (mismatched units, division by zero...)."""


class LLMError(AssistantError):
    """The optional language model is misconfigured or unreachable."""


class CompareError(AssistantError):
    """A comparison or timeline was asked for strategies, documents or aspects the store does not hold."""


class StoreBusyError(AssistantError):
    """Another process holds the store's write lock for longer than the caller would wait."""
