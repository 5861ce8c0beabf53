"""Item 4: an I/O error (EIO or ENOSPC) at any mutating file call of any writing operation gives a
clean error and leaves the store whole: nothing acknowledged lost, nothing half written.

In-process, `fileops` fails the N-th mutating call with the errno, once (later calls succeed: the
code must give up, not retry into a half write) or persistently (the disk stays full), for every
N until the operation completes, for remember, import, forget, link, compact, passwd, backup
(new and incremental) and init, each time on a fresh copy of a store. The operation must raise
`StorageIOError` carrying the errno; then the store opens (keyfile; old or new passphrase),
shows the state from before or after, verifies clean (an uncommitted log tail allowed) and takes
the next write from the same `Store` object, after which no tail is left. Through the real CLI
(`MNEMO_TESTONLY_FAULT_AT`/`_ERRNO`/`_ONCE`), each errno × persistence pair is checked for one
operation: exit code 8, one `mnemo: error:` line (perhaps a hint line), no traceback. Every
enumeration must reach a floor of fault points (`FLOORS`), so that writes which bypassed the
file-ops layer fail the test instead of leaving it nothing to try.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mnemo_cli.cli import app
from mnemo_cli.crypto import secrets
from mnemo_cli.errors import AuthenticationError, StorageIOError, StoreNotFound
from mnemo_cli.log import fileops
from mnemo_cli.log.fileops import Fault
from mnemo_cli.memories import Link, NewMemory
from mnemo_cli.store.slot_strength import weak_slot_notes_at
from mnemo_cli.store.store import Store
from tests.conftest import run_mnemo
from tests.helpers import PASSPHRASE as PASSPHRASE_TEXT
from tests.reliability.conftest import STRESS
from tests.reliability.stores import TEXTS, State, content_of, secrets_that_open, seed_store
from tests.reliability.stub_embedder import STUB

ROW = "4 · I/O errors (EIO, ENOSPC) at every call"
pytestmark = pytest.mark.reliability(ROW)

PASSPHRASE = secrets.passphrase(PASSPHRASE_TEXT, "test")
KEYFILE = secrets.keyfile(bytes(range(32)), "test keyfile")
NEW_TEXT = "the passphrase after passwd"
NEW = secrets.passphrase(NEW_TEXT, "test")
ERRNOS = (errno.EIO, errno.ENOSPC)

#: Mutating calls (fault points) each operation must reach: today's counts, a little lower. An
#: operation whose writes bypassed the file-ops layer would offer none and pass doing nothing.
FLOORS = {
    "remember": 6,
    "import": 6,
    "forget": 6,
    "link": 6,
    "compact": 10,
    "passwd": 17,
    "backup (new)": 27,
    "backup (incremental)": 14,
    "init": 26,
}

#: start(store path) → (the open store, the operation), the store loaded as a running command has it.
Start = Callable[[Path], tuple[Store, Callable[[], object]]]


@pytest.fixture(autouse=True)
def disarm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    # Many copies of one store: each case has its own rollback record (mnemo_cli/store/seen.py).
    monkeypatch.setenv("MNEMO_STATE_DIR", str(tmp_path / "state"))
    # Durability is not under test here (item 3 is), only what happens after a failed call.
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    monkeypatch.setattr(os, "fdatasync", lambda fd: None)
    fileops.inject(None)
    yield
    fileops.inject(None)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with memories, a link, a forgotten memory and a backup beside it (`backup`)."""
    path = tmp_path_factory.mktemp("pristine") / "store"
    seed_store(path, [PASSPHRASE, KEYFILE], embedder=STUB)
    with Store.open(path, KEYFILE) as store:
        store.backup(path.with_name("backup"))
    return path


def visible(path: Path, secret: secrets.Secret = KEYFILE) -> State:
    return content_of(path, secret)


def opens(path: Path, secret: secrets.Secret) -> bool:
    return bool(secrets_that_open(path, [secret]))


def opened(path: Path, secret: secrets.Secret = KEYFILE) -> Store:
    store = Store.open(path, secret, embedder=STUB)  # type: ignore[arg-type]
    store.state()
    return store


def id_of(store: Store, text: str) -> str:
    return next(m.id for m in store.memories() if m.text == text)


def copy_case(pristine: Path, case: Path) -> Path:
    """A fresh copy of the store (and its backup) under `case`; returns the store's path."""
    # A new copy in a folder used before is another store there, not a rollback of the last one.
    shutil.rmtree(Path(os.environ["MNEMO_STATE_DIR"]) / "seen", ignore_errors=True)
    shutil.copytree(pristine, case / "store")
    shutil.copytree(pristine.with_name("backup"), case / "backup")
    return case / "store"


def fail_at(n: int, code: int, persistent: bool, operation: Callable[[], object], label: str) -> StorageIOError:
    """Run `operation` with the n-th mutating call failing (0: the fault is armed elsewhere); it
    must raise StorageIOError."""
    fileops.inject(Fault(at=n, action="errno", errno=code, persistent=persistent) if n else None)
    try:
        operation()
    except StorageIOError as e:
        error = e
    except Exception as e:
        raise AssertionError(f"{label}: {type(e).__name__} instead of StorageIOError: {e}") from e
    else:
        raise AssertionError(f"{label}: the operation succeeded although mutating call {n} failed")
    finally:
        fileops.inject(None)
    assert getattr(error, "errno", None) == code, f"{label}: {error} (errno {getattr(error, 'errno', None)})"
    assert str(error).startswith("cannot ") and "\n" not in str(error), f"{label}: {error}"
    return error


class ShortWrite:
    """Patched over `os.write`: its k-th call writes half the bytes, then fails with ENOSPC (the
    disk filled up in the middle); `persistent`: every later mutating call fails too."""

    def __init__(self, k: int, persistent: bool) -> None:
        self.k, self.persistent, self.calls = k, persistent, 0
        self.real = os.write

    def __call__(self, fd: int, data: bytes | memoryview) -> int:
        if sys._getframe(1).f_code is not fileops.write_all.__code__:
            return self.real(fd, data)  # not a store file (the per-user rollback record)
        self.calls += 1
        if self.calls != self.k:
            return self.real(fd, data)
        if len(data) > 1:
            self.real(fd, bytes(data)[: len(data) // 2])
        if self.persistent:
            fileops.inject(Fault(at=1, action="errno", errno=errno.ENOSPC, persistent=True))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def assert_floor(count: int, floor: int, what: str) -> None:
    assert count >= floor, (
        f"{what}: only {count} fault points enumerated, below the floor of {floor}: "
        "do its writes still go through the file-ops layer?"
    )


def count_calls(operation: Callable[[], object]) -> int:
    fileops.inject(None)
    operation()
    return fileops.mutating_calls()


def check_store(path: Path, allowed: list[State], label: str, secret: secrets.Secret = KEYFILE) -> None:
    """The store at `path` opens with `secret`, shows an allowed state and verifies clean."""
    try:
        store = Store.open(path, secret)
    except AuthenticationError:
        raise AssertionError(f"{label}: {secret.kind} no longer opens the store") from None
    with store:
        texts = {m.id: m.text for m in store.memories()}
        memories = tuple(sorted((m.text, m.tags) for m in store.memories()))
        links = tuple(sorted((texts[link.src], texts[link.dst], link.rel) for link in store.all_links()))
        assert (memories, links) in allowed, f"{label}: neither the state before nor after: {(memories, links)}"
        report = store.verify()
    # Allowed: an uncommitted tail, files the failed write left (the next writer removes both), and
    # the weak-slot warnings of the suite's KDF.
    expected = weak_slot_notes_at(path)
    unexpected = [
        note
        for note in report.notes
        if "after the last commit" not in note and "left in the store" not in note and note not in expected
    ]
    assert not unexpected, f"{label}: verify: {unexpected}"


def every_error(
    pristine: Path,
    tmp_path: Path,
    name: str,
    start: Start,
    check: Callable[[Path, str], None] | None = None,
) -> int:
    """The in-process enumeration for one operation; returns the cases tried."""
    before = visible(pristine)
    _store, operation = start(copy_case(pristine, tmp_path / "reference"))
    writes = ShortWrite(0, False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "write", writes)
        total = count_calls(operation)
    after = visible(tmp_path / "reference" / "store")
    assert_floor(total, FLOORS[name], name)
    # (errno, persistent, n, short): fail mutating call n; short: the n-th os.write, half done.
    faults = [
        (code, persistent, n, False) for code in ERRNOS for persistent in (False, True) for n in range(1, total + 1)
    ]
    faults += [(errno.ENOSPC, persistent, k, True) for persistent in (False, True) for k in range(1, writes.calls + 1)]
    cases = 0
    for code, persistent, n, short in faults:
        how = "persistent" if persistent else "once"
        where = f"a short os.write {n}/{writes.calls}" if short else f"call {n}/{total}"
        label = f"{name}: {errno.errorcode[code]} {how} at {where}"
        case = tmp_path / "case"
        store, operation = start(copy_case(pristine, case))
        if short:
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(os, "write", ShortWrite(n, persistent))
                fail_at(0, code, False, operation, label)
        else:
            fail_at(n, code, persistent, operation, label)
        path = case / "store"
        check_store(path, [before, after], label)
        if check is not None:
            check(case, label)
        # The same process carries on: its next write succeeds and leaves no tail.
        store.remember(f"the next memory after {label}")
        store.close()
        with Store.open(path, KEYFILE) as reopened:
            report = reopened.verify()
            assert report.uncommitted_bytes == 0 and report.leftovers == [], label
        assert any(text == f"the next memory after {label}" for text, _tags in visible(path)[0]), label
        shutil.rmtree(case)
        cases += 1
    return cases


def test_remember(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> tuple[Store, Callable[[], object]]:
        store = opened(path)
        return store, lambda: store.remember("a memory written as the disk failed", tags=["io"])

    tally(every_error(pristine, tmp_path, "remember", start))


def test_import(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    items = [NewMemory(id=f"{i:032x}", text=f"imported memory {i}", tags=["import"]) for i in range(1, 6)]
    links = [Link(f"{1:032x}", f"{2:032x}", "next", "2026-01-01T00:00:00Z")]

    def start(path: Path) -> tuple[Store, Callable[[], object]]:
        store = opened(path)
        return store, lambda: store.remember_many(items, links=links)

    tally(every_error(pristine, tmp_path, "import", start))


def test_forget(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> tuple[Store, Callable[[], object]]:
        store = opened(path)
        target = id_of(store, TEXTS[1])
        return store, lambda: store.forget([target])

    tally(every_error(pristine, tmp_path, "forget", start))


def test_link(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> tuple[Store, Callable[[], object]]:
        store = opened(path)
        a, b = id_of(store, TEXTS[1]), id_of(store, TEXTS[2])
        return store, lambda: store.link(a, b, "reminds of")

    tally(every_error(pristine, tmp_path, "link", start))


def test_compact(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> tuple[Store, Callable[[], object]]:
        store = opened(path)
        return store, store.compact

    tally(every_error(pristine, tmp_path, "compact", start))


def test_passwd(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> tuple[Store, Callable[[], object]]:
        store = opened(path, PASSPHRASE)
        return store, lambda: store.change_passphrase(NEW)

    def check(case: Path, label: str) -> None:
        assert opens(case / "store", PASSPHRASE) or opens(case / "store", NEW), f"{label}: no passphrase opens it"

    tally(every_error(pristine, tmp_path, "passwd", start, check))


def backup_checker(expected: State) -> Callable[[Path, str], None]:
    def check(case: Path, label: str) -> None:
        dest = case / "backup"
        try:
            state = visible(dest)
        except StoreNotFound:  # a new backup that did not finish: nothing there
            assert not dest.exists() or not any(dest.iterdir()), f"{label}: a half backup at {dest}"
        else:
            check_store(dest, [expected], f"{label} (the backup)")
            assert state == expected
        # The next backup succeeds and holds the store.
        with Store.open(case / "store", KEYFILE) as store:
            store.backup(dest)
        assert visible(dest) == expected, label

    return check


def test_backup_new(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    def start(path: Path) -> tuple[Store, Callable[[], object]]:
        shutil.rmtree(path.with_name("backup"))
        store = opened(path)
        return store, lambda: store.backup(path.with_name("backup"))

    tally(every_error(pristine, tmp_path, "backup (new)", start, backup_checker(visible(pristine))))


def test_backup_incremental(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    """The destination holds an earlier backup; the store has one more memory since."""

    def start(path: Path) -> tuple[Store, Callable[[], object]]:
        store = opened(path)
        store.remember("a memory made after the last backup")
        return store, lambda: store.backup(path.with_name("backup"))

    def check(case: Path, label: str) -> None:
        # The old backup (before) or the new one (after) is complete; checked against the source.
        dest = case / "backup"
        check_store(dest, [visible(pristine), visible(case / "store")], f"{label} (the backup)")
        with Store.open(case / "store", KEYFILE) as store:
            store.backup(dest)
        assert visible(dest) == visible(case / "store"), label

    tally(every_error(pristine, tmp_path, "backup (incremental)", start, check))


def test_init(tmp_path: Path, tally: Callable[[int], None]) -> None:
    """A failed init leaves no store (and the next init works) or a complete, empty one."""
    total = count_calls(lambda: Store.create(tmp_path / "reference", [PASSPHRASE, KEYFILE]))
    assert_floor(total, FLOORS["init"], "init")
    cases = 0
    for code in ERRNOS:
        for persistent in (False, True):
            for n in range(1, total + 1):
                label = f"init: {errno.errorcode[code]} {'persistent' if persistent else 'once'} at call {n}/{total}"
                home = tmp_path / "case"
                path = home / "store"
                fail_at(n, code, persistent, lambda p=path: Store.create(p, [PASSPHRASE, KEYFILE]), label)
                try:
                    assert visible(path) == ((), ()), label
                    check_store(path, [((), ())], label)
                except StoreNotFound:
                    Store.create(path, [PASSPHRASE, KEYFILE]).close()
                with Store.open(path, PASSPHRASE, embedder=STUB) as store:  # type: ignore[arg-type]
                    store.remember("the first memory after a failed init")
                    assert store.verify().uncommitted_bytes == 0
                shutil.rmtree(home)
                cases += 1
    tally(cases)


# -- through the real CLI ---------------------------------------------------------------------------


def cli_points(total: int) -> list[int]:
    """Which calls the CLI tests fail: all of them under stress, else the first, a middle, the last."""
    return list(range(1, total + 1)) if STRESS else sorted({1, (total + 1) // 2, total})


def check_cli_error(done: object, label: str, code: int) -> None:
    import subprocess

    assert isinstance(done, subprocess.CompletedProcess)
    lines = done.stderr.splitlines()
    assert done.returncode == 8, f"{label}: exit {done.returncode}: {done.stderr}"
    assert "Traceback" not in done.stderr, f"{label}: {done.stderr}"
    assert lines and lines[0].startswith("mnemo: error: cannot "), f"{label}: {done.stderr}"
    assert os.strerror(code) in lines[0], f"{label}: {lines[0]}"
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("mnemo: hint: ")), f"{label}: {done.stderr}"


CLI_CASES = [
    # (command, errno, once): every errno × persistence pair, over operations that need no model.
    (["compact"], errno.ENOSPC, False),
    (["passwd"], errno.EIO, True),
    (["forget", "ID"], errno.ENOSPC, True),
    (["init"], errno.EIO, False),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "code", "once"),
    CLI_CASES,
    ids=[f"{c[0]}-{errno.errorcode[e]}-{'once' if o else 'persistent'}" for c, e, o in CLI_CASES],
)
def test_cli(
    pristine: Path, tmp_path: Path, tally: Callable[[int], None], command: list[str], code: int, once: bool
) -> None:
    env = {"MNEMO_PASSPHRASE": PASSPHRASE_TEXT, "MNEMO_NEW_PASSPHRASE": NEW_TEXT}
    init = command == ["init"]

    def prepare(home: Path) -> list[str]:
        if init:
            return command
        shutil.copytree(pristine, home)
        with Store.open(home, KEYFILE) as store:
            target = id_of(store, TEXTS[1])
        return [target if arg == "ID" else arg for arg in command]

    before = ((), ()) if init else visible(pristine)
    # How many mutating calls the command makes: counted running the CLI in-process.
    counted = tmp_path / "counted"
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {**env, "MNEMO_HOME": str(counted)}.items():
            mp.setenv(name, value)
        counted_args = prepare(counted)
        fileops.inject(None)
        assert app.run(counted_args) == 0
        total = fileops.mutating_calls()
    assert_floor(total, FLOORS[command[0]], f"mnemo {command[0]}")
    after = visible(counted, PASSPHRASE if init else KEYFILE)
    cases = 0
    for n in cli_points(total):
        label = f"mnemo {' '.join(command)}: {errno.errorcode[code]} {'once' if once else 'persistent'} at call {n}"
        home = tmp_path / f"n{n}"
        fault = {"MNEMO_TESTONLY_FAULT_AT": str(n), "MNEMO_TESTONLY_FAULT_ERRNO": str(code)}
        if once:
            fault["MNEMO_TESTONLY_FAULT_ONCE"] = "1"
        env["MNEMO_STATE_DIR"] = str(tmp_path / f"state{n}")  # a fresh rollback record per copy
        done = run_mnemo(*prepare(home), env={**env, "MNEMO_HOME": str(home), **fault})
        check_cli_error(done, label, code)
        if init and not (home / "MNEMO").exists():
            assert run_mnemo("init", env={**env, "MNEMO_HOME": str(home)}).returncode == 0, label
        check_store(home, [before, after], label, PASSPHRASE if init else KEYFILE)
        if STRESS:  # `mnemo verify` too (in-process, check_store has verified already)
            unlock = PASSPHRASE_TEXT if opens(home, PASSPHRASE) else NEW_TEXT  # passwd: either may work
            verify = run_mnemo("verify", env={**env, "MNEMO_HOME": str(home), "MNEMO_PASSPHRASE": unlock})
            assert verify.returncode == 0, f"{label}: {verify.stderr}"
        cases += 1
    tally(cases)


def test_the_floor_trips_when_nothing_is_enumerated(pristine: Path, tmp_path: Path) -> None:
    """An operation whose writes bypassed the file-ops layer offers no fault point: the floor fails it."""

    def start(path: Path) -> tuple[Store, Callable[[], object]]:
        return opened(path), lambda: None

    with pytest.raises(AssertionError, match="below the floor"):
        every_error(pristine, tmp_path, "remember", start)


def test_failed_new_backup_leaves_no_work_folder(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    path = copy_case(pristine, tmp_path / "case")
    shutil.rmtree(path.with_name("backup"))
    store = opened(path)
    fail_at(5, errno.ENOSPC, False, lambda: store.backup(path.with_name("backup")), "backup (new): ENOSPC once")
    tally(1)
    assert sorted(p.name for p in path.parent.iterdir()) == ["store"]
