"""Item 3: after a power cut at any point of remember, import, compact, a snapshot write or passwd,
with whatever was not yet durable applied, lost or garbled, every acknowledged memory is there.

Each operation runs once per crash point N (N = 1 .. its mutating calls + 1; the last means "the
power failed just after it returned") on a fresh copy of a store, under `power.Recorder`, which
knows what an fsync or a directory fsync had made durable when the crash came. Then, per seed,
`Recorder.power_cut` writes a tree the disk could hold (see tests/reliability/power.py for the
model), and the test checks that this tree opens (with the keyfile, and the old or new
passphrase), shows the state from before the operation or after it (import: after any whole
batch), verifies clean (deep: the index snapshot, if any, equals a rebuild; the only note allowed
is an uncommitted log tail), and takes the next write, after which no uncommitted tail is left.
A cut after the operation returned must show the state after it. A failure names the seed.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import StoreNotFound
from mnemo_cli.log import fileops
from mnemo_cli.log.fileops import Fault, SimulatedCrash
from mnemo_cli.memories import Link, NewMemory
from mnemo_cli.store import remembering
from mnemo_cli.store.slot_strength import weak_slot_notes_at
from mnemo_cli.store.store import Store
from tests.reliability.conftest import scaled
from tests.reliability.power import Recorder
from tests.reliability.stores import State, content, content_of, secrets_that_open, seed_store
from tests.reliability.stub_embedder import STUB

pytestmark = pytest.mark.reliability("3 · power loss (unsynced writes lost or garbled)")

PASSPHRASE = secrets.passphrase("power loss passphrase", "test")
KEYFILE = secrets.keyfile(bytes(range(32)), "test keyfile")
NEW = secrets.passphrase("the passphrase after passwd", "test")
#: Seeds (power cuts) over all five operations.
CUTS = scaled(500, 10_000)
OPERATIONS = 6


@pytest.fixture(autouse=True)
def disarm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    # Many copies of one store: each test has its own rollback record (mnemo_cli/store/seen.py).
    monkeypatch.setenv("MNEMO_STATE_DIR", str(tmp_path / "state"))
    # The recorder decides what is durable: real fsyncs would only cost time (~6 ms each here).
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    monkeypatch.setattr(os, "fdatasync", lambda fd: None)
    fileops.inject(None)
    fileops.observe(None)
    yield
    fileops.inject(None)
    fileops.observe(None)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with memories, a link and a forgotten memory (so compaction has work to do)."""
    path = tmp_path_factory.mktemp("pristine") / "store"
    seed_store(path, [PASSPHRASE, KEYFILE], embedder=STUB)
    return path


def opened(path: Path, secret: secrets.Secret = KEYFILE) -> Store:
    store = Store.open(path, secret, embedder=STUB)  # type: ignore[arg-type]
    store.state()  # loaded before the operation, as a running command would have it
    return store


def check_cut(path: Path, allowed: list[State], label: str) -> State:
    """The cut tree at `path` opens, shows an allowed state, verifies clean and takes a write."""
    with Store.open(path, KEYFILE, embedder=STUB) as store:  # type: ignore[arg-type]
        state = content(store)
        assert state in allowed, f"{label}: a state neither before nor after the operation: {state}"
        # Deep (the index rebuilt from the log equals the one loaded from the snapshot) when there
        # is a snapshot to compare; without one, both would be the same rebuild.
        report = store.verify(deep=any((path / "index").glob("*.snap")))
        # Allowed: an uncommitted tail, files of an interrupted write (the next writer removes both),
        # and the weak-slot warnings of the suite's KDF.
        allowed_notes = ("after the last commit", "left in the store")
        expected = weak_slot_notes_at(path)
        unexpected = [
            note
            for note in report.notes
            if not any(allowed in note for allowed in allowed_notes) and note not in expected
        ]
        assert not unexpected, f"{label}: verify: {unexpected}"
        store.remember(f"the next writer after {label}")
        after = store.verify()
        assert after.uncommitted_bytes == 0 and after.leftovers == [], label
    return state


def power_cuts(
    pristine: Path | None,
    tmp_path: Path,
    name: str,
    start: Callable[[Path], Callable[[], object]],
    check: Callable[[Path, str, bool], None],
) -> int:
    """Run `start(store)()` (no store there when `pristine` is None) under the recorder, crashing at
    each call in turn (and once not at all), then check `CUTS / OPERATIONS` power cuts spread over
    the crash points. Returns the cuts checked."""
    reference = tmp_path / "reference" / "store"
    if pristine is not None:
        shutil.copytree(pristine, reference)
    operation = start(reference)
    fileops.inject(None)
    operation()
    total = fileops.mutating_calls()
    points = total + 1
    per_point = -(-CUTS // OPERATIONS // points)
    cuts = 0
    for n in range(1, points + 1):
        case = tmp_path / f"n{n}"
        case.mkdir()
        if pristine is not None:
            shutil.copytree(pristine, case / "store")
        operation = start(case / "store")
        finished = n > total
        with Recorder(case) as recorder:
            fileops.inject(None if finished else Fault(at=n))
            try:
                if finished:
                    operation()
                else:
                    with pytest.raises(SimulatedCrash):
                        operation()
            finally:
                fileops.inject(None)
        for i in range(per_point):
            seed = random.Random(f"{name}/{n}/{i}").getrandbits(32)
            out = tmp_path / "cut"
            if out.exists():
                shutil.rmtree(out)
            # Each cut is another disk in the same folder, not a rollback of the one checked before.
            shutil.rmtree(Path(os.environ["MNEMO_STATE_DIR"]) / "seen", ignore_errors=True)
            profile = recorder.power_cut(random.Random(seed), out)
            label = f"{name}: power cut at call {n}/{total}, seed {seed} ({profile})"
            try:
                check(out / "store", label, finished)
            except AssertionError:
                raise
            except Exception as e:  # an error opening or using the store: name the cut
                raise AssertionError(f"{label}: {type(e).__name__}: {e}") from e
            cuts += 1
        shutil.rmtree(case)
    return cuts


def before_after(pristine: Path, tmp_path: Path, start: Callable[[Path], Callable[[], object]]) -> tuple[State, State]:
    before = content_of(pristine, KEYFILE)
    reference = tmp_path / "after"
    shutil.copytree(pristine, reference)
    start(reference)()
    return before, content_of(reference, KEYFILE)


def test_remember(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> Callable[[], object]:
        store = opened(path)
        return lambda: store.remember("a memory written as the power failed", tags=["cut"])

    before, after = before_after(pristine, tmp_path, start)
    seen = set()

    def check(path: Path, label: str, finished: bool) -> None:
        state = check_cut(path, [after] if finished else [before, after], label)
        seen.add(state == after)

    tally(power_cuts(pristine, tmp_path, "remember", start, check))
    assert seen == {False, True}


def test_import_in_batches(
    pristine: Path, tmp_path: Path, tally: Callable[[int], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import commits in batches (3 here): a cut leaves the store after some whole batch."""
    monkeypatch.setattr(remembering, "COMMIT_BATCH", 3)
    items = [NewMemory(id=f"{i:032x}", text=f"imported memory {i}", tags=["import"]) for i in range(1, 8)]
    links = [Link(f"{1:032x}", f"{2:032x}", "next", "2026-01-01T00:00:00Z")]

    def start(path: Path) -> Callable[[], object]:
        store = opened(path)
        return lambda: store.remember_many(items, links=links)

    before, after = before_after(pristine, tmp_path, start)
    batches = []
    for k in (3, 6):
        added = tuple((item.text, ("import",)) for item in items[:k])
        batches.append((tuple(sorted(before[0] + added)), before[1]))
    seen = set()

    def check(path: Path, label: str, finished: bool) -> None:
        state = check_cut(path, [after] if finished else [before, *batches, after], label)
        seen.add(len(state[0]))

    tally(power_cuts(pristine, tmp_path, "import", start, check))
    assert seen == {len(before[0]), len(before[0]) + 3, len(before[0]) + 6, len(after[0])}


def test_compact(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> Callable[[], object]:
        return opened(path).compact

    before, after = before_after(pristine, tmp_path, start)
    assert before == after

    def check(path: Path, label: str, finished: bool) -> None:
        check_cut(path, [before], label)

    tally(power_cuts(pristine, tmp_path, "compact", start, check))


def test_snapshot_write(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    """A snapshot is derived state: a cut leaves none, or one equal to a rebuild (deep verify)."""

    def start(path: Path) -> Callable[[], object]:
        store = opened(path)

        def write() -> None:
            with store.journal.exclusive():
                store.state().write_snapshot()

        return write

    before = content_of(pristine, KEYFILE)
    snapshots = set()

    def check(path: Path, label: str, finished: bool) -> None:
        check_cut(path, [before], label)
        snapshots.add(any((path / "index").glob("*.snap")))

    tally(power_cuts(pristine, tmp_path, "snapshot", start, check))
    assert snapshots == {False, True}


def test_passwd(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    """The old or the new passphrase (or both) opens the store; once passwd returned, the new one."""

    def start(path: Path) -> Callable[[], object]:
        store = opened(path, PASSPHRASE)
        return lambda: store.change_passphrase(NEW)

    before = content_of(pristine, KEYFILE)
    seen = set()

    def check(path: Path, label: str, finished: bool) -> None:
        working = secrets_that_open(path, [PASSPHRASE, NEW])
        assert working, f"{label}: neither the old nor the new passphrase opens the store"
        if finished:
            assert working == [NEW], f"{label}: passwd returned, but the cut left {working}"
        seen.add((PASSPHRASE in working, NEW in working))
        check_cut(path, [before], label)

    tally(power_cuts(pristine, tmp_path, "passwd", start, check))
    assert seen == {(True, False), (True, True), (False, True)}


def test_init(tmp_path: Path, tally: Callable[[int], None]) -> None:
    """A cut leaves no store (and the next init works) or a complete, empty one; never half of one."""

    def start(path: Path) -> Callable[[], object]:
        return lambda: Store.create(path, [PASSPHRASE, KEYFILE], recovery=False).close()

    seen = set()

    def check(path: Path, label: str, finished: bool) -> None:
        try:
            Store.check_exists(path)
        except StoreNotFound:
            assert not finished, f"{label}: init returned, but the cut left no store"
            assert not path.exists() or not any(path.iterdir()), f"{label}: half a store at {path}"
            seen.add("before")
            Store.create(path, [PASSPHRASE, KEYFILE], recovery=False).close()
        else:
            seen.add("after")
        assert secrets_that_open(path, [PASSPHRASE]) == [PASSPHRASE], label
        check_cut(path, [((), ())], label)

    tally(power_cuts(None, tmp_path, "init", start, check))
    assert seen == {"before", "after"}
