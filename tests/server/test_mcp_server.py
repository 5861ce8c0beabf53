"""`mnemo serve` as a real process driven by the MCP SDK's client: every tool and the resource,
errors as `isError` results that leave the server answering, read-only mode, the handshake before
the model, writes by other processes seen, several servers and CLI writers on one store, and a
server killed mid-write losing nothing it acknowledged."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import DANA, DANA_LINE, QUOKKA, QUOKKA_LINE, import_text
from tests.conftest import mnemo, run_mnemo
from tests.server.mcp_client import Served, serve

pytestmark = pytest.mark.slow

PW = "mcp test passphrase"
LINES = [DANA_LINE, QUOKKA_LINE]


def store_env(base: Path, cache: Path) -> dict[str, str]:
    """A whole mnemo environment for a store under `base` (module fixtures run outside `clean_env`)."""
    return {
        "MNEMO_HOME": str(base / "store"),
        "MNEMO_CACHE_DIR": str(cache),
        "MNEMO_STATE_DIR": str(base / "state"),
        "MNEMO_TESTONLY_WEAKEN_KDF": "1",
        "MNEMO_PASSPHRASE": PW,
        "HF_HUB_OFFLINE": "1",
    }


def new_seeded_store(env: dict[str, str]) -> None:
    for args, stdin in ((["init"], None), (["import", "-"], import_text(LINES))):
        done = mnemo(*args, env=env, input=stdin)
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> dict[str, str]:
    env = store_env(tmp_path_factory.mktemp("mcp"), model_cache)
    new_seeded_store(env)
    return env


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[Served]:
    with serve(env=env) as served:
        yield served


def listed_texts(env: dict[str, str]) -> list[str]:
    done = mnemo("list", "--json", env=env)
    assert done.returncode == 0, done.stderr
    return [memory["text"] for memory in json.loads(done.stdout)]


# -- the tools and the resource ------------------------------------------------------------------


def test_tools_and_resource_are_listed(server: Served) -> None:
    tools = server.tools()
    assert sorted(tools) == ["forget", "link", "list", "recall", "remember", "show"]
    assert tools["recall"].input_schema["required"] == ["query"]
    assert tools["recall"].annotations.read_only_hint is True
    assert tools["forget"].annotations.destructive_hint is True
    assert server.resources() == ["mnemo://memories/recent"]


def test_remember_then_recall_show_link_list_and_forget(server: Served) -> None:
    made = server.call("remember", text="The boat is moored at pier 4", tags=["boat"], meta={"n": 4})
    memory = made.json
    assert memory["schema_version"] == 1 and memory["tags"] == ["boat"] and memory["meta"] == {"n": 4}
    again = server.call("remember", text="The boat is moored at pier 4")
    assert again.json["id"] == memory["id"]
    assert any("already remembered as" in line for line in again.warnings)

    hits = server.call("recall", query="where is the boat moored?", k=2).json
    assert hits[0]["id"] == memory["id"] and "score" in hits[0]
    prompt = server.call("recall", query="where is the boat moored?", k=1, format="prompt").text
    assert prompt.startswith("Relevant memories") and "pier 4" in prompt
    lexical = server.call("recall", query="quokka", mode="lexical").json
    assert [hit["id"] for hit in lexical] == [QUOKKA]

    link = server.call("link", source=memory["id"][:8], target=DANA, rel="see-also").json
    assert (link["src"], link["dst"], link["rel"]) == (memory["id"], DANA, "see-also")
    shown = server.call("show", id=DANA).json
    assert shown["links"]["in"] == [{"id": memory["id"], "rel": "see-also", "created_at": link["created_at"]}]
    assert [v["id"] for v in server.call("show", id=DANA, history=True).json["versions"]] == [DANA]

    listed = server.call("list", tags=["boat"]).json
    assert [m["id"] for m in listed] == [memory["id"]]
    assert json.loads(server.read("mnemo://memories/recent"))[0]["id"] == memory["id"]  # newest first

    dry = server.call("forget", tags=["boat"], dry_run=True).json
    assert dry == {"schema_version": 1, "dry_run": True, "forgotten": [memory["id"]]}
    refused = server.call("forget", tags=["boat"])
    assert refused.is_error and "add --yes" in refused.text
    assert server.call("forget", ids=[memory["id"]]).json["forgotten"] == [memory["id"]]
    assert server.call("list", tags=["boat"]).json == []


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("recall", {}, "recall needs the argument 'query'"),
        ("recall", {"query": "x", "k": "five"}, "recall: k must be a whole number"),
        ("recall", {"query": "x", "colour": "red"}, "recall takes no argument 'colour'"),
        ("recall", {"query": "x", "mode": "psychic"}, "unknown mode 'psychic'"),
        ("recall", {"query": "x", "since": "some tuesday"}, "--since"),
        ("recall", {"query": "   "}, "the query is empty"),
        ("remember", {"text": ""}, "the text is empty"),
        ("remember", {"text": "x", "created_at": "yesterday-ish"}, "--created-at"),
        ("remember", {"text": "x", "tags": "not-a-list"}, "remember: tags must be a list of text"),
        ("show", {"id": "ab"}, "too short"),
        ("show", {"id": "ffffffff"}, "no memory with id ffffffff"),
        ("link", {"source": DANA, "target": "ffffffff"}, "no memory with id ffffffff"),
        ("forget", {}, "say what to forget"),
        ("list", {"limit": 0}, "--limit must be between 1"),
        ("summon", {}, "no such tool 'summon'"),
    ],
)
def test_bad_calls_are_tool_errors_with_the_cli_message(
    server: Served, tool: str, arguments: dict[str, object], message: str
) -> None:
    result = server.call(tool, **arguments)
    assert result.is_error
    first, *rest = result.text.splitlines()
    assert first.startswith("mnemo: error: ") and message in first, result.text
    assert all(line.startswith("mnemo: hint: ") for line in rest)
    assert server.call("show", id=DANA).json["id"] == DANA  # still answering


def test_an_unknown_resource_is_an_error_not_a_crash(server: Served) -> None:
    with pytest.raises(Exception, match="no such resource"):
        server.read("mnemo://memories/everything")
    assert server.call("show", id=QUOKKA).json["id"] == QUOKKA


def test_writes_by_cli_processes_show_in_the_next_call(server: Served, env: dict[str, str]) -> None:
    done = mnemo("remember", "The garden needs water on Sundays", "--tag", "cli", env=env)
    assert done.returncode == 0, done.stderr
    new_id = done.stdout.strip()
    assert [m["id"] for m in server.call("list", tags=["cli"]).json] == [new_id]
    assert server.call("recall", query="when to water the garden", k=1).json[0]["id"] == new_id
    assert mnemo("forget", new_id, env=env).returncode == 0
    assert server.call("list", tags=["cli"]).json == []


# -- read-only, the handshake, several writers, kills -------------------------------------------


def test_read_only_hides_and_refuses_the_writing_tools(env: dict[str, str]) -> None:
    with serve("--read-only", env=env) as server:
        assert sorted(server.tools()) == ["list", "recall", "show"]
        refused = server.call("remember", text="an agent I do not trust")
        assert refused.is_error and "read-only" in refused.text
        assert server.call("forget", ids=[DANA]).is_error
        assert server.call("show", id=DANA).json["id"] == DANA
    assert "an agent I do not trust" not in listed_texts(env)


def test_the_handshake_answers_while_the_model_is_still_loading(env: dict[str, str], tmp_path: Path) -> None:
    gate = tmp_path / "model-may-load"
    with serve(env={**env, "MNEMO_TESTONLY_MODEL_GATE": str(gate)}) as server:
        # initialize has answered; the model cannot have loaded: the gate is still closed.
        assert "recall" in server.tools()
        assert server.call("show", id=DANA).json["id"] == DANA  # needs no model
        assert server.call("recall", query="quokka", mode="lexical").json[0]["id"] == QUOKKA

        answer: dict[str, object] = {}
        waiting = threading.Thread(target=lambda: answer.update(r=server.call("recall", query="zoo animal", k=1)))
        waiting.start()
        waiting.join(1.0)
        assert waiting.is_alive(), "a recall that embeds must wait for the model"
        gate.touch()
        waiting.join(120)
        assert answer["r"].json[0]["id"] == QUOKKA  # type: ignore[attr-defined]


def test_two_servers_and_cli_writers_lose_nothing(tmp_path: Path, model_cache: Path) -> None:
    env = store_env(tmp_path / "shared", model_cache)
    new_seeded_store(env)
    per_writer = 12
    errors: list[str] = []

    def through(server: Served, name: str) -> None:
        for i in range(per_writer):
            result = server.call("remember", text=f"{name} note number {i}", tags=[name])
            if result.is_error:
                errors.append(result.text)

    def through_cli() -> None:
        for i in range(3):
            done = run_mnemo("remember", f"cli note number {i}", "--tag", "cli", env=env)  # in threads: processes
            if done.returncode != 0:
                errors.append(done.stderr)

    with serve(env=env) as one, serve(env=env) as two:
        writers = [
            threading.Thread(target=through, args=(one, "one")),
            threading.Thread(target=through, args=(two, "two")),
            threading.Thread(target=through_cli),
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(300)
        assert errors == []
        # Each server sees every write, its own, the other's and the CLI's.
        for server in (one, two):
            texts = [m["text"] for m in server.call("list").json]
            assert len(texts) == len(set(texts)) == 2 + 2 * per_writer + 3
    assert mnemo("verify", env=env).returncode == 0


def test_a_server_killed_mid_write_loses_nothing_it_acknowledged(tmp_path: Path, model_cache: Path) -> None:
    env = store_env(tmp_path / "killed", model_cache)
    new_seeded_store(env)
    acknowledged: list[str] = []
    with serve(env=env, pidfile=tmp_path / "pid") as server:

        def write() -> None:
            for i in range(1000):
                try:
                    result = server.call("remember", text=f"note {i} before the kill", timeout=30)
                except Exception:
                    return  # the server died
                assert not result.is_error, result.text
                acknowledged.append(result.json["text"])

        writer = threading.Thread(target=write)
        writer.start()
        deadline = time.monotonic() + 120
        while len(acknowledged) < 5 and time.monotonic() < deadline and writer.is_alive():
            time.sleep(0.01)
        time.sleep(0.013 * (len(acknowledged) % 7))  # land at a different point of a commit each run
        os.kill(server.pid, signal.SIGKILL)
        writer.join(60)
    assert len(acknowledged) >= 5
    done = mnemo("verify", env=env)
    assert done.returncode == 0, done.stderr
    stored = listed_texts(env)
    assert all(stored.count(text) == 1 for text in acknowledged)
    assert mnemo("remember", "after the kill", env=env).returncode == 0  # a torn tail is trimmed
    assert mnemo("verify", "--deep", env=env).returncode == 0


@pytest.mark.parametrize("fault_at", [2, 5, 9])
def test_a_server_dying_inside_a_commit_leaves_a_valid_store(tmp_path: Path, model_cache: Path, fault_at: int) -> None:
    """The server exits (as kill -9 would) just before its N-th file mutation, inside a remember."""
    env = store_env(tmp_path / "faulted", model_cache)
    new_seeded_store(env)
    acknowledged = []
    with serve(env={**env, "MNEMO_TESTONLY_FAULT_AT": str(fault_at)}) as server:
        for i in range(50):
            try:
                result = server.call("remember", text=f"note {i} before the fault", timeout=30)
            except Exception:
                break
            acknowledged.append(result.json["text"])
        else:
            pytest.fail("the fault never fired")
    done = mnemo("verify", env=env)
    assert done.returncode == 0, done.stderr
    stored = listed_texts(env)
    assert all(stored.count(text) == 1 for text in acknowledged)
    assert {DANA, QUOKKA} <= {m["id"] for m in json.loads(mnemo("list", "--json", env=env).stdout)}


def test_a_changed_passphrase_ends_the_unlock_and_every_later_call_says_so(tmp_path: Path, model_cache: Path) -> None:
    env = store_env(tmp_path / "passwd", model_cache)
    new_seeded_store(env)
    with serve(env=env) as server:
        assert server.call("show", id=DANA).json["id"] == DANA
        done = mnemo("passwd", env={**env, "MNEMO_NEW_PASSPHRASE": "a new passphrase"})
        assert done.returncode == 0, done.stderr
        for _ in range(2):
            refused = server.call("show", id=DANA)
            assert refused.is_error and refused.text.startswith("mnemo: error: the secret this store was unlocked")
            assert refused.text.splitlines()[1] == (
                "mnemo: hint: restart `mnemo serve` with a secret that opens the store"
            )
