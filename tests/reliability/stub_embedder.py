"""A deterministic stand-in for the embedded model (same id and dimension), for storage tests that
write memories but do not judge recall: no onnxruntime, no model files, microseconds per text."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from mnemo_cli.embed.model_spec import EMBEDDED


class StubEmbedder:
    model_id = EMBEDDED.id
    dimension = EMBEDDED.dimension

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            row = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
            rows[i] = row / np.linalg.norm(row)
        return rows

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def load(self) -> None:
        pass


STUB = StubEmbedder()
