"""Text → vectors with the embedded model: normalised 384-d float32, documents in batches or one query.

fastembed (and with it onnxruntime and numpy) is imported the first time text is embedded, never
when this module is imported, so commands that do not embed do not pay for it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnemo_cli.embed import model_files
from mnemo_cli.errors import ModelError

if TYPE_CHECKING:
    import numpy as np


class Embedder:
    """The embedded all-MiniLM-L6-v2 (int8 ONNX), loaded on first use.

    >>> e = Embedder()
    >>> e.embed_documents(["first memory", "second memory"]).shape
    (2, 384)
    """

    model_id = model_files.MODEL_ID
    dimension = model_files.DIMENSION

    def __init__(self, *, threads: int | None = None, batch_size: int = 64) -> None:
        self._threads = threads
        self._batch_size = batch_size
        self._model: Any = None
        self.model_dir: Path | None = None

    def load(self) -> None:
        """Load the model now (otherwise the first embedding does)."""
        if self._model is not None:
            return
        folder = model_files.resolve_model_dir()
        _offline_and_silent()
        from fastembed import TextEmbedding

        try:
            self._model = TextEmbedding(
                model_name=model_files.MODEL_NAME,
                specific_model_path=str(folder),
                cache_dir=str(folder),
                threads=self._threads,
            )
        except Exception as e:  # onnxruntime and the tokenizer raise their own, undocumented types
            raise ModelError(f"cannot load the embedded model from {folder}: {e}") from e
        self.model_dir = folder

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 row per text, in order; shape (len(texts), 384)."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.load()
        rows = list(self._model.embed(list(texts), batch_size=self._batch_size))
        return _normalised(np.asarray(rows, dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        """The unit-length float32 vector of one query; shape (384,)."""
        import numpy as np

        self.load()
        row = next(iter(self._model.query_embed(text)))
        return _normalised(np.asarray(row, dtype=np.float32)[None, :])[0]


def _offline_and_silent() -> None:
    """Keep the libraries under fastembed off the network and off the user's disk.

    onnxruntime (1.29 and later, Linux included) writes a device id and an event database under
    ~/.cache/Microsoft/DeveloperTools on first use, for its telemetry; `ORT_DISABLE_TELEMETRY`
    must be set before it is imported. The model folder is complete, so fastembed has nothing to
    fetch; `HF_HUB_OFFLINE` keeps huggingface_hub from trying should a future fastembed look.
    """
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _normalised(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (fastembed already normalises this model; the contract is ours)."""
    import numpy as np

    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, np.float32(1e-12))


_shared: Embedder | None = None


def shared() -> Embedder:
    """One embedder per process: the model is loaded once however many stores use it."""
    global _shared
    if _shared is None:
        _shared = Embedder()
    return _shared
