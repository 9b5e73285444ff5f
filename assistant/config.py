"""The one `Settings` object. Only `Settings.from_env()` reads the environment; everything else is passed it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from assistant.errors import ConfigError

ENV_PREFIX = "AUDIT_ASSISTANT_"
DEFAULT_MODEL = "packaged:all-MiniLM-L6-v2"
ALIASES = {"store_dir": "STORE", "embedding_model": "MODEL", "answer_mode": "MODE"}  # shorter names


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Every knob of the assistant, with defaults that work offline out of the box."""

    store_dir: Path = Path(".audit-assistant/store")
    corpus_dir: Path = Path("corpus")
    collection: str = "audit_assistant"
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 : use a Chroma server instead of the embedded store
    embedding_model: str = DEFAULT_MODEL  # or the path of any local sentence-transformers model directory
    device: str = "auto"  # auto | cpu | cuda
    embed_batch_size: int = 64
    chunk_size: int = 700  # characters, soft target
    chunk_overlap_sentences: int = 1
    top_k: int = 6
    # The least cosine similarity (MiniLM) at which a figure's sentence counts as meaning what a calculation
    # question names, when no figure shares its words. Set by hand (0.45: related sentences of one report
    # score 0.3-0.5, a sentence about the thing named 0.5-0.7); not yet fitted.
    operand_min_similarity: float = 0.45
    max_question_chars: int = 4000
    max_file_mb: float = 200.0
    max_pdf_pages: int = 5000
    # Limits on the work one file may cost, whatever its size (ingest/budget.py). Set by hand, far above real
    # reports (a dense page of a report is a few thousand characters), not fitted.
    max_page_chars: int = 100_000
    max_doc_chars: int = 5_000_000  # about 1,250 dense pages
    max_chunks_per_doc: int = 10_000
    # A PDF's content streams, inflated, counted before the layout parser runs (ingest/pdf_guard.py): a page of
    # dense text inflates to tens of kilobytes, a detailed vector chart to a few megabytes. Set by hand, not fitted.
    max_page_stream_mb: float = 20.0
    max_doc_stream_mb: float = 200.0  # all pages together; a stream drawn by many pages counts for each
    parse_timeout_s: float = 300.0  # reading one file, in seconds (plus 600 s for OCR when it is on)
    parse_memory_mb: int = 2048  # the parser process's address space (RLIMIT_AS), not only its resident memory
    ocr: bool = False  # run OCR (Debian's ocrmypdf) on PDFs without a text layer; `ingest --ocr`
    # Uploads from the browser (ui/app.py). Private by default: a session's answers cite its own uploads and the
    # library, never another session's uploads; true lets every session see and cite every upload.
    shared_uploads: bool = False
    max_upload_total_mb: float = 400.0  # what one round of uploads may hold in server memory; files past it refused
    answer_mode: str = "grounded"  # grounded | llm
    llm_provider: str = "openai"  # openai (any OpenAI-compatible server) | ollama
    llm_model: str = "llama3.1"
    llm_base_url: str | None = None
    llm_api_key_env: str = "OPENAI_API_KEY"  # the *name* of the variable holding the key, never the key
    llm_timeout_s: float = 60.0
    llm_temperature: float = 0.0
    # The whole LLM phase (the answer and its one repair), however the server sends its bytes: a read timeout
    # alone lets a server that drips a byte per read hold a question for ever. 120 s is two slow local-model
    # answers; past it the grounded answer serves the user better.
    llm_total_timeout_s: float = 120.0
    # The largest response body taken from the LLM server. A short cited answer is a few kilobytes; 1 MB leaves
    # verbose models ample room while a hostile server cannot fill memory. A larger one is cut off: grounded.
    llm_max_response_bytes: int = 1_000_000
    # The least cosine similarity (MiniLM) between a sentence of an LLM answer and a sentence of the source it
    # cites, for the source to count as saying it. Set by hand (0.5), not yet fitted: on the shared-services
    # report, paraphrases of a source sentence score 0.56-0.83, sentences of the same report on another point
    # 0.3-0.5, unrelated text under 0.2. Wrong figures and reversals score like paraphrases; other rules catch them.
    llm_min_similarity: float = 0.5
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("store_dir", "corpus_dir"):  # a str path is as good as a Path (frozen: set through object)
            if isinstance(getattr(self, name), str):
                object.__setattr__(self, name, Path(getattr(self, name)))
        if self.answer_mode not in {"grounded", "llm"}:
            raise ConfigError(f"answer mode must be 'grounded' or 'llm', not {self.answer_mode!r}")
        if self.llm_provider not in {"openai", "ollama"}:
            raise ConfigError(f"LLM provider must be 'openai' or 'ollama', not {self.llm_provider!r}")
        if self.chunk_size < 100:
            raise ConfigError("chunk size must be at least 100 characters")
        if self.top_k < 1:
            raise ConfigError("top_k must be at least 1")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Build settings from AUDIT_ASSISTANT_* variables, then apply explicit overrides (CLI flags)."""
        env = os.environ if environ is None else environ
        values: dict = {}
        for name, f in cls.__dataclass_fields__.items():
            if name == "extra":
                continue
            raw = env.get(ENV_PREFIX + name.upper()) or env.get(ENV_PREFIX + ALIASES.get(name, "\0"))
            if raw is None or raw == "":
                continue
            values[name] = _coerce(f.type, raw, name)
        # The API key itself is read here, once, so no other module touches os.environ.
        key_env = values.get("llm_api_key_env", cls.llm_api_key_env)
        extra = {"llm_api_key": env[key_env]} if env.get(key_env) else {}
        values["extra"] = extra
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("store_dir", "corpus_dir"):
            if key in values:
                values[key] = Path(values[key])
        return cls(**values)

    def with_(self, **changes) -> "Settings":
        """A copy with some settings changed (None values are ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        for key in ("store_dir", "corpus_dir"):
            if key in changes:
                changes[key] = Path(changes[key])
        return replace(self, **changes)

    @property
    def llm_api_key(self) -> str | None:
        return self.extra.get("llm_api_key")

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file beside the vector store: document registry, lexical index and figures."""
        return self.store_dir / "catalog.sqlite3"

    @property
    def uploads_dir(self) -> Path:
        return self.store_dir / "uploads"

    def __repr__(self) -> str:  # never print secrets
        return f"Settings(store_dir={str(self.store_dir)!r}, chroma_url={self.chroma_url!r}, " \
               f"embedding_model={self.embedding_model!r}, answer_mode={self.answer_mode!r})"


def _coerce(type_name, raw: str, name: str):
    t = str(type_name)
    try:
        if t.startswith("int"):
            return int(raw)
        if t.startswith("float"):
            return float(raw)
        if t.startswith("bool"):
            return _bool(raw)
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {t}") from exc
    return raw
