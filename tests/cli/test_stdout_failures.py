"""Writing stdout fails: a full device is exit 8 with one line; a reader that went away is a quiet success.

Every command that prints data runs twice as a real process on its own copy of one store: once with
stdout on `/dev/full` (every write fails with ENOSPC), once on a pipe whose reader has already closed
it (every write fails with EPIPE, as after `| head -1`). The store holds memories long enough that
`export`, `list` and `show` overflow the stream's buffer and fail while the command runs, not only
when stdout is flushed at the end. A closed pipe leaves the exit code what it would have been.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cli.conftest import DANA, DANA_LINE, LINK_LINE, PHYSICIAN, PHYSICIAN_LINE, QUOKKA, QUOKKA_LINE, import_text
from tests.conftest import BINARY, run_mnemo

pytestmark = pytest.mark.slow

PW = "stdout test passphrase"
COMMAND = [BINARY] if BINARY else [sys.executable, "-m", "mnemo_cli"]
FULL = "mnemo: error: cannot write to standard output: No space left on device"
#: Five memories of 20 kB each: more than a pipe holds (64 kB) and than Python buffers (8 kB).
LONG = [
    {
        "type": "memory",
        "id": f"{i:x}" * 32,
        "text": f"long memory {i}: " + " ".join(f"word{j}" for j in range(2500)),
        "created_at": f"2024-0{i}-01T00:00:00Z",
        "tags": ["long"],
        "meta": {},
        "source": None,
    }
    for i in range(5, 10)
]


@dataclass
class Case:
    args: list[str]
    input: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    empty_home: bool = False  # `init`: no store yet
    code: int = 0  # its exit code when stdout works


CASES = {
    "version": Case(["--version"]),
    "help": Case(["--help"]),
    "command-help": Case(["list", "--help"]),
    "init": Case(["init"], empty_home=True),
    "remember": Case(["remember", "a memory written while stdout fails"]),
    "recall": Case(["recall", "quokka", "--mode", "lexical"]),
    "recall-json": Case(["recall", "memory", "--mode", "lexical", "--json", "-k", "10"]),
    "recall-prompt": Case(["recall", "quokka", "--mode", "lexical", "--format", "prompt"]),
    "update": Case(["update", DANA[:8], "--tag", "changed"]),
    "link": Case(["link", PHYSICIAN[:8], QUOKKA[:8], "--rel", "see-also"]),
    "show": Case(["show", LONG[0]["id"][:8]]),
    "show-json": Case(["show", LONG[0]["id"][:8], "--json"]),
    "show-history": Case(["show", DANA[:8], "--history"]),
    "list": Case(["list"]),
    "list-json": Case(["list", "--json"]),
    "list-jsonl": Case(["list", "--format", "jsonl"]),
    "export": Case(["export"]),
    "export-json": Case(["export", "--format", "json"]),
    "export-markdown": Case(["export", "--format", "markdown"]),
    "import": Case(["import", "-"], input=json.dumps({"text": "imported while stdout fails"}) + "\n"),
    "forget": Case(["forget", PHYSICIAN[:8]]),
    "forget-dry-run": Case(["forget", "--tag", "long", "--dry-run"]),
    "prune-dry-run": Case(["prune", "--older-than", "1d", "--dry-run"]),
    "compact": Case(["compact"]),
    "backup": Case(["backup", "{tmp}/backup"]),
    "key-list": Case(["key", "list"]),
    "key-add": Case(["key", "add", "--recovery"]),
    "key-remove": Case(["key", "remove", "2"]),
    "passwd": Case(["passwd"], env={"MNEMO_NEW_PASSPHRASE": "the next passphrase"}),
    "rekey": Case(["rekey", "--full", "--no-passphrase", "--no-recovery", "--keyfile", "{tmp}/new.key"]),
    "reindex": Case(["reindex", "--model", "embedded"]),
    "stats": Case(["stats"]),
    "verify": Case(["verify", "--json"]),
    "doctor": Case(["doctor"]),
    # Prints, then fails (none runs): a closed pipe must not turn that into success.
    "agent-status": Case(["agent", "status", "--json"], code=9),
}


@pytest.fixture
def fresh(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A function giving each run its own copy of the seeded store (or an empty home) and folder."""
    if not template.exists():
        work = template.with_name("work")
        shutil.rmtree(work, ignore_errors=True)
        env = {"MNEMO_HOME": str(work), "MNEMO_PASSPHRASE": PW}
        assert run_mnemo("init", env=env).returncode == 0
        lines = [PHYSICIAN_LINE, DANA_LINE, QUOKKA_LINE, LINK_LINE, *LONG]
        done = run_mnemo("import", "-", env=env, input=import_text(lines))
        assert done.returncode == 0, done.stderr
        work.rename(template)
    monkeypatch.setenv("MNEMO_PASSPHRASE", PW)
    runs = iter(range(100))

    def make(case: Case) -> tuple[list[str], dict[str, str]]:
        folder = tmp_path / f"run{next(runs)}"
        folder.mkdir()
        home = folder / "store"
        if not case.empty_home:
            shutil.copytree(template, home)
        args = [arg.replace("{tmp}", str(folder)) for arg in case.args]
        return args, {**os.environ, "MNEMO_HOME": str(home), **case.env}

    return make


def run_to(stdout: int, args: list[str], env: dict[str, str], input: str | None) -> tuple[int, str]:
    # Buffered as users run it: the one-file binary ignores PYTHONUNBUFFERED, and with it a venv
    # would fail a small write at once instead of at the flush (see the full-device test).
    env = {name: value for name, value in env.items() if name != "PYTHONUNBUFFERED"}
    process = subprocess.Popen(
        [*COMMAND, *args], stdin=subprocess.PIPE, stdout=stdout, stderr=subprocess.PIPE, env=env, text=True
    )
    _out, err = process.communicate(input or "", timeout=120)
    return process.returncode, err


def problems(stderr: str) -> list[str]:
    """Lines of stderr that are neither the command's warnings nor its usual messages."""
    return [line for line in stderr.splitlines() if not line.startswith("mnemo: warning:")]


@pytest.mark.parametrize("name", CASES)
def test_a_full_device_is_exit_8_with_one_line(name: str, fresh) -> None:  # type: ignore[no-untyped-def]
    case = CASES[name]
    args, env = fresh(case)
    with open("/dev/full", "w") as full:
        code, err = run_to(full.fileno(), args, env, case.input)
    if case.code:  # it prints, then fails: its own failure is the one reported, not the lost output
        assert code == case.code and FULL not in problems(err), err
        return
    assert (code, problems(err)) == (8, [FULL]), err


@pytest.mark.parametrize("name", CASES)
def test_a_closed_pipe_is_a_quiet_success(name: str, fresh) -> None:  # type: ignore[no-untyped-def]
    case = CASES[name]
    args, env = fresh(case)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte is written
    try:
        code, err = run_to(write_end, args, env, case.input)
    finally:
        os.close(write_end)
    if case.code:
        assert code == case.code, err
    else:
        assert (code, problems(err)) == (0, []), err
    assert "Traceback" not in err and "Exception ignored" not in err and "mnemo: error: cannot write" not in err


@pytest.mark.parametrize("args", [["export"], ["list", "--json"], ["show", LONG[0]["id"][:8]]])
def test_a_reader_that_stops_after_one_line(args: list[str], fresh) -> None:  # type: ignore[no-untyped-def]
    """`mnemo export | head -1`: the reader takes one line and closes while mnemo is still writing."""
    run_args, env = fresh(Case(args))
    process = subprocess.Popen([*COMMAND, *run_args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, err
    assert first.strip() and problems(err) == [], err
