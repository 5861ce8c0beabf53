from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnemo_cli.errors import StorageIOError
from mnemo_cli.log import fileops
from mnemo_cli.log.fileops import Fault, SimulatedCrash
from tests.victims import make_victim, snapshot


def test_atomic_write_counts_its_steps(tmp_path: Path) -> None:
    fileops.inject(None)
    fileops.write_atomic(tmp_path / "f", b"data")
    # create, write, fsync, rename, fsync dir
    assert fileops.mutating_calls() == 5
    assert (tmp_path / "f").read_bytes() == b"data"
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o600


def test_crash_before_the_nth_call_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"old")
    for n in range(1, 6):
        fileops.inject(Fault(at=n))
        with pytest.raises(SimulatedCrash):
            fileops.write_atomic(target, b"new")
        assert target.read_bytes() == b"old"
    fileops.inject(None)
    fileops.write_atomic(target, b"new")  # a leftover .tmp from the crashes is cleared first
    assert not (tmp_path / "f.tmp").exists()
    assert target.read_bytes() == b"new"


def test_injected_errno_becomes_a_storage_io_error(tmp_path: Path) -> None:
    fileops.inject(Fault(at=2, action="errno", errno=errno.ENOSPC))
    with pytest.raises(StorageIOError, match=r"cannot write .*No space left on device"):
        fileops.write_atomic(tmp_path / "f", b"data")


def test_persistent_faults_keep_failing(tmp_path: Path) -> None:
    fileops.inject(Fault(at=1, action="errno", errno=errno.EIO, persistent=True))
    for _ in range(3):
        with pytest.raises(StorageIOError):
            fileops.mkdir(tmp_path / "d")


def test_created_files_and_folders_ignore_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        fileops.mkdir(tmp_path / "d")
        fileops.create_exclusive(tmp_path / "d" / "f", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "d" / "f").stat().st_mode & 0o777 == 0o600


def test_create_exclusive_never_follows_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    os.symlink(victim, tmp_path / "link")
    with pytest.raises(FileExistsError):
        fileops.create_exclusive(tmp_path / "link", b"overwrite")
    assert victim.read_bytes() == b"precious"


def test_remove_tree_refuses_a_link_in_place_of_the_folder(tmp_path: Path) -> None:
    victim = make_victim(tmp_path / "victim")
    before = snapshot(victim)
    os.symlink(victim, tmp_path / "work")
    with pytest.raises(StorageIOError, match=r"work: it is a symbolic link \(mnemo never follows one\)$"):
        fileops.remove_tree(tmp_path / "work")
    assert snapshot(victim) == before and (tmp_path / "work").is_symlink()


def test_remove_tree_removes_links_inside_as_links_at_any_depth(tmp_path: Path) -> None:
    victim = make_victim(tmp_path / "victim")
    before = snapshot(victim)
    work = tmp_path / "work"
    (work / "a" / "b" / "c").mkdir(parents=True)
    (work / "a" / "file").write_bytes(b"ours")
    for folder in (work, work / "a", work / "a" / "b" / "c"):
        os.symlink(victim, folder / "to-folder")
        os.symlink(victim / "doc.txt", folder / "to-file")
        os.symlink(tmp_path / "nowhere", folder / "dangling")
    fileops.inject(None)
    fileops.remove_tree(work)
    assert not os.path.lexists(work)
    assert snapshot(victim) == before
    # Counted per entry: 9 links, 1 file, 4 folders (rmdir).
    assert fileops.mutating_calls() == 14


def test_remove_tree_never_enters_a_folder_swapped_for_a_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sub-folder replaced by a link between being looked at and being opened: the O_NOFOLLOW
    open fails, nothing of the link's target is touched."""
    victim = make_victim(tmp_path / "victim")
    before = snapshot(victim)
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "sub" / "ours").write_bytes(b"x")
    real_stat = os.stat

    def swapping_stat(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = real_stat(path, *args, **kwargs)
        if path == "sub" and kwargs.get("dir_fd") is not None and not (tmp_path / "moved").exists():
            os.rename(work / "sub", tmp_path / "moved")
            os.symlink(victim, work / "sub")
        return result

    monkeypatch.setattr(os, "stat", swapping_stat)
    with pytest.raises(StorageIOError, match="it is a symbolic link"):
        fileops.remove_tree(work)
    monkeypatch.undo()
    assert snapshot(victim) == before


def test_make_parents_names_the_part_that_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    for target in (tmp_path / "afile" / "sub", tmp_path / "afile" / "sub" / "deeper" / "store"):
        with pytest.raises(StorageIOError) as caught:
            fileops.make_parents(target)
        assert str(caught.value) == f"cannot create {target}: {tmp_path / 'afile'} is not a folder"
    fileops.make_parents(tmp_path / "new" / "deeper" / "store")
    assert (tmp_path / "new" / "deeper").stat().st_mode & 0o777 == 0o700


def test_make_parents_makes_every_new_level_0700_under_any_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        fileops.make_parents(tmp_path / "a" / "b" / "c" / "keyfile")
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    assert not (tmp_path / "a" / "b" / "c" / "keyfile").exists()


# -- write_outside: files outside the store (exports, rollback records, model cache stamps) ------


def test_write_outside_creates_and_replaces_all_at_once(tmp_path: Path) -> None:
    target = tmp_path / "export.jsonl"
    fileops.write_outside(target, [b"one\n", b"two\n"])
    assert target.read_bytes() == b"one\ntwo\n"
    assert target.stat().st_mode & 0o777 == 0o600
    fileops.write_outside(target, iter([b"three\n"]), sync=False)
    assert target.read_bytes() == b"three\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.jsonl"]  # no temporary left


def test_write_outside_is_not_counted_by_the_fault_switches(tmp_path: Path) -> None:
    fileops.inject(Fault(at=1))
    fileops.write_outside(tmp_path / "stamp.json", [b"{}"])
    assert fileops.mutating_calls() == 0


@pytest.mark.parametrize("failure", ["data", "check"])
def test_write_outside_that_fails_leaves_the_old_file_and_no_temporary(tmp_path: Path, failure: str) -> None:
    target = tmp_path / "export.jsonl"
    target.write_bytes(b"old")

    def chunks() -> Iterator[bytes]:
        yield b"half of it"
        if failure == "data":
            raise OSError(errno.ENOSPC, "No space left on device")
        yield b" and the rest"

    def check() -> None:
        raise ValueError("the target changed meanwhile")

    with pytest.raises(OSError if failure == "data" else ValueError):
        fileops.write_outside(target, chunks(), check=check)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.jsonl"]


def test_write_outside_by_many_writers_leaves_one_whole_file(tmp_path: Path) -> None:
    import threading

    target = tmp_path / "stamp.json"
    texts = [bytes([65 + i]) * 100_000 for i in range(8)]
    threads = [threading.Thread(target=fileops.write_outside, args=(target, [t])) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert target.read_bytes() in texts
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stamp.json"]
