"""Item 1: a crash at every mutating file call of every operation that writes leaves a store that
opens with at least one of its secrets, verifies clean (deep), shows the state from before or from
after the operation, and takes the next write; and once the next writer has run and a compaction
has completed, no file left in the store holds forgotten text under any data key it ever had.

The crash is raised by the file-ops layer just before the N-th mutating call (create, write,
fsync, rename, unlink, ...), for N = 1 until the operation completes, each time on a fresh copy of
the same store. The store is past the snapshot threshold, so compact, rekey and reindex write
index snapshots too. A store's visible state is compared by content (texts, tags, links by text),
since an interrupted `remember` and the reference run draw different ids.

Each enumeration must reach a floor of fault points (a little below today's counts): writes that
bypassed the file-ops layer would otherwise pass by enumerating nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.embed.model_spec import folder_spec
from mnemo_cli.errors import StoreNotFound
from mnemo_cli.log import fileops, layout
from mnemo_cli.log.fileops import Fault, SimulatedCrash
from mnemo_cli.memories import Link, NewMemory
from mnemo_cli.store.store import SNAPSHOT_EVERY, Store
from tests.embed.tiny_model import build_tiny_model
from tests.helpers import crash_at_every_point
from tests.reliability.conftest import scaled
from tests.reliability.plaintext import data_keys, texts_found
from tests.reliability.stores import TEXTS, State, content_of, secrets_that_open, seed_store
from tests.reliability.stub_embedder import STUB

pytestmark = pytest.mark.slow

PASSPHRASE = secrets.passphrase("crash points passphrase", "test")
KEYFILE = secrets.keyfile(bytes(range(32)), "test keyfile")
NEW = secrets.passphrase("the replacement passphrase", "test")
#: A live memory of the pristine store that each case forgets after the crash, then compacts: it
#: was in every log and snapshot the crash could leave behind.
CANARY = "canary: the spare key hangs behind the blue door"
#: Enough memories that the store, and its compaction, pass the snapshot threshold.
#: Fault points per operation must reach these (today's counts, a little lower).
FLOORS = {
    "remember": 6,
    "import": 6,
    "forget": 6,
    "link": 6,
    "compact": 16,
    "snapshot": 4,
    "passwd": 17,
    "rekey": 34,
    "reindex": 16,
    "backup": 33,
    "init": 26,
}
#: Crash points tried per operation in `make test`, spread from the first to the last; every one
#: under `make stress` (the floors are still checked against the whole enumeration).
SAMPLE = scaled(8, 0)
FILLER = [f"filler memory {i}: nothing to see here" for i in range(SNAPSHOT_EVERY)]


@dataclass(frozen=True)
class Pristine:
    path: Path
    recovery: secrets.Secret
    store_id: bytes
    data_key: bytes


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    """A store with TEXTS, a link, a forgotten memory, CANARY, FILLER (so an index snapshot) and
    three secrets; built with the stub embedder."""
    path = tmp_path_factory.mktemp("pristine") / "store"
    recovery_key = seed_store(path, [PASSPHRASE, KEYFILE], recovery=True, embedder=STUB)
    assert recovery_key is not None
    with Store.open(path, KEYFILE, embedder=STUB) as store:  # type: ignore[arg-type]
        store.remember_many([NewMemory(text=text) for text in [CANARY, *FILLER]])
        store_id, data_key = store.store_id, store._data_key
    assert any((path / layout.INDEX_DIR).iterdir())
    return Pristine(path, secrets.passphrase(recovery_key, "test"), store_id, data_key)


def assert_floor(count: int, floor: int, what: str) -> None:
    """The enumeration reached `floor` fault points (else writes may bypass the file-ops layer)."""
    assert count >= floor, (
        f"{what}: only {count} fault points enumerated, below the floor of {floor}: "
        "do its writes still go through the file-ops layer?"
    )


def check_every_crash(
    pristine: Pristine,
    tmp_path: Path,
    start: Callable[[Path], Callable[[], object]],
    tally: Callable[[int], None],
    floor: int,
) -> set[str]:
    """Crash `start(path)()` at every point; check each copy; return which states were seen."""
    candidates = [PASSPHRASE, KEYFILE, pristine.recovery, NEW]
    before = content_of(pristine.path, KEYFILE)
    after: State | None = None
    seen = set()
    n = tried = 0
    for n, path in crash_at_every_point(pristine.path, tmp_path, start, sample=SAMPLE):
        tried += 1
        if after is None:
            reference = tmp_path / "reference"
            after = content_of(reference, secrets_that_open(reference, candidates)[0])
        working = secrets_that_open(path, candidates)
        assert working, f"crash at call {n}: no secret opens the store"
        state = content_of(path, working[0])
        assert state in (before, after), f"crash at call {n}: neither the state before nor after"
        seen.add("before" if state == before else "after")
        keys = data_keys(path, candidates) | {pristine.data_key}  # a rekey's new key, if it got that far
        with Store.open(path, working[0]) as store:
            assert store.verify(deep=True).deep
            store.remember(f"the next writer after a crash at call {n}")
            assert store.verify().uncommitted_bytes == 0
            check_erased(store, path, keys, pristine.store_id, f"crash at call {n}")
    assert_floor(n, floor, "the crash enumeration")
    tally(tried)
    return seen


def check_erased(store: Store, path: Path, keys: set[bytes], store_id: bytes, label: str) -> None:
    """Forget CANARY and compact: then no file holds a forgotten text under any key the store had."""
    store.forget([next(m.id for m in store.memories() if m.text == CANARY)])
    store.compact()
    live = {m.text for m in store.memories()}
    forgotten = [text for text in [*TEXTS, CANARY] if text not in live]
    keys = keys | data_keys(path, [PASSPHRASE, KEYFILE, NEW])
    assert texts_found(path, keys, store_id, forgotten) == [], f"{label}: forgotten text left on disk"
    assert store.verify().leftovers == [], label


def opened(path: Path, secret: secrets.Secret = KEYFILE) -> Store:
    store = Store.open(path, secret)
    store.state()  # loaded before the fault is armed, as a running command would have it
    return store


def id_of(store: Store, text: str) -> str:
    return next(m.id for m in store.memories() if m.text == text)


@pytest.mark.reliability("1 · crash at every write point: remember")
def test_remember(pristine: Pristine, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> Callable[[], object]:
        store = opened(path)
        return lambda: store.remember("a memory written during a crash")

    assert check_every_crash(pristine, tmp_path, start, tally, FLOORS["remember"]) == {"before", "after"}


@pytest.mark.reliability("1 · crash at every write point: import (a batch with a link)")
def test_import(pristine: Pristine, tmp_path: Path, tally: Callable[[int], None]) -> None:
    items = [NewMemory(id=f"{i:032x}", text=f"imported memory {i}", tags=["import"]) for i in range(1, 6)]

    def start(path: Path) -> Callable[[], object]:
        store = opened(path)
        links = [Link(items[0].id or "", items[1].id or "", "next", "2026-01-01T00:00:00Z")]
        return lambda: store.remember_many(items, links=links)

    assert check_every_crash(pristine, tmp_path, start, tally, FLOORS["import"]) == {"before", "after"}


@pytest.mark.reliability("1 · crash at every write point: forget")
def test_forget(pristine: Pristine, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> Callable[[], object]:
        store = opened(path)
        target = id_of(store, TEXTS[1])
        return lambda: store.forget([target])

    assert check_every_crash(pristine, tmp_path, start, tally, FLOORS["forget"]) == {"before", "after"}


@pytest.mark.reliability("1 · crash at every write point: link")
def test_link(pristine: Pristine, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> Callable[[], object]:
        store = opened(path)
        a, b = id_of(store, TEXTS[1]), id_of(store, TEXTS[2])
        return lambda: store.link(a, b, "reminds of")

    assert check_every_crash(pristine, tmp_path, start, tally, FLOORS["link"]) == {"before", "after"}


@pytest.mark.reliability("1 · crash at every write point: compact")
def test_compact(pristine: Pristine, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> Callable[[], object]:
        return opened(path).compact

    # Compaction changes no visible state: "before" and "after" are the same.
    assert check_every_crash(pristine, tmp_path, start, tally, FLOORS["compact"]) == {"before"}


@pytest.mark.reliability("1 · crash at every write point: index snapshot write")
def test_snapshot_write(pristine: Pristine, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> Callable[[], object]:
        store = opened(path)

        def write() -> None:
            with store.journal.exclusive():
                store.state().write_snapshot()

        return write

    assert check_every_crash(pristine, tmp_path, start, tally, FLOORS["snapshot"]) == {"before"}


@pytest.mark.reliability("1 · crash at every write point: passwd")
def test_passwd(pristine: Pristine, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> Callable[[], object]:
        store = opened(path, PASSPHRASE)
        return lambda: store.change_passphrase(NEW)

    assert check_every_crash(pristine, tmp_path, start, tally, FLOORS["passwd"]) == {"before"}


@pytest.mark.reliability("1 · crash at every write point: rekey --full")
def test_rekey_full(pristine: Pristine, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> Callable[[], object]:
        store = opened(path, PASSPHRASE)
        return lambda: store.rekey([NEW, KEYFILE], recovery=False)

    assert check_every_crash(pristine, tmp_path, start, tally, FLOORS["rekey"]) == {"before"}


@pytest.mark.reliability("1 · crash at every write point: reindex")
def test_reindex(pristine: Pristine, tmp_path: Path, tally: Callable[[int], None]) -> None:
    spec = folder_spec(build_tiny_model(tmp_path / "model"))

    def start(path: Path) -> Callable[[], object]:
        store = opened(path)
        return lambda: store.reindex(spec)

    assert check_every_crash(pristine, tmp_path, start, tally, FLOORS["reindex"]) == {"before"}


@pytest.mark.reliability("1 · crash at every write point: backup")
def test_backup(pristine: Pristine, tmp_path: Path, tally: Callable[[int], None]) -> None:
    """The source is never changed; the copy is absent or complete, and the next run finishes it."""
    path0 = pristine.path
    expected = content_of(path0, KEYFILE)

    def start(path: Path) -> Callable[[], object]:
        store = opened(path)
        return lambda: store.backup(path.with_name(path.name + "-backup"))

    n = tried = 0
    for n, path in crash_at_every_point(path0, tmp_path, start, sample=SAMPLE):
        tried += 1
        dest = path.with_name(path.name + "-backup")
        assert content_of(path, KEYFILE) == expected
        try:
            assert content_of(dest, KEYFILE) == expected, n
        except StoreNotFound:
            assert not dest.exists() or not any(dest.iterdir()), n
        with Store.open(path, KEYFILE) as store:
            _report, checked = store.backup(dest)
            assert checked.frames > 0
        assert content_of(dest, KEYFILE) == expected
    assert_floor(n, FLOORS["backup"], "the crash enumeration of backup")
    tally(tried)


@pytest.mark.reliability("1 · crash at every write point: init")
def test_init(tmp_path: Path, tally: Callable[[int], None]) -> None:
    """Interrupted, init leaves no store (and the next init works) or a complete, empty one."""
    fileops.inject(None)
    Store.create(tmp_path / "reference", [PASSPHRASE, KEYFILE]).close()
    total = fileops.mutating_calls()
    seen = set()
    for n in range(1, total + 1):
        path = tmp_path / f"c{n}"
        fileops.inject(Fault(at=n))
        with pytest.raises(SimulatedCrash):
            Store.create(path, [PASSPHRASE, KEYFILE])
        fileops.inject(None)
        try:
            with Store.open(path, KEYFILE) as store:
                assert list(store.memories()) == [] and store.verify().frames == 0
            seen.add("after")
        except StoreNotFound:
            seen.add("before")
            Store.create(path, [PASSPHRASE, KEYFILE]).close()
        with Store.open(path, PASSPHRASE) as store:
            store.remember("the first memory after an interrupted init")
    assert seen == {"before", "after"}
    assert_floor(total, FLOORS["init"], "the crash enumeration of init")
    tally(total)


def test_the_floor_trips_when_nothing_is_enumerated(pristine: Pristine, tmp_path: Path) -> None:
    """An operation whose writes bypassed the file-ops layer would offer no fault point, and the
    enumeration would pass doing nothing: the floor fails it."""
    with pytest.raises(AssertionError, match="below the floor"):
        check_every_crash(pristine, tmp_path, lambda path: lambda: None, lambda n: None, FLOORS["remember"])
