"""Static word vectors distilled locally from the shipped sentence model (model2vec), so a question's words meet a
report's words by meaning ("staff" ~ "employees", "spent" ~ "cost") rather than by spelling alone.

`model2vec.distill` runs every token of the model's vocabulary through the model once (about 15 s on two CPU
cores) and keeps the results as a static table; nothing is downloaded. The table is made on first use and kept
in `Settings.cache_dir`, keyed by the model and the model2vec version, so every store and process on the machine
shares one copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from assistant.config import Settings
from assistant.store.embeddings import resolve_model_path

log = logging.getLogger(__name__)

# 256 dimensions (model2vec's default PCA size): the distilled table's size against its fidelity to the model.
_PCA_DIMS = 256


def _table_dir(model_path: Path, cache_dir: Path) -> Path:
    import model2vec

    key = hashlib.sha256(f"{model_path.resolve()}|{model2vec.__version__}|{_PCA_DIMS}".encode()).hexdigest()[:16]
    return cache_dir.expanduser() / "word-vectors" / key


def _distil(model_path: Path, target: Path):
    """Distil the table into `target` (once per machine; a file lock keeps two processes from doing it twice)."""
    from filelock import FileLock
    from model2vec import StaticModel

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not (target / "model.safetensors").exists():
            from model2vec.distill import distill
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()
            log.info("distilling word vectors from %s (once per machine)", model_path)
            with contextlib.redirect_stderr(io.StringIO()):  # its progress bar: a one-off, not the user's output
                model = distill(model_name=str(model_path), pca_dims=_PCA_DIMS, device="cpu")
            tmp = target.with_name(target.name + ".tmp")
            model.save_pretrained(str(tmp))
            os.replace(tmp, target)
    return StaticModel.from_pretrained(str(target))


class WordVectors:
    """Unit vectors for words, and the cosine similarity of two word lists (words cached, thread-safe)."""

    def __init__(self, model, size: int = 100000):
        # `size` bounds memory, not answers: an evicted word is looked up again.
        self.model, self.size, self.cache = model, size, OrderedDict()
        self.lock, self.encoding = threading.Lock(), threading.Lock()

    def vectors(self, words: list[str]):
        import numpy as np

        with self.lock:
            missing = [w for w in dict.fromkeys(words) if w not in self.cache]
        if missing:
            with self.encoding:  # the Rust tokenizer refuses concurrent use ("Already borrowed")
                raw = np.asarray(self.model.encode(missing), dtype=np.float32)
            raw /= np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-9)
            with self.lock:
                self.cache.update(zip(missing, raw))
                while len(self.cache) > self.size:
                    self.cache.popitem(last=False)
        with self.lock:
            return np.stack([self.cache[w] for w in words]) if words else np.zeros((0, _PCA_DIMS), np.float32)

    def similarity(self, a: list[str], b: list[str]):
        """len(a) x len(b) cosine similarities."""
        return self.vectors(a) @ self.vectors(b).T


@lru_cache(maxsize=2)
def _load(model_spec: str, cache_dir: Path) -> WordVectors:
    path = resolve_model_path(model_spec)
    return WordVectors(_distil(path, _table_dir(path, cache_dir)))


def make_word_vectors(settings: Settings) -> WordVectors:
    """The word vectors of the settings' embedding model, distilled on first use, loaded once per process."""
    return _load(settings.embedding_model, settings.cache_dir)
