"""This device's id for a store: which files of a sync remote are its own (docs/sync.md).

A device is one copy of a store in one folder on one machine. Its id is 16 random bytes kept
outside the store, beside the rollback record (`seen.state_file`: per user, per store id, per
folder's real path), so a store folder copied elsewhere (a backup restored on another machine, a
copy in another folder) is a device of its own and never writes into another device's files on the
remote. Losing the file only makes this copy a new device: its earlier files stay on the remote
under the old id, and their records are applied once, as any device's are.

The file is `MNDEVICE` and the id (24 bytes), written whole (a temporary file, fsynced, renamed).
"""

from __future__ import annotations

import os
from pathlib import Path

from mnemo_cli.errors import StorageIOError
from mnemo_cli.log import fileops
from mnemo_cli.store.seen import state_file

MAGIC = b"MNDEVICE"
ID_BYTES = 16


def device_id(store_id: bytes, location: Path, *, create: bool = True) -> bytes | None:
    """The id of the device the store at `location` is, made on first use (`create`); None when it
    has none and `create` is False. A damaged file is replaced by a new id (a new device);
    `StorageIOError` when the state folder cannot keep one."""
    path = state_file("devices", store_id, location)
    try:
        data = fileops.read_file(path)
    except FileNotFoundError:
        data = b""
    if len(data) == len(MAGIC) + ID_BYTES and data.startswith(MAGIC):
        return data[len(MAGIC) :]
    if not create:
        return None
    device = os.urandom(ID_BYTES)
    try:
        fileops.make_parents(path)
        fileops.write_outside(path, [MAGIC + device])
    except OSError as e:  # write_outside lets the OS's errors through
        raise StorageIOError(f"cannot keep this device's id in {path.parent}: {e.strerror or e}") from None
    return device


def remembered_remote(store_id: bytes, location: Path) -> str | None:
    """The remote `mnemo sync` last used for the store at `location` (None: never synced here)."""
    try:
        text = fileops.read_file(state_file("remotes", store_id, location)).decode("utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return text.strip() or None


def remember_remote(store_id: bytes, location: Path, spec: str) -> None:
    """Keep `spec` as the remote `mnemo sync` uses when given none (beside the device id)."""
    path = state_file("remotes", store_id, location)
    try:
        fileops.make_parents(path)
        fileops.write_outside(path, [spec.encode("utf-8") + b"\n"])
    except OSError as e:
        raise StorageIOError(f"cannot keep the sync remote in {path.parent}: {e.strerror or e}") from None
