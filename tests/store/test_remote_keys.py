"""The store header and key slot tables on a sync remote: put there by each device, the newest
table found by a clone and opened with any secret of it; another store's remote refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mnemo_cli.crypto import keyslots, secrets
from mnemo_cli.errors import IntegrityError, StoreNotFound
from mnemo_cli.log.remotes import FolderRemote
from mnemo_cli.store import remote_keys
from mnemo_cli.store.store import Store

KEY = secrets.keyfile(bytes(range(32)), "test")
LATER = secrets.keyfile(bytes(range(1, 33)), "test")
DEVICE_A, DEVICE_B = bytes(16), bytes([1] * 16)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    Store.create(tmp_path / "store", [KEY], recovery=False).close()
    return tmp_path / "store"


def staging(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "staging" / name
    folder.mkdir(parents=True)
    return folder


def test_published_then_found_and_opened(store: Path, tmp_path: Path) -> None:
    remote = FolderRemote(tmp_path / "remote")
    pushed = remote_keys.publish(remote, store, DEVICE_A, staging(tmp_path, "1"))
    assert pushed[0] == "header" and pushed[1].startswith(f"devices/{DEVICE_A.hex()}/keyslots.")
    assert remote_keys.publish(remote, store, DEVICE_A, staging(tmp_path, "2")) == []  # nothing new

    with Store.open(store, KEY) as opened:  # a secret added on device A...
        opened.add_key_slot(LATER)
    remote_keys.publish(remote, store, DEVICE_A, staging(tmp_path, "3"))
    found = remote_keys.newest(remote, staging(tmp_path, "4"))
    assert found.header_bytes == (store / "MNEMO").read_bytes() and found.notes == []
    data_key, _ = keyslots.unlock(found.table, LATER)  # ...opens the store from the remote
    assert data_key == keyslots.unlock(found.table, KEY)[0]


def test_the_newest_table_of_any_device_wins_and_damaged_ones_are_noted(store: Path, tmp_path: Path) -> None:
    remote = FolderRemote(tmp_path / "remote")
    remote_keys.publish(remote, store, DEVICE_A, staging(tmp_path, "1"))
    copy = tmp_path / "device-b"
    shutil.copytree(store, copy)
    with Store.open(copy, KEY) as opened:
        opened.add_key_slot(LATER)
    remote_keys.publish(remote, copy, DEVICE_B, staging(tmp_path, "2"))
    damaged = tmp_path / "remote" / remote_keys.table_name(DEVICE_A, 99)
    damaged.write_bytes(b"not a table")
    found = remote_keys.newest(remote, staging(tmp_path, "3"))
    assert len(found.table.slots) == 2
    assert len(found.notes) == 1
    assert found.notes[0].startswith(f"{remote.description}: {remote_keys.table_name(DEVICE_A, 99)} is damaged (")


def test_a_remote_of_another_store_is_refused(store: Path, tmp_path: Path) -> None:
    remote = FolderRemote(tmp_path / "remote")
    other = tmp_path / "other"
    Store.create(other, [KEY], recovery=False).close()
    remote_keys.publish(remote, other, DEVICE_B, staging(tmp_path, "1"))
    with pytest.raises(IntegrityError, match="holds another store"):
        remote_keys.publish(remote, store, DEVICE_A, staging(tmp_path, "2"))


def test_an_empty_remote_holds_no_store(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFound, match="no mnemo store"):
        remote_keys.newest(FolderRemote(tmp_path / "remote"), staging(tmp_path, "1"))


def test_a_remote_with_only_unusable_tables_is_an_integrity_error(store: Path, tmp_path: Path) -> None:
    remote = FolderRemote(tmp_path / "remote")
    remote_keys.publish(remote, store, DEVICE_A, staging(tmp_path, "1"))
    for path in (tmp_path / "remote" / "devices").rglob("keyslots.*"):
        path.write_bytes(b"garbage")
    with pytest.raises(IntegrityError, match="no usable key slot table"):
        remote_keys.newest(remote, staging(tmp_path, "2"))
