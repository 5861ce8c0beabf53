"""Index snapshot files: `index/<gen hex>.<frames>.snap`, an encrypted envelope (docs/format.md §13).

prefix `MNSNAP\\r\\n` · version u16 · reserved u16, then nonce ‖ ciphertext ‖ tag under the index
subkey, AAD = `mnemo-snap-v1` ‖ store id ‖ prefix. The plaintext names the chain point the
snapshot covers (gen, frames, log bytes, last tag), then the PADMÉ-padded payload. A snapshot is
derived state: any problem with one means "rebuild from the log", never an error for the user.

Reading costs one copy of the file: it is read into private memory and decrypted there, and the
payload is a view of that memory (at 100k memories the file is ~140 MB; every extra copy cost
more than the decryption, and raised the peak memory of a cold recall).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from mnemo_cli.crypto import aead
from mnemo_cli.crypto.kdf import subkey
from mnemo_cli.crypto.padding import PaddingError, pad, unpad_view
from mnemo_cli.log import fileops, layout
from mnemo_cli.log.frames import ChainPoint

MAGIC = b"MNSNAP\r\n"
VERSION = 1
_PREFIX = struct.Struct("<8sHH")
_POINT = struct.Struct("<16sQQ16s")
_AAD = b"mnemo-snap-v1"
#: Keep this many snapshots of the current generation (the newest, and one before it).
KEEP = 2


class BadSnapshot(Exception):
    """The snapshot does not decrypt or parse; rebuild from the log."""


@dataclass(frozen=True)
class Snapshot:
    gen: bytes
    point: ChainPoint
    #: A view of the decrypted file when read (see the module docstring), bytes when written.
    payload: bytes | memoryview


def listing(store: Path, gen: bytes) -> list[tuple[int, Path]]:
    """(frames, path) of this generation's snapshot files, newest first (by name only)."""
    folder = store / layout.INDEX_DIR
    found = []
    try:
        paths = list(folder.iterdir())
    except FileNotFoundError:
        return []
    for path in paths:
        frames = layout.snapshot_frames(path.name, gen)
        if frames is not None:
            found.append((frames, path))
    return sorted(found, reverse=True)


def read(path: Path, data_key: bytes, store_id: bytes) -> Snapshot:
    try:
        data = fileops.read_private(path)
    except FileNotFoundError:
        raise BadSnapshot(f"{path.name} disappeared") from None
    if len(data) < _PREFIX.size or data[:8] != MAGIC:
        raise BadSnapshot(f"{path.name}: bad magic")
    prefix = data[: _PREFIX.size].tobytes()
    _magic, version, reserved = _PREFIX.unpack(prefix)
    if version != VERSION or reserved != 0:
        raise BadSnapshot(f"{path.name}: unsupported version {version}")
    try:
        plain = aead.open_in_place(subkey(data_key, "index"), data[_PREFIX.size :], _AAD + store_id + prefix)
        gen, frames, log_bytes, last_tag = _POINT.unpack_from(plain)
        payload = unpad_view(plain[_POINT.size :])
    except (aead.TagMismatch, PaddingError, struct.error) as e:
        raise BadSnapshot(f"{path.name}: {e}") from None
    return Snapshot(gen, ChainPoint(frames, log_bytes, last_tag), payload)


def write(store: Path, data_key: bytes, store_id: bytes, snapshot: Snapshot) -> Path:
    """Write atomically, then drop all but the newest `KEEP` snapshots of this generation."""
    folder = store / layout.INDEX_DIR
    if not folder.is_dir():
        fileops.mkdir(folder)
        fileops.fsync_dir(store)
    prefix = _PREFIX.pack(MAGIC, VERSION, 0)
    point = snapshot.point
    plain = _POINT.pack(snapshot.gen, point.frames, point.offset, point.tag) + pad(bytes(snapshot.payload))
    path = folder / layout.snapshot_name(snapshot.gen, point.frames)
    fileops.write_atomic(path, prefix + aead.seal(subkey(data_key, "index"), plain, _AAD + store_id + prefix))
    for _frames, old in listing(store, snapshot.gen)[KEEP:]:
        fileops.unlink(old)
    return path
