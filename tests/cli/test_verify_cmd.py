"""`mnemo verify` through real processes: intact, damaged, wrong secrets, no store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mnemo_cli.store.slot_strength import weak_slot_notes_at
from tests.conftest import mnemo
from tests.helpers import PASSPHRASE, digest_tree, make_store


@pytest.fixture
def store() -> Path:
    return make_store(Path(os.environ["MNEMO_HOME"]), 3).path


def test_intact_store(store: Path) -> None:
    done = mnemo("verify", env={"MNEMO_PASSPHRASE": PASSPHRASE})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"store {store} is intact"
    assert "log: 3 frames" in done.stdout
    report = json.loads(mnemo("verify", "--json", env={"MNEMO_PASSPHRASE": PASSPHRASE}).stdout)
    assert report["ok"] is True and report["frames"] == 3 and report["records"] == {"note": 3}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"MNEMO_PASSPHRASE": "wrong"},
            "mnemo: error: wrong passphrase (from MNEMO_PASSPHRASE): no key slot opens with it",
        ),
        (
            {"MNEMO_PASSPHRASE": "mnemo-rk-" + "A" * 56},
            "mnemo: error: the recovery key is malformed: check it for typos",
        ),
        ({}, "mnemo: error: no secret given and no terminal to ask on"),
    ],
    ids=["passphrase", "recovery", "none"],
)
def test_wrong_or_missing_secret_exit_3_and_touch_nothing(store: Path, env: dict[str, str], message: str) -> None:
    before = digest_tree(store)
    done = mnemo("verify", env=env)
    assert done.returncode == 3
    assert done.stderr.splitlines()[0] == message
    assert digest_tree(store) == before


def test_wrong_keyfile_exit_3(store: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.key"
    wrong.write_bytes(bytes(32))
    wrong.chmod(0o600)
    before = digest_tree(store)
    done = mnemo("verify", env={"MNEMO_KEYFILE": str(wrong)})
    assert done.returncode == 3
    assert done.stderr == f"mnemo: error: the keyfile (from keyfile {wrong}) does not open this store\n"
    assert digest_tree(store) == before


def test_no_store_exit_4_before_asking_for_a_secret(tmp_path: Path) -> None:
    done = mnemo("verify", env={"MNEMO_HOME": str(tmp_path / "none")})
    assert done.returncode == 4
    assert done.stderr.splitlines() == [
        f"mnemo: error: no store at {tmp_path / 'none'}",
        "mnemo: hint: create one with `mnemo init`",
    ]


@pytest.mark.parametrize("target", ["log", "HEAD", "MNEMO"])
def test_corruption_exit_5_naming_the_file(store: Path, target: str) -> None:
    path = next((store / "log").iterdir()) if target == "log" else store / target
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x80
    path.write_bytes(bytes(data))
    done = mnemo("verify", env={"MNEMO_PASSPHRASE": PASSPHRASE})
    assert done.returncode == 5
    lines = done.stderr.splitlines()
    assert path.name in lines[0] and lines[0].startswith("mnemo: error: ")
    if target == "log":  # log damage points to what can still be done
        assert lines[1:] == [
            "mnemo: hint: copy every record that still authenticates with `mnemo salvage DEST`, or restore a backup"
        ]
    else:
        assert len(lines) == 1


def test_damaged_keyslot_copy_is_a_warning(store: Path) -> None:
    path = store / "keyslots.2"
    data = bytearray(path.read_bytes())
    data[60] ^= 1
    path.write_bytes(bytes(data))
    done = mnemo("verify", env={"MNEMO_PASSPHRASE": PASSPHRASE})
    assert done.returncode == 0
    assert "mnemo: warning: keyslots.2 is damaged (checksum mismatch); the other copy is used" in done.stderr


def test_uncommitted_tail_is_a_warning(store: Path) -> None:
    log = next((store / "log").iterdir())
    with open(log, "ab") as f:
        f.write(b"\0" * 100)
    done = mnemo("verify", env={"MNEMO_PASSPHRASE": PASSPHRASE})
    assert done.returncode == 0
    assert "100 bytes after the last commit" in done.stderr


def test_prompt_on_a_terminal(store: Path) -> None:
    from tests.cli.pty_session import run_with_terminal

    code, transcript = run_with_terminal(["verify"], answers=[PASSPHRASE])
    assert code == 0, transcript
    assert "Passphrase for the mnemo store:" in transcript
    assert f"store {store} is intact" in transcript


def test_deep(tmp_path: Path) -> None:
    env = {"MNEMO_HOME": str(tmp_path / "deep"), "MNEMO_PASSPHRASE": PASSPHRASE}
    assert mnemo("init", env=env).returncode == 0
    assert mnemo("remember", "something to index", env=env).returncode == 0
    done = mnemo("verify", "--deep", "--json", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["deep"] is True and report["snapshot"] == "none"


def test_leftovers_are_a_warning_and_stay_until_the_next_write(store: Path) -> None:
    (store / "index").mkdir(exist_ok=True)
    (store / "index" / f"{'ab' * 16}.300.snap.tmp").write_bytes(b"what a killed snapshot write left")
    before = digest_tree(store)
    done = mnemo("verify", "--json", env={"MNEMO_PASSPHRASE": PASSPHRASE})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["leftovers"] == [f"index/{'ab' * 16}.300.snap.tmp"]
    weak = [f"mnemo: warning: {note}" for note in weak_slot_notes_at(store)]  # the suite's KDF, always named
    warning = [line for line in done.stderr.splitlines() if line not in weak]
    assert len(warning) == 1 and "1 file(s) left in the store" in warning[0] and "may hold memory text" in warning[0]
    assert digest_tree(store) == before  # verify never removes anything
