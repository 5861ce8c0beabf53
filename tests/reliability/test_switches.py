"""Item 11 · test switches: refused by a real install; weak slots always shown.

- Without the test tree's switchboard module on its path (an installed mnemo), every
  `MNEMO_TESTONLY_*` variable is ignored with one warning: `init` and `passwd` under
  `MNEMO_TESTONLY_WEAKEN_KDF=1` write slots of the default cost, and `MNEMO_TESTONLY_FAULT_AT`
  (with or without `_ERRNO`) neither kills nor fails a command. With the switchboard (the test
  suite), the same variables still work: the control that shows the cases above could fail.
- A frozen mnemo (the one-file binary, `sys.frozen`) ignores them even with the switchboard on its
  path (here in process; `tests/test_binary.py` runs the real binary under `make smoke`).
- A passphrase slot weaker than the default is named, with its fix (`mnemo passwd`), by `key
  list` (and `"weak": true` in its JSON), `verify` (text and JSON notes) and `doctor` (JSON
  notes); after `mnemo passwd` in a real install, no warning is left.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import pytest

from mnemo_cli.crypto.kdf import DEFAULT, TESTONLY
from tests.conftest import BINARY, run_mnemo

ROW = "11 · test switches: refused by a real install; weak slots always shown"
PW = "switches test passphrase"
#: An installed mnemo: no switchboard module anywhere on its path (and none of the suite's
#: switches set, unless a test sets one: an empty value is no value).
INSTALLED = {"PYTHONPATH": "", "MNEMO_TESTONLY_WEAKEN_KDF": "", "MNEMO_PASSPHRASE": PW}
pytestmark = pytest.mark.skipif(bool(BINARY), reason="the binary's own check is in tests/test_binary.py")


def ignored(name: str) -> str:
    return f"mnemo: warning: {name} is ignored: test switches work only inside mnemo's test suite\n"


def kdf_of(slot: dict) -> tuple[int, int, int]:
    kdf = slot["kdf"]
    return kdf["time_cost"], kdf["memory_kib"], kdf["parallelism"]


def passphrase_slots(env: dict[str, str] | None = None) -> list[dict]:
    done = run_mnemo("key", "list", "--json", env=env)
    assert done.returncode == 0, done.stderr
    return [slot for slot in json.loads(done.stdout)["slots"] if slot["kind"] == "passphrase"]


FULL = (DEFAULT.time_cost, DEFAULT.memory_kib, DEFAULT.parallelism)
WEAK = (TESTONLY.time_cost, TESTONLY.memory_kib, TESTONLY.parallelism)


@pytest.mark.reliability(ROW)
def test_an_installed_mnemo_ignores_the_kdf_switch(tally: Callable[[int], None]) -> None:
    switch = {"MNEMO_TESTONLY_WEAKEN_KDF": "1"}
    init = run_mnemo("init", env={**INSTALLED, **switch})
    assert init.returncode == 0, init.stderr
    assert init.stderr == ignored("MNEMO_TESTONLY_WEAKEN_KDF")
    [slot] = passphrase_slots()
    assert kdf_of(slot) == FULL and slot["weak"] is False

    passwd = run_mnemo("passwd", env={**INSTALLED, **switch, "MNEMO_NEW_PASSPHRASE": PW + " 2"})
    assert passwd.returncode == 0, passwd.stderr
    assert passwd.stderr == ignored("MNEMO_TESTONLY_WEAKEN_KDF")
    [slot] = passphrase_slots()
    assert kdf_of(slot) == FULL and slot["weak"] is False
    tally(2)


@pytest.mark.reliability(ROW)
@pytest.mark.parametrize(
    "fault",
    [
        {"MNEMO_TESTONLY_FAULT_AT": "1"},
        {"MNEMO_TESTONLY_FAULT_AT": "1", "MNEMO_TESTONLY_FAULT_ERRNO": "28"},
        {"MNEMO_TESTONLY_FAULT_AT": "1", "MNEMO_TESTONLY_FAULT_ERRNO": "5", "MNEMO_TESTONLY_FAULT_ONCE": "1"},
    ],
    ids=["crash", "enospc", "eio-once"],
)
def test_an_installed_mnemo_ignores_the_fault_switches(fault: dict[str, str], tally: Callable[[int], None]) -> None:
    made = run_mnemo("init", env=INSTALLED)
    assert made.returncode == 0, made.stderr
    done = run_mnemo("remember", "the kettle is descaled", "--json", env={**INSTALLED, **fault})
    assert done.returncode == 0, done.stderr
    assert done.stderr == "".join(ignored(name) for name in sorted(fault))
    listed = run_mnemo("list", "--json", env=INSTALLED)
    assert "the kettle is descaled" in listed.stdout
    tally(1)


@pytest.mark.reliability(ROW)
def test_inside_the_test_suite_the_switches_still_work(tally: Callable[[int], None]) -> None:
    """The control: the same variables with the switchboard on the path do what they say."""
    env = {"MNEMO_PASSPHRASE": PW}
    init = run_mnemo("init", env={**env, "MNEMO_TESTONLY_WEAKEN_KDF": "1"})
    assert init.returncode == 0 and "is ignored" not in init.stderr
    [slot] = passphrase_slots()
    assert kdf_of(slot) == WEAK and slot["weak"] is True
    crash = run_mnemo("remember", "never stored", env={**env, "MNEMO_TESTONLY_FAULT_AT": "1"})
    assert crash.returncode == 137
    full = run_mnemo(
        "remember", "disk full", env={**env, "MNEMO_TESTONLY_FAULT_AT": "1", "MNEMO_TESTONLY_FAULT_ERRNO": "28"}
    )
    assert full.returncode == 8
    tally(3)


@pytest.mark.reliability(ROW)
def test_a_frozen_mnemo_is_never_armed(monkeypatch: pytest.MonkeyPatch, tally: Callable[[int], None]) -> None:
    from mnemo_cli import testonly

    monkeypatch.setattr(testonly, "_armed", None)
    assert testonly.armed()  # the switchboard is on this process's path...
    monkeypatch.setattr(testonly, "_armed", None)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert not testonly.armed()  # ...and a frozen mnemo does not look for it
    monkeypatch.setattr(testonly, "_warned", set())
    monkeypatch.setenv("MNEMO_TESTONLY_FAULT_AT", "3")
    assert testonly.get("MNEMO_TESTONLY_FAULT_AT") is None
    assert testonly.get("MNEMO_TESTONLY_WEAKEN_KDF") is None
    assert testonly.active() == {}
    tally(1)


@pytest.mark.reliability(ROW)
def test_a_weak_slot_is_always_shown_with_its_fix(tally: Callable[[int], None]) -> None:
    assert run_mnemo("init", env={"MNEMO_PASSPHRASE": PW}).returncode == 0  # weak: the suite's switch
    fix = "run `mnemo passwd` to replace it with a slot of full cost"
    shown = 0

    listed = run_mnemo("key", "list", env=INSTALLED)
    assert listed.returncode == 0 and fix in listed.stderr and "key slot 1 (passphrase) is weaker" in listed.stderr
    as_json = run_mnemo("key", "list", "--json", env=INSTALLED)
    assert [s.get("weak") for s in json.loads(as_json.stdout)["slots"]] == [True, None] and fix in as_json.stderr
    verify = run_mnemo("verify", env=INSTALLED)
    assert verify.returncode == 0 and fix in verify.stderr
    verify_json = run_mnemo("verify", "--json", env=INSTALLED)
    assert any(fix in note for note in json.loads(verify_json.stdout)["notes"]) and fix in verify_json.stderr
    doctor = run_mnemo("doctor", "--json", env=INSTALLED)
    assert doctor.returncode == 0, doctor.stderr
    assert any(fix in note for note in json.loads(doctor.stdout)["notes"]) and fix in doctor.stderr
    shown += 5

    # The fix, in a real install: a slot of full cost, and no warning anywhere any more.
    passwd = run_mnemo("passwd", env={**INSTALLED, "MNEMO_NEW_PASSPHRASE": PW})
    assert passwd.returncode == 0 and passwd.stderr == ""
    for args in (["key", "list"], ["verify"]):
        done = run_mnemo(*args, env=INSTALLED)
        assert done.returncode == 0 and done.stderr == "", (args, done.stderr)
    assert json.loads(run_mnemo("verify", "--json", env=INSTALLED).stdout)["notes"] == []
    tally(shown + 2)
