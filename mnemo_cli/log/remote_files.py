"""The files a device writes to a sync remote: sealed, bound to their store, device and place.

Each file (docs/format.md section 19) is one of a device's chain: segments numbered from 1 (a
batch of that device's records) and checkpoints (after compaction, one file that stands for every
segment up to its number). A file is

`MNSYNC\\r\\n` · version u16 · kind u8 · reserved u8 · store id (16) · device id (16) · seq u64 ·
prev (16) · nonce (24) · ciphertext · tag (16)

sealed with XChaCha20-Poly1305 under the remote subkey of the data key, with the 68 bytes before
the nonce (and `mnemo-remote-v1` before them) as associated data. `prev` is the tag of the file
before it in the device's chain (zeros for the first). The plaintext is padded with PADMÉ, as log
frames are, so the remote learns little more than rough sizes and times.

`open_file` refuses (IntegrityError naming the file; UnsupportedFormat for a newer version) a file
that was modified, truncated, made for another store, or moved to another name: its name is
rebuilt from the authenticated header and must be the one it was found under. `chain_problems`
tells what a device's chain lacks: files withheld (a gap) or out of order.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from mnemo_cli.crypto import aead
from mnemo_cli.crypto.kdf import subkey
from mnemo_cli.crypto.padding import PaddingError, pad, unpad
from mnemo_cli.errors import IntegrityError, UnsupportedFormat

MAGIC = b"MNSYNC\r\n"
VERSION = 1
SEGMENT, CHECKPOINT = 1, 2
_SUFFIX = {SEGMENT: "seg", CHECKPOINT: "ckpt"}
_HEADER = struct.Struct("<8sHBB16s16sQ16s")  # 68 bytes
_AAD = b"mnemo-remote-v1"
NO_TAG = bytes(aead.TAG_BYTES)
ID_BYTES = 16


@dataclass(frozen=True)
class RemoteFile:
    kind: int
    device: bytes
    seq: int
    #: The tag of the device's file before this one (`NO_TAG` for its first).
    prev: bytes
    body: bytes
    #: This file's own tag: what the device's next file names as its `prev`.
    tag: bytes

    @property
    def name(self) -> str:
        return name_of(self.kind, self.device, self.seq)


def name_of(kind: int, device: bytes, seq: int) -> str:
    """`devices/<device hex>/<seq, 16 hex digits>.seg` (or `.ckpt`): names sort in chain order."""
    return f"devices/{device.hex()}/{seq:016x}.{_SUFFIX[kind]}"


def seal(
    data_key: bytes, store_id: bytes, kind: int, device: bytes, seq: int, prev: bytes, body: bytes
) -> tuple[str, bytes]:
    """(name, bytes) of the file holding `body` as the device's `seq`-th of kind `kind`."""
    if kind not in _SUFFIX or len(device) != ID_BYTES or len(prev) != aead.TAG_BYTES or not 0 < seq < 2**64:
        raise ValueError("not a remote file's kind, device, seq or prev")  # a caller's bug
    header = _HEADER.pack(MAGIC, VERSION, kind, 0, store_id, device, seq, prev)
    return name_of(kind, device, seq), header + aead.seal(subkey(data_key, "remote"), pad(body), _AAD + header)


def open_file(data_key: bytes, store_id: bytes, name: str, data: bytes) -> RemoteFile:
    """The file found on the remote as `name`, authenticated; IntegrityError naming it otherwise."""
    if len(data) < _HEADER.size + aead.NONCE_BYTES + aead.TAG_BYTES:
        raise IntegrityError(f"remote file {name}: truncated ({len(data)} bytes)")
    magic, version, kind, reserved, store, device, seq, prev = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise IntegrityError(f"remote file {name}: not a mnemo sync file")
    if version != VERSION:
        problem = UnsupportedFormat if version > VERSION else IntegrityError
        raise problem(f"remote file {name}: version {version} (this mnemo reads version {VERSION})")
    if store != store_id:
        raise IntegrityError(f"remote file {name}: it belongs to another store")
    if kind not in _SUFFIX or reserved or seq == 0 or name != name_of(kind, device, seq):
        raise IntegrityError(f"remote file {name}: its name does not match what it holds (moved or swapped?)")
    header = bytes(data[: _HEADER.size])
    try:
        body = unpad(aead.open_sealed(subkey(data_key, "remote"), bytes(data[_HEADER.size :]), _AAD + header))
    except (aead.TagMismatch, PaddingError):
        raise IntegrityError(f"remote file {name}: it does not authenticate (modified, or not this store's)") from None
    return RemoteFile(kind, device, seq, prev, body, aead.tag_of(bytes(data)))


def chain_problems(files: Sequence[RemoteFile]) -> list[str]:
    """What one device's files, in name order, lack for an unbroken chain: the newest checkpoint
    starts it (or segment 1), and each later segment follows the one before (seq + 1, naming its
    tag). Empty when the chain is whole."""
    if not files:
        return []
    device = files[0].device.hex()
    checkpoints = [i for i, f in enumerate(files) if f.kind == CHECKPOINT]
    start = checkpoints[-1] if checkpoints else 0
    first = files[start]
    problems = []
    if first.kind == SEGMENT and (first.seq != 1 or first.prev != NO_TAG):
        problems.append(f"device {device}: its files before {first.name} are missing")
    for before, after in zip(files[start:], files[start + 1 :], strict=False):
        if after.kind != SEGMENT or after.seq != before.seq + 1:
            problems.append(f"device {device}: the files between {before.name} and {after.name} are missing")
        elif after.prev != before.tag:
            problems.append(f"device {device}: {after.name} does not follow {before.name}")
    return problems
