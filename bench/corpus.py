"""The benchmarks' memories: a deterministic generator, and their vectors embedded once and cached.

Every benchmark that stores memories draws them from `synthetic(n)` (the same n and seed give the
same texts on every machine). Embedding 100k texts takes minutes on this machine, so `vectors(n)`
embeds them once with the embedded model and keeps the matrix in `bench/cache/` (not committed;
the file name carries the model id, so another model never reads stale vectors). `CachedEmbedder`
hands those vectors to a `Store` so storage benchmarks do not wait on the model, and embeds
anything it has not seen (queries) with the real model.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "cache"
SEED = 11

SUBJECTS = ["Dana", "Tom", "Maya", "the landlord", "my sister", "the team lead", "Dr. Reyes", "the neighbour"]
VERBS = ["mentioned", "decided", "asked", "promised", "complained", "suggested", "confirmed", "forgot"]
TOPICS = [
    "the trip to Lisbon in May",
    "switching the billing service to Postgres",
    "a vegetarian dinner on Friday",
    "the broken bike chain",
    "renewing the passport before August",
    "the book club reading list",
    "moving the standup to 9:30",
    "the tomato seedlings in the greenhouse",
    "a new running route along the river",
    "the quarterly tax filing",
]


def synthetic(n: int, seed: int = SEED) -> list[dict]:
    """`n` memories as `NewMemory` keyword arguments: text, created_at, tags."""
    rng = random.Random(seed)
    items = []
    for i in range(n):
        text = (
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(TOPICS)}; note {i}, detail {rng.randrange(10**6)}."
        )
        day = 1 + i % 28
        items.append({"text": text, "created_at": f"2025-{1 + i % 12:02d}-{day:02d}T10:00:00Z", "tags": [f"t{i % 7}"]})
    return items


def queries(n: int, seed: int = 3) -> list[str]:
    """`n` questions in the words of the generator (what a user would ask of these memories)."""
    rng = random.Random(seed)
    return [f"what did {rng.choice(SUBJECTS)} say about {rng.choice(TOPICS)}?" for _ in range(n)]


def vectors(n: int, seed: int = SEED, *, progress: bool = True) -> np.ndarray:
    """The embedded model's unit float32 vectors of `synthetic(n, seed)`, shape (n, 384), cached.

    A cache made for more memories serves fewer: the generator's first n texts do not depend on n.
    """
    import numpy as np

    from mnemo_cli.embed.embedder import shared

    embedder = shared()
    tag = embedder.model_id.replace(":", "-").replace("/", "-")[:40]
    CACHE.mkdir(parents=True, exist_ok=True)
    for cached in sorted(CACHE.glob(f"vectors-s{seed}-{tag}-*.npy")):
        if int(cached.stem.rsplit("-", 1)[1]) >= n:
            return np.load(cached, mmap_mode="r")[:n]
    texts = [item["text"] for item in synthetic(n, seed)]
    matrix = np.zeros((n, embedder.dimension), dtype=np.float32)
    for first in range(0, n, 256):
        matrix[first : first + 256] = embedder.embed_documents(texts[first : first + 256])
        if progress and first % 10_240 == 0:
            print(f"  embedding the benchmark corpus: {first:,}/{n:,}", file=sys.stderr, flush=True)
    target = CACHE / f"vectors-s{seed}-{tag}-{n}.npy"
    partial = target.with_suffix(".partial.npy")
    np.save(partial, matrix)
    partial.replace(target)
    return matrix


class CachedEmbedder:
    """An `Embedder` for `Store.open(..., embedder=)` that answers the corpus's texts from the cache
    and embeds any other text (queries) with the real embedded model."""

    def __init__(self, texts: Sequence[str], matrix: Any) -> None:
        from mnemo_cli.embed.embedder import shared

        self._real = shared()
        self.model_id = self._real.model_id
        self.dimension = self._real.dimension
        self.spec = self._real.spec
        self._rows = {text: i for i, text in enumerate(texts)}
        self._matrix = matrix

    def load(self) -> None:
        self._real.load()

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        rows = [self._rows.get(text) for text in texts]
        if all(row is not None for row in rows):
            return np.asarray(self._matrix[rows], dtype=np.float32)
        return self._real.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._real.embed_query(text)
