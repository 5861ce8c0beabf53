"""Backups: a verified store of their own, incremental when they can be, complete or absent after
a crash at any write, and never a way to write into the source."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

from mnemo_cli.errors import StoreExists, StoreNotFound, UsageError
from mnemo_cli.log import fileops, layout
from mnemo_cli.log.fileops import Fault, SimulatedCrash
from mnemo_cli.store.records import Record
from mnemo_cli.store.store import Store
from tests.helpers import digest_tree, make_store, read_all


def test_a_backup_is_a_store_opened_by_the_same_secrets(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 3)
    before = digest_tree(fx.path)
    with Store.open(fx.path, fx.keyfile) as store:
        report, checked = store.backup(tmp_path / "bk")
    assert not report.incremental and report.frames == 3 and checked.frames == 3
    assert digest_tree(fx.path) == before  # the source is only read
    for secret in (fx.passphrase, fx.keyfile, fx.recovery):
        assert read_all(tmp_path / "bk", secret) == fx.records


def test_incremental_backups_copy_only_what_is_new(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 3)
    with Store.open(fx.path, fx.keyfile) as store:
        first, _ = store.backup(tmp_path / "bk")
        store.append([Record("note", {"text": "new"})])
        second, _ = store.backup(tmp_path / "bk")
        third, _ = store.backup(tmp_path / "bk")
    assert second.incremental and 0 < second.log_bytes_copied < first.log_bytes_copied
    assert third.incremental and third.log_bytes_copied == 0
    assert len(read_all(tmp_path / "bk", fx.keyfile)) == 4


def test_refusals(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 1)
    other = make_store(tmp_path / "other", 1)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "file").write_text("x")
    with Store.open(fx.path, fx.keyfile) as store:
        with pytest.raises(StoreExists, match="holds another store"):
            store.backup(other.path)
        with pytest.raises(StoreExists, match="not a backup of this store"):
            store.backup(busy)
        with pytest.raises(UsageError, match="outside the store"):
            store.backup(fx.path / "inside")


def test_work_folders_of_crashed_backups_are_removed(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 1)
    dest = tmp_path / "backup"
    abandoned = tmp_path / f".backup.backup-{2**30}"  # above any pid_max: that process is gone
    abandoned.mkdir()
    (abandoned / "MNEMO").write_bytes(b"partial")
    with Store.open(fx.path, fx.keyfile) as store:
        store.backup(dest)
    assert not abandoned.exists() and (dest / "HEAD").exists()


def test_crash_at_every_point_of_a_first_backup(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 3)
    store = Store.open(fx.path, fx.keyfile)
    fileops.inject(None)
    store.backup(tmp_path / "reference")
    total = fileops.mutating_calls()
    for n in range(1, total + 1):
        dest = tmp_path / f"bk{n}"
        fileops.inject(Fault(at=n))
        with contextlib.suppress(SimulatedCrash):  # the last call may be past the end
            store.backup(dest)
        fileops.inject(None)
        try:
            assert read_all(dest, fx.keyfile) == fx.records  # complete...
        except StoreNotFound:
            assert not dest.exists()  # ...or absent
        store.backup(dest)  # and the next run finishes the job
        assert read_all(dest, fx.keyfile) == fx.records


def test_crash_at_every_point_of_an_incremental_backup(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 2)
    store = Store.open(fx.path, fx.keyfile)
    store.backup(tmp_path / "base")
    store.append([Record("note", {"text": "third"})])
    shutil.copytree(tmp_path / "base", tmp_path / "reference")
    fileops.inject(None)
    store.backup(tmp_path / "reference")
    total = fileops.mutating_calls()
    seen = set()
    for n in range(1, total + 1):
        dest = tmp_path / f"bk{n}"
        shutil.copytree(tmp_path / "base", dest)
        fileops.inject(Fault(at=n))
        with pytest.raises(SimulatedCrash):
            store.backup(dest)
        fileops.inject(None)
        seen.add(len(read_all(dest, fx.keyfile)))  # the old backup or the new one, never broken
        store.backup(dest)
        assert len(read_all(dest, fx.keyfile)) == 3
        assert len(list((dest / layout.LOG_DIR).iterdir())) == 1
    assert seen == {2, 3}


def test_after_a_compaction_the_backup_follows_the_new_generation(tmp_path: Path) -> None:
    from mnemo_cli.crypto import secrets

    key = secrets.keyfile(bytes(range(32)), "k")
    Store.create(tmp_path / "s", [key]).close()
    with Store.open(tmp_path / "s", key) as store:
        store.remember("first")
        doomed = store.remember("forget me")
        store.backup(tmp_path / "bk")
        store.forget([doomed.id])
        store.compact()
        report, _ = store.backup(tmp_path / "bk")
    assert not report.incremental
    with Store.open(tmp_path / "bk", key) as copy:
        assert [m.text for m in copy.list_memories()] == ["first"]
        assert len(list((tmp_path / "bk" / layout.LOG_DIR).iterdir())) == 1
