"""Crash at every mutating I/O call of init and append: the store shows the state before or after.

In-process, `fileops` raises `SimulatedCrash` just before the N-th mutating call (nothing of that
call happens, nothing after it runs), for N = 1, 2, ... until the operation completes. A sample
runs as real processes killed by `os._exit` at the N-th call (MNEMO_TESTONLY_FAULT_AT).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import StoreNotFound
from mnemo_cli.log import fileops
from mnemo_cli.log.fileops import Fault, SimulatedCrash
from mnemo_cli.store.records import Record
from mnemo_cli.store.store import Store
from tests.conftest import run_mnemo
from tests.helpers import PASSPHRASE, make_store, read_all


def calls_of(operation) -> int:
    fileops.inject(None)
    operation()
    return fileops.mutating_calls()


def test_crash_at_every_point_of_init(tmp_path: Path) -> None:
    pw = secrets.passphrase(PASSPHRASE, "test")
    total = calls_of(lambda: Store.create(tmp_path / "reference", [pw]))
    assert total > 15
    states = set()
    for n in range(1, total + 1):
        path = tmp_path / f"s{n}"
        fileops.inject(Fault(at=n))
        with pytest.raises(SimulatedCrash):
            Store.create(path, [pw])
        fileops.inject(None)
        try:
            records = read_all(path, pw)
        except StoreNotFound:
            states.add("before")
            # A crashed init never blocks the next one.
            Store.create(path, [pw])
            assert read_all(path, pw) == []
        else:
            assert records == []
            states.add("after")
    assert states == {"before", "after"}


def test_crash_at_every_point_of_append(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "pristine", 2)
    batch = [Record("note", {"text": "third"}), Record("note", {"text": "fourth"}, b"\x01\x02")]

    def append_to(path: Path) -> None:
        with Store.open(path, fx.keyfile) as store:
            store._append(batch)

    reference = tmp_path / "reference"
    shutil.copytree(fx.path, reference)
    total = calls_of(lambda: append_to(reference))
    assert total >= 7  # write, fdatasync, then HEAD: create, write, fsync, rename, fsync dir
    seen = set()
    for n in range(1, total + 1):
        path = tmp_path / f"s{n}"
        shutil.copytree(fx.path, path)
        fileops.inject(Fault(at=n))
        with pytest.raises(SimulatedCrash):
            append_to(path)
        fileops.inject(None)
        records = read_all(path, fx.keyfile)
        assert records in (fx.records, fx.records + batch), n
        seen.add(len(records))
        # The next writer carries on from whichever state it finds, and the store verifies clean.
        with Store.open(path, fx.keyfile) as store:
            store._append([Record("note", {"text": "later"})])
            report = store.verify()
        assert report.uncommitted_bytes == 0
        assert read_all(path, fx.keyfile)[-1].fields == {"text": "later"}
    assert seen == {2, 4}


def test_killed_init_processes(tmp_path: Path) -> None:
    pw = secrets.passphrase(PASSPHRASE, "test")
    total = calls_of(lambda: Store.create(tmp_path / "reference", [pw]))
    for n in range(1, total + 2):
        home = tmp_path / f"home{n}"
        done = run_mnemo(
            "init", env={"MNEMO_HOME": str(home), "MNEMO_PASSPHRASE": PASSPHRASE, "MNEMO_TESTONLY_FAULT_AT": str(n)}
        )
        if n <= total:
            assert done.returncode == 137, (n, done.stderr)
        else:
            assert done.returncode == 0, done.stderr
        try:
            assert read_all(home, pw) == []
        except StoreNotFound:
            assert n <= total


APPEND_SCRIPT = """
import sys
from pathlib import Path
from mnemo_cli.crypto import secrets
from mnemo_cli.store.records import Record
from mnemo_cli.store.store import Store
store = Store.open(Path(sys.argv[1]), secrets.keyfile(bytes(range(32)), "k"))
store._append([Record("note", {"text": "from a process"})])
print("committed", flush=True)
"""


def test_killed_append_processes(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "pristine", 1)
    for n in range(1, 9):
        path = tmp_path / f"s{n}"
        shutil.copytree(fx.path, path)
        done = subprocess.run(
            [sys.executable, "-c", APPEND_SCRIPT, str(path)],
            env={**os.environ, "MNEMO_TESTONLY_FAULT_AT": str(n)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        records = read_all(path, fx.keyfile)
        if done.returncode == 137:
            assert done.stdout == ""
            assert len(records) in (1, 2)
        else:
            assert done.returncode == 0 and done.stdout == "committed\n", done.stderr
            assert len(records) == 2  # acknowledged, so it must be there
