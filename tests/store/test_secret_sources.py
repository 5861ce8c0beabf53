"""Where secrets come from: environment sources, exclusivity, no terminal, and a real terminal prompt."""

from __future__ import annotations

import os
import stat
import sys
import threading
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import AuthenticationError, UsageError
from mnemo_cli.store import secret_sources
from mnemo_cli.store.keyfiles import create_keyfile


def test_passphrase_variable() -> None:
    secret = secret_sources.unlock_secret({"MNEMO_PASSPHRASE": "hunter2"})
    assert (secret.kind, secret.material, secret.source) == ("passphrase", b"hunter2", "MNEMO_PASSPHRASE")


def test_passphrase_file_loses_one_newline(tmp_path: Path) -> None:
    f = tmp_path / "pw"
    f.write_text("two words\n\n")
    secret = secret_sources.unlock_secret({"MNEMO_PASSPHRASE_FILE": str(f)})
    assert secret.material == b"two words\n"


def test_passphrase_fd() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, "pässword\r\n".encode())
    os.close(write_end)
    secret = secret_sources.unlock_secret({"MNEMO_PASSPHRASE_FD": str(read_end)})
    assert secret.material == "pässword".encode()
    with pytest.raises(OSError):
        os.fstat(read_end)  # consumed and closed


def test_passcommand() -> None:
    command = f"{sys.executable} -c \"print('from a vault')\""
    assert secret_sources.unlock_secret({"MNEMO_PASSCOMMAND": command}).material == b"from a vault"
    failing = f"{sys.executable} -c 'raise SystemExit(3)'"
    with pytest.raises(AuthenticationError, match="exited with status 3"):
        secret_sources.unlock_secret({"MNEMO_PASSCOMMAND": failing})
    with pytest.raises(AuthenticationError, match="command not found"):
        secret_sources.unlock_secret({"MNEMO_PASSCOMMAND": "no-such-command-mnemo"})


def test_keyfile(tmp_path: Path) -> None:
    made = create_keyfile(tmp_path / "keys" / "agent.key")
    assert (tmp_path / "keys" / "agent.key").stat().st_mode & 0o777 == 0o600
    read = secret_sources.unlock_secret({"MNEMO_KEYFILE": str(tmp_path / "keys" / "agent.key")})
    assert read.kind == "keyfile" and read.material == made.material
    with pytest.raises(UsageError, match="never overwrites"):
        create_keyfile(tmp_path / "keys" / "agent.key")
    (tmp_path / "short").write_bytes(b"abc")
    (tmp_path / "short").chmod(0o600)
    with pytest.raises(AuthenticationError, match="not a mnemo keyfile"):
        secret_sources.unlock_secret({"MNEMO_KEYFILE": str(tmp_path / "short")})
    with pytest.raises(AuthenticationError, match="does not exist"):
        secret_sources.unlock_secret({"MNEMO_KEYFILE": str(tmp_path / "nope")})


def test_recovery_key_through_a_passphrase_source() -> None:
    key = secrets.new_recovery_key()
    secret = secret_sources.unlock_secret({"MNEMO_PASSPHRASE": secrets.format_recovery_key(key)})
    assert (secret.kind, secret.material) == ("recovery", key)


def test_more_than_one_source_is_an_error() -> None:
    with pytest.raises(UsageError, match="MNEMO_KEYFILE, MNEMO_PASSPHRASE; set only one"):
        secret_sources.unlock_secret({"MNEMO_PASSPHRASE": "a", "MNEMO_KEYFILE": "/k"})


def test_no_source_and_no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secret_sources, "_terminal", lambda: False)
    with pytest.raises(AuthenticationError, match="no terminal") as raised:
        secret_sources.unlock_secret({})
    assert raised.value.hint is not None and "MNEMO_KEYFILE" in raised.value.hint
    assert secret_sources.new_passphrase({}) is None


def test_empty_values_count_as_unset_and_empty_passphrases_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(AuthenticationError, match="empty"):
        secret_sources.unlock_secret({"MNEMO_PASSPHRASE_FILE": str(tmp_path / "empty"), "MNEMO_PASSPHRASE": ""})


def test_new_passphrase_takes_passphrase_sources_only() -> None:
    assert secret_sources.new_passphrase({"MNEMO_PASSPHRASE": "new one"}).material == b"new one"
    assert secret_sources.new_passphrase({"MNEMO_KEYFILE": "/k"}, ask=False) is None
    with pytest.raises(UsageError, match="recovery key"):
        secret_sources.new_passphrase({"MNEMO_PASSPHRASE": secrets.format_recovery_key(bytes(32))})


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o644, 0o660], ids=lambda mode: f"{mode:04o}")
def test_a_keyfile_others_can_reach_is_refused(tmp_path: Path, mode: int) -> None:
    made = create_keyfile(tmp_path / "agent.key")
    (tmp_path / "agent.key").chmod(mode)
    with pytest.raises(AuthenticationError, match=f"accessible by others \\(mode {mode:04o}\\)") as raised:
        secret_sources.unlock_secret({"MNEMO_KEYFILE": str(tmp_path / "agent.key")})
    assert raised.value.hint is not None and "chmod 600" in raised.value.hint
    (tmp_path / "agent.key").chmod(0o400)  # read-only for its owner is private too
    assert secret_sources.unlock_secret({"MNEMO_KEYFILE": str(tmp_path / "agent.key")}).material == made.material


def test_a_fifo_as_keyfile_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "agent.key"
    os.mkfifo(fifo, 0o600)
    outcome: list[BaseException] = []

    def read() -> None:  # no writer ever opens the FIFO: a blocking open would never return
        try:
            secret_sources.unlock_secret({"MNEMO_KEYFILE": str(fifo)})
        except BaseException as e:
            outcome.append(e)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "reading a FIFO keyfile hung"
    [error] = outcome
    assert isinstance(error, AuthenticationError) and str(error) == f"keyfile {fifo} is not a regular file"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_fifo_is_fine_for_a_passphrase_file(tmp_path: Path) -> None:
    """`MNEMO_PASSPHRASE_FILE=<(pass show mnemo)`: the passphrase arrives through a pipe."""
    fifo = tmp_path / "pass"
    os.mkfifo(fifo, 0o600)

    def write() -> None:
        with open(fifo, "w") as f:
            f.write("from a password manager\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    secret = secret_sources.unlock_secret({"MNEMO_PASSPHRASE_FILE": str(fifo)})
    writer.join(10)
    assert (secret.kind, secret.material) == ("passphrase", b"from a password manager")
