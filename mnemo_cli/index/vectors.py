"""The vector index: usearch HNSW over cosine distance, vectors stored as f16, in memory only.

usearch is never given a path (with one, it would write the vectors in the clear); it is saved to
and restored from bytes that go into the encrypted snapshot. Imported lazily: only commands that
search or add vectors pay for usearch and numpy.

A restored index is a usearch *view* of the snapshot's decrypted bytes: nothing is copied or
rebuilt, so a search can start at once (restoring 100k vectors by copying took ~100 ms). A view
cannot change, so the first `add` or `remove` loads a copy of its own and lets the bytes go.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mnemo_cli.index.usearch_core import CoreIndex

if TYPE_CHECKING:
    import numpy as np


class Vectors:
    def __init__(
        self, dimension: int, index: CoreIndex | None = None, viewed: bytes | memoryview | None = None
    ) -> None:
        """An empty index of `dimension`-d vectors, or one wrapping a restored usearch `index`
        (a view of the bytes `viewed`, which must then live as long as it)."""
        if index is None:
            index = CoreIndex(dimension)
        elif index.ndim != dimension:
            raise ValueError(f"the vector index holds {index.ndim}-d vectors, not {dimension}-d")
        self.dimension = dimension
        self._index = index
        self._viewed = viewed

    def _writable(self) -> CoreIndex:
        """The usearch index, made a copy of its own first if it is a view."""
        if self._viewed is not None:
            loaded = CoreIndex.restore(self._viewed, view=False)
            self._index.reset()  # the view lets go of the bytes before they go
            self._index, self._viewed = loaded, None
        return self._index

    def __len__(self) -> int:
        return len(self._index)

    def add(self, keys: Sequence[int], vectors: np.ndarray) -> None:
        import numpy as np

        if len(keys):
            self._writable().add(np.asarray(keys, dtype=np.uint64), vectors.astype(np.float32, copy=False))

    def get(self, keys: Sequence[int]) -> np.ndarray:
        """The stored vectors of `keys` (as stored: f16 precision), float32 rows."""
        import numpy as np

        return self._index.get(np.asarray(keys, dtype=np.uint64))

    def remove(self, keys: Sequence[int]) -> None:
        import numpy as np

        self._writable().remove(np.asarray(keys, dtype=np.uint64))

    def exact_all(self, query: np.ndarray, count: int) -> list[tuple[int, float]]:
        """Exact cosine ranking over every vector (usearch's brute force on the stored f16 rows), for
        stores small enough that it costs about what an HNSW search does, and HNSW's misses are pure
        loss (bench/quality). At 10k it takes ~1.5 ms, without the float32 copy of every row a matrix
        product needs (~50 ms to build, on the first recall of every cold process)."""
        if not len(self._index) or count <= 0:
            return []
        keys, distances = self._index.search(query, min(count, len(self._index)), exact=True)
        return [(int(k), 1.0 - float(d)) for k, d in zip(keys, distances, strict=True)]

    def search(self, query: np.ndarray, count: int) -> list[tuple[int, float]]:
        """(key, cosine similarity) for the `count` nearest, best first (approximate, HNSW)."""
        if not len(self._index) or count <= 0:
            return []
        keys, distances = self._index.search(query, min(count, len(self._index)), exact=False)
        return [(int(k), 1.0 - float(d)) for k, d in zip(keys, distances, strict=True)]

    def exact(self, query: np.ndarray, keys: Sequence[int], count: int) -> list[tuple[int, float]]:
        """Exact cosine ranking over `keys` only: for filtered recall, where a global ANN search
        could return too few survivors."""
        import numpy as np

        if not keys:
            return []
        matrix = self._index.get(np.asarray(keys, dtype=np.uint64))
        norms = np.linalg.norm(matrix, axis=1)
        scores = matrix @ query / np.maximum(norms * np.linalg.norm(query), 1e-12)
        order = np.argsort(-scores, kind="stable")[:count]
        return [(int(keys[i]), float(scores[i])) for i in order]

    def serialize(self) -> bytes:
        return self._index.save()

    @classmethod
    def deserialize(cls, data: bytes | memoryview, dimension: int) -> Vectors:
        """A view of the index saved by `serialize` (`data` is kept, not copied); ValueError if it
        does not hold `dimension`-d vectors or does not parse."""
        try:
            index = CoreIndex.restore(data, view=True)
        except (RuntimeError, ValueError) as e:  # what usearch raises for a buffer it cannot parse
            raise ValueError(str(e)) from None
        return cls(dimension, index, data)
