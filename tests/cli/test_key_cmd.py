"""`mnemo key list|add|remove` and `mnemo passwd` through real processes."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from mnemo_cli.cli import app
from mnemo_cli.crypto import secrets
from mnemo_cli.errors import AuthenticationError
from mnemo_cli.log import fileops
from mnemo_cli.log.fileops import Fault
from mnemo_cli.store.store import Store
from tests.conftest import cli_kdf, mnemo, needs_switches

OLD = {"MNEMO_PASSPHRASE": "old one"}


@pytest.fixture
def store() -> None:
    assert mnemo("init", env=OLD).returncode == 0


def test_list_needs_no_secret(store: None) -> None:
    done = mnemo("key", "list")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"1: passphrase ({cli_kdf().describe()})\n2: recovery\n"
    slots = json.loads(mnemo("key", "list", "--json").stdout)["slots"]
    assert [s["kind"] for s in slots] == ["passphrase", "recovery"]


def test_add_keyfile_then_remove_the_passphrase(store: None, tmp_path: Path) -> None:
    keyfile = tmp_path / "cron.key"
    done = mnemo("key", "add", "--keyfile", str(keyfile), env=OLD)
    assert (done.returncode, done.stdout) == (0, "added key slot 3: keyfile\n")
    assert keyfile.stat().st_mode & 0o777 == 0o600
    by_key = {"MNEMO_KEYFILE": str(keyfile)}
    assert (
        mnemo("key", "remove", "1", env=by_key).stdout == f"removed key slot 1: passphrase ({cli_kdf().describe()})\n"
    )
    assert mnemo("verify", env=OLD).returncode == 3
    assert mnemo("verify", env=by_key).returncode == 0


def test_add_recovery_prints_it_once(store: None) -> None:
    result = json.loads(mnemo("key", "add", "--recovery", "--json", env=OLD).stdout)
    assert result["kind"] == "recovery" and result["recovery_key"].startswith("mnemo-rk-")
    assert mnemo("verify", env={"MNEMO_PASSPHRASE": result["recovery_key"]}).returncode == 0


def test_passwd(store: None, tmp_path: Path) -> None:
    new_file = tmp_path / "new-pass"
    new_file.write_text("the new one\n")
    done = mnemo("passwd", env={**OLD, "MNEMO_NEW_PASSPHRASE_FILE": str(new_file)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("passphrase changed (now key slot 3: passphrase")
    assert mnemo("verify", env=OLD).returncode == 3
    assert mnemo("verify", env={"MNEMO_PASSPHRASE": "the new one"}).returncode == 0


def test_rekey_full(store: None, tmp_path: Path) -> None:
    assert mnemo("remember", "the boat is moored at pier 4", env=OLD).returncode == 0
    new_file = tmp_path / "new-pass"
    new_file.write_text("after the rekey\n")
    keyfile = tmp_path / "agent.key"
    done = mnemo(
        "rekey", "--full", "--keyfile", str(keyfile), "--json", env={**OLD, "MNEMO_NEW_PASSPHRASE_FILE": str(new_file)}
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["key"], result["records"]) == (2, 1)
    assert [s["kind"] for s in result["slots"]] == ["passphrase", "keyfile", "recovery"]
    assert keyfile.stat().st_mode & 0o777 == 0o600
    gone = mnemo("recall", "boat", env=OLD)
    assert (gone.returncode, gone.stderr) == (
        3,
        "mnemo: error: wrong passphrase (from MNEMO_PASSPHRASE): no key slot opens with it\n",
    )
    for env in (
        {"MNEMO_PASSPHRASE": "after the rekey"},
        {"MNEMO_KEYFILE": str(keyfile)},
        {"MNEMO_PASSPHRASE": result["recovery_key"]},
    ):
        done = mnemo("recall", "where is the boat?", "--format", "jsonl", env=env)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.splitlines()[0])["text"] == "the boat is moored at pier 4"
    assert mnemo("verify", "--deep", env={"MNEMO_KEYFILE": str(keyfile)}).returncode == 0
    listed = mnemo("key", "list").stdout
    assert listed.startswith("3: passphrase") and "1: " not in listed


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (["key", "add"], OLD, 2, "mnemo: error: say which kind to add"),
        (["key", "add", "--passphrase", "--recovery"], OLD, 2, "mnemo: error: say which kind to add"),
        (["key", "remove", "7"], OLD, 2, "mnemo: error: there is no key slot 7"),
        (["key", "remove", "1"], {"MNEMO_PASSPHRASE": "wrong"}, 3, "mnemo: error: wrong passphrase"),
        (["passwd"], OLD, 3, "mnemo: error: no new passphrase given and no terminal to ask on"),
        (["rekey"], OLD, 2, "mnemo: error: rekey needs --full"),
        (["rekey", "--full"], OLD, 3, "mnemo: error: no new passphrase given and no terminal to ask on"),
        (["rekey", "--full", "--no-passphrase"], OLD, 2, "mnemo: error: with --no-passphrase, give --keyfile"),
        (["rekey", "--full"], {"MNEMO_PASSPHRASE": "wrong"}, 3, "mnemo: error: wrong passphrase"),
        (
            ["key", "add", "--passphrase"],
            {**OLD, "MNEMO_NEW_PASSPHRASE": "mnemo-rk-x"},
            2,
            "mnemo: error: a passphrase cannot",
        ),
    ],
)
def test_refusals(store: None, args: list[str], env: dict[str, str], code: int, message: str) -> None:
    done = mnemo(*args, env=env)
    assert done.returncode == code
    assert done.stderr.startswith(message)


def test_the_last_slot_cannot_go(tmp_path: Path) -> None:
    keyfile = tmp_path / "only.key"
    assert mnemo("init", "--keyfile", str(keyfile)).returncode == 0
    by_key = {"MNEMO_KEYFILE": str(keyfile)}
    assert mnemo("key", "remove", "2", env=by_key).returncode == 0  # the recovery slot
    done = mnemo("key", "remove", "1", env=by_key)
    assert done.returncode == 2
    assert done.stderr == "mnemo: error: refusing to remove the last key slot: nothing could open the store\n"


# -- a failed `key add --keyfile` leaves no keyfile that opens nothing (issue 14, item 11) -----------


def opens_with(keyfile: Path) -> bool:
    """Whether the store at MNEMO_HOME opens with the keyfile."""
    try:
        Store.open(None, secrets.keyfile(keyfile.read_bytes(), "test")).close()
    except AuthenticationError:
        return False
    return True


def test_a_failed_key_add_removes_its_keyfile_unless_a_slot_was_written(
    store: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """ENOSPC at each mutating call of `key add --keyfile`, in-process: exit 8, one line; then the
    keyfile exists exactly when a key slot opens with it (the first key-slot copy was renamed into
    place before the failure), and the same command run again succeeds when it does not."""
    for name, value in OLD.items():
        monkeypatch.setenv(name, value)
    home = Path(os.environ["MNEMO_HOME"])
    pristine = tmp_path / "pristine"
    shutil.copytree(home, pristine)
    fileops.inject(None)
    assert app.run(["key", "add", "--keyfile", str(tmp_path / "counted.key")]) == 0
    total = fileops.mutating_calls()
    kept = removed = 0
    for n in range(1, total + 1):
        shutil.rmtree(home)
        shutil.copytree(pristine, home)
        monkeypatch.setenv("MNEMO_STATE_DIR", str(tmp_path / f"state{n}"))  # a copy is no rollback
        keyfile = tmp_path / f"k{n}.key"
        capsys.readouterr()
        fileops.inject(Fault(at=n, action="errno", errno=errno.ENOSPC))
        code = app.run(["key", "add", "--keyfile", str(keyfile)])
        fileops.inject(None)
        err = capsys.readouterr().err
        assert code == 8, f"call {n}/{total}: exit {code}: {err}"
        assert err.startswith("mnemo: error: cannot ") and err.count("\n") == 1, err
        if keyfile.exists():
            assert opens_with(keyfile), f"call {n}: a keyfile that opens nothing was left"
            kept += 1
        else:
            assert len(Store.key_slots()) == 2, f"call {n}: a slot was written but its keyfile deleted"
            assert app.run(["key", "add", "--keyfile", str(keyfile)]) == 0, f"call {n}: the retry failed"
            assert opens_with(keyfile)
            removed += 1
    assert kept and removed, (kept, removed)  # both sides of the rule were reached


@needs_switches
def test_key_add_through_the_fault_switch_then_the_retry(store: None, tmp_path: Path) -> None:
    """The issue's case end to end: the disk fills while the slot is written; the retry works."""
    keyfile = tmp_path / "cron.key"
    # Call 4 is the first after the keyfile's create, write and fsync: the new key-slot copy.
    fault = {
        "MNEMO_TESTONLY_FAULT_AT": "4",
        "MNEMO_TESTONLY_FAULT_ERRNO": str(errno.ENOSPC),
        "MNEMO_TESTONLY_FAULT_ONCE": "1",
    }
    done = mnemo("key", "add", "--keyfile", str(keyfile), env={**OLD, **fault})
    assert done.returncode == 8 and len(done.stderr.splitlines()) == 1, done.stderr
    assert "No space left on device" in done.stderr
    assert not keyfile.exists()
    done = mnemo("key", "add", "--keyfile", str(keyfile), env=OLD)
    assert (done.returncode, done.stdout) == (0, "added key slot 3: keyfile\n"), done.stderr
    assert mnemo("verify", env={"MNEMO_KEYFILE": str(keyfile)}).returncode == 0


def test_key_add_keyfile_below_a_file_is_exit_8(store: None, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    keyfile = tmp_path / "afile" / "cron.key"
    done = mnemo("key", "add", "--keyfile", str(keyfile), env=OLD)
    assert done.returncode == 8
    assert done.stderr == f"mnemo: error: cannot create {keyfile}: {tmp_path / 'afile'} is not a folder\n"
