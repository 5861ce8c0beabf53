"""usearch's compiled index, loaded without the `usearch` package's Python layer.

`import usearch.index` runs `usearch/__init__.py`, which imports urllib.request, http.client,
email and tqdm (a downloader of usearch's command-line binaries, and progress bars): 40-60 ms of
every cold recall, for nothing mnemo uses. Here the extension module `usearch.compiled` is loaded
from the installed package's folder on its own, after NumKong's library (with RTLD_GLOBAL, as the
package's `__init__` loads it, so the extension resolves its symbols), and `CoreIndex` calls the
compiled index the way `usearch.index.Index` does for what mnemo needs: cosine, f16, keyed
vectors, searched one query at a time, saved to and viewed from bytes.

If `usearch.compiled` is already imported (a library user imported usearch), that module is used.
The usearch version is pinned (constraints.txt); tests/index/test_usearch_core.py checks that
`CoreIndex` answers exactly as `usearch.index.Index` does.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

_MODULE = "usearch.compiled"


def compiled() -> Any:
    """The `usearch.compiled` extension module, loaded once, after onnxruntime.

    NumKong's library is loaded with RTLD_GLOBAL, and an onnxruntime 1.32 loaded after it binds to
    some of its symbols and dies with SIGSEGV on import (Linux x86_64; the other order works). So
    onnxruntime always goes first.
    """
    module = sys.modules.get(_MODULE)
    if module is not None:
        return module
    import ctypes
    import importlib.machinery
    import importlib.util

    import onnxruntime  # noqa: F401  (import order matters, see above)

    try:
        from numkong import _numkong  # type: ignore[attr-defined]

        if _numkong.__file__:
            ctypes.CDLL(_numkong.__file__, mode=ctypes.RTLD_GLOBAL)
    except ImportError:  # a usearch built without NumKong
        pass
    package = importlib.util.find_spec("usearch")
    if package is None or not package.submodule_search_locations:
        raise ImportError("usearch is not installed")
    loaders = [(importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES)]
    spec = None
    for folder in package.submodule_search_locations:
        spec = importlib.machinery.FileFinder(folder, *loaders).find_spec(_MODULE)
        if spec is not None:
            break
    if spec is None or spec.loader is None:
        raise ImportError(f"usearch's compiled module is not in {list(package.submodule_search_locations)}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[_MODULE] = module
    return module


class CoreIndex:
    """A usearch dense index over cosine distance, driving the compiled index directly."""

    def __init__(self, ndim: int, scalar: Any = None) -> None:
        """An empty index of `ndim`-d vectors stored as `scalar` (a `ScalarKind`; f16 if None)."""
        core = compiled()
        self._compiled = core.Index(
            ndim=ndim,
            dtype=core.ScalarKind.F16 if scalar is None else scalar,
            connectivity=core.DEFAULT_CONNECTIVITY,
            expansion_add=core.DEFAULT_EXPANSION_ADD,
            expansion_search=core.DEFAULT_EXPANSION_SEARCH,
            multi=False,
            enable_key_lookups=True,
            metric_kind=core.MetricKind.Cos,
            metric_pointer=0,
            metric_signature=core.MetricSignature.ArrayArraySize,
        )

    @classmethod
    def restore(cls, data: bytes | memoryview, *, view: bool) -> CoreIndex:
        """The index saved in `data`: a view of it (nothing copied; `data` must outlive the index)
        or a copy of its own. RuntimeError or ValueError if `data` is not a cosine index."""
        core = compiled()
        meta = core.index_dense_metadata_from_buffer(data)
        if not meta:
            raise ValueError("not a usearch index")
        if meta["kind_metric"] != core.MetricKind.Cos:
            raise ValueError(f"the vector index uses {meta['kind_metric']}, not cosine distance")
        index = cls(int(meta["dimensions"]), meta["kind_scalar"])
        if view:
            index._compiled.view_index_from_buffer(data, None)
        else:
            index._compiled.load_index_from_buffer(data, None)
        return index

    @property
    def ndim(self) -> int:
        return int(self._compiled.ndim)

    def __len__(self) -> int:
        return len(self._compiled)

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Add float32 rows under uint64 `keys` (stored as the index's scalar kind)."""
        self._compiled.add_many(keys, vectors, copy=True, threads=0, progress=None, dtype=compiled().ScalarKind.Unknown)

    def remove(self, keys: np.ndarray) -> None:
        self._compiled.remove_many(keys, compact=False, threads=0)

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The stored rows of uint64 `keys` (all present) as float32, in order."""
        import numpy as np

        core = compiled()
        rows = self._compiled.get_many(keys, core.ScalarKind.F32)
        return np.asarray(rows, dtype=np.float32).reshape(len(keys), self.ndim)

    def search(self, query: np.ndarray, count: int, *, exact: bool) -> tuple[np.ndarray, np.ndarray]:
        """(keys, cosine distances) of the `count` nearest to one float32 `query`, nearest first."""
        unknown = compiled().ScalarKind.Unknown  # the query's own type
        found_keys, distances, counts = self._compiled.search_many(
            query.reshape(1, -1), count=count, exact=exact, threads=0, progress=None, dtype=unknown
        )[:3]
        found = int(counts[0])
        return found_keys[0, :found], distances[0, :found]

    def save(self) -> bytes:
        return bytes(self._compiled.save_index_to_buffer(None))

    def reset(self) -> None:
        """Let go of the vectors (a view lets go of the bytes it viewed)."""
        self._compiled.reset()
