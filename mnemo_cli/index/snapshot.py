"""The snapshot payload: the catalog's SQLite bytes and the vector index's bytes, with a small header.

Payload = `meta_len:u32 ‖ meta JSON ‖ catalog_len:u64 ‖ catalog ‖ vectors_len:u64 ‖ vectors`, where
meta = {"version": 7, "model": {the model spec as JSON}, "dimension": D, "count": N} and the catalog
is a zstd frame of the SQLite image (a third of its size; 100k memories decompress in ~60 ms,
zlib took ~230). The envelope around it (keys, chain point) is `log/snapshot_file.py`. zstandard
is imported here only, when a snapshot is read or written.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

from mnemo_cli.index.catalog import Catalog
from mnemo_cli.index.vectors import Vectors

#: 2: memories gained expires_at/expires_ts, the catalog a counters table.
#: 3: memories gained supersedes/superseded_by and a keyed hash of their text.
#: 4: "model" is the whole model spec (a JSON object), not only its id; any dimension.
#: 5: memories gained a session column (and an index on session, created_ts, key).
#: 6: the catalog image is compressed (zstd, level `_LEVEL`); memories lost their model column
#:    (every row repeated the generation's model id, which the payload's meta names once).
#: 7: links gained the stamp and origin of their record; tables of tombstones (`forgotten`,
#:    `unlinked`), remote chains and the fold's mark (index/replicas.py, docs/sync.md).
PAYLOAD_VERSION = 7
#: zstd's level 1: at 100k memories 15.4 MB in ~120 ms, against 14.9 MB in ~310 ms at level 3.
_LEVEL = 1
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class BadPayload(Exception):
    """The payload does not parse, or was made for another model or version: rebuild."""


class OlderPayload(BadPayload):
    """A payload of an earlier version (an older mnemo wrote it): rebuild, and save one anew."""


@dataclass
class Payload:
    catalog: Catalog
    #: The vector index still as bytes, a view of the snapshot's decrypted memory when read
    #: (deserialised only by commands that search).
    vectors: bytes | memoryview
    #: The spec of the model the vectors come from, as JSON (the store layer checks it).
    model: dict[str, Any]
    dimension: int


def encode(catalog: Catalog, vectors: Vectors, model: dict[str, Any]) -> bytes:
    meta = json.dumps(
        {"version": PAYLOAD_VERSION, "model": model, "dimension": vectors.dimension, "count": catalog.count()},
        sort_keys=True,
    ).encode()
    import zstandard

    catalog_bytes = zstandard.ZstdCompressor(level=_LEVEL).compress(catalog.serialize())
    vector_bytes = vectors.serialize()
    return b"".join(
        [
            _U32.pack(len(meta)),
            meta,
            _U64.pack(len(catalog_bytes)),
            catalog_bytes,
            _U64.pack(len(vector_bytes)),
            vector_bytes,
        ]
    )


def decode(payload: bytes | memoryview) -> Payload:
    """The catalog, the vector index as bytes, and the model they were made with. Nothing large is
    copied here but the catalog, which SQLite copies into memory of its own."""
    payload = memoryview(payload).cast("B")
    try:
        (meta_len,) = _U32.unpack_from(payload, 0)
        offset = _U32.size
        meta = json.loads(payload[offset : offset + meta_len].tobytes())
        offset += meta_len
        (catalog_len,) = _U64.unpack_from(payload, offset)
        offset += _U64.size
        catalog_bytes = payload[offset : offset + catalog_len]
        offset += catalog_len
        (vectors_len,) = _U64.unpack_from(payload, offset)
        offset += _U64.size
        vector_bytes = payload[offset : offset + vectors_len]
        if offset + vectors_len != len(payload) or len(catalog_bytes) != catalog_len:
            raise BadPayload("lengths do not add up")
    except (struct.error, ValueError, RecursionError, OverflowError) as e:  # OverflowError: offsets past 2**63
        raise BadPayload(str(e)) from None
    if not isinstance(meta, dict) or meta.get("version") != PAYLOAD_VERSION:
        version = meta.get("version") if isinstance(meta, dict) else None
        older = type(version) is int and 0 < version < PAYLOAD_VERSION
        raise (OlderPayload if older else BadPayload)(f"payload version {version if version is not None else '?'}")
    model, dimension = meta.get("model"), meta.get("dimension")
    if not isinstance(model, dict) or type(dimension) is not int or dimension < 1:
        raise BadPayload("no model or dimension")
    import zstandard

    try:
        catalog = Catalog.deserialize(zstandard.ZstdDecompressor().decompress(catalog_bytes))
    except Exception as e:  # zstandard and sqlite3 raise their own types for bad bytes
        raise BadPayload(f"cannot load: {e}") from None
    if catalog.count() != meta.get("count"):
        raise BadPayload("counts do not match")
    return Payload(catalog, vector_bytes, model, dimension)
