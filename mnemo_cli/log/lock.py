"""The store lock: `flock` on the `lock` file, exclusive for writers, shared for a reader's open.

flock locks belong to an open file description and the kernel drops them when the process dies,
so a killed writer never leaves a stale lock. (POSIX `fcntl` record locks are not used: a process
loses them when it closes *any* descriptor of the file.) Waiting polls with a limit, then raises
`StoreBusy`.

On a store that cannot be written (a read-only mount), a reader takes its shared lock through a
read-only descriptor (or none, when there is no lock file), and a writer fails at once with a
`StorageIOError` saying so: nothing is written, and every read command works.
"""

from __future__ import annotations

import errno
import fcntl
import math
import os
import time
from pathlib import Path

from mnemo_cli.errors import StorageIOError, StoreBusy, UsageError
from mnemo_cli.log import fileops

DEFAULT_WAIT = 30.0


def default_wait() -> float:
    """`MNEMO_LOCK_WAIT` seconds (a finite number, 0 or more), else 30. Anything else is a usage
    error: silently waiting the default, or for ever (`nan`, `inf`), is not what was asked for."""
    configured = os.environ.get("MNEMO_LOCK_WAIT")
    if not configured:
        return DEFAULT_WAIT
    try:
        seconds = float(configured)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise UsageError(f"MNEMO_LOCK_WAIT must be a number of seconds, 0 or more, not {configured!r}")
    return seconds


def _read_only(store: Path) -> StorageIOError:
    error = StorageIOError(
        f"cannot write to the store at {store}: it is on a read-only file system",
        hint="commands that only read it work (list, recall, show, export, verify); "
        "copy it to writable storage to change it",
    )
    error.errno = errno.EROFS  # type: ignore[attr-defined]
    return error


class StoreLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, *, exclusive: bool, wait: float | None = None) -> StoreLock:
        wait = default_wait() if wait is None else wait
        try:
            fd = fileops.open_lock(self.path, shared=not exclusive)
        except StorageIOError as e:
            if exclusive and getattr(e, "errno", None) == errno.EROFS:
                raise _read_only(self.path.parent) from None
            raise
        if fd is None:
            return self  # a reader of a read-only store with no lock file: no writer to wait for
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + wait
        pause = 0.002
        while True:
            try:
                fcntl.flock(fd, mode)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StoreBusy(
                        f"the store is busy: another mnemo process held its lock for {wait:g} s",
                        hint="retry later, or wait longer with MNEMO_LOCK_WAIT=SECONDS",
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
            except OSError as e:
                os.close(fd)
                raise StorageIOError(f"cannot lock {self.path}: {e.strerror}") from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> StoreLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
