"""The snapshot payload: the catalog's SQLite bytes and the vector index's bytes, with a small header.

Payload = `meta_len:u32 ‖ meta JSON ‖ catalog_len:u64 ‖ catalog ‖ vectors_len:u64 ‖ vectors`, where
meta = {"version": 1, "model": ..., "dimension": 384, "count": N}. The envelope around it (keys,
chain point) is `log/snapshot_file.py`.
"""

from __future__ import annotations

import json
import struct

from mnemo_cli.index.catalog import Catalog
from mnemo_cli.index.vectors import Vectors

#: 2: memories gained expires_at/expires_ts, the catalog a counters table.
#: 3: memories gained supersedes/superseded_by and a keyed hash of their text.
PAYLOAD_VERSION = 3
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class BadPayload(Exception):
    """The payload does not parse, or was made for another model or version: rebuild."""


def encode(catalog: Catalog, vectors: Vectors, model: str) -> bytes:
    meta = json.dumps(
        {"version": PAYLOAD_VERSION, "model": model, "dimension": 384, "count": catalog.count()}, sort_keys=True
    ).encode()
    catalog_bytes = catalog.serialize()
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


def decode(payload: bytes, model: str) -> tuple[Catalog, bytes]:
    """The catalog, and the vector index still as bytes (deserialised only by commands that search)."""
    try:
        (meta_len,) = _U32.unpack_from(payload, 0)
        offset = _U32.size
        meta = json.loads(payload[offset : offset + meta_len])
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
    except (struct.error, ValueError) as e:
        raise BadPayload(str(e)) from None
    if meta.get("version") != PAYLOAD_VERSION or meta.get("model") != model:
        raise BadPayload(f"made for {meta.get('model')!r}, version {meta.get('version')}")
    try:
        catalog = Catalog.deserialize(catalog_bytes)
    except Exception as e:  # sqlite3 raises its own types for bad bytes
        raise BadPayload(f"cannot load: {e}") from None
    if catalog.count() != meta.get("count"):
        raise BadPayload("counts do not match")
    return catalog, bytes(vector_bytes)
