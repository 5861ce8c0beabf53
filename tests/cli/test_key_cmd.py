"""`mnemo key list|add|remove` and `mnemo passwd` through real processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_mnemo

OLD = {"MNEMO_PASSPHRASE": "old one"}


@pytest.fixture
def store() -> None:
    assert run_mnemo("init", env=OLD).returncode == 0


def test_list_needs_no_secret(store: None) -> None:
    done = run_mnemo("key", "list")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1: passphrase (argon2id t=1 m=64 KiB p=1)\n2: recovery\n"
    slots = json.loads(run_mnemo("key", "list", "--json").stdout)["slots"]
    assert [s["kind"] for s in slots] == ["passphrase", "recovery"]


def test_add_keyfile_then_remove_the_passphrase(store: None, tmp_path: Path) -> None:
    keyfile = tmp_path / "cron.key"
    done = run_mnemo("key", "add", "--keyfile", str(keyfile), env=OLD)
    assert (done.returncode, done.stdout) == (0, "added key slot 3: keyfile\n")
    assert keyfile.stat().st_mode & 0o777 == 0o600
    by_key = {"MNEMO_KEYFILE": str(keyfile)}
    assert (
        run_mnemo("key", "remove", "1", env=by_key).stdout
        == "removed key slot 1: passphrase (argon2id t=1 m=64 KiB p=1)\n"
    )
    assert run_mnemo("verify", env=OLD).returncode == 3
    assert run_mnemo("verify", env=by_key).returncode == 0


def test_add_recovery_prints_it_once(store: None) -> None:
    result = json.loads(run_mnemo("key", "add", "--recovery", "--json", env=OLD).stdout)
    assert result["kind"] == "recovery" and result["recovery_key"].startswith("mnemo-rk-")
    assert run_mnemo("verify", env={"MNEMO_PASSPHRASE": result["recovery_key"]}).returncode == 0


def test_passwd(store: None, tmp_path: Path) -> None:
    new_file = tmp_path / "new-pass"
    new_file.write_text("the new one\n")
    done = run_mnemo("passwd", env={**OLD, "MNEMO_NEW_PASSPHRASE_FILE": str(new_file)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("passphrase changed (now key slot 3: passphrase")
    assert run_mnemo("verify", env=OLD).returncode == 3
    assert run_mnemo("verify", env={"MNEMO_PASSPHRASE": "the new one"}).returncode == 0


def test_rekey_full(store: None, tmp_path: Path) -> None:
    assert run_mnemo("remember", "the boat is moored at pier 4", env=OLD).returncode == 0
    new_file = tmp_path / "new-pass"
    new_file.write_text("after the rekey\n")
    keyfile = tmp_path / "agent.key"
    done = run_mnemo(
        "rekey", "--full", "--keyfile", str(keyfile), "--json", env={**OLD, "MNEMO_NEW_PASSPHRASE_FILE": str(new_file)}
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["key"], result["records"]) == (2, 1)
    assert [s["kind"] for s in result["slots"]] == ["passphrase", "keyfile", "recovery"]
    assert keyfile.stat().st_mode & 0o777 == 0o600
    gone = run_mnemo("recall", "boat", env=OLD)
    assert (gone.returncode, gone.stderr) == (
        3,
        "mnemo: error: wrong passphrase (from MNEMO_PASSPHRASE): no key slot opens with it\n",
    )
    for env in (
        {"MNEMO_PASSPHRASE": "after the rekey"},
        {"MNEMO_KEYFILE": str(keyfile)},
        {"MNEMO_PASSPHRASE": result["recovery_key"]},
    ):
        done = run_mnemo("recall", "where is the boat?", "--format", "jsonl", env=env)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.splitlines()[0])["text"] == "the boat is moored at pier 4"
    assert run_mnemo("verify", "--deep", env={"MNEMO_KEYFILE": str(keyfile)}).returncode == 0
    listed = run_mnemo("key", "list").stdout
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
    done = run_mnemo(*args, env=env)
    assert done.returncode == code
    assert done.stderr.startswith(message)


def test_the_last_slot_cannot_go(tmp_path: Path) -> None:
    keyfile = tmp_path / "only.key"
    assert run_mnemo("init", "--keyfile", str(keyfile)).returncode == 0
    by_key = {"MNEMO_KEYFILE": str(keyfile)}
    assert run_mnemo("key", "remove", "2", env=by_key).returncode == 0  # the recovery slot
    done = run_mnemo("key", "remove", "1", env=by_key)
    assert done.returncode == 2
    assert done.stderr == "mnemo: error: refusing to remove the last key slot: nothing could open the store\n"
