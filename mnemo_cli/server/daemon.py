"""Detach the agent from the command that starts it: fork twice, a new session, stdio on /dev/null.

`detach(run)` runs `run(ready)` in a grandchild that has no terminal and whose parent has exited
(so it never becomes a zombie of the caller), and returns in the calling process with the
grandchild's pid once `run` called `ready()`, or raises with the error `run` failed with first.
The two talk through a pipe: `ready <pid>` or `error <message>`.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import time
from collections.abc import Callable
from typing import NoReturn

from mnemo_cli.errors import MnemoError

READY_TIMEOUT = 30.0


class StartFailed(MnemoError):
    """The detached agent exited before it was ready."""


def detach(run: Callable[[Callable[[], None]], None]) -> int:
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # or the child would write the caller's buffered output again
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        _child(run, read_end, write_end)
    os.close(write_end)
    try:
        os.waitpid(child, 0)  # exits as soon as it has forked the agent
        said = _read_all(read_end, READY_TIMEOUT).decode("utf-8", "replace")
    finally:
        os.close(read_end)
    word, _, rest = said.partition(" ")
    if word == "ready" and rest.strip().isdigit():
        return int(rest)
    raise StartFailed(f"the agent did not start: {rest.strip() or 'it exited without saying why'}")


def _child(run: Callable[[Callable[[], None]], None], read_end: int, write_end: int) -> NoReturn:
    code = 1
    pipe = {"open": True}

    def tell(text: str) -> None:
        if pipe["open"]:
            pipe["open"] = False
            with contextlib.suppress(OSError):
                os.write(write_end, text.encode("utf-8", "replace"))
            os.close(write_end)

    try:
        os.close(read_end)
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        os.chdir("/")
        _stdio_to_null()
        try:
            run(lambda: tell(f"ready {os.getpid()}"))
            code = 0
        except BaseException as e:
            tell(f"error {e}")
    finally:
        os._exit(code)  # never the caller's cleanup (atexit, buffered output)


def _stdio_to_null() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _read_all(fd: int, timeout: float) -> bytes:
    """What the pipe holds until the writer closes it, or until `timeout`."""
    deadline = time.monotonic() + timeout
    chunks = []
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([fd], [], [], left)
        if not readable:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
