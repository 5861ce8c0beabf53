"""`mnemo serve` as a command: it unlocks only from the non-interactive sources and fails at once,
in one line, without one; its tools answer with the very JSON the commands print with `--json`;
and only it pays for importing the MCP SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import (
    DANA,
    DANA_LINE,
    LINK_LINE,
    QUOKKA,
    QUOKKA_LINE,
    imported,
    new_store,
)
from tests.conftest import run_mnemo
from tests.server.mcp_client import serve, server_env

pytestmark = pytest.mark.slow

PW = "serve test passphrase"
LINES = [DANA_LINE, QUOKKA_LINE, LINK_LINE]


@pytest.fixture
def corpus(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return imported(template, PW, monkeypatch, LINES)


def cli_json(*args: str) -> Any:
    done = run_mnemo(*args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_tool_answers_with_the_json_of_its_command(corpus: Path) -> None:
    with serve() as server:
        for query, options, flags in (
            ("zoo animals", {}, []),
            ("email", {"mode": "lexical", "k": 1}, ["--mode", "lexical", "-k", "1"]),
            ("dana", {"expand": 1, "tags": ["people"]}, ["--expand", "1", "--tag", "people"]),
        ):
            assert server.call("recall", query=query, **options).json == cli_json("recall", query, "--json", *flags)
        prompt = run_mnemo("recall", "zoo animals", "--format", "prompt").stdout
        assert server.call("recall", query="zoo animals", format="prompt").text + "\n" == prompt
        assert server.call("show", id=QUOKKA[:6]).json == cli_json("show", QUOKKA[:6], "--json")
        assert server.call("show", id=DANA, history=True).json == cli_json("show", DANA, "--history", "--json")
        assert server.call("list", tags=["people"]).json == cli_json("list", "--tag", "people", "--json")
        assert server.call("list", since="2025-07-01").json == cli_json("list", "--since", "2025-07-01", "--json")
        assert server.call("forget", tags=["travel"], dry_run=True).json == cli_json(
            "forget", "--tag", "travel", "--dry-run", "--json"
        )

        arguments = {"tags": ["a", "b"], "meta": {"k": "v"}, "source": "chat", "created_at": "2025-01-02T03:04:05Z"}
        by_server = server.call("remember", text="Written by the server", ttl="30d", **arguments).json
        by_cli = cli_json(
            "remember", "Written by the cli", "--tag", "a", "--tag", "b", "--meta", "k=v", "--source", "chat",
            "--created-at", "2025-01-02T03:04:05Z", "--ttl", "30d", "--json",
        )  # fmt: skip
        assert by_server.keys() == by_cli.keys()
        assert {**by_server, "id": "", "text": ""} == {**by_cli, "id": "", "text": ""}

        link = server.call("link", source=by_server["id"], target=by_cli["id"], rel="pair").json
        again = cli_json("link", by_server["id"], by_cli["id"], "--rel", "pair", "--json")
        assert link == again  # linking again reports the stored link
        forgotten = server.call("forget", ids=[by_server["id"]]).json
        assert forgotten == {"schema_version": 1, "dry_run": False, "forgotten": [by_server["id"]]}
        assert run_mnemo("show", by_server["id"]).returncode == 7
    assert "serving" in server.stderr_text()


def test_a_keyfile_unlocks_it(tmp_path: Path) -> None:
    keyfile = tmp_path / "agent.key"
    assert run_mnemo("init", "--keyfile", str(keyfile)).returncode == 0
    with serve(env=server_env(MNEMO_KEYFILE=str(keyfile))) as server:
        assert server.call("list").json == []


def test_without_a_secret_source_it_fails_at_once_in_one_line(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNEMO_PASSPHRASE")
    done = run_mnemo("serve", input="", timeout=30)  # never waits for a prompt
    assert done.returncode == 3 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0] == (
        "mnemo: error: mnemo serve needs a secret source: it cannot ask, stdin and stdout carry the protocol"
    )
    assert len(lines) == 2 and lines[1].startswith("mnemo: hint: set one of MNEMO_KEYFILE")


@pytest.mark.parametrize(
    ("env", "code", "message"),
    [
        ({"MNEMO_PASSPHRASE": "not it"}, 3, "mnemo: error: "),
        ({"MNEMO_PASSPHRASE": "", "MNEMO_PASSPHRASE_FD": "0"}, 2, "MNEMO_PASSPHRASE_FD cannot be 0 or 1"),
        ({"MNEMO_PASSPHRASE": PW, "MNEMO_PASSPHRASE_FILE": "/x"}, 2, "more than one secret source"),
    ],
    ids=["wrong-passphrase", "fd-0-is-the-protocol", "two-sources"],
)
def test_unlock_failures_exit_before_serving(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], code: int, message: str
) -> None:
    new_store(PW, monkeypatch)
    done = run_mnemo("serve", env=env, input="", timeout=30)
    assert done.returncode == code, done.stderr
    assert done.stdout == "" and done.stderr.startswith("mnemo: error: ") and message in done.stderr


def test_no_store_is_exit_4() -> None:
    done = run_mnemo("serve", env={"MNEMO_PASSPHRASE": PW}, input="", timeout=30)
    assert done.returncode == 4 and done.stdout == ""


PROBE = """
import json, sys
from mnemo_cli.cli.app import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "mcp": sorted(m for m in sys.modules if m.split(".")[0] in
    ("mcp", "mcp_types", "starlette", "anyio", "uvicorn", "httpx2"))}))
"""


@pytest.mark.parametrize("args", [["--help"], ["serve", "--help"], ["--version"]])
def test_only_serve_itself_imports_the_sdk(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "mcp": []}
    if args == ["--help"]:
        assert "serve" in done.stdout
