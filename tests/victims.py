"""Folders and files of the user's that tests point symbolic links at, and the proof that nothing in
them changed: `snapshot` before, `snapshot` after, compare. Also the odd targets a user can name
for an output (a device that is always full, a FIFO with a reader) and the work folder a crashed
backup leaves behind."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mnemo_cli.log import fileops
from mnemo_cli.log.fileops import Fault, SimulatedCrash

if TYPE_CHECKING:
    from mnemo_cli.store.store import Store


def make_victim(path: Path) -> Path:
    """A folder with a file, a sub-folder with a file, and a link of its own: what a user keeps."""
    (path / "sub").mkdir(parents=True)
    (path / "doc.txt").write_text("x\n")
    (path / "sub" / "notes.md").write_text("precious notes\n")
    os.symlink("doc.txt", path / "shortcut")
    return path


def snapshot(*paths: Path) -> dict[str, tuple[str, str]]:
    """Every entry under `paths` (links not followed): its kind and its content or link target."""
    found: dict[str, tuple[str, str]] = {}
    for top in paths:
        entries = [top, *top.rglob("*")] if top.is_dir() and not top.is_symlink() else [top]
        for entry in entries:
            try:
                mode = entry.lstat().st_mode
            except FileNotFoundError:
                found[str(entry)] = ("missing", "")
                continue
            if stat.S_ISLNK(mode):
                found[str(entry)] = ("link", os.readlink(entry))
            elif stat.S_ISREG(mode):
                found[str(entry)] = ("file", entry.read_text(errors="replace"))
            elif stat.S_ISDIR(mode):
                found[str(entry)] = ("folder", "")
            else:
                found[str(entry)] = ("other", oct(stat.S_IFMT(mode)))
    return found


def full_device(folder: Path) -> Path:
    """A character device on which every write fails with ENOSPC: a node of /dev/full's device
    made in `folder` when this process may (so code that wrongly replaced it could not harm the
    real one), else /dev/full itself (which a process without that right cannot replace)."""
    node = folder / "full"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except OSError:
        return Path("/dev/full")
    return node


class FifoReader:
    """A FIFO at `path` and a thread that reads it to the end, so a writer never waits for ever.
    The thread is a daemon: if nothing ever opens the FIFO, it cannot hang the test run."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path, 0o600)
        self.path = path
        self.data = b""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with open(self.path, "rb") as f:
            self.data = f.read()

    def result(self, timeout: float = 30) -> bytes:
        """What was read once the writer closed it (AssertionError if it never did)."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"nothing wrote {self.path} to the end"
        return self.data


#: Above any pid_max: no process has this number, so a work folder named after it is abandoned.
DEAD_PID = 2**30


def crashed_backup(store: Store, dest: Path, at: int = 12) -> Path:
    """The work folder a first backup to `dest` leaves behind when its process dies at mutating
    call `at` (a process whose pid is gone)."""
    pattern = f".{dest.name}.backup-{DEAD_PID}-*"
    earlier = set(dest.parent.glob(pattern))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "getpid", lambda: DEAD_PID)
        fileops.inject(Fault(at=at))
        with pytest.raises(SimulatedCrash):
            store.backup(dest)
        fileops.inject(None)
    (work,) = set(dest.parent.glob(pattern)) - earlier
    return work
