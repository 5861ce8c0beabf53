"""Ctrl-C: a real SIGINT to a running `mnemo` prints one line on stderr and exits 130.

`import` says how far it got (whole commit batches are stored, the rest is not, and running it
again finishes); any other command says `mnemo: interrupted`. The import runs a stub embedder
(microseconds per text, slowed down just enough to be interrupted) in an otherwise real `mnemo`
process, so the test does not wait for the model; the lock case is the real command.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnemo_cli.store.store import COMMIT_BATCH
from tests.cli.conftest import new_store
from tests.conftest import BINARY, REPO, run_mnemo

pytestmark = pytest.mark.slow

PW = "interrupt test passphrase"
LINES = 4 * COMMIT_BATCH + 10
#: `mnemo` with the stub embedder, which writes how many texts it embedded to $PROGRESS_FILE.
STUBBED_MNEMO = """
import os, sys, time
from mnemo_cli.embed import embedder
from tests.reliability.stub_embedder import StubEmbedder

class Slow(StubEmbedder):
    done = 0

    def embed_documents(self, texts):
        Slow.done += len(texts)  # counted as it starts: a SIGINT sent now lands in the sleep
        with open(os.environ["PROGRESS_FILE"], "w") as f:
            f.write(str(Slow.done))
        time.sleep(0.001 * len(texts))
        return super().embed_documents(texts)

embedder.shared = lambda spec: Slow()
from mnemo_cli.cli.app import main
sys.argv = ["mnemo", *sys.argv[1:]]
main()
"""


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Path:
    return new_store(PW, monkeypatch)


def stubbed_import(path: Path, progress: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", STUBBED_MNEMO, "import", str(path)],
        env={**os.environ, "PROGRESS_FILE": str(progress), "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, what: str, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def embedded(progress: Path) -> int:
    try:
        return int(progress.read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def stored() -> int:
    done = run_mnemo("list", "--json")
    assert done.returncode == 0, done.stderr
    return len(json.loads(done.stdout))


def test_ctrl_c_during_an_import_says_how_far_it_got(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"text": f"imported memory number {i}"}) + "\n" for i in range(LINES)))
    progress = tmp_path / "progress"
    process = stubbed_import(path, progress)
    # Into the third batch's embedding: the first two are committed, nothing is being written.
    wait_for(lambda: embedded(progress) > 2 * COMMIT_BATCH or process.poll() is not None, "the import")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert out == ""
    committed = stored()
    assert committed == 2 * COMMIT_BATCH  # whole batches, as it says
    assert err == (
        f"mnemo: interrupted: {committed:,} of {LINES:,} memories committed; run the import again to finish\n"
    )
    # Running it again finishes: every line once.
    again = stubbed_import(path, progress)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert out == f"imported {LINES - committed} memories ({committed} already present), 0 links\n"
    assert stored() == LINES


@pytest.mark.parametrize("args", [["remember", "waiting for the lock"], ["list"], ["forget", "--tag", "x", "--yes"]])
def test_ctrl_c_while_waiting_for_the_lock(store: Path, args: list[str]) -> None:
    lock = os.open(store / "lock", os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)  # another writer holds the store
    try:
        command = [BINARY] if BINARY else [sys.executable, "-m", "mnemo_cli"]
        process = subprocess.Popen(
            [*command, *args],
            env={**os.environ, "MNEMO_LOCK_WAIT": "120"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for(lambda: _has_open(process.pid, store / "lock"), "the command to wait for the lock")
        time.sleep(0.2)  # in its waiting loop
        assert process.poll() is None
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        os.close(lock)
    assert (process.returncode, out, err) == (130, "", "mnemo: interrupted\n")


def _has_open(pid: int, path: Path) -> bool:
    """Whether process `pid` (or, for the one-file binary, its child) has `path` open."""
    pids = [pid, *(int(c) for c in _children(pid))]
    for one in pids:
        try:
            if any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{one}/fd").iterdir()):
                return True
        except (FileNotFoundError, PermissionError):
            continue
    return False


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
