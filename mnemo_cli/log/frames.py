"""Log file bytes: the 48-byte log header and the chained, encrypted frames after it. Pure functions.

Frame: `length:u32le ‖ nonce (24) ‖ ciphertext ‖ tag (16)`, `length` counting nonce to tag. The
plaintext is a PADMÉ-padded body. The associated data binds the store id, the generation, the
frame's position and the previous frame's tag (the first frame's "previous tag" is a keyed hash of
the log header), so a deleted, reordered, duplicated or spliced frame fails the next tag check.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mnemo_cli.crypto import aead
from mnemo_cli.crypto.kdf import keyed_hash
from mnemo_cli.crypto.padding import FLOOR, PaddingError, pad, unpad

LOG_MAGIC = b"MNLOG\x00\r\n"
#: The version new logs get. 2: `remember` vectors are float16 (docs/format.md 9.1); 1: float32. A
#: log keeps its version until compaction (or another rewrite) makes a new generation.
LOG_VERSION = 2
LOG_VERSIONS = (1, 2)
_HEADER = struct.Struct("<8sHHI16s16s")  # magic, version, flags, key_id, store_id, gen
HEADER_SIZE = _HEADER.size  # 48
_LENGTH = struct.Struct("<I")
LENGTH_SIZE = _LENGTH.size
MIN_SEALED = aead.NONCE_BYTES + FLOOR + aead.TAG_BYTES
#: No frame is larger (a body this big is refused before writing); a larger length field is damage.
MAX_SEALED = 64 * 1024 * 1024
TAG_SIZE = aead.TAG_BYTES
_GENESIS_PERSON = b"mnemo-genesis-v1"
_FRAME_AAD = b"mnemo-frame-v1"


class FrameError(Exception):
    """A frame (or the log header) does not parse or authenticate. `incomplete`: it runs past the end.
    `newer`: a log header of a version this mnemo does not know (written by a newer one)."""

    def __init__(self, reason: str, *, incomplete: bool = False, newer: bool = False) -> None:
        super().__init__(reason)
        self.incomplete = incomplete
        self.newer = newer


@dataclass(frozen=True)
class LogHeader:
    store_id: bytes
    gen: bytes
    key_id: int
    version: int = LOG_VERSION


@dataclass(frozen=True)
class ChainPoint:
    """Where the chain stands: `frames` read so far, the `offset` of the next frame, the last `tag`."""

    frames: int
    offset: int
    tag: bytes


def encode_header(header: LogHeader) -> bytes:
    return _HEADER.pack(LOG_MAGIC, header.version, 0, header.key_id, header.store_id, header.gen)


def decode_header(data: bytes) -> LogHeader:
    if len(data) < HEADER_SIZE:
        raise FrameError("log header incomplete", incomplete=True)
    magic, version, flags, key_id, store_id, gen = _HEADER.unpack_from(data)
    if magic != LOG_MAGIC:
        raise FrameError("not a mnemo log (bad magic)")
    if version > LOG_VERSION:
        raise FrameError(f"log version {version} (written by a newer mnemo)", newer=True)
    if version not in LOG_VERSIONS or flags != 0:
        raise FrameError(f"unsupported log version {version}")
    return LogHeader(store_id=store_id, gen=gen, key_id=key_id, version=version)


def genesis(log_key: bytes, header_bytes: bytes) -> ChainPoint:
    """The chain before the first frame: the 'previous tag' is a keyed hash of the header."""
    tag = keyed_hash(log_key, _GENESIS_PERSON, bytes(header_bytes[:HEADER_SIZE]), size=16)
    return ChainPoint(frames=0, offset=HEADER_SIZE, tag=tag)


def _aad(header: LogHeader, point: ChainPoint, length: int) -> bytes:
    return (
        _FRAME_AAD + header.store_id + header.gen + struct.pack("<Q", point.frames) + point.tag + _LENGTH.pack(length)
    )


def seal_frame(log_key: bytes, header: LogHeader, point: ChainPoint, body: bytes) -> tuple[bytes, ChainPoint]:
    padded = pad(body)
    length = aead.NONCE_BYTES + len(padded) + aead.TAG_BYTES
    if length > MAX_SEALED:
        raise ValueError(f"record of {len(body)} bytes is larger than a frame may be")
    sealed = aead.seal(log_key, padded, _aad(header, point, length))
    frame = _LENGTH.pack(length) + sealed
    return frame, ChainPoint(point.frames + 1, point.offset + len(frame), aead.tag_of(sealed))


def open_frame(
    log_key: bytes, header: LogHeader, point: ChainPoint, data: bytes | memoryview, start: int
) -> tuple[bytes, ChainPoint]:
    """The body of the frame at `data[start:]` (which sits at file offset `point.offset`)."""
    if len(data) - start < LENGTH_SIZE:
        raise FrameError("length field incomplete", incomplete=True)
    (length,) = _LENGTH.unpack_from(data, start)
    if not MIN_SEALED <= length <= MAX_SEALED:
        raise FrameError(f"impossible frame length {length}")
    end = start + LENGTH_SIZE + length
    if end > len(data):
        raise FrameError("frame runs past the end", incomplete=True)
    sealed = bytes(data[start + LENGTH_SIZE : end])
    try:
        padded = aead.open_sealed(log_key, sealed, _aad(header, point, length))
        body = unpad(padded)
    except aead.TagMismatch:
        raise FrameError("failed authentication") from None
    except PaddingError as e:
        raise FrameError(f"bad padding: {e}") from None
    return body, ChainPoint(point.frames + 1, point.offset + LENGTH_SIZE + length, aead.tag_of(sealed))
