"""Every read and write of a store's files goes through this module, and nothing else touches them;
files outside the store that must change all at once (exports, cache stamps) are written here too.

That makes failures testable the way SQLite tests its VFS: each *mutating* call (create, write,
fsync, fdatasync, truncate, rename, unlink, mkdir, directory fsync) is counted, and a test can make
the N-th one crash the process or fail with an errno:
- `MNEMO_TESTONLY_FAULT_AT=N` in the environment: `os._exit(137)` just before the N-th mutating
  call (`_ERRNO=E` instead fails it, and every later one, with errno E; `_ONCE=1` with `_ERRNO`:
  only the N-th call fails; these three only inside the test suite: `mnemo_cli/testonly.py`);
- `inject(Fault(...))` in-process: raise `SimulatedCrash` (a BaseException, so nothing catches it
  by accident) or `OSError`.

Power loss is simulated the way SQLite's test6.c does it: `observe(callback)` (test-only; None in
real use, which costs one `is None` check per call) reports every mutating call *after* it
succeeded, as `callback(op, path, detail)`: ("create", file, None), ("write", file, (offset,
data)), ("fsync", file, None) (also for fdatasync), ("truncate", file, size), ("rename", dst,
src), ("unlink", file, None), ("mkdir", dir, None), ("rmdir", dir, None), ("fsync_dir", dir,
None). `tests/reliability/power.py` keeps from these what a disk would have made durable.

OS errors on mutating calls become `StorageIOError` (exit 8) naming the operation and the file.
Reads (never counted) live in `fileread.py` and are re-exported here.
"""

from __future__ import annotations

import contextlib
import errno as errno_codes
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mnemo_cli import testonly
from mnemo_cli.errors import StorageIOError
from mnemo_cli.log.fileread import file_size as file_size
from mnemo_cli.log.fileread import io_error as _io_error
from mnemo_cli.log.fileread import keep_only as keep_only
from mnemo_cli.log.fileread import open_read as open_read
from mnemo_cli.log.fileread import pread as pread
from mnemo_cli.log.fileread import read_file as read_file
from mnemo_cli.log.fileread import read_private as read_private

FILE_MODE = 0o600
DIR_MODE = 0o700
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class SimulatedCrash(BaseException):
    """Raised by an injected crash: the process 'dies' before the call; no cleanup may write."""


@dataclass
class Fault:
    at: int
    action: str = "crash"  # "crash" (raise SimulatedCrash), "exit" (os._exit) or "errno"
    errno: int = errno_codes.EIO
    persistent: bool = False


_calls = 0
_fault: Fault | None = None


def _fault_from_env() -> Fault | None:
    at = testonly.get("MNEMO_TESTONLY_FAULT_AT")
    if not at:
        return None
    code = testonly.get("MNEMO_TESTONLY_FAULT_ERRNO")
    if code:
        once = testonly.get("MNEMO_TESTONLY_FAULT_ONCE") == "1"
        return Fault(at=int(at), action="errno", errno=int(code), persistent=not once)
    return Fault(at=int(at), action="exit")


_fault = _fault_from_env()


def inject(fault: Fault | None) -> None:
    """Arm `fault` (counting restarts from zero), or disarm with None."""
    global _calls, _fault
    _calls = 0
    _fault = fault


#: Test-only: told of each mutating call that succeeded (see the module docstring).
_observer: Callable[[str, Path, object], None] | None = None


def observe(observer: Callable[[str, Path, object], None] | None) -> None:
    """Report every successful mutating call to `observer(op, path, detail)`; None stops (tests only)."""
    global _observer
    _observer = observer


#: Test-only: the store behaves as if it were on a read-only mount (see `read_only`).
_read_only = False


def read_only(on: bool) -> None:
    """Test-only: while on, every mutating call and every open for writing fails with EROFS, as on
    a read-only mount (a backup on write-protected media)."""
    global _read_only
    _read_only = on


def _refuse_if_read_only(path: object) -> None:
    if _read_only:
        raise OSError(errno_codes.EROFS, os.strerror(errno_codes.EROFS), str(path))


def mutating_calls() -> int:
    """How many mutating calls were made since the last `inject` (or process start)."""
    return _calls


def _mutating(op: str, path: object) -> None:
    global _calls
    _calls += 1
    fault = _fault
    if fault is None or not (_calls == fault.at or (fault.persistent and _calls > fault.at)):
        _refuse_if_read_only(path)
        return
    if fault.action == "exit":
        os._exit(137)
    if fault.action == "crash":
        raise SimulatedCrash(f"crash before {op} {path} (mutating call {_calls})")
    raise OSError(fault.errno, os.strerror(fault.errno), str(path))


# -- mutating calls ---------------------------------------------------------------------------


def create_exclusive(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Create `path` (0600, must not exist, never through a symlink), write `data`, fsync."""
    try:
        _mutating("create", path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC, FILE_MODE)
        if _observer is not None:
            _observer("create", path, None)
    except FileExistsError:
        raise
    except OSError as e:
        raise _io_error("create", path, e) from None
    try:
        write_all(fd, data, path)
        if sync:
            fsync(fd, path)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes, path: object) -> None:
    view = memoryview(data)
    try:
        _mutating("write", path)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if _observer is not None:
            _observer("write", Path(str(path)), (os.lseek(fd, 0, os.SEEK_CUR) - len(data), bytes(data)))
    except OSError as e:
        raise _io_error("write", path, e) from None


def fsync(fd: int, path: object) -> None:
    try:
        _mutating("fsync", path)
        os.fsync(fd)
        if _observer is not None:
            _observer("fsync", Path(str(path)), None)
    except OSError as e:
        raise _io_error("fsync", path, e) from None


def fdatasync(fd: int, path: object) -> None:
    try:
        _mutating("fdatasync", path)
        os.fdatasync(fd)
        if _observer is not None:
            _observer("fsync", Path(str(path)), None)
    except OSError as e:
        raise _io_error("fdatasync", path, e) from None


def truncate(fd: int, size: int, path: object) -> None:
    try:
        _mutating("truncate", path)
        os.ftruncate(fd, size)
        if _observer is not None:
            _observer("truncate", Path(str(path)), size)
    except OSError as e:
        raise _io_error("truncate", path, e) from None


def replace(src: Path, dst: Path) -> None:
    try:
        _mutating("rename", dst)
        os.replace(src, dst)
        if _observer is not None:
            _observer("rename", dst, src)
    except OSError as e:
        raise _io_error("rename", dst, e) from None


def rename_dir(src: Path, dst: Path) -> None:
    """rename(2) of a directory: replaces `dst` only if it is an empty directory."""
    try:
        _mutating("rename", dst)
        os.rename(src, dst)
        if _observer is not None:
            _observer("rename", dst, src)
    except OSError as e:
        if e.errno in (errno_codes.ENOTEMPTY, errno_codes.EEXIST):
            raise FileExistsError(e.errno, e.strerror, str(dst)) from None
        raise _io_error("rename", dst, e) from None


def unlink(path: Path) -> None:
    try:
        _mutating("unlink", path)
        os.unlink(path)
        if _observer is not None:
            _observer("unlink", path, None)
    except FileNotFoundError:
        pass
    except OSError as e:
        raise _io_error("delete", path, e) from None


def remove_entry(path: Path) -> None:
    """Delete `path` whatever it is: a file, a symlink (never what it points to) or a folder with
    everything in it, through `remove_tree`, which follows no link at any depth. Counted per file
    and folder removed; a missing `path` is no error."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as e:
        raise _io_error("delete", path, e) from None
    if stat.S_ISDIR(mode):
        remove_tree(path)
    else:
        unlink(path)


def mkdir(path: Path) -> None:
    """Create a directory 0700 (whatever the umask); FileExistsError passes through."""
    try:
        _mutating("mkdir", path)
        os.mkdir(path, DIR_MODE)
        os.chmod(path, DIR_MODE)
        if _observer is not None:
            _observer("mkdir", path, None)
    except FileExistsError:
        raise
    except OSError as e:
        raise _io_error("create directory", path, e) from None


def fsync_dir(path: Path) -> None:
    """fsync a directory, so a rename or create inside it survives power loss."""
    try:
        _mutating("fsync", path)
        fd = os.open(path, os.O_RDONLY | _O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if _observer is not None:
            _observer("fsync_dir", path, None)
    except OSError as e:
        raise _io_error("fsync directory", path, e) from None


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` all at once: tmp file (0600) → fsync → rename → fsync dir."""
    tmp = path.with_name(path.name + ".tmp")
    if os.path.lexists(tmp):
        unlink(tmp)  # left by a crash; we hold the lock, so nobody else is writing it
    create_exclusive(tmp, data)
    replace(tmp, path)
    fsync_dir(path.parent)


def write_outside(path: Path, data: Iterable[bytes], *, sync: bool = True, check: Callable[[], object] = bool) -> None:
    """Replace `path`, a file outside the store, all at once: a unique 0600 temporary beside it (fsynced
    with `sync`), `check()` may still raise to abandon it, renamed over `path`; on failure it goes."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as f:
            f.writelines(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        check()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync:
        with contextlib.suppress(OSError):  # in place: only the rename's durability is at stake
            folder = os.open(path.parent, os.O_RDONLY | _O_CLOEXEC)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)


def remove_tree(path: Path) -> None:
    """Delete the folder `path` and everything in it, never following a symbolic link.

    `path` must be a folder itself: a link in its place is refused (StorageIOError), not removed
    and not followed. Inside, every entry is removed relative to a descriptor of its folder opened
    with O_NOFOLLOW: a link is removed as a link, whatever it points to, and a sub-folder swapped
    for a link between listing and opening makes the open fail (ELOOP). So removal never leaves
    the folder it was given, at any depth. Counted per entry (unlink, rmdir)."""
    fd = _open_folder(path, None)
    try:
        _clear(fd, path)
    finally:
        os.close(fd)
    try:
        _mutating("rmdir", path)
        os.rmdir(path)  # a link swapped in meanwhile fails with ENOTDIR: rmdir never follows one
        if _observer is not None:
            _observer("rmdir", path, None)
    except OSError as e:
        raise _io_error("delete directory", path, e) from None


def discard_tree(path: Path) -> None:
    """`remove_tree` for a temporary folder this process made, after a failure: a folder that is
    not there is fine, and an error here is dropped (the original failure matters more)."""
    with contextlib.suppress(StorageIOError):
        if os.path.lexists(path):
            remove_tree(path)


def _open_folder(name: Path | str, dir_fd: int | None, shown: Path | None = None) -> int:
    """A descriptor of the folder `name` (relative to `dir_fd` when given), never through a link."""
    shown = Path(name) if shown is None else shown
    try:
        return os.open(name, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=dir_fd)
    except OSError as e:
        if e.errno in (errno_codes.ELOOP, errno_codes.ENOTDIR) and _is_link(name, dir_fd):
            error = StorageIOError(f"cannot delete {shown}: it is a symbolic link (mnemo never follows one)")
            error.errno = e.errno  # type: ignore[attr-defined]
            raise error from None
        raise _io_error("delete directory", shown, e) from None


def _is_link(name: Path | str, dir_fd: int | None) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _clear(fd: int, path: Path) -> None:
    """Remove every entry of the open folder `fd` (shown as `path`), sub-folders first emptied."""
    try:
        names = sorted(os.listdir(fd), reverse=True)
    except OSError as e:
        raise _io_error("list", path, e) from None
    for name in names:
        child = path / name
        try:
            is_folder = stat.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode)
        except FileNotFoundError:
            continue
        except OSError as e:
            raise _io_error("delete", child, e) from None
        if is_folder:
            sub = _open_folder(name, fd, child)
            try:
                _clear(sub, child)
            finally:
                os.close(sub)
        op, label = ("rmdir", "delete directory") if is_folder else ("unlink", "delete")
        try:
            _mutating(op, child)
            if is_folder:
                os.rmdir(name, dir_fd=fd)
            else:
                os.unlink(name, dir_fd=fd)  # a link goes, never what it points to
            if _observer is not None:
                _observer(op, child, None)
        except FileNotFoundError:
            pass
        except OSError as e:
            raise _io_error(label, child, e) from None


def make_parents(path: Path) -> None:
    """Create the folders above `path` (a store, a backup, a keyfile) that are missing, each 0700
    (`os.makedirs` would give the intermediate ones the umask's mode).

    Not counted: the folders above a store hold none of its data. A part of the path that exists
    and is not a folder is a StorageIOError that names it."""
    for folder in reversed(path.parents):  # from the top down: the root, ..., path.parent
        if folder.is_dir():
            continue
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError as e:
            if folder.is_dir():  # made meanwhile by another process
                continue
            raise _not_a_folder(path, folder, e) from None
        except NotADirectoryError as e:
            blocker = next((p for p in reversed(folder.parents) if os.path.lexists(p) and not p.is_dir()), folder)
            raise _not_a_folder(path, blocker, e) from None
        except OSError as e:
            raise _io_error("create", path, e) from None


def _not_a_folder(path: Path, blocker: Path, e: OSError) -> StorageIOError:
    error = StorageIOError(f"cannot create {path}: {blocker} is not a folder")
    error.errno = e.errno  # type: ignore[attr-defined]
    return error


# -- opening for writing -------------------------------------------------------------------------


#: What opening a file for writing fails with where the store cannot be written.
_CANNOT_WRITE = (errno_codes.EROFS, errno_codes.EACCES, errno_codes.EPERM)


def open_lock(path: Path, *, shared: bool = False) -> int | None:
    """The lock file's descriptor, open for writing (created 0600 if missing, never through a
    symlink); not counted: creating an empty lock file changes no data.

    `shared`, for a reader: where the store cannot be written (a read-only mount, write-protected
    media) the file is opened read-only instead, which `flock` accepts; None when it does not exist
    there either: no writer can work on such a store, so there is nobody to wait for."""
    try:
        _refuse_if_read_only(path)
        return os.open(path, os.O_RDWR | os.O_CREAT | _O_NOFOLLOW | _O_CLOEXEC, FILE_MODE)
    except OSError as e:
        if not shared or e.errno not in _CANNOT_WRITE:
            raise _io_error("open", path, e) from None
    try:
        return os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise _io_error("open", path, e) from None


def open_append(path: Path) -> int:
    """An O_RDWR|O_APPEND descriptor on an existing file (writes go to its end)."""
    try:
        _refuse_if_read_only(path)
        return os.open(path, os.O_RDWR | os.O_APPEND | _O_NOFOLLOW | _O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise _io_error("open", path, e) from None
