from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from mnemo_cli.errors import StorageIOError
from mnemo_cli.log import fileops
from mnemo_cli.log.fileops import Fault, SimulatedCrash


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
