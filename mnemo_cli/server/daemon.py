"""Detach the agent from the command that starts it.

`detach(run)` forks twice: `run(ready)` runs in a grandchild in a new session, from /, with stdio
on /dev/null, whose parent has exited (so it never becomes the caller's zombie); the caller gets
the grandchild's pid once `run` called `ready()`, or the error `run` failed with first. The two
talk through a pipe: `ready <pid>` or `error <message>`.

The one-file binary cannot fork its agent: its bootloader deletes the unpacked bundle (libraries,
the model) as soon as the command exits, under the agent's feet. There `spawn` starts a fresh copy
of the binary instead (its own bundle, `PYINSTALLER_RESET_ENVIRONMENT`), detached, and waits for
the line that says it is ready (`must_spawn` tells which way to go).

Either way the agent outlives the command that started it, and must not keep that command's
secrets in its environment, which its user's processes can read in `/proc/PID/environ` for as
long as it runs: `scrub_environment` removes them, from the memory that file shows as well.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NoReturn

from mnemo_cli.errors import StartFailed

READY_TIMEOUT = 60.0


class SpawnFailed(Exception):
    """The spawned agent exited before it was ready: its exit code and what it printed."""

    def __init__(self, code: int, output: str) -> None:
        super().__init__(output)
        self.code = code
        self.output = output


def detach(run: Callable[[Callable[[], None]], None]) -> int:
    """Run `run(ready)` in a detached grandchild; its pid once it called `ready()`."""
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
            tell(f"error {e or type(e).__name__}")
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


def scrub_environment(names: Iterable[str]) -> None:
    """Remove the variables `names` from this process's environment, and blank them where the
    kernel shows the environment the process started with.

    `/proc/PID/environ` reads the block of memory the process was started with (or, after a
    fork, its parent was): neither `os.environ` nor `unsetenv` changes it, so after unsetting the
    variables (no pointer of libc's `environ` refers to them any more) their bytes there are
    overwritten with NULs, as `setproctitle` reuses that block. Linux only; elsewhere (no /proc)
    only the variables are removed."""
    names = tuple(names)
    for name in names:
        os.environ.pop(name, None)
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start and env_end (fields 50 and 51)
    except (OSError, IndexError, ValueError):
        return
    if not 0 < start < end:
        return
    import ctypes

    block = ctypes.string_at(start, end - start)
    prefixes = tuple(os.fsencode(name) + b"=" for name in names)
    offset = 0
    for entry in block.split(b"\0"):
        if entry.startswith(prefixes):
            ctypes.memset(start + offset, 0, len(entry))
        offset += len(entry) + 1


def must_spawn() -> bool:
    """Running from the one-file binary, whose unpacked bundle disappears when the command exits."""
    bundle = getattr(sys, "_MEIPASS", None)
    return bool(getattr(sys, "frozen", False)) and bundle is not None and Path(bundle).name.startswith("_MEI")


def spawn(argv: list[str], env: Mapping[str, str], *, ready: str, pipe: tuple[str, bytes] | None = None) -> str:
    """Start `argv` detached (a new session, from /, stdin on /dev/null) and return the first line
    it prints that starts with `ready`. `pipe`: (variable, data): the child finds `data` on a pipe
    whose descriptor number the variable holds. `SpawnFailed` when the child exits first or stays
    silent for `READY_TIMEOUT` seconds."""
    env = dict(env)
    pass_fds: tuple[int, ...] = ()
    writer = None
    if pipe is not None:
        read_end, write_end = os.pipe()
        pass_fds, env[pipe[0]] = (read_end,), str(read_end)
        writer = threading.Thread(target=_write_all, args=(write_end, pipe[1]), daemon=True)
    try:
        child = subprocess.Popen(
            argv,
            env=env,
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=pass_fds,
            start_new_session=True,
        )
    finally:
        for fd in pass_fds:
            os.close(fd)
    if writer is not None:
        writer.start()
    assert child.stdout is not None
    said, line = b"", None
    deadline = time.monotonic() + READY_TIMEOUT
    while line is None and (left := deadline - time.monotonic()) > 0:
        if not select.select([child.stdout], [], [], left)[0]:
            break
        chunk = os.read(child.stdout.fileno(), 4096)
        if not chunk:
            break
        said += chunk
        line = next((ln for ln in said.split(b"\n")[:-1] if ln.startswith(ready.encode())), None)
    if line is not None:
        return line.decode("utf-8", "replace")
    try:
        code = child.wait(5)
    except subprocess.TimeoutExpired:
        child.kill()
        code = child.wait()
    raise SpawnFailed(code or 1, said.decode("utf-8", "replace"))


def _write_all(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError:  # the child went away without reading: it says why itself
        pass
    finally:
        os.close(fd)
