"""Item 7: many processes on one store at once, and a lock holder killed with SIGKILL.

Proves, on the 2-core test machine: writers, recall loops, a compaction and a backup all running
against one store at the same time store every memory exactly once (by text: each writer's texts
are unique), keep the chain valid (`mnemo verify --deep` exits 0), never hit the lock wait at its
default (`MNEMO_LOCK_WAIT` unset: 30 s, `mnemo_cli/log/lock.py`), and never make a recall fail; the
backup taken meanwhile is itself an intact store holding a subset of them. And a writer killed
while it holds the exclusive lock, with a torn append beyond HEAD, does not block the next writer:
the kernel drops the flock, the next writer gets the lock within its polling pause and trims the tail.

Each writer and recall loop is one Python process that runs the real CLI (`mnemo_cli.cli.app.run`,
the same function as `mnemo remember` / `mnemo recall`) again and again, so the model loads once
per process instead of once per memory; compaction and backup are `mnemo` processes.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.log import lock
from mnemo_cli.store.store import Store
from tests.conftest import BINARY, REPO, run_mnemo
from tests.reliability.conftest import scaled
from tests.reliability.stub_embedder import STUB

pytestmark = pytest.mark.slow

ROW = "7 · concurrency: 8 writers, recalls, compact, backup"
PW = "concurrency test passphrase"
COMMAND = [BINARY] if BINARY else [sys.executable, "-m", "mnemo_cli"]
ID_LENGTH = 32

#: The processes the tests start: `write W N` remembers N texts, one CLI call each, printing each
#: id; `recall STOP` recalls until the file STOP exists, then prints how many it did; `hold` takes
#: the writers' lock, leaves a torn append beyond HEAD and sleeps; `wait` remembers each line of
#: stdin and prints, as JSON, when it acquired the store's lock (monotonic clock, shared by all
#: processes of the machine).
DRIVER = r"""
import io, json, os, re, sys, time
from mnemo_cli.cli import app

mode = sys.argv[1]
os.umask(0o077)
run = app.run


if mode == "write":
    writer, count = int(sys.argv[2]), int(sys.argv[3])
    for n in range(count):
        code = run(["remember", f"writer {writer} memory {n}: the meeting with team {writer} moved to room {n}"])
        sys.stdout.flush()
        if code:
            sys.exit(code)
elif mode == "recall":
    import io

    stop, done, queries = sys.argv[2], 0, ["meeting room", "team moved", "writer memory", "where is it"]
    real = sys.stdout
    while not os.path.exists(stop):
        sys.stdout = io.StringIO()
        code = run(["recall", queries[done % len(queries)], "--json", "-k", "3"])
        hits, sys.stdout = sys.stdout.getvalue(), real
        if code:
            sys.exit(code)
        if not all(hit["text"].startswith("writer ") for hit in json.loads(hits)):
            sys.exit(f"recall returned something nobody wrote: {hits}")
        done += 1
    print(json.dumps({"recalls": done}))
elif mode == "hold":
    from mnemo_cli.crypto import secrets
    from mnemo_cli.log import layout
    from mnemo_cli.store.store import Store

    store = Store.open(None, secrets.passphrase(os.environ["MNEMO_PASSPHRASE"], "env"))
    held = store.journal.exclusive()
    log = layout.log_path(store.path, store.head().gen)
    with open(log, "ab") as f:  # what a writer killed between its append and HEAD leaves
        f.write(os.urandom(1000))
    print("locked", flush=True)
    time.sleep(600)
elif mode == "wait":
    from mnemo_cli.log import lock

    acquired = []
    original = lock.StoreLock.acquire

    def acquire(self, *, exclusive, wait=None):
        taken = original(self, exclusive=exclusive, wait=wait)
        acquired.append(time.monotonic())
        return taken

    lock.StoreLock.acquire = acquire
    real_stdout, sys.stdout = sys.stdout, io.StringIO()  # the ids; only the timings go out
    if run(["remember", "the waiting writer warms up its model"]):
        sys.exit(1)
    print(json.dumps({"ready": True}), file=real_stdout, flush=True)
    for line in sys.stdin:
        acquired.clear()
        started = time.monotonic()
        code = run(["remember", line.rstrip("\n")])
        finished = time.monotonic()
        sys.stdout = real_stdout
        print(json.dumps({"code": code, "started": started, "acquired": acquired, "finished": finished}), flush=True)
        sys.stdout = io.StringIO()
"""


def driver(*args: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def mnemo(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*COMMAND, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def errors_in(stderr: str) -> list[str]:
    """Error lines (warnings such as "this looks like ..." between similar texts are expected)."""
    return [line for line in stderr.splitlines() if not line.startswith("mnemo: warning:")]


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Path:
    assert lock.default_wait() == lock.DEFAULT_WAIT  # no test raises the wait: clean_env cleared it
    done = run_mnemo("init", env={"MNEMO_PASSPHRASE": PW})
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("MNEMO_PASSPHRASE", PW)
    return Path(os.environ["MNEMO_HOME"])


class Collector:
    """Reads a process's stdout line by line in a thread, so the test sees progress as it happens."""

    def __init__(self, proc: subprocess.Popen[str], progress: Callable[[], None]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(progress,), daemon=True)
        self._thread.start()

    def _read(self, progress: Callable[[], None]) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            progress()

    def finish(self, timeout: float) -> tuple[int, str]:
        code = self.proc.wait(timeout=timeout)
        self._thread.join(timeout=60)
        assert self.proc.stderr is not None
        return code, self.proc.stderr.read()


def texts_of(path: Path) -> dict[str, str]:
    with Store.open(path, secrets.passphrase(PW, "test")) as opened:
        return {memory.id: memory.text for memory in opened.memories()}


@pytest.mark.reliability(ROW)
def test_writers_recalls_compact_and_backup_at_once(store: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    writers, per_writer, recall_loops = scaled(4, 8), scaled(25, 50), 4
    total = writers * per_writer
    stop = tmp_path / "stop-recalling"
    backup_dest = tmp_path / "backup"
    progress = threading.Condition()
    written = [0]

    def one_more() -> None:
        with progress:
            written[0] += 1
            progress.notify_all()

    def when_written(share: float) -> None:
        with progress:
            assert progress.wait_for(lambda: written[0] >= total * share, timeout=600), f"stuck at {written[0]}"

    started = time.monotonic()
    recallers = [driver("recall", str(stop)) for _ in range(recall_loops)]
    collectors = [Collector(driver("write", str(w), str(per_writer)), one_more) for w in range(writers)]
    when_written(1 / 3)
    compactor = mnemo("compact", "--json")
    when_written(1 / 2)
    backup = mnemo("backup", str(backup_dest), "--json")

    outcomes = [collector.finish(timeout=900) for collector in collectors]
    stop.touch()
    recall_outcomes = [(*proc.communicate(timeout=300), proc.returncode) for proc in recallers]
    compact_out, compact_err = compactor.communicate(timeout=300)
    backup_out, backup_err = backup.communicate(timeout=300)
    seconds = time.monotonic() - started

    for w, ((code, stderr), collector) in enumerate(zip(outcomes, collectors, strict=True)):
        assert code == 0 and not errors_in(stderr), f"writer {w} exited {code}: {stderr}"  # 6 = lock timeout
        assert len(collector.lines) == per_writer and all(len(line) == ID_LENGTH for line in collector.lines)
    for _out, err, code in recall_outcomes:
        assert code == 0, f"a recall loop failed: {err}"
    recalls = [json.loads(out)["recalls"] for out, _err, _code in recall_outcomes]
    assert all(n > 0 for n in recalls), recalls
    assert compactor.returncode == 0 and not errors_in(compact_err), compact_err
    assert backup.returncode == 0 and not errors_in(backup_err), backup_err

    stored = texts_of(store)
    counts = Counter(stored.values())
    expected = {
        line: f"writer {w} memory {n}: the meeting with team {w} moved to room {n}"
        for w, collector in enumerate(collectors)
        for n, line in enumerate(collector.lines)
    }
    assert len(set(expected)) == total, "two remembers printed the same id"
    assert {i: stored.get(i) for i in expected} == expected, "an acknowledged memory is missing or changed"
    assert len(stored) == total and set(counts.values()) == {1}, f"{len(stored)} stored for {total} remembered"

    verified = run_mnemo("verify", "--deep", "--json")
    assert verified.returncode == 0, verified.stderr
    backed_up = run_mnemo("verify", "--json", env={"MNEMO_HOME": str(backup_dest)})
    assert backed_up.returncode == 0, backed_up.stderr
    in_backup = texts_of(backup_dest)
    assert set(in_backup.items()) <= set(stored.items()), "the backup holds something the store does not"

    compacted = json.loads(compact_out)
    operations = total + sum(recalls) + 2
    print(
        f"concurrency: {writers} writers x {per_writer}, {recall_loops} recall loops ({sum(recalls)} recalls), "
        f"compact kept {compacted['memories']} memories, backup {json.loads(backup_out)['frames']} frames "
        f"({len(in_backup)} memories), {seconds:.1f} s"
    )
    tally(operations)


@pytest.fixture
def waiter(store: Path) -> Iterator[subprocess.Popen[str]]:
    proc = driver("wait", stdin=subprocess.PIPE)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=60)


def next_json(proc: subprocess.Popen[str]) -> dict[str, object]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"the process ended: {proc.stderr.read() if proc.stderr else ''}"
    document: dict[str, object] = json.loads(line)
    return document


@pytest.mark.reliability(ROW)
def test_a_lock_holder_killed_with_sigkill_does_not_block_the_next_writer(
    store: Path, waiter: subprocess.Popen[str], tally: Callable[[int], None]
) -> None:
    rounds = scaled(5, 20)
    assert next_json(waiter) == {"ready": True}
    assert waiter.stdin is not None
    waits: list[float] = []
    work: list[float] = []
    for n in range(rounds):
        holder = driver("hold")
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n", holder.stderr.read() if holder.stderr else ""
        waiter.stdin.write(f"written after lock holder {n} was killed\n")
        waiter.stdin.flush()
        time.sleep(0.5)  # the waiter is now polling the lock the holder keeps
        assert waiter.poll() is None
        killed_at = time.monotonic()
        os.kill(holder.pid, signal.SIGKILL)
        report = next_json(waiter)
        holder.wait(timeout=60)
        assert holder.returncode == -signal.SIGKILL
        assert report["code"] == 0, report
        acquired = report["acquired"]
        assert isinstance(acquired, list) and acquired, report
        first = float(acquired[0])
        assert first >= killed_at, "the waiter took the lock while the holder was alive"
        waits.append(first - killed_at)
        work.append(float(report["finished"]) - first)  # type: ignore[arg-type]
        assert waits[-1] < 5.0, f"the next writer waited {waits[-1]:.2f} s after the holder died"
    waiter.stdin.close()
    waiter.wait(timeout=120)
    assert waiter.stderr is not None
    trims = waiter.stderr.read().count("trimmed 1000 bytes of uncommitted log tail")
    assert trims == rounds, f"{trims} torn tails trimmed for {rounds} killed holders"
    texts = set(texts_of(store).values())
    assert all(f"written after lock holder {n} was killed" in texts for n in range(rounds))
    verified = run_mnemo("verify", "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout)["uncommitted_bytes"] == 0, verified.stderr
    print(
        f"killed lock holder: {rounds} rounds, next writer got the lock after median "
        f"{statistics.median(waits) * 1000:.0f} ms (max {max(waits) * 1000:.0f} ms), "
        f"then worked median {statistics.median(work) * 1000:.0f} ms"
    )
    tally(rounds)


@pytest.mark.reliability(ROW)
def test_a_compaction_between_two_head_reads_is_not_an_integrity_error(
    store: Path, monkeypatch: pytest.MonkeyPatch, tally: Callable[[int], None]
) -> None:
    secret = secrets.passphrase(PW, "test")
    with Store.open(store, secret, embedder=STUB) as first:  # type: ignore[arg-type]
        first.remember("the first memory")
    reader = Store.open(store, secret, embedder=STUB)  # type: ignore[arg-type]
    reader.state()  # loaded: it stands at the end of the current generation
    with Store.open(store, secret, embedder=STUB) as other:  # type: ignore[arg-type]
        other.remember("the second memory, which the reader has not seen")
    journal = reader.journal
    original = journal.read

    def compacted_meanwhile(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(journal, "read", original)
        with Store.open(store, secret, embedder=STUB) as compactor:  # type: ignore[arg-type]
            compactor.compact()
        return original(*args, **kwargs)

    monkeypatch.setattr(journal, "read", compacted_meanwhile)
    tally(1)
    try:
        texts = {memory.text for memory in reader.state().catalog.in_order()}
    finally:
        reader.close()
    assert texts == {"the first memory", "the second memory, which the reader has not seen"}
