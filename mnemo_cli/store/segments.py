"""What a device's remote file holds once opened (docs/sync.md; the sealed envelope is `log/remote_files.py`).

Body = `header_len:u32le ‖ header JSON ‖ (record_len:u32le ‖ record body)*`, where each record
body is a log record as `store/records.py` encodes it (without `from`: the file's device is its
origin) and the header is an object:
- `seen`: {device id: seq} of every other device's chain the writer had applied when it wrote the
  file: a reader applies the file only once it has applied as much (so a record never arrives
  before the records it builds on);
- `upto`: the writer's log position the file's records reach (`gen`, `frames`, `offset`, `tag`),
  with which it resumes after a crash that came between pushing the file and recording it;
- `model`: the id of the model the records' vectors come from;
- `key_id`: the data key the records were written under.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_LEN = struct.Struct("<I")


class BadSegment(ValueError):
    """A file that authenticated but does not hold a well-formed body (a bug or a newer format)."""


@dataclass(frozen=True)
class Segment:
    seen: dict[str, int]
    upto: dict[str, Any]
    model: str
    key_id: int
    records: list[bytes] = field(default_factory=list)


def encode(segment: Segment) -> bytes:
    header = json.dumps(
        {"seen": segment.seen, "upto": segment.upto, "model": segment.model, "key_id": segment.key_id},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    parts = [_LEN.pack(len(header)), header]
    for body in segment.records:
        parts += [_LEN.pack(len(body)), body]
    return b"".join(parts)


def decode(data: bytes) -> Segment:
    chunks = list(_chunks(data))
    if not chunks:
        raise BadSegment("empty")
    try:
        header = json.loads(chunks[0])
    except ValueError as e:
        raise BadSegment(f"its header is not JSON: {e}") from None
    if not isinstance(header, dict):
        raise BadSegment("its header is not an object")
    seen, upto, model, key_id = (header.get(k) for k in ("seen", "upto", "model", "key_id"))
    if not (
        isinstance(seen, dict)
        and all(isinstance(k, str) and type(v) is int for k, v in seen.items())
        and isinstance(upto, dict)
        and isinstance(model, str)
        and type(key_id) is int
    ):
        raise BadSegment("its header lacks seen, upto, model or key_id")
    return Segment(seen, upto, model, key_id, chunks[1:])


def _chunks(data: bytes) -> Iterator[bytes]:
    at = 0
    while at < len(data):
        if at + _LEN.size > len(data):
            raise BadSegment("a length runs past the end")
        (length,) = _LEN.unpack_from(data, at)
        at += _LEN.size
        if at + length > len(data):
            raise BadSegment("a record runs past the end")
        yield data[at : at + length]
        at += length
