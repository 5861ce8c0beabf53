"""Detaching: a forked agent reports ready or its error; a spawned one (the one-file binary's way)
gets its secret on a pipe and is waited for until its ready line, or its failure is reported."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import pytest

from mnemo_cli import errors
from mnemo_cli.server import daemon

CHILD = """
import os, sys, time
data = os.read(int(os.environ["SECRET_FD"]), 100).decode()
print("warming up", flush=True)
print("ready", data, os.getcwd(), os.getsid(0) == os.getpid(), flush=True)
time.sleep(0.5)
"""


def test_a_spawned_child_reads_the_pipe_and_is_waited_for_until_ready() -> None:
    line = daemon.spawn([sys.executable, "-c", CHILD], os.environ, ready="ready ", pipe=("SECRET_FD", b"s3cret"))
    assert line == "ready s3cret / True"  # from /, in a session of its own


def test_a_spawned_child_that_fails_first_reports_its_code_and_output() -> None:
    script = "import sys; print('mnemo: error: no store'); sys.exit(4)"
    with pytest.raises(daemon.SpawnFailed) as failed:
        daemon.spawn([sys.executable, "-c", script], os.environ, ready="ready ")
    assert failed.value.code == 4 and failed.value.output == "mnemo: error: no store\n"


def test_not_frozen_means_fork() -> None:
    assert not daemon.must_spawn()


def detached(run: Callable[[Callable[[], None]], None]) -> int:
    return daemon.detach(run)


def test_detach_returns_the_grandchilds_pid_once_ready(tmp_path: os.PathLike[str]) -> None:
    marker = os.path.join(tmp_path, "ran")

    def run(ready: Callable[[], None]) -> None:
        ready()
        with open(marker, "w") as f:
            f.write(f"{os.getpid()} {os.getsid(0)} {os.getcwd()}")

    pid = detached(run)
    assert pid != os.getpid()
    deadline = time.monotonic() + 10
    while not os.path.exists(marker) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    with open(marker) as f:
        grandchild, session, folder = f.read().split()
    # A session of its own (not this one), not its leader: it can never get a terminal back.
    assert int(grandchild) == pid and int(session) not in (os.getsid(0), pid) and folder == "/"


def test_detach_reports_the_error_before_ready() -> None:
    def run(ready: Callable[[], None]) -> None:
        raise OSError("cannot bind")

    with pytest.raises(errors.StartFailed, match="the agent did not start: cannot bind"):
        detached(run)
