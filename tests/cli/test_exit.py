"""How `mnemo` ends its process: the exit code, everything it printed, the exit handlers, and a
thread still running, whether or not the interpreter's teardown is skipped (cli/app.py `_exit`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import atexit, pathlib, sys, threading, time
marks = pathlib.Path(sys.argv[1])
atexit.register(lambda: (marks / "atexit").write_text("ran"))
if sys.argv[2] == "thread":
    def late():
        time.sleep(0.3)
        (marks / "thread").write_text("done")
    threading.Thread(target=late).start()
sys.argv = ["mnemo", *sys.argv[3:]]
from mnemo_cli.cli.app import main
main()
"""


def run(tmp_path: Path, thread: bool, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", SCRIPT, str(tmp_path), "thread" if thread else "-", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def test_output_code_and_exit_handlers(tmp_path: Path) -> None:
    done = run(tmp_path, False, "--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, "mnemo 0.1.0\n", "")
    assert (tmp_path / "atexit").read_text() == "ran"


def test_a_failure_keeps_its_code_and_message(tmp_path: Path) -> None:
    done = run(tmp_path, False, "no-such-command")
    assert done.returncode == 2
    assert done.stderr.startswith("mnemo: error: no such command 'no-such-command'")
    assert (tmp_path / "atexit").read_text() == "ran"


def test_long_output_into_a_pipe_arrives_whole(tmp_path: Path) -> None:
    done = run(tmp_path, False, "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: mnemo") and "serve" in done.stdout.splitlines()[-1]


def test_a_running_thread_is_waited_for(tmp_path: Path) -> None:
    done = run(tmp_path, True, "--version")
    assert (done.returncode, done.stdout) == (0, "mnemo 0.1.0\n")
    assert (tmp_path / "thread").read_text() == "done"
    assert (tmp_path / "atexit").read_text() == "ran"
