"""`mnemo agent` through real processes: start, status, stop, idle exit, a killed agent's stale
socket, and recall and remember through the agent giving the bytes they give without it.

Commands sent to the agent run without MNEMO_PASSPHRASE: had one run by itself, it would have
failed for want of a secret. The same commands run by themselves get `MNEMO_NO_AGENT=1`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import (
    DANA_LINE,
    LINK_LINE,
    PHYSICIAN_LINE,
    QUOKKA_LINE,
    imported,
    new_store,
)
from tests.conftest import BINARY, mnemo, run_mnemo

pytestmark = pytest.mark.slow

PW = "agent test passphrase"
LINES = [PHYSICIAN_LINE, DANA_LINE, QUOKKA_LINE, LINK_LINE]
LISTENING = re.compile(r"^agent listening on (\S+) \(pid (\d+), idle timeout (\S+)\)\n$")


@pytest.fixture(autouse=True)
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private, short XDG_RUNTIME_DIR; every agent a test started is killed at its end."""
    folder = Path(tempfile.mkdtemp(prefix="mx", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    for pid in STARTED:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    STARTED.clear()
    shutil.rmtree(folder, ignore_errors=True)


STARTED: list[int] = []


@pytest.fixture
def corpus(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return imported(template, PW, monkeypatch, LINES)


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting for a parent that does not reap (the agent is detached)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def start(*args: str, env: dict[str, str] | None = None) -> tuple[int, Path]:
    done = run_mnemo("agent", "start", *args, env=env)  # the agent is a real process: so is what starts it
    assert done.returncode == 0, done.stderr
    match = LISTENING.match(done.stdout)
    assert match, done.stdout
    pid = int(match[2])
    STARTED.append(pid)
    return pid, Path(match[1])


@pytest.fixture
def agent(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """An agent for the corpus store, and no passphrase in the environment from now on."""
    pid, _socket = start("--idle-timeout", "5m")
    monkeypatch.delenv("MNEMO_PASSPHRASE")
    yield pid
    mnemo("agent", "stop")


def alone(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return mnemo(*args, input=input, env={"MNEMO_NO_AGENT": "1", "MNEMO_PASSPHRASE": PW})


def test_start_status_stop(corpus: Path, runtime: Path) -> None:
    pid, socket_path = start("--idle-timeout", "10m")
    assert socket_path.parent == runtime / "mnemo" and socket_path.is_socket()
    assert oct(socket_path.stat().st_mode & 0o777) == "0o600"
    assert oct(socket_path.parent.stat().st_mode & 0o777) == "0o700"
    assert alive(pid)

    status = mnemo("agent", "status", "--json")
    assert status.returncode == 0, status.stderr
    info = json.loads(status.stdout)
    assert info["schema_version"] == 1 and info["running"] is True
    assert info["pid"] == pid and info["socket"] == str(socket_path) and info["idle_timeout"] == 600
    assert info["store"] == str(corpus.resolve()) and info["model"] in ("loading", "loaded")
    assert wait_for(lambda: json.loads(mnemo("agent", "status", "--json").stdout)["model"] == "loaded", 120)
    text = mnemo("agent", "status").stdout.splitlines()
    assert text[0].startswith(f"agent running for {corpus.resolve()} (pid {pid}, since ")
    assert text[1:] == [
        f"socket: {socket_path}",
        text[2],
        "model: loaded (all-MiniLM-L6-v2-onnx-int8)",
    ]
    assert re.fullmatch(r"idle timeout: 10m \(idle for \d+s\)", text[2])

    again = mnemo("agent", "start")  # already running: left as it is
    assert again.returncode == 0 and again.stdout == f"agent already running on {socket_path} (pid {pid})\n"

    stopped = mnemo("agent", "stop")
    assert stopped.returncode == 0 and stopped.stdout == f"stopped the agent (pid {pid})\n"
    assert not socket_path.exists()
    assert wait_for(lambda: not alive(pid))


def environ(pid: int) -> bytes:
    with open(f"/proc/{pid}/environ", "rb") as f:
        return f.read()


def test_the_agent_keeps_no_secret_in_its_environment(corpus: Path, tmp_path: Path) -> None:
    """Whatever the agent was started with stays out of /proc/PID/environ while it runs."""
    secrets = {"MNEMO_PASSPHRASE": PW, "MNEMO_NEW_PASSPHRASE": "a second secret passphrase"}
    pid, _socket = start(env=secrets)
    shown = environ(pid)
    assert b"MNEMO_HOME=" in shown  # the file is readable, and the rest is still there
    for name, value in secrets.items():
        assert name.encode() + b"=" not in shown and value.encode() not in shown, name
    assert mnemo("agent", "stop").returncode == 0

    # A keyfile's path goes too.
    keyfile = tmp_path / "agent.key"
    assert mnemo("key", "add", "--keyfile", str(keyfile)).returncode == 0
    pid, _socket = start(env={"MNEMO_PASSPHRASE": "", "MNEMO_KEYFILE": str(keyfile)})
    assert b"MNEMO_KEYFILE" not in environ(pid) and str(keyfile).encode() not in environ(pid)
    assert mnemo("agent", "stop").returncode == 0


def test_status_and_stop_with_no_agent_exit_9(corpus: Path, runtime: Path) -> None:
    status = mnemo("agent", "status", "--json")
    assert status.returncode == 9
    assert json.loads(status.stdout) == {
        "schema_version": 1,
        "running": False,
        "state": "stopped",
        "store": str(corpus.resolve()),
        "socket": json.loads(status.stdout)["socket"],
    }
    assert status.stderr == (
        f"mnemo: error: no agent is running for {corpus.resolve()}\nmnemo: hint: start one with `mnemo agent start`\n"
    )
    stop = mnemo("agent", "stop")
    assert (stop.returncode, stop.stdout, stop.stderr) == (9, "", status.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["quokka", "--json"],
        ["how should I contact Dana?", "--format", "prompt"],
        ["how should I contact Dana?"],
        ["quokka", "--mode", "lexical", "--expand", "1", "--format", "jsonl"],
        ["quokka", "--expand", "1", "-k", "1"],
        ["2025", "--mode", "vector", "--tag", "work", "--since", "2025-05-01"],
        ["nothing matches this", "--mode", "lexical", "--json"],
        ["   "],  # errors: the same line and exit code
        ["quokka", "--mode", "fuzzy"],
        ["quokka", "--until", "yesterday-ish"],
        ["quokka", "--min-score", "nan"],  # JSON cannot carry it: runs by itself, then fails there
    ],
    ids=["json", "prompt", "text", "jsonl-expand", "text-expand", "filters", "none", "empty", "mode", "until", "nan"],
)
def test_recall_through_the_agent_gives_the_same_bytes(agent: int, args: list[str]) -> None:
    through = mnemo("recall", *args)
    by_itself = alone("recall", *args)
    if args[-1] == "nan":  # not sent: no secret to run it alone with
        assert through.returncode == 3
        return
    assert (through.returncode, through.stdout, through.stderr) == (
        by_itself.returncode,
        by_itself.stdout,
        by_itself.stderr,
    )
    assert through.stdout or through.stderr


def test_remember_through_the_agent_is_stored_once_and_seen_by_itself(agent: int) -> None:
    done = mnemo("remember", "Booked the flight to Lisbon", "--tag", "travel", "--meta", "seat=12A")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and re.fullmatch(r"[0-9a-f]{32}\n", done.stdout)
    memory_id = done.stdout.strip()

    listed = json.loads(alone("list", "--json").stdout)
    assert [m["id"] for m in listed if m["text"] == "Booked the flight to Lisbon"] == [memory_id]
    assert json.loads(alone("recall", "Lisbon flight", "-k", "1", "--json").stdout)[0]["id"] == memory_id

    # The same text again: nothing stored, a warning, the stored id; byte for byte as by itself.
    for args in (["remember", "Booked the flight to Lisbon"], ["remember", "-", "--json"]):
        text = "Booked the flight to Lisbon\n"
        through, by_itself = mnemo(*args, input=text), alone(*args, input=text)
        assert (through.returncode, through.stdout, through.stderr) == (0, by_itself.stdout, by_itself.stderr)
        assert through.stderr.startswith(f"mnemo: warning: already remembered as {memory_id}")
    assert len(json.loads(alone("list", "--json").stdout)) == 4

    # Errors the store finds come back as the same line and code.
    for args in (["remember", "x", "--supersedes", "ffff"], ["remember", "x", "--supersedes", "22"]):
        through, by_itself = mnemo(*args), alone(*args)
        assert (through.returncode, through.stdout, through.stderr) == (
            by_itself.returncode,
            by_itself.stdout,
            by_itself.stderr,
        )
        assert through.returncode in (2, 7)


def test_sessions_and_context_go_through_the_agent(agent: int) -> None:
    turns = ["Maya: I want a new hobby", "Sam: the pottery class is on Thursday", "Maya: I signed up"]
    for turn in turns:
        done = mnemo("remember", "--session", "chat-7", "--created-at", "2025-04-01T10:00:00Z", turn)
        assert done.returncode == 0 and done.stderr == "", done.stderr  # no secret: it went through the agent
    listed = json.loads(alone("list", "--session", "chat-7", "--json").stdout)
    assert sorted(m["text"] for m in listed) == sorted(turns)
    for args in (
        ["pottery Thursday", "-k", "1", "-C", "1", "--json"],
        ["pottery Thursday", "-k", "1", "--context", "1"],
        ["pottery Thursday", "-k", "1", "-C", "1", "--format", "prompt"],
        ["pottery", "--session", "chat-7", "--mode", "lexical", "--json"],
    ):
        through, by_itself = mnemo("recall", *args), alone("recall", *args)
        assert through.returncode == 0, through.stderr
        assert (through.stdout, through.stderr) == (by_itself.stdout, by_itself.stderr)
    hits = json.loads(mnemo("recall", "pottery Thursday", "-k", "1", "-C", "1", "--json").stdout)
    assert [h["text"] for h in hits] == turns and hits[0]["score"] is None


def test_a_write_by_itself_is_seen_through_the_agent(agent: int) -> None:
    done = alone("remember", "The zebra crossing near the office was repainted")
    assert done.returncode == 0, done.stderr
    hits = json.loads(mnemo("recall", "zebra crossing", "--mode", "lexical", "--json").stdout)
    assert [hit["id"] for hit in hits] == [done.stdout.strip()]


def test_no_agent_env_turns_it_off(agent: int) -> None:
    done = mnemo("recall", "quokka", env={"MNEMO_NO_AGENT": "1"})
    assert done.returncode == 3 and "no secret given" in done.stderr


def test_after_passwd_status_and_commands_say_the_unlock_is_no_longer_valid(agent: int) -> None:
    """`mnemo passwd` replaces the slot the agent was unlocked with: status tells (exit 3, state
    "revoked"), and the next command says why it cannot go on instead of "no secret given"."""
    changed = mnemo("passwd", env={"MNEMO_PASSPHRASE": PW, "MNEMO_NEW_PASSPHRASE": "the new passphrase"})
    assert changed.returncode == 0, changed.stderr
    why = "the secret this store was unlocked with no longer opens it"

    status = mnemo("agent", "status", "--json")
    assert status.returncode == 3, status.stderr
    info = json.loads(status.stdout)
    assert (info["running"], info["state"], info["pid"], info["unlock_error"]) == (True, "revoked", agent, why)
    assert status.stderr == (
        f"mnemo: error: the agent is running, but its unlock is no longer valid ({why})\n"
        "mnemo: hint: run `mnemo agent stop`, then `mnemo agent start` with the current secret\n"
    )
    text = mnemo("agent", "status")
    assert text.returncode == 3 and text.stdout.splitlines()[-1] == f"unlock: no longer valid ({why})"

    recall = mnemo("recall", "quokka")  # no secret in the environment: the agent was the way in
    assert (recall.returncode, recall.stdout) == (3, "")
    assert recall.stderr.splitlines()[0] == (
        f"mnemo: error: the store's agent stopped: its unlock is no longer valid ({why})"
    )
    assert "no secret given" not in recall.stderr
    assert wait_for(lambda: not alive(agent))  # the revoked agent stopped itself
    assert mnemo("agent", "status").returncode == 9


def test_a_command_with_a_secret_runs_by_itself_past_a_revoked_agent(agent: int) -> None:
    new = {"MNEMO_PASSPHRASE": "the new passphrase"}
    assert (
        mnemo("passwd", env={"MNEMO_PASSPHRASE": PW, "MNEMO_NEW_PASSPHRASE": new["MNEMO_PASSPHRASE"]}).returncode == 0
    )
    done = mnemo("remember", "kept by the command itself", env=new)
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "mnemo: warning: the store's agent stopped: its unlock is no longer valid (the secret this store was "
        "unlocked with no longer opens it); running without it\n"
    )
    listed = mnemo("list", "--json", env={**new, "MNEMO_NO_AGENT": "1"})
    assert "kept by the command itself" in listed.stdout


def test_an_idle_agent_exits_and_removes_its_socket(corpus: Path) -> None:
    pid, socket_path = start("--idle-timeout", "1s")
    assert wait_for(lambda: not socket_path.exists())
    assert wait_for(lambda: not alive(pid))
    assert mnemo("agent", "status").returncode == 9


def test_a_killed_agent_leaves_a_stale_socket_that_is_ignored_and_replaced(corpus: Path) -> None:
    pid, socket_path = start()
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not alive(pid))
    assert socket_path.is_socket()  # left behind
    through = mnemo("recall", "quokka", "--json")  # runs by itself (MNEMO_PASSPHRASE is set)
    assert through.returncode == 0 and through.stderr == ""
    assert through.stdout == alone("recall", "quokka", "--json").stdout
    assert mnemo("agent", "status").returncode == 9
    new_pid, new_socket = start()
    assert new_pid != pid and new_socket == socket_path
    assert json.loads(mnemo("agent", "status", "--json").stdout)["pid"] == new_pid


def test_an_agent_does_not_answer_for_the_store_that_replaced_its_own(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    start()
    corpus.rename(tmp_path / "old")
    new_store(PW, monkeypatch)  # another store, same path, same passphrase
    assert alone("remember", "only in the new store").returncode == 0
    through = mnemo("recall", "store", "--json", "--mode", "lexical")
    assert through.returncode == 0, through.stderr
    assert [hit["text"] for hit in json.loads(through.stdout)] == ["only in the new store"]


def test_start_refuses_a_wrong_secret_and_a_missing_store(corpus: Path, runtime: Path) -> None:
    wrong = mnemo("agent", "start", env={"MNEMO_PASSPHRASE": "not it"})
    assert wrong.returncode == 3 and wrong.stdout == ""
    assert not list(runtime.glob("mnemo/*.sock"))
    missing = mnemo("agent", "start", env={"MNEMO_HOME": str(corpus.parent / "nowhere")})
    assert missing.returncode == 4


@pytest.mark.parametrize("value", ["10", "0s", "soon"])
def test_a_bad_idle_timeout_is_a_usage_error(corpus: Path, value: str) -> None:
    done = mnemo("agent", "start", "--idle-timeout", value)
    assert done.returncode == 2 and "--idle-timeout" in done.stderr


def test_foreground_serves_until_sigterm(corpus: Path) -> None:
    command = [BINARY] if BINARY else [sys.executable, "-m", "mnemo_cli"]
    proc = subprocess.Popen(
        [*command, "agent", "start", "--foreground", "--idle-timeout", "1m"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        match = LISTENING.match(proc.stdout.readline())
        assert match
        if not BINARY:  # the binary's bootloader runs Python as a child process
            assert int(match[2]) == proc.pid
        assert json.loads(mnemo("agent", "status", "--json").stdout)["pid"] == int(match[2])
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert not Path(match[1]).exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
