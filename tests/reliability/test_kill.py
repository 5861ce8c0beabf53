"""Item 2: `kill -9` of real `mnemo remember` and `mnemo import` processes at random moments.

Proves that a SIGKILL at any moment loses nothing that was acknowledged and leaves nothing half
written: every id a `remember` printed before it died is stored with its text, `mnemo show ID`
finds it and recall returns it; the store opens and its whole chain checks after every kill;
`mnemo verify` exits 0 (a torn tail beyond HEAD is reported, then trimmed by the next writer); an
import's memories appear in whole commit batches only, always a prefix of its file (the batches
of `Store.remember_many`, `COMMIT_BATCH` lines each), and running it again completes it.

Each case is a real process (`python -m mnemo_cli`, or `$MNEMO_BINARY`), killed with SIGKILL (its
whole process group, so a frozen binary's child dies too) after a delay drawn uniformly within the
operation's duration, measured first by unkilled runs under the same concurrency. Several cases
run at once on one store, so kills also land while other writers hold the lock. Delays come from
`MNEMO_KILL_SEED` (random when unset, printed and written to `kill-log.json` in the test's temporary
folder with every case): rerun with the same seed to draw the same delays.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.log import layout
from mnemo_cli.store.store import COMMIT_BATCH, Store
from tests.conftest import BINARY, run_mnemo
from tests.reliability.conftest import scaled

pytestmark = pytest.mark.slow

ROW = "2 · kill -9 remember/import"
PW = "kill test passphrase"
COMMAND = [BINARY] if BINARY else [sys.executable, "-m", "mnemo_cli"]
#: Processes run at once: enough to keep both cores busy while each mostly loads the model.
SLOTS = 4
#: Lines per import file: two commit batches (three under stress), the last one short.
IMPORT_LINES = scaled(COMMIT_BATCH + 44, 2 * COMMIT_BATCH + 50)
ID = re.compile(r"^[0-9a-f]{32}$", re.MULTILINE)


@dataclass
class Case:
    """One process of the run: what it was asked, when it was killed and what it said."""

    number: int
    args: list[str]
    fraction: float
    delay: float
    returncode: int | None = None
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL


@dataclass
class Run:
    """The seed, the measured duration and every case, kept for the failure message and the log."""

    seed: int
    log: Path
    duration: float = 0.0
    cases: list[Case] = field(default_factory=list)
    torn_tails_seen: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_case(self, args: list[str], *, kill: bool = True) -> Case:
        with self._lock:
            number = len(self.cases)
            fraction = random.Random(f"{self.seed}:{number}").random()
            delay = fraction * self.duration if kill else 600.0
            case = Case(number, args, fraction, delay)
            self.cases.append(case)
            return case

    def kills(self) -> int:
        return sum(case.killed for case in self.cases)

    def save(self) -> None:
        document = {
            "seed": self.seed,
            "duration": self.duration,
            "torn_tails_seen": self.torn_tails_seen,
            "cases": [asdict(case) for case in self.cases],
        }
        self.log.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")

    def where(self) -> str:
        return f"seed {self.seed} (replay: MNEMO_KILL_SEED={self.seed}); every case in {self.log}"


def new_run(tmp_path: Path) -> Run:
    configured = os.environ.get("MNEMO_KILL_SEED")
    seed = int(configured) if configured else random.SystemRandom().randrange(2**32)
    print(f"kill test seed: {seed}")
    return Run(seed, tmp_path / "kill-log.json")


def execute(case: Case) -> Case:
    """Start the process, SIGKILL its process group after `case.delay` unless it ended first."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [*COMMAND, *case.args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        proc.wait(timeout=case.delay)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # unreaped, so the pid cannot have been reused
    case.stdout, case.stderr = proc.communicate(timeout=300)
    case.returncode = proc.returncode
    case.seconds = time.monotonic() - started
    return case


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Path:
    done = run_mnemo("init", env={"MNEMO_PASSPHRASE": PW})
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("MNEMO_PASSPHRASE", PW)
    return Path(os.environ["MNEMO_HOME"])


@dataclass
class Seen:
    """What an opened store holds: memories by id, and bytes beyond HEAD."""

    texts: dict[str, str]
    uncommitted: int


def open_and_check(path: Path) -> Seen:
    """Open the store as a new process would, replay and chain-check every record, load the index."""
    with Store.open(path, secrets.passphrase(PW, "test")) as store:
        for _record in store._records():
            pass
        texts = {memory.id: memory.text for memory in store.memories()}
        head = store.head()
        size = layout.log_path(path, head.gen).stat().st_size
    return Seen(texts, size - head.log_bytes)


def parallel(slots: int, work: Callable[[threading.Event], None]) -> None:
    """Run `work(failed)` in `slots` threads; `failed` is set as soon as one of them raises."""
    failed = threading.Event()

    def guarded() -> None:
        try:
            work(failed)
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(slots) as pool:
        for future in [pool.submit(guarded) for _ in range(slots)]:
            future.result()


def verify_json(*extra: str) -> dict[str, object]:
    done = run_mnemo("verify", "--json", *extra)
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def finish_and_verify(run: Run, path: Path) -> None:
    """`verify` is clean whatever the last kill left; the next writer trims a torn tail."""
    report = verify_json()
    if report["uncommitted_bytes"]:
        run.torn_tails_seen += 1
        assert any("after the last commit" in str(note) for note in report["notes"]), report  # type: ignore[attr-defined]
    done = run_mnemo("remember", f"after the kills of run {run.seed}")
    assert done.returncode == 0, done.stderr
    if report["uncommitted_bytes"]:
        assert "trimmed" in done.stderr
    after = verify_json("--deep")
    assert after["uncommitted_bytes"] == 0 and after["deep"] is True, after
    leftovers = sorted(str(p.relative_to(path)) for p in path.rglob("*.tmp"))
    print(f"torn tails seen: {run.torn_tails_seen}; leftover temporary files: {leftovers}")


# -- remember ---------------------------------------------------------------------------------------


@pytest.mark.reliability(ROW)
def test_kill_9_remember_never_loses_an_acknowledged_memory(
    store: Path, tmp_path: Path, tally: Callable[[int], None]
) -> None:
    target = scaled(60, 1600)
    run = new_run(tmp_path)
    acknowledged: dict[str, str] = {}  # id -> text, from the processes that printed one
    attempted: set[str] = set()
    guard = threading.Lock()

    def text_of(number: int) -> str:
        return f"kill -9 remember case {number} of run {run.seed}: the kettle is in cupboard {number % 97}"

    def one(case: Case, text: str) -> None:
        execute(case)
        printed = ID.findall(case.stdout)
        assert case.killed or case.returncode == 0, f"{run.where()}: case {case.number}: {case.stderr}"
        assert len(printed) <= 1, case.stdout
        with guard:
            if printed:
                acknowledged[printed[0]] = text
            expected = dict(acknowledged)
            tried = set(attempted)
        seen = open_and_check(store)
        if seen.uncommitted:
            with guard:
                run.torn_tails_seen += 1
        missing = {i: t for i, t in expected.items() if seen.texts.get(i) != t}
        assert not missing, f"{run.where()}: acknowledged but lost or changed: {missing}"
        strangers = set(seen.texts.values()) - tried
        assert not strangers, f"{run.where()}: texts nobody remembered: {strangers}"
        twice = [t for t, n in Counter(seen.texts.values()).items() if n > 1]
        assert not twice, f"{run.where()}: stored twice: {twice}"

    def start(kill: bool) -> tuple[Case, str]:
        with guard:
            case = run.next_case([], kill=kill)
            text = text_of(case.number)
            case.args = ["remember", text]
            attempted.add(text)
        return case, text

    # Measure the operation unkilled, with as many running at once as during the kills.
    calibration: list[Case] = []

    def measure(_failed: threading.Event) -> None:
        case, text = start(kill=False)
        one(case, text)
        calibration.append(case)

    parallel(SLOTS, measure)
    run.duration = statistics.median(case.seconds for case in calibration)

    def kill_loop(failed: threading.Event) -> None:
        while run.kills() < target and len(run.cases) < 3 * target + 2 * SLOTS and not failed.is_set():
            case, text = start(kill=True)
            one(case, text)

    try:
        parallel(SLOTS, kill_loop)
        assert run.kills() >= target, f"{run.where()}: only {run.kills()} of {len(run.cases)} processes were killed"
        with Store.open(store, secrets.passphrase(PW, "test")) as opened:
            for memory_id, text in acknowledged.items():
                hits = opened.recall(text, k=3)
                assert memory_id in [hit.memory.id for hit in hits], f"{run.where()}: {memory_id} not recalled"
        for memory_id in random.Random(run.seed).sample(sorted(acknowledged), min(len(acknowledged), 5)):
            shown = run_mnemo("show", memory_id, "--json")
            assert shown.returncode == 0, shown.stderr
            assert json.loads(shown.stdout)["text"] == acknowledged[memory_id]
        finish_and_verify(run, store)
    finally:
        run.save()
    killed = [case for case in run.cases if case.killed]
    print(
        f"remember: {len(run.cases)} processes, {len(killed)} killed, {len(acknowledged)} acknowledged, "
        f"duration {run.duration:.2f} s, torn tails seen {run.torn_tails_seen}"
    )
    tally(len(killed))


# -- import -----------------------------------------------------------------------------------------


def import_file(folder: Path, name: str, texts: list[str]) -> Path:
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"text": text}) + "\n" for text in texts), encoding="utf-8")
    return path


def stored_prefix(texts: list[str], stored: set[str]) -> int:
    """How many of the file's lines are stored, after checking they are its first ones."""
    count = sum(text in stored for text in texts)
    assert all(text in stored for text in texts[:count]), "the stored lines are not a prefix of the file"
    return count


@pytest.mark.reliability(ROW)
def test_kill_9_import_commits_whole_batches_only(store: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    """An import killed at any moment has stored a prefix of its file made of whole batches;
    running it again stores the rest (lines already stored are not stored twice)."""
    target = scaled(14, 400)
    run = new_run(tmp_path)
    guard = threading.Lock()
    files: dict[Path, list[str]] = {}
    rounds = iter(range(10**6))

    def new_file() -> tuple[Path, list[str]]:
        with guard:
            number = next(rounds)
        texts = [
            f"import round {number} of run {run.seed}, line {line}: plan item {line % 13}"
            for line in range(IMPORT_LINES)
        ]
        path = import_file(tmp_path, f"round-{number}", texts)
        with guard:
            files[path] = texts
        return path, texts

    def check(case: Case, path: Path, texts: list[str]) -> int:
        assert case.killed or case.returncode == 0, f"{run.where()}: case {case.number}: {case.stderr}"
        seen = open_and_check(store)
        if seen.uncommitted:
            with guard:
                run.torn_tails_seen += 1
        stored = set(seen.texts.values())
        twice = [t for t, n in Counter(seen.texts.values()).items() if n > 1]
        assert not twice, f"{run.where()}: stored twice: {twice[:3]}"
        with guard:
            known = {text for lines in files.values() for text in lines}
        assert stored <= known, f"{run.where()}: texts nobody imported: {sorted(stored - known)[:3]}"
        try:
            count = stored_prefix(texts, stored)
        except AssertionError as e:
            raise AssertionError(f"{run.where()}: case {case.number}, {path.name}: {e}") from None
        assert count % COMMIT_BATCH == 0 or count == len(texts), (
            f"{run.where()}: case {case.number}, {path.name}: {count} lines stored, not whole batches"
        )
        if case.returncode == 0:
            assert count == len(texts), f"{run.where()}: import said done with {count}/{len(texts)} stored"
        return count

    def import_until_done(kill: bool) -> None:
        path, texts = new_file()
        for attempt in range(1000):
            with guard:  # after 10 kills of one file, let it finish: the machine may have slowed down
                case = run.next_case(["import", str(path)], kill=kill and attempt < 10)
            execute(case)
            if check(case, path, texts) == len(texts):
                return

    calibration = run.cases

    def measure(_failed: threading.Event) -> None:
        import_until_done(kill=False)

    parallel(SLOTS - 1, measure)
    run.duration = statistics.median(case.seconds for case in calibration)

    def kill_loop(failed: threading.Event) -> None:
        while run.kills() < target and len(run.cases) < 4 * target and not failed.is_set():
            import_until_done(kill=True)

    try:
        parallel(SLOTS - 1, kill_loop)
        assert run.kills() >= target, f"{run.where()}: only {run.kills()} of {len(run.cases)} processes were killed"
        finish_and_verify(run, store)
    finally:
        run.save()
    killed = [case for case in run.cases if case.killed]
    print(
        f"import: {len(run.cases)} processes, {len(killed)} killed, {len(files)} files, "
        f"duration {run.duration:.2f} s, torn tails seen {run.torn_tails_seen}"
    )
    tally(len(killed))


# -- found on the way -------------------------------------------------------------------------------


@pytest.fixture
def in_process(store: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., tuple[int, str]]]:
    from mnemo_cli.cli.app import run

    def call(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = run(list(args))
        return code, capsys.readouterr().out

    yield call


@pytest.mark.reliability(ROW)
def test_rerun_of_an_interrupted_import_counts_what_is_already_present(
    in_process: Callable[..., tuple[int, str]], tmp_path: Path, tally: Callable[[int], None]
) -> None:
    texts = [f"line {n} of an import that was killed after its first batch" for n in range(3)]
    first = import_file(tmp_path, "first-batch", texts[:2])  # what the killed import had committed
    whole = import_file(tmp_path, "whole", texts)
    assert in_process("import", str(first))[0] == 0
    code, out = in_process("import", "--json", str(whole))
    tally(1)
    assert code == 0
    assert json.loads(out)["added"] == 1
    assert json.loads(out)["skipped"] == 2, out
