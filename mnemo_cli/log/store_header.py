"""The `MNEMO` file: the only plaintext structure (magic, format version, cipher suite, store id).

64 bytes: magic `MNEMO\\x1a\\r\\n` · format version u16 · suite u16 · store id (16) · reserved (4,
zero) · BLAKE2b-256 checksum of the 32 bytes before it. The checksum catches accidental damage;
authenticity comes from every encrypted structure binding the store id in its associated data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from mnemo_cli.crypto.kdf import checksum
from mnemo_cli.errors import IntegrityError, StoreNotFound, UnsupportedFormat
from mnemo_cli.log import fileops, layout

MAGIC = b"MNEMO\x1a\r\n"
FORMAT_VERSION = 1
#: Suite 1: XChaCha20-Poly1305, Argon2id (argon2-cffi), BLAKE2b (libsodium).
SUITE = 1
_FIELDS = struct.Struct("<8sHH16s4s")
SIZE = _FIELDS.size + 32  # 64
_PERSON = b"mnemo-hdr-v1"


@dataclass(frozen=True)
class StoreHeader:
    store_id: bytes
    version: int = FORMAT_VERSION
    suite: int = SUITE


def encode(header: StoreHeader) -> bytes:
    body = _FIELDS.pack(MAGIC, header.version, header.suite, header.store_id, bytes(4))
    return body + checksum(_PERSON, body)


def decode(data: bytes, where: object = layout.HEADER) -> StoreHeader:
    if len(data) != SIZE or data[:8] != MAGIC:
        raise IntegrityError(f"{where}: not a mnemo store header")
    body = data[: _FIELDS.size]
    if checksum(_PERSON, body) != data[_FIELDS.size :]:
        raise IntegrityError(f"{where}: header checksum mismatch (the file is damaged)")
    _magic, version, suite, store_id, reserved = _FIELDS.unpack(body)
    if version != FORMAT_VERSION:
        raise UnsupportedFormat(
            f"{where}: store format version {version}; this mnemo reads version {FORMAT_VERSION}",
            hint="use the mnemo version that wrote this store" if version > FORMAT_VERSION else None,
        )
    if suite != SUITE:
        raise UnsupportedFormat(f"{where}: unknown cipher suite {suite}")
    if reserved != bytes(4):
        raise IntegrityError(f"{where}: reserved bytes are not zero")
    return StoreHeader(store_id=store_id, version=version, suite=suite)


def read(store: Path) -> StoreHeader:
    path = store / layout.HEADER
    try:
        data = fileops.read_file(path)
    except FileNotFoundError:
        if not store.exists():
            raise StoreNotFound(f"no store at {store}", hint="create one with `mnemo init`") from None
        hint = "create one with `mnemo init`" if store.is_dir() and not any(store.iterdir()) else None
        raise StoreNotFound(f"{store} is not a mnemo store (no {layout.HEADER} file)", hint=hint) from None
    except NotADirectoryError:
        raise StoreNotFound(f"{store} is not a mnemo store (not a folder)") from None
    return decode(data, path)
