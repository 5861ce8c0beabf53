"""`mnemo init` through real processes: every way to give (or not give) a secret, and refusals."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.store.store import Store
from tests.conftest import cli_kdf, mnemo
from tests.helpers import read_all


def home() -> Path:
    return Path(os.environ["MNEMO_HOME"])


def test_init_with_a_passphrase_prints_the_recovery_key_once() -> None:
    done = mnemo("init", env={"MNEMO_PASSPHRASE": "hunter2 hunter2"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"created a mnemo store at {home()}\n")
    (recovery,) = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith("mnemo-rk-")]
    assert read_all(home(), secrets.passphrase(recovery, "test")) == []
    assert read_all(home(), secrets.passphrase("hunter2 hunter2", "test")) == []
    assert f"  1: passphrase ({cli_kdf().describe()})" in done.stdout  # the test-weakened KDF, or the real one


def test_init_json() -> None:
    done = mnemo("init", "--json", env={"MNEMO_PASSPHRASE": "pw"})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["schema_version"] == 1
    assert result["path"] == str(home())
    assert [s["kind"] for s in result["slots"]] == ["passphrase", "recovery"]
    expected = cli_kdf()
    assert result["slots"][0]["kdf"] == {
        "algorithm": "argon2id",
        "time_cost": expected.time_cost,
        "memory_kib": expected.memory_kib,
        "parallelism": expected.parallelism,
    }
    assert Store.open(home(), secrets.passphrase(result["recovery_key"], "t")).store_id.hex() == result["store_id"]


def test_init_refuses_an_existing_store_with_exit_4() -> None:
    assert mnemo("init", env={"MNEMO_PASSPHRASE": "pw"}).returncode == 0
    before = sorted(p.name for p in home().iterdir())
    done = mnemo("init", env={"MNEMO_PASSPHRASE": "other"})
    assert done.returncode == 4
    assert done.stderr == f"mnemo: error: a store already exists at {home()}\n"
    assert sorted(p.name for p in home().iterdir()) == before
    assert read_all(home(), secrets.passphrase("pw", "t")) == []


def test_keyfile_only_init_for_cron_and_agents(tmp_path: Path) -> None:
    keyfile = tmp_path / "agent" / "mnemo.key"
    done = mnemo("init", "--keyfile", str(keyfile), "--json")  # stdin is not a terminal
    assert done.returncode == 0, done.stderr
    assert [s["kind"] for s in json.loads(done.stdout)["slots"]] == ["keyfile", "recovery"]
    assert keyfile.stat().st_mode & 0o777 == 0o600 and keyfile.stat().st_size == 32
    verified = mnemo("verify", env={"MNEMO_KEYFILE": str(keyfile)})
    assert verified.returncode == 0, verified.stderr


def test_existing_keyfile_from_the_environment_and_a_passphrase_need_one_source(tmp_path: Path) -> None:
    keyfile = tmp_path / "k"
    keyfile.write_bytes(os.urandom(32))
    keyfile.chmod(0o600)  # a keyfile others can read is refused
    done = mnemo("init", "--json", env={"MNEMO_KEYFILE": str(keyfile)})
    assert done.returncode == 0, done.stderr
    assert [s["kind"] for s in json.loads(done.stdout)["slots"]] == ["keyfile", "recovery"]


def test_init_refuses_to_overwrite_a_keyfile(tmp_path: Path) -> None:
    keyfile = tmp_path / "k"
    keyfile.write_bytes(b"precious")
    done = mnemo("init", "--keyfile", str(keyfile), env={"MNEMO_PASSPHRASE": "pw"})
    assert done.returncode == 2
    assert done.stderr == f"mnemo: error: {keyfile} already exists; mnemo never overwrites a keyfile\n"
    assert keyfile.read_bytes() == b"precious"
    assert not home().exists()


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        ([], {}, 3, "mnemo: error: no secret for the new store and no terminal to ask on"),
        (["--kdf", "fast"], {"MNEMO_PASSPHRASE": "pw"}, 2, "mnemo: error: unknown KDF profile 'fast'"),
        ([], {"MNEMO_PASSPHRASE": "pw", "MNEMO_PASSPHRASE_FILE": "/x"}, 2, "mnemo: error: more than one secret"),
        ([], {"MNEMO_PASSPHRASE_FD": "nope"}, 2, "mnemo: error: MNEMO_PASSPHRASE_FD must be a file descriptor"),
    ],
    ids=["no-secret", "bad-kdf", "two-sources", "bad-fd"],
)
def test_init_errors_create_nothing(args: list[str], env: dict[str, str], code: int, message: str) -> None:
    done = mnemo("init", *args, env=env)
    assert done.returncode == code
    assert done.stderr.startswith(message)
    assert "Traceback" not in done.stderr
    assert not home().exists()


def test_init_without_the_test_switch_uses_real_argon2_defaults() -> None:
    env = {**os.environ, "MNEMO_PASSPHRASE": "a real one"}
    del env["MNEMO_TESTONLY_WEAKEN_KDF"]
    done = subprocess.run(
        [sys.executable, "-m", "mnemo_cli", "init", "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    kdf = json.loads(done.stdout)["slots"][0]["kdf"]
    assert (kdf["time_cost"], kdf["memory_kib"], kdf["parallelism"]) == (3, 65536, 4)


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_modes_under_any_umask(umask: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mnemo_cli", "init"],
        env={**os.environ, "MNEMO_PASSPHRASE": "pw"},
        capture_output=True,
        preexec_fn=lambda: os.umask(umask),
        timeout=60,
    )
    assert done.returncode == 0
    for path in [home(), *home().rglob("*")]:
        assert path.stat().st_mode & 0o777 == (0o700 if path.is_dir() else 0o600), path


def test_prompts_twice_on_a_terminal(tmp_path: Path) -> None:
    from tests.cli.pty_session import run_with_terminal

    code, transcript = run_with_terminal(["init"], answers=["typed secret", "typed secret"])
    assert code == 0, transcript
    assert "New passphrase for the mnemo store:" in transcript and "Repeat the passphrase:" in transcript
    assert "typed secret" not in transcript  # no echo
    assert read_all(home(), secrets.passphrase("typed secret", "t")) == []


def test_prompt_mismatch_is_refused(tmp_path: Path) -> None:
    from tests.cli.pty_session import run_with_terminal

    code, transcript = run_with_terminal(["init"], answers=["one", "two"])
    assert code == 2
    assert "mnemo: error: the two passphrases differ" in transcript
    assert not home().exists()


# -- a file in the way, and a failed init --keyfile (issue 14, items 11 and 12) -----------------------


@pytest.mark.parametrize("below", ["sub", "sub/deeper/store"])
def test_a_file_in_the_way_of_mnemo_home_is_exit_8_one_line(tmp_path: Path, below: str) -> None:
    afile = tmp_path / "afile"
    afile.write_text("mine\n")
    target = afile / below
    done = mnemo("init", env={"MNEMO_HOME": str(target), "MNEMO_PASSPHRASE": "pw"})
    assert done.returncode == 8
    assert done.stderr == f"mnemo: error: cannot create {target}: {afile} is not a folder\n"
    assert afile.read_text() == "mine\n"


def test_a_file_in_the_way_of_the_keyfile_is_exit_8_and_creates_no_store(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("mine\n")
    keyfile = afile / "keys" / "agent.key"
    done = mnemo("init", "--keyfile", str(keyfile))
    assert done.returncode == 8
    assert done.stderr == f"mnemo: error: cannot create {keyfile}: {afile} is not a folder\n"
    assert not home().exists() and afile.read_text() == "mine\n"


def test_the_keyfile_of_an_init_that_could_not_create_the_store_is_removed(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    keyfile = tmp_path / "agent.key"
    store = tmp_path / "afile" / "store"
    done = mnemo("init", "--keyfile", str(keyfile), env={"MNEMO_HOME": str(store)})
    assert done.returncode == 8, done.stderr
    assert not keyfile.exists()


def test_a_failed_init_keyfile_is_kept_exactly_when_the_store_was_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ENOSPC once at each mutating call of `init --keyfile`, in-process: exit 8, one line; the
    keyfile is left only if the store was created (the failure came after the rename), and then
    it opens it; otherwise the same command run again works."""
    from mnemo_cli.cli import app
    from mnemo_cli.log import fileops
    from mnemo_cli.log.fileops import Fault

    fileops.inject(None)
    assert app.run(["init", "--keyfile", str(tmp_path / "counted.key")]) == 0
    total = fileops.mutating_calls()
    capsys.readouterr()
    outcomes = set()
    for n in range(1, total + 1):
        store, keyfile = tmp_path / f"s{n}", tmp_path / f"k{n}.key"
        os.environ["MNEMO_HOME"] = str(store)  # restored by the autouse clean_env fixture
        fileops.inject(Fault(at=n, action="errno", errno=errno.ENOSPC))
        code = app.run(["init", "--keyfile", str(keyfile)])
        fileops.inject(None)
        err = capsys.readouterr().err
        assert code == 8 and err.startswith("mnemo: error: cannot ") and err.count("\n") == 1, (n, code, err)
        if keyfile.exists():
            with Store.open(store, secrets.keyfile(keyfile.read_bytes(), "test")) as opened:
                assert opened.verify().frames == 0
            outcomes.add("kept")
        else:
            assert not (store / "MNEMO").exists(), f"call {n}: a store whose keyfile was deleted"
            assert app.run(["init", "--keyfile", str(keyfile)]) == 0, f"call {n}: the retry failed"
            outcomes.add("removed")
    assert outcomes == {"kept", "removed"}
