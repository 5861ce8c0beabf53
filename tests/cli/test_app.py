"""The command tree as a whole: version, help, usage errors and the one error handler."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnemo_cli import __version__, errors
from mnemo_cli.cli import app as app_module
from mnemo_cli.cli import exit_codes
from mnemo_cli.store import doctor
from tests.conftest import BINARY, mnemo


def test_version() -> None:
    done = mnemo("--version")
    assert done.returncode == 0
    assert done.stdout == f"mnemo {__version__}\n"
    assert done.stderr == ""


def test_help_lists_commands_and_is_plain_text() -> None:
    done = mnemo("--help")
    assert done.returncode == 0
    assert "doctor" in done.stdout
    assert "\x1b[" not in done.stdout  # no ANSI escapes when piped


def test_no_arguments_prints_usage_and_exits_2() -> None:
    done = mnemo()
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("Usage: mnemo")


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["frobnicate"], "mnemo: error: no such command 'frobnicate'", "try 'mnemo --help'"),
        (["doctor", "--frob"], "mnemo: error: no such option: --frob", "try 'mnemo doctor --help'"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: list[str], message: str, hint: str) -> None:
    done = mnemo(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [message, f"mnemo: hint: {hint}"]


#: The numbers scripts depend on, written out: the table in exit_codes.py must keep them (never renumber).
PINNED = {
    errors.UsageError: 2,
    errors.AuthenticationError: 3,
    errors.StoreNotFound: 4,
    errors.StoreExists: 4,
    errors.IntegrityError: 5,
    errors.StoreBusy: 6,
    errors.MemoryNotFound: 7,
    errors.StorageIOError: 8,
    errors.ModelError: 1,
    errors.AgentNotRunning: 9,
    errors.Interrupted: 130,
}


def test_the_table_keeps_the_pinned_numbers() -> None:
    assert dict(exit_codes.EXIT_CODES) == PINNED
    assert (exit_codes.OK, exit_codes.INTERNAL, exit_codes.USAGE, exit_codes.INTERRUPTED) == (0, 1, 2, 130)
    assert sorted(exit_codes.MEANINGS) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 130]


@pytest.mark.parametrize(("kind", "code"), PINNED.items(), ids=lambda v: getattr(v, "__name__", str(v)))
def test_each_error_kind_maps_to_its_exit_code(
    kind: type[errors.MnemoError], code: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def failing() -> None:
        raise kind("something precise went wrong")

    monkeypatch.setattr(doctor, "diagnose", failing)
    assert app_module.run(["doctor"]) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    said = "interrupted" if kind is errors.Interrupted else "error"  # Ctrl-C is not an error of mnemo's
    assert captured.err == f"mnemo: {said}: something precise went wrong\n"


def test_ctrl_c_in_any_command_is_one_line_and_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(doctor, "diagnose", interrupted)
    assert app_module.run(["doctor"]) == 130
    assert capsys.readouterr().err == "mnemo: interrupted\n"


def test_model_integrity_error_is_an_integrity_failure() -> None:
    assert exit_codes.exit_code_for(errors.ModelIntegrityError("x")) == 5
    assert exit_codes.exit_code_for(errors.ModelError("x")) == 1


def test_unexpected_exception_is_exit_1_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(doctor, "diagnose", broken)
    assert app_module.run(["doctor"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "mnemo: error: internal error: RuntimeError: boom",
        "mnemo: hint: run again with --debug for a traceback, and report it",
    ]


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(doctor, "diagnose", broken)
    assert app_module.run(["--debug", "doctor"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().endswith("mnemo: error: internal error: RuntimeError: boom")


def test_hint_is_printed_after_the_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def failing() -> None:
        raise errors.ModelError("model file not found: /x/model.onnx", hint="reinstall mnemo")

    monkeypatch.setattr(doctor, "diagnose", failing)
    assert app_module.run(["doctor"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "mnemo: error: model file not found: /x/model.onnx",
        "mnemo: hint: reinstall mnemo",
    ]


def test_a_running_mnemo_cannot_dump_core() -> None:
    """While it waits for its passphrase (so after start-up), the process's core size limit is 0."""
    assert mnemo("init", env={"MNEMO_PASSPHRASE": "core"}).returncode == 0
    read_end, write_end = os.pipe()
    command = [BINARY] if BINARY else [sys.executable, "-m", "mnemo_cli"]
    process = subprocess.Popen(
        [*command, "list"],
        env={**os.environ, "MNEMO_PASSPHRASE_FD": str(read_end)},
        pass_fds=[read_end],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(read_end)
    try:
        limits = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            # The one-file binary runs mnemo in a child of its bootloader: look at the deepest process.
            pid = process.pid
            while found := _children(pid):
                pid = found[0]
            limits = Path(f"/proc/{pid}/limits").read_text()
            core = next(line for line in limits.splitlines() if line.startswith("Max core file size"))
            if core.split()[4:6] == ["0", "0"]:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"core dumps still allowed:\n{limits}")
    finally:
        os.write(write_end, b"core\n")
        os.close(write_end)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "soon"])
def test_a_lock_wait_that_is_not_a_finite_number_of_seconds_is_a_usage_error(value: str, tmp_path: Path) -> None:
    """`MNEMO_LOCK_WAIT=nan` used to wait for ever on a held lock, and `soon` silently meant 30 s."""
    assert mnemo("init", env={"MNEMO_PASSPHRASE": "pw"}).returncode == 0
    done = mnemo("list", env={"MNEMO_PASSPHRASE": "pw", "MNEMO_LOCK_WAIT": value}, timeout=60)
    assert done.returncode == exit_codes.USAGE, done.stderr
    assert done.stderr == f"mnemo: error: MNEMO_LOCK_WAIT must be a number of seconds, 0 or more, not {value!r}\n"
