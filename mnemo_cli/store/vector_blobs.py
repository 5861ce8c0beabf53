"""A `remember` record as the version of the log that holds it has it: its vector and its fields.

docs/format.md 9.1: the blob is D float32 little-endian in a version 1 log, D float16
little-endian from version 2 on (the precision the vector index stores and searches, so recall is
unchanged), and a version 2 record leaves out `tags`, `meta` and `source` when they are empty. A
log keeps its version: frames appended to a version 1 log stay as they were until compaction (or
another rewrite: full rekey, reindex, salvage) makes a new generation, which `upgraded` converts
to. numpy is imported only where vectors are built or read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mnemo_cli.log.frames import LOG_VERSION, LOG_VERSIONS
from mnemo_cli.store import records

if TYPE_CHECKING:
    import numpy as np

_DTYPES = {1: "<f4", 2: "<f2"}
assert set(_DTYPES) == set(LOG_VERSIONS)


#: Fields a `remember` record of a version 2 log leaves out when they hold these: 24 bytes of JSON
#: for a memory without metadata or source, which keeps the typical record (~200 characters of
#: text) under PADMÉ's 1,024-byte step, ~47 bytes less per frame in all.
_EMPTY: dict[str, Any] = {"tags": [], "meta": {}, "source": None}


def fields(document: dict[str, Any], log_version: int = LOG_VERSION) -> dict[str, Any]:
    """A `remember` record's fields as a log of `log_version` holds them."""
    if log_version == 1:
        return document
    return {name: value for name, value in document.items() if name not in _EMPTY or value != _EMPTY[name]}


def width(log_version: int) -> int:
    """Bytes per vector element in a log of `log_version`."""
    return 4 if log_version == 1 else 2


def encode(vector: Any, log_version: int = LOG_VERSION) -> bytes:
    """The blob of `vector` (float32 values, such as an embedder's output) in a log of `log_version`:
    rounded to the nearest float16 (ties to even) from version 2, as the vector index rounds."""
    import numpy as np

    with np.errstate(over="ignore"):  # beyond float16's range: infinity, as the vector index stores it
        return np.asarray(vector, dtype=np.float32).astype(_DTYPES[log_version]).tobytes()


def decode(blobs: Sequence[bytes], log_version: int, dimension: int) -> np.ndarray:
    """The float32 matrix (one row per blob) of blobs from a log of `log_version`; ValueError if a
    blob is not `dimension` elements long."""
    import numpy as np

    size = width(log_version) * dimension
    if any(len(blob) != size for blob in blobs):
        raise ValueError(f"a vector blob is not {dimension} elements of {size // dimension} bytes")
    joined = b"".join(blobs)
    return np.frombuffer(joined, dtype=_DTYPES[log_version]).astype(np.float32).reshape(len(blobs), dimension)


def upgraded(body: bytes, log_version: int) -> bytes:
    """A record body from a log of `log_version` as a body of a new log (`LOG_VERSION`): a
    `remember` record's float32 vector becomes float16 and its empty fields go (`fields`), and any
    other body is returned as it is. So is a body that is not a well-formed record, or whose blob
    is not whole float32 elements: replaying it refuses it as it would have in the old log."""
    if log_version == LOG_VERSION:
        return body
    try:
        record = records.decode(body)
    except records.RecordFormatError:
        return body
    if record.op != "remember" or len(record.blob) % 4:
        return body
    import numpy as np

    vector = np.frombuffer(record.blob, dtype="<f4")
    return records.encode(records.Record("remember", fields(record.fields), encode(vector)))
