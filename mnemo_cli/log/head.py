"""`HEAD`: the encrypted anchor naming the last committed frame, replaced atomically per commit.

Layout: magic `MNHEAD\\r\\n` · version u16 · reserved u16 · nonce (24) · ciphertext+tag of
gen (16) · key id u32 · frames u64 · log bytes u64 · last frame offset u64 · last tag (16) ·
commit counter u64. The AAD binds the store id and the 12-byte prefix. A log shorter than HEAD
says is truncation or rollback; bytes beyond it were never committed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from mnemo_cli.crypto import aead
from mnemo_cli.errors import IntegrityError, UnsupportedFormat
from mnemo_cli.log import fileops, layout

MAGIC = b"MNHEAD\r\n"
VERSION = 1
_PREFIX = struct.Struct("<8sHH")
_STATE = struct.Struct("<16sIQQQ16sQ")
SIZE = _PREFIX.size + aead.NONCE_BYTES + _STATE.size + aead.TAG_BYTES  # 120
_AAD = b"mnemo-head-v1"


class WrongKey(IntegrityError):
    """HEAD did not authenticate under the key given: damaged, from another store, or sealed under
    another data key of this store (`rekey --full`)."""


@dataclass(frozen=True)
class Head:
    gen: bytes
    key_id: int
    frames: int
    log_bytes: int
    last_offset: int
    last_tag: bytes
    commit: int


def encode(head: Head, key: bytes, store_id: bytes) -> bytes:
    prefix = _PREFIX.pack(MAGIC, VERSION, 0)
    state = _STATE.pack(
        head.gen, head.key_id, head.frames, head.log_bytes, head.last_offset, head.last_tag, head.commit
    )
    return prefix + aead.seal(key, state, _AAD + store_id + prefix)


def decode(data: bytes, key: bytes, store_id: bytes, where: object = layout.HEAD) -> Head:
    if len(data) != SIZE:
        raise IntegrityError(f"{where}: {len(data)} bytes, expected {SIZE} (the file is damaged)")
    magic, version, reserved = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise IntegrityError(f"{where}: not a mnemo HEAD (bad magic)")
    if version != VERSION:
        raise UnsupportedFormat(f"{where}: HEAD version {version}; this mnemo reads version {VERSION}")
    if reserved != 0:
        raise IntegrityError(f"{where}: reserved bytes are not zero")
    prefix = data[: _PREFIX.size]
    try:
        state = aead.open_sealed(key, data[_PREFIX.size :], _AAD + store_id + prefix)
    except aead.TagMismatch:
        raise WrongKey(f"{where}: failed authentication (damaged, or from another store)") from None
    return Head(*_STATE.unpack(state))


def read(store: Path, key: bytes, store_id: bytes) -> Head:
    path = store / layout.HEAD
    try:
        data = fileops.read_file(path)
    except FileNotFoundError:
        raise IntegrityError(f"{path}: missing") from None
    return decode(data, key, store_id, path)


def write(store: Path, head: Head, key: bytes, store_id: bytes) -> None:
    fileops.write_atomic(store / layout.HEAD, encode(head, key, store_id))
