"""A store's device id: made once and kept outside the store, one per folder (a copy elsewhere is
another device), a damaged file replaced, an unwritable state folder a clear I/O error."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mnemo_cli.errors import StorageIOError
from mnemo_cli.store import device
from mnemo_cli.store.seen import state_file

STORE_ID = bytes(range(16))


def test_made_once_then_kept(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    assert device.device_id(STORE_ID, folder, create=False) is None
    first = device.device_id(STORE_ID, folder)
    assert first is not None and len(first) == 16
    assert device.device_id(STORE_ID, folder) == first == device.device_id(STORE_ID, folder, create=False)
    assert sorted(os.listdir(folder)) == []  # nothing written into the store


def test_a_copy_elsewhere_or_another_store_is_another_device(tmp_path: Path) -> None:
    original, copy = tmp_path / "store", tmp_path / "backup"
    original.mkdir()
    mine = device.device_id(STORE_ID, original)
    shutil.copytree(original, copy)
    assert device.device_id(STORE_ID, copy) != mine
    assert device.device_id(bytes(16), original) != mine
    assert device.device_id(STORE_ID, original) == mine


def test_a_damaged_file_makes_a_new_device(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    mine = device.device_id(STORE_ID, folder)
    state_file("devices", STORE_ID, folder).write_bytes(b"MNDEVICE short")
    again = device.device_id(STORE_ID, folder)
    assert again is not None and again != mine


def test_an_unwritable_state_folder_is_an_io_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "state-is-a-file"
    blocked.write_bytes(b"")
    monkeypatch.setenv("MNEMO_STATE_DIR", str(blocked))
    with pytest.raises(StorageIOError, match="cannot"):
        device.device_id(STORE_ID, tmp_path)
