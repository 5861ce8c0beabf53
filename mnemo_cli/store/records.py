"""Log records: what one frame's body holds. `op` and JSON fields, plus an optional binary blob.

Body = `json_len:u32le ‖ canonical JSON object (UTF-8, sorted keys, no spaces) ‖ blob`. The JSON
object always has `"op"`; the blob carries binary data such as a float32 embedding, which would
be large and slow as JSON numbers. Decoding accepts only exactly this shape.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any

_LEN = struct.Struct("<I")


class RecordFormatError(Exception):
    """A body that authenticated but does not hold a well-formed record (a bug, or a newer format)."""


@dataclass(frozen=True)
class Record:
    op: str
    fields: dict[str, Any] = field(default_factory=dict)
    blob: bytes = b""


def encode(record: Record) -> bytes:
    if "op" in record.fields:
        raise ValueError("'op' is not a field name")
    document = json.dumps(
        {"op": record.op, **record.fields},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")
    return _LEN.pack(len(document)) + document + record.blob


def decode(body: bytes) -> Record:
    if len(body) < _LEN.size:
        raise RecordFormatError("record shorter than its length field")
    (length,) = _LEN.unpack_from(body)
    if _LEN.size + length > len(body):
        raise RecordFormatError("record JSON runs past the body")
    try:
        document = json.loads(
            body[_LEN.size : _LEN.size + length].decode("utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constants,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise RecordFormatError(f"record JSON is malformed: {e}") from None
    if not isinstance(document, dict) or not isinstance(document.get("op"), str):
        raise RecordFormatError("record JSON is not an object with an 'op'")
    op = document.pop("op")
    return Record(op=op, fields=document, blob=bytes(body[_LEN.size + length :]))


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("duplicate key")
    return document


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
