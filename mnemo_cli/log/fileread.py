"""Reading a store's files: whole, by offset, or into private memory a caller may decrypt in place.

Split from `fileops` (which re-exports every name here, so callers go on using `fileops.read_file`
and the rule "every file operation through fileops" holds): reads are never counted or faulted,
they only turn OS errors into `StorageIOError` the same way (`io_error`). FileNotFoundError passes
through wherever callers know what a missing file means.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from mnemo_cli.errors import StorageIOError

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def io_error(op: str, path: object, e: OSError) -> StorageIOError:
    error = StorageIOError(f"cannot {op} {path}: {e.strerror or e}")
    error.errno = e.errno  # type: ignore[attr-defined]
    return error


def read_file(path: Path) -> bytes:
    """The whole file; FileNotFoundError passes through (callers know what a missing file means)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise
    except OSError as e:
        raise io_error("read", path, e) from None


def read_private(path: Path) -> memoryview:
    """The whole file in fresh writable memory of its own, for a caller that decrypts it in place
    (an index snapshot: `bytes` would cost a copy per step, and ~100 MB each at 100k memories).

    The memory is an anonymous mapping advised for transparent huge pages: on small pages the
    first touch of each 4 KiB costs more than reading it (a page fault apiece). It is unmapped
    when the last view of it goes. A file that shrinks while read gives what was there."""
    import mmap

    try:
        with open(path, "rb", buffering=0) as f:
            size = os.fstat(f.fileno()).st_size
            memory = mmap.mmap(-1, max(1, size), flags=mmap.MAP_PRIVATE)  # not shared: see keep_only
            with contextlib.suppress(AttributeError, OSError):  # no huge pages here: small ones do
                memory.madvise(mmap.MADV_HUGEPAGE)
            view, got = memoryview(memory)[:size], 0
            while got < size and (n := f.readinto(view[got:])):
                got += n
            return view[:got]
    except FileNotFoundError:
        raise
    except OSError as e:
        raise io_error("read", path, e) from None


def keep_only(view: bytes | memoryview) -> None:
    """Give the pages of a `read_private` mapping that lie wholly outside `view` back to the OS (they
    read as zeros after): the caller needs nothing else of it. Any other buffer is left alone."""
    import ctypes
    import mmap

    if not isinstance(view, memoryview) or not isinstance(view.obj, mmap.mmap) or view.readonly or not len(view):
        return
    memory = view.obj
    start = ctypes.addressof(ctypes.c_char.from_buffer(view)) - ctypes.addressof(ctypes.c_char.from_buffer(memory))
    first, after = start // mmap.PAGESIZE * mmap.PAGESIZE, -(-(start + view.nbytes) // mmap.PAGESIZE) * mmap.PAGESIZE
    with contextlib.suppress(AttributeError, OSError):  # only memory use is at stake
        if first:
            memory.madvise(mmap.MADV_DONTNEED, 0, first)
        if after < len(memory):
            memory.madvise(mmap.MADV_DONTNEED, after, len(memory) - after)


def open_read(path: Path) -> int:
    try:
        return os.open(path, os.O_RDONLY | _O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise io_error("open", path, e) from None


def pread(fd: int, size: int, offset: int, path: object) -> bytes:
    chunks = []
    try:
        while size > 0:
            chunk = os.pread(fd, min(size, 1 << 24), offset)
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
            offset += len(chunk)
    except OSError as e:
        raise io_error("read", path, e) from None
    return b"".join(chunks)


def file_size(fd: int) -> int:
    return os.fstat(fd).st_size
