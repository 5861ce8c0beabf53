"""Backups: a verified store of their own, incremental when they can be, complete or absent after
a crash at any write, and never a way to write into the source."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

from mnemo_cli.errors import IntegrityError, StorageIOError, StoreExists, StoreNotFound, UsageError
from mnemo_cli.log import fileops, layout
from mnemo_cli.log.fileops import Fault, SimulatedCrash
from mnemo_cli.store.records import Record
from mnemo_cli.store.store import Store
from tests.conftest import run_mnemo
from tests.helpers import PASSPHRASE, digest_tree, make_store, read_all
from tests.victims import DEAD_PID, crashed_backup, make_victim, snapshot


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
        store._append([Record("note", {"text": "new"})])
        second, _ = store.backup(tmp_path / "bk")
        third, _ = store.backup(tmp_path / "bk")
    assert second.incremental and 0 < second.log_bytes_copied < first.log_bytes_copied
    assert third.incremental and third.log_bytes_copied == 0
    assert len(read_all(tmp_path / "bk", fx.keyfile)) == 4


def test_damage_in_the_frames_to_copy_keeps_the_earlier_backup_as_it_was(tmp_path: Path) -> None:
    """Every frame a backup copies must authenticate before anything is written: an update that
    would copy a damaged frame is refused and the earlier backup stays whole and unchanged."""
    fx = make_store(tmp_path / "s", 3)
    with Store.open(fx.path, fx.keyfile) as store:
        store.backup(tmp_path / "bk")
        store._append([Record("note", {"text": "new"}), Record("note", {"text": "newer"})])
        kept = digest_tree(tmp_path / "bk")
        log = next((fx.path / layout.LOG_DIR).iterdir())
        data = bytearray(log.read_bytes())
        data[-1] ^= 0x01  # the last frame's tag: beyond what the earlier backup holds
        log.write_bytes(bytes(data))
        with pytest.raises(IntegrityError):
            store.backup(tmp_path / "bk")
        with pytest.raises(IntegrityError):
            store.backup(tmp_path / "fresh")
    assert digest_tree(tmp_path / "bk") == kept
    assert read_all(tmp_path / "bk", fx.keyfile) == fx.records
    assert not (tmp_path / "fresh").exists()


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
    with Store.open(fx.path, fx.keyfile) as store:
        abandoned = crashed_backup(store, dest)
        assert (abandoned / "MNEMO").exists()
        store.backup(dest)
    assert not abandoned.exists() and (dest / "HEAD").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "state") == ["backup", "s"]
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in fx.path.iterdir())  # no marker


def test_a_link_named_like_a_work_folder_is_never_followed(tmp_path: Path) -> None:
    """Issue 14, item 1: a link planted where a crashed backup's work folder would be, to a
    folder, a file or nothing, is left as it is, and so is everything it points to."""
    fx = make_store(tmp_path / "s", 1)
    victim = make_victim(tmp_path / "v")
    (tmp_path / "bk").mkdir()
    planted = {
        "999999": victim,
        str(DEAD_PID): victim / "doc.txt",
        f"{DEAD_PID}-00ff": tmp_path / "nowhere",
        f"{DEAD_PID + 1}-feed": victim / "sub",
    }
    for suffix, target in planted.items():
        os.symlink(target, tmp_path / "bk" / f".b.backup-{suffix}")
    before = snapshot(victim, tmp_path / "bk")
    with Store.open(fx.path, fx.keyfile) as store:
        store.backup(tmp_path / "bk" / "b")
    after = snapshot(victim, tmp_path / "bk")
    assert {k: v for k, v in after.items() if "/bk/b" not in k} == before
    assert read_all(tmp_path / "bk" / "b", fx.keyfile) == fx.records


def test_the_planted_link_of_the_issue_through_the_cli(tmp_path: Path) -> None:
    """The reproduction of item 1, as a user would run it: exit 0, `$D/v` untouched."""
    fx = make_store(tmp_path / "s", 1)
    victim = make_victim(tmp_path / "v")
    (tmp_path / "bk").mkdir()
    os.symlink(victim, tmp_path / "bk" / ".b.backup-999999")
    before = snapshot(victim)
    done = run_mnemo(
        "backup", str(tmp_path / "bk" / "b"), env={"MNEMO_HOME": str(fx.path), "MNEMO_PASSPHRASE": PASSPHRASE}
    )
    assert done.returncode == 0, done.stderr
    assert snapshot(victim) == before
    assert (tmp_path / "bk" / ".b.backup-999999").is_symlink()


def test_links_inside_a_leftover_work_folder_are_removed_not_followed(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 1)
    victim = make_victim(tmp_path / "v")
    dest = tmp_path / "backup"
    with Store.open(fx.path, fx.keyfile) as store:
        work = crashed_backup(store, dest)
        (work / "deep" / "er" / "still").mkdir(parents=True)
        for folder in (work, work / "log", work / "deep" / "er" / "still"):
            os.symlink(victim, folder / "to-folder")
            os.symlink(victim / "sub" / "notes.md", folder / "to-file")
            os.symlink(tmp_path / "nowhere", folder / "dangling")
        before = snapshot(victim)
        store.backup(dest)
    assert not os.path.lexists(work)
    assert snapshot(victim) == before


def test_folders_a_backup_cannot_prove_it_wrote_are_left_alone(tmp_path: Path) -> None:
    """Named like a work folder, but without the marker a backup of this store writes first: a
    user's folder, another store's work folder, a marker that is a link."""
    fx = make_store(tmp_path / "s", 1)
    other = make_store(tmp_path / "other", 1)
    dest = tmp_path / "backup"
    users = make_victim(tmp_path / f".backup.backup-{DEAD_PID}-0001")
    with Store.open(other.path, other.keyfile) as store:
        foreign = crashed_backup(store, dest)
    with Store.open(fx.path, fx.keyfile) as store:
        linked = crashed_backup(store, dest)
        marker = linked / ".mnemo-backup-work"
        moved = tmp_path / "marker-copy"
        marker.rename(moved)
        os.symlink(moved, marker)  # the right text, but through a link
        before = snapshot(users, foreign, linked)
        store.backup(dest)
    assert snapshot(users, foreign, linked) == before


def test_an_earlier_backup_with_a_link_for_a_folder_is_refused(tmp_path: Path) -> None:
    """An incremental backup removes every other file of the backup's log/: through a link, that
    would be somebody else's folder."""
    fx = make_store(tmp_path / "s", 2)
    victim = make_victim(tmp_path / "v")
    with Store.open(fx.path, fx.keyfile) as store:
        for name in ("log", "index"):
            dest = tmp_path / f"bk-{name}"
            store.backup(dest)
            if (dest / name).exists():
                for entry in (dest / name).iterdir():
                    entry.rename(victim / entry.name)
                (dest / name).rmdir()
            os.symlink(victim, dest / name)
            before = snapshot(victim)
            with pytest.raises(StoreExists, match=f"is not a backup as mnemo writes one: its {name} is not a folder"):
                store.backup(dest)
            assert snapshot(victim) == before


def test_dest_below_a_file_is_an_io_error_naming_it(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 1)
    (tmp_path / "afile").write_text("x")
    with Store.open(fx.path, fx.keyfile) as store, pytest.raises(StorageIOError) as caught:
        store.backup(tmp_path / "afile" / "bk")
    assert str(caught.value) == f"cannot create {tmp_path / 'afile' / 'bk'}: {tmp_path / 'afile'} is not a folder"


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
    store._append([Record("note", {"text": "third"})])
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
