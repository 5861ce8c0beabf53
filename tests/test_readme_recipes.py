"""The README's recipes, run as written: each block marked `<!-- recipe: NAME -->` is read from
README.md here, so the text and the test cannot drift apart.

Every recipe runs with `HOME` in a temporary folder holding the keyfile the README has you make
(`mnemo init --keyfile ~/.config/mnemo/agent.key`), `mnemo` on `PATH` (the venv's, or the binary
named by MNEMO_BINARY) and, for the prompt recipe, a stand-in `llm` that prints what it was given.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import BINARY, REPO, run_mnemo
from tests.server.mcp_client import serve

pytestmark = pytest.mark.slow

RECIPE = re.compile(r"<!-- recipe: (\S+) -->\n```\w*\n(.*?)```", re.S)
MNEMO = Path(BINARY) if BINARY else REPO / ".venv" / "bin" / "mnemo"
STAND_IN_LLM = '#!/bin/sh\nprintf "llm was asked: %s\\n" "$*"\ncat\n'


def recipes() -> dict[str, str]:
    return dict(RECIPE.findall((REPO / "README.md").read_text(encoding="utf-8")))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME with a bin folder on PATH, a store made by the README's setup line, holding two memories."""
    home = tmp_path / "home"
    bin_dir = home / ".local" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "mnemo").symlink_to(MNEMO)
    (bin_dir / "llm").write_text(STAND_IN_LLM, encoding="utf-8")
    (bin_dir / "llm").chmod(0o755)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["bash", "-c", recipes()["setup"]], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (home / ".config" / "mnemo" / "agent.key").stat().st_size == 32
    keyfile = {"MNEMO_KEYFILE": str(home / ".config" / "mnemo" / "agent.key")}
    lines = [
        {"type": "memory", "id": "1111aaaa" * 4, "text": "Dana prefers email over phone calls",
         "created_at": f"{date.today()}T12:00:00Z", "tags": ["people"], "meta": {}, "source": None},
        {"type": "memory", "id": "2222bbbb" * 4, "text": "one-time code 4711", "created_at": "2020-01-01T00:00:00Z",
         "expires_at": "2020-01-02T00:00:00Z", "tags": [], "meta": {}, "source": None},
    ]  # fmt: skip
    done = run_mnemo("import", "-", env=keyfile, input="".join(json.dumps(line) + "\n" for line in lines))
    assert done.returncode == 0, done.stderr
    return home


def texts() -> list[str]:
    done = run_mnemo("list", "--json", env={"MNEMO_KEYFILE": os.path.expanduser("~/.config/mnemo/agent.key")})
    assert done.returncode == 0, done.stderr
    return [memory["text"] for memory in json.loads(done.stdout)]


def test_every_recipe_is_marked() -> None:
    assert sorted(recipes()) == [
        "backup-script",
        "mcp-config",
        "prompt-pipe",
        "prune-cron",
        "python-agent",
        "setup",
    ]


def test_recall_as_a_prompt_piped_into_an_llm_cli(home: Path) -> None:
    done = subprocess.run(["bash", "-c", recipes()["prompt-pipe"]], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "llm was asked: How should I contact Dana? Answer from the memories above."
    assert lines[1] == "Relevant memories (most relevant first):"
    assert any("Dana prefers email over phone calls" in line for line in lines[2:])


def test_the_prune_cron_line(home: Path) -> None:
    line = recipes()["prune-cron"].strip()
    fields = line.split(None, 5)
    assert fields[:5] == ["17", "3", "*", "*", "*"]
    # cron runs the command with /bin/sh, HOME set and a short PATH
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(["/bin/sh", "-c", fields[5]], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""  # quiet: cron mails nothing
    assert texts() == ["Dana prefers email over phone calls"]  # the expired one is gone


def test_the_backup_script(home: Path, tmp_path: Path) -> None:
    script = tmp_path / "mnemo-backup"
    script.write_text(recipes()["backup-script"], encoding="utf-8")
    script.chmod(0o755)
    dest = tmp_path / "usb" / "mnemo-backup"
    for _ in range(2):  # the second run updates the first backup
        done = subprocess.run([str(script), str(dest)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == f"mnemo-backup: {dest} verified"
    keyfile = str(home / ".config" / "mnemo" / "agent.key")
    listed = run_mnemo("list", "--json", env={"MNEMO_HOME": str(dest), "MNEMO_KEYFILE": keyfile})
    assert "Dana prefers email over phone calls" in listed.stdout


def test_the_mcp_client_configuration(home: Path) -> None:
    config = json.loads(recipes()["mcp-config"])
    server = config["mcpServers"]["mnemo"]
    assert server["command"] == "mnemo" and server["args"] == ["serve"]
    assert Path(server["env"]["MNEMO_KEYFILE"]).is_absolute()
    # Started as the client would start it: the command from PATH, the args and env as written
    # (the keyfile path made this test's).
    env = {**server["env"], "MNEMO_KEYFILE": str(home / ".config" / "mnemo" / "agent.key")}
    env.update({name: os.environ[name] for name in os.environ if name.startswith("MNEMO_") or name == "HOME"})
    assert not [name for name in env if name in ("MNEMO_PASSPHRASE", "MNEMO_PASSPHRASE_FILE")]
    with serve(*server["args"][1:], env=env, command=[str(home / ".local" / "bin" / server["command"])]) as client:
        hits = client.call("recall", query="how to reach Dana", k=1).json
        assert hits[0]["text"] == "Dana prefers email over phone calls"


def test_the_python_agent(home: Path, tmp_path: Path) -> None:
    program = tmp_path / "agent.py"
    program.write_text(recipes()["python-agent"], encoding="utf-8")
    done = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Question: How should I contact Dana?" in done.stdout
    assert "Dana prefers email over phone calls" in done.stdout.split("Relevant memories:")[1]
    assert texts().count("Dana prefers email over phone calls") == 1  # remembered again: a duplicate, not stored
