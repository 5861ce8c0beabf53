"""`CoreIndex` answers exactly as usearch's own `Index` does, without usearch's Python layer."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from mnemo_cli.index.usearch_core import CoreIndex

DIMENSION = 48


@pytest.fixture(scope="module")
def saved() -> tuple[bytes, np.ndarray, np.ndarray]:
    """An index of 2,000 random rows saved by `CoreIndex`, its keys and rows."""
    rng = np.random.default_rng(11)
    rows = rng.standard_normal((2000, DIMENSION)).astype(np.float32)
    keys = np.arange(7, 2007, dtype=np.uint64)
    index = CoreIndex(DIMENSION)
    index.add(keys, rows)
    return index.save(), keys, rows


def theirs(data: bytes) -> object:
    from usearch.index import Index

    return Index.restore(data, view=False)


def test_searches_and_lookups_equal_usearch_index(saved: tuple[bytes, np.ndarray, np.ndarray]) -> None:
    data, keys, _ = saved
    mine, reference = CoreIndex.restore(data, view=True), theirs(data)
    assert len(mine) == len(reference) == len(keys) and mine.ndim == reference.ndim == DIMENSION  # type: ignore[attr-defined]
    rng = np.random.default_rng(3)
    for _ in range(20):
        query = rng.standard_normal(DIMENSION).astype(np.float32)
        for exact in (False, True):
            found, distances = mine.search(query, 25, exact=exact)
            expected = reference.search(query, 25, exact=exact)  # type: ignore[attr-defined]
            assert found.tolist() == expected.keys.tolist()
            assert distances.tolist() == expected.distances.tolist()
    some = keys[[0, 5, 999, 1999]]
    assert np.array_equal(mine.get(some), np.asarray(reference.get(some), dtype=np.float32))  # type: ignore[attr-defined]
    assert mine.get(some[:0]).shape == (0, DIMENSION)


def test_a_copy_changes_as_usearch_index_does(saved: tuple[bytes, np.ndarray, np.ndarray]) -> None:
    data, keys, rows = saved
    mine, reference = CoreIndex.restore(data, view=False), theirs(data)
    gone = keys[::3]
    mine.remove(gone)
    reference.remove(gone)  # type: ignore[attr-defined]
    assert len(mine) == len(reference) == len(keys) - len(gone)  # type: ignore[arg-type]
    query = rows[4] + 0.01
    found, _ = mine.search(query, 50, exact=True)
    assert found.tolist() == reference.search(query, 50, exact=True).keys.tolist()  # type: ignore[attr-defined]
    assert not set(found.tolist()) & set(gone.tolist())
    mine.add(np.array([5000], dtype=np.uint64), rows[1:2])  # the same row as key 8, which stays
    assert sorted(mine.search(rows[1], 2, exact=True)[0].tolist()) == [int(keys[1]), 5000]


def test_bytes_that_are_not_an_index_are_refused() -> None:
    with pytest.raises((ValueError, RuntimeError)):
        CoreIndex.restore(b"\x00" * 64, view=True)


PROBE = """
import json, sys
{setup}
from mnemo_cli.index.vectors import Vectors
import numpy as np
vectors = Vectors(8)
vectors.add([1, 2], np.eye(8, dtype=np.float32)[:2])
found = vectors.exact_all(np.eye(8, dtype=np.float32)[1], 1)
print(json.dumps({{"found": found, "modules": sorted(m for m in ("tqdm", "http.client", "urllib.request", "usearch",
    "usearch.index", "usearch.compiled") if m in sys.modules)}}))
"""


def probe(setup: str = "") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup)], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_vector_index_loads_no_downloader_or_progress_bar() -> None:
    result = probe()
    assert result["found"] == [[2, pytest.approx(1.0)]]
    assert result["modules"] == ["usearch.compiled"]


def test_a_usearch_the_caller_imported_is_used() -> None:
    result = probe("import onnxruntime, usearch.index")
    assert result["found"] == [[2, pytest.approx(1.0)]]
    assert {"usearch", "usearch.index", "usearch.compiled"} <= set(result["modules"])
