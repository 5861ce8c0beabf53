"""The vector index's exact ranking: every vector scored, the best first, removed ones never."""

from __future__ import annotations

import numpy as np
import pytest

from mnemo_cli.index.vectors import Vectors

DIMENSION = 32


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture
def data() -> tuple[Vectors, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    rows = unit(rng.standard_normal((3000, DIMENSION)).astype(np.float32))
    keys = np.arange(10, 3010, dtype=np.uint64)
    vectors = Vectors(DIMENSION)
    vectors.add(list(keys), rows)
    return vectors, keys, rows


def brute_force(keys: np.ndarray, rows: np.ndarray, query: np.ndarray) -> dict[int, float]:
    stored = unit(rows.astype(np.float16).astype(np.float32))  # the index keeps f16 rows
    scores = stored @ (query / np.linalg.norm(query))
    return {int(k): float(s) for k, s in zip(keys, scores, strict=True)}


def test_exact_all_ranks_every_vector_by_cosine(data: tuple[Vectors, np.ndarray, np.ndarray]) -> None:
    vectors, keys, rows = data
    rng = np.random.default_rng(6)
    for query in rng.standard_normal((20, DIMENSION)).astype(np.float32):
        expected = brute_force(keys, rows, query)
        found = vectors.exact_all(query, 50)
        assert len(found) == 50
        scores = [score for _key, score in found]
        assert scores == sorted(scores, reverse=True)
        for key, score in found:
            assert abs(expected[key] - score) < 1e-3
        ranked = sorted(expected.values(), reverse=True)
        assert min(scores) >= ranked[49] - 1e-3  # nothing better was left out


def test_exact_all_after_removal_and_beyond_the_count(data: tuple[Vectors, np.ndarray, np.ndarray]) -> None:
    vectors, keys, rows = data
    query = rows[7]
    assert vectors.exact_all(query, 1)[0][0] == int(keys[7])
    vectors.remove([int(keys[7])])
    assert int(keys[7]) not in {key for key, _ in vectors.exact_all(query, 3000)}
    assert len(vectors.exact_all(query, 10_000)) == 2999
    assert Vectors(DIMENSION).exact_all(query, 5) == [] and vectors.exact_all(query, 0) == []


def test_deserialize_views_the_bytes_and_copies_them_before_a_change(
    data: tuple[Vectors, np.ndarray, np.ndarray],
) -> None:
    vectors, keys, rows = data
    saved = bytearray(vectors.serialize())
    restored = Vectors.deserialize(memoryview(saved)[:], DIMENSION)
    assert restored._viewed is not None  # a view: nothing copied
    for query in rows[:5]:
        assert restored.exact_all(query, 10) == vectors.exact_all(query, 10)
        assert restored.search(query, 10) == vectors.search(query, 10)
    assert np.array_equal(restored.get([int(keys[3])]), vectors.get([int(keys[3])]))
    assert restored.serialize() == bytes(saved)
    restored.remove([int(keys[0])])
    restored.add([99_999], rows[:1])
    assert restored._viewed is None and len(restored) == len(vectors)
    saved[:] = bytes(len(saved))  # the copy no longer needs the bytes it came from
    assert restored.exact_all(rows[0], 1)[0][0] == 99_999
    assert int(keys[0]) not in {key for key, _ in restored.exact_all(rows[0], 3000)}


@pytest.mark.parametrize("cut", [1, 100])
def test_deserialize_refuses_bytes_that_are_not_an_index(
    data: tuple[Vectors, np.ndarray, np.ndarray], cut: int
) -> None:
    vectors, _keys, _rows = data
    for bad in (b"", b"not an index at all" * 20, vectors.serialize()[:-cut]):
        with pytest.raises(ValueError):
            Vectors.deserialize(bad, DIMENSION)
    with pytest.raises(ValueError):
        Vectors.deserialize(vectors.serialize(), DIMENSION + 1)
