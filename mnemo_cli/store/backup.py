"""`backup`: a consistent, encrypted copy of a store, taken while other processes keep working.

The copy is itself a store (same store id, key slots and data key: the same secrets open it). It
is taken under the shared lock, so writers wait for it and the log and HEAD it copies agree. The
log is copied up to HEAD's length only. When the destination already holds an earlier backup of
the same store and generation whose log is a prefix of this one, only the new bytes are appended.
HEAD is written last: an interrupted backup leaves the previous backup (or nothing) usable.
"""

from __future__ import annotations

import glob
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mnemo_cli.crypto import aead
from mnemo_cli.crypto.kdf import subkey
from mnemo_cli.errors import IntegrityError, StorageIOError, StoreExists, UsageError
from mnemo_cli.log import fileops, frames, head, keyslot_files, layout, leftovers, snapshot_file, store_header
from mnemo_cli.log.frames import ChainPoint
from mnemo_cli.log.head import Head
from mnemo_cli.log.journal import Journal
from mnemo_cli.log.lock import StoreLock

if TYPE_CHECKING:
    from mnemo_cli.store.checks import VerifyReport
    from mnemo_cli.store.store import Store

_CHUNK = 4 * 1024 * 1024
#: A new backup is built in `.<DEST name>.backup-<pid>-<random>` beside DEST, then renamed.
_WORK_INFIX = ".backup-"
#: Written first into a work folder; a leftover one is removed only when this file proves it ours.
_MARKER = ".mnemo-backup-work"


@dataclass
class BackupReport:
    path: Path
    incremental: bool
    log_bytes_copied: int
    frames: int


def backup(
    source: Path, dest: Path, store_id: bytes, data_key: bytes, *, lock_wait: float | None = None
) -> BackupReport:
    head_key = subkey(data_key, "head")
    with StoreLock(source / layout.LOCK).acquire(exclusive=False, wait=lock_wait):
        anchor = head.read(source, head_key, store_id)
        if not (dest / layout.HEADER).exists():
            _authenticate(source, store_id, data_key, anchor, None)
            if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
                raise StoreExists(
                    f"{dest} exists and is not a backup of this store", hint="choose an empty or new folder"
                )
            return BackupReport(dest, False, _fresh(source, dest, anchor, store_id), anchor.frames)
        if store_header.read(dest).store_id != store_id:
            raise StoreExists(f"{dest} holds another store", hint="choose an empty or new folder")
        _check_folders(dest)
        previous = _appendable(source, dest, head_key, store_id, anchor)
        _authenticate(source, store_id, data_key, anchor, previous)
        src_log, out_log = layout.log_path(source, anchor.gen), layout.log_path(dest, anchor.gen)
        if previous is not None:
            copied = _append_log(src_log, out_log, previous.log_bytes, anchor.log_bytes)
        else:  # another generation (the source was compacted), or a damaged backup: copy it whole
            tmp = out_log.with_name(out_log.name + ".tmp")
            if os.path.lexists(tmp):
                fileops.unlink(tmp)
            fileops.create_exclusive(tmp, b"", sync=False)
            copied = _append_log(src_log, tmp, 0, anchor.log_bytes)
            fileops.replace(tmp, out_log)
            fileops.fsync_dir(out_log.parent)
        _copy_small_files(source, dest, anchor, store_id)
        fileops.write_atomic(dest / layout.HEAD, fileops.read_file(source / layout.HEAD))  # the commit point
        _remove_stale(dest, anchor)
    return BackupReport(dest, previous is not None, copied, anchor.frames)


def backup_and_verify(store: Store, dest: Path, *, lock_wait: float | None = None) -> tuple[BackupReport, VerifyReport]:
    """`backup` of an open store to `dest`, outside it, then the copy verified with the store's key."""
    dest = Path(dest).expanduser().resolve()
    if dest == store.path.resolve() or store.path.resolve() in dest.parents:
        raise UsageError("the backup folder must be outside the store")
    report = backup(store.path, dest, store.store_id, store._data_key, lock_wait=lock_wait)
    table, _notes = keyslot_files.read(dest, store.store_id)
    copy = type(store)(dest, store.store_id, store._data_key, table, store.unlocked_with)
    try:
        checked = copy.verify()
    finally:
        copy.close()
    return report, checked


def _authenticate(source: Path, store_id: bytes, data_key: bytes, anchor: Head, since: Head | None) -> None:
    """Check that every frame this backup is about to copy (all, or those after `since`)
    authenticates, before anything is written: damage that the source's index snapshot hides from
    its readers is never copied into a backup, and an earlier backup is never replaced by one."""
    start = None if since is None else ChainPoint(since.frames, since.log_bytes, since.last_tag)
    _head, _header, bodies = Journal(source, store_id, data_key).read(start, locked=True, expect_gen=anchor.gen)
    for _body in bodies:
        pass


def _appendable(source: Path, dest: Path, head_key: bytes, store_id: bytes, anchor: Head) -> Head | None:
    """The earlier backup's HEAD when its log is a prefix of the source's: then only append."""
    try:
        previous = head.read(dest, head_key, store_id)
    except IntegrityError:
        return None
    log = layout.log_path(dest, previous.gen)
    if previous.gen != anchor.gen or previous.log_bytes > anchor.log_bytes or not log.exists():
        return None
    if log.stat().st_size < previous.log_bytes:
        return None
    src_log = layout.log_path(source, anchor.gen)
    fd = fileops.open_read(src_log)
    try:
        tail = fileops.pread(fd, frames.TAG_SIZE, previous.log_bytes - frames.TAG_SIZE, src_log)
    finally:
        os.close(fd)
    return previous if tail == previous.last_tag else None


def _append_log(src_log: Path, out_log: Path, start: int, end: int) -> int:
    """Make `out_log` hold exactly the source's bytes [0, end), given it already holds [0, start)."""
    src_fd = fileops.open_read(src_log)
    try:
        out_fd = fileops.open_append(out_log)
        try:
            if fileops.file_size(out_fd) != start:
                fileops.truncate(out_fd, start, out_log)
            offset = start
            while offset < end:
                chunk = fileops.pread(src_fd, min(_CHUNK, end - offset), offset, src_log)
                if not chunk:
                    raise IntegrityError(f"{src_log}: shorter than HEAD says")
                fileops.write_all(out_fd, chunk, out_log)
                offset += len(chunk)
            fileops.fsync(out_fd, out_log)
        finally:
            os.close(out_fd)
    finally:
        os.close(src_fd)
    return end - start


def _copy_small_files(source: Path, target: Path, anchor: Head, store_id: bytes) -> None:
    table, _notes = keyslot_files.read(source, store_id)
    keyslot_files.write(target, table)
    newest = snapshot_file.listing(source, anchor.gen)
    if newest:
        folder = target / layout.INDEX_DIR
        if not folder.is_dir():
            fileops.mkdir(folder)
        name = newest[0][1].name
        if not (folder / name).exists():
            fileops.write_atomic(folder / name, fileops.read_file(newest[0][1]))


def _check_folders(dest: Path) -> None:
    """An earlier backup's sub-folders are real folders: a link there would make the files this
    backup replaces and removes (every other file of `log/`) somebody else's."""
    for name in (layout.LOG_DIR, layout.INDEX_DIR):
        try:
            mode = os.lstat(dest / name).st_mode
        except FileNotFoundError:
            continue
        except OSError as e:
            raise StorageIOError(f"cannot read {dest / name}: {e.strerror}") from None
        if not stat.S_ISDIR(mode):
            raise StoreExists(
                f"{dest} is not a backup as mnemo writes one: its {name} is not a folder",
                hint="choose an empty or new folder",
            )


def _remove_stale(dest: Path, anchor: Head) -> None:
    leftovers.sweep(dest, anchor.gen)  # older generations, temporary files of an interrupted backup
    for _frames, path in snapshot_file.listing(dest, anchor.gen)[1:]:
        fileops.unlink(path)


def _fresh(source: Path, dest: Path, anchor: Head, store_id: bytes) -> int:
    """A new backup, built beside `dest` and renamed into place: complete or absent."""
    fileops.make_parents(dest)
    _remove_abandoned(dest, store_id)
    # A fresh random name: nothing already there (a leftover, a planted link) is ever reused.
    work = dest.parent / f".{dest.name}{_WORK_INFIX}{os.getpid()}-{aead.random_bytes(8).hex()}"
    fileops.mkdir(work)
    try:
        fileops.create_exclusive(work / _MARKER, _marker(store_id, work.name))
        return _fill(source, dest, work, anchor, store_id)
    except Exception:  # a failed backup leaves no partial copy behind (a crash cannot help it)
        fileops.discard_tree(work)
        raise


def _marker(store_id: bytes, name: str) -> bytes:
    """What a backup writes first into its work folder: the proof that the folder is its own."""
    return f"mnemo backup work folder\nstore {store_id.hex()}\nfolder {name}\n".encode()


def _remove_abandoned(dest: Path, store_id: bytes) -> None:
    """Work folders of earlier backups of this store to `dest` whose process is gone (it crashed).

    Only a real folder (never a link, whatever it points to) holding the marker an earlier backup
    of this store wrote into it is removed; anything else with a similar name is left alone."""
    prefix = f".{dest.name}{_WORK_INFIX}"
    for work in sorted(dest.parent.glob(glob.escape(prefix) + "*")):
        pid = work.name[len(prefix) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        if _holds_marker(work, _marker(store_id, work.name)):
            fileops.remove_tree(work)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's: not ours to touch
        return True
    except OverflowError:  # no process has such a number
        return False
    return True


def _holds_marker(work: Path, expected: bytes) -> bool:
    """Whether `work` is a folder (not a link) of this user whose marker file (not a link) reads
    `expected`. Only reads; `fileops.remove_tree` refuses links on its own."""
    try:
        st = os.lstat(work)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            return False
        fd = os.open(work / _MARKER, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.read(fd, len(expected) + 1) == expected
    except OSError:
        return False
    finally:
        os.close(fd)


def _fill(source: Path, dest: Path, work: Path, anchor: Head, store_id: bytes) -> int:
    fileops.create_exclusive(work / layout.HEADER, fileops.read_file(source / layout.HEADER))
    fileops.create_exclusive(work / layout.LOCK, b"")
    fileops.mkdir(work / layout.LOG_DIR)
    out_log = layout.log_path(work, anchor.gen)
    fileops.create_exclusive(out_log, b"", sync=False)
    copied = _append_log(layout.log_path(source, anchor.gen), out_log, 0, anchor.log_bytes)
    fileops.fsync_dir(work / layout.LOG_DIR)
    _copy_small_files(source, work, anchor, store_id)
    fileops.write_atomic(work / layout.HEAD, fileops.read_file(source / layout.HEAD))
    fileops.unlink(work / _MARKER)  # the backup is a store, with nothing else in it
    fileops.fsync_dir(work)
    if dest.exists():
        os.rmdir(dest)  # an empty folder (checked by the caller)
    fileops.rename_dir(work, dest)
    fileops.fsync_dir(dest.parent)
    return copied
