"""The CLI run inside the test process: the same `cli.app.run` a real `mnemo` runs, with its own
arguments, environment, working folder, standard input and captured standard output and error,
answered as the `subprocess.CompletedProcess` that `run_mnemo` gives.

A real process costs 0.2-0.8 s (interpreter start, imports, the model loaded again); in-process, a
usage error costs a millisecond and the model loads once per test session. What only a real process
shows stays with `run_mnemo`: the one-file binary (`make smoke` runs every CLI test through it),
signals, pipes, inherited descriptors, a terminal, and the switches read once at import (faults,
timings). `mnemo` (tests/conftest.py) picks the way for each call.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

#: Read by the code under test once, at import: a call that sets one runs as a real process.
READ_AT_IMPORT = ("MNEMO_TESTONLY_FAULT_", "MNEMO_TIMINGS")
#: Change what a process imports: only a new process sees them.
FOR_A_NEW_PROCESS = ("PYTHONPATH", "PYTHONHOME", "LD_PRELOAD")


def needs_a_process(env: Mapping[str, str] | None) -> bool:
    """Whether a call with `env` (on top of this process's environment) must run as a real process."""
    names = [*os.environ, *(env or {})]
    return any(name.startswith(READ_AT_IMPORT) for name in names) or any(
        name in FOR_A_NEW_PROCESS for name in env or {}
    )


class _Stream(io.TextIOWrapper):
    """A captured standard stream: not a terminal, no file descriptor, UTF-8 like the child's."""

    def __init__(self, data: bytes = b"") -> None:
        super().__init__(io.BytesIO(data), encoding="utf-8", errors="strict", newline=None, write_through=True)

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        self.flush()
        raw = self.buffer.getvalue()  # type: ignore[attr-defined]
        return raw.decode("utf-8", errors="replace").replace("\r\n", "\n")


@contextlib.contextmanager
def _environment(changes: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    time.tzset()  # the C library reads TZ only when told to
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        time.tzset()


def run_in_process(
    *args: str, env: Mapping[str, str] | None = None, input: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`mnemo ARGS` run by `cli.app.run` in this process, as `run_mnemo` would run it in another."""
    from mnemo_cli.cli import app

    stdin, stdout, stderr = _Stream((input or "").encode("utf-8")), _Stream(), _Stream()
    saved = sys.stdin, sys.stdout, sys.stderr
    here, umask = os.getcwd(), os.umask(0o077)  # `main` sets this umask before `run`
    with _environment(env or {}):
        sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
        try:
            if cwd is not None:
                os.chdir(cwd)
            try:
                code = app.run(list(args))
            except SystemExit as e:  # what the interpreter would turn into the exit status
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved
            os.chdir(here)
            os.umask(umask)
    return subprocess.CompletedProcess(["mnemo", *args], code, stdout.text(), stderr.text())
