"""`Tools` in-process (no protocol, a stub model): schemas, argument checks before any wait, read-only
mode, and every failure, expected or not, as an error reply rather than an exception."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnemo_cli.cli import render
from mnemo_cli.crypto import secrets
from mnemo_cli.server import mcp_tools
from mnemo_cli.server.mcp_tools import RECENT, TOOLS, Rendering, Tools
from mnemo_cli.server.warm import WarmStore
from mnemo_cli.store.store import Store
from tests.reliability.stub_embedder import STUB
from tests.server.test_warm import GatedEmbedder

KEY = secrets.keyfile(bytes(range(32)), "test")
RENDERING = Rendering(render.prompt_block)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    Store.create(tmp_path / "s", [KEY], recovery=False).close()
    return tmp_path / "s"


@pytest.fixture
def tools(path: Path) -> Iterator[Tools]:
    warm = WarmStore(Store.open(path, KEY, embedder=STUB))  # type: ignore[arg-type]
    warm.start()
    yield Tools(warm, RENDERING)
    warm.close()


def test_every_schema_is_a_closed_object_whose_required_arguments_exist() -> None:
    for tool in TOOLS:
        schema = tool.input_schema()
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert set(tool.required) <= set(schema["properties"])
        assert all(spec["type"] in ("string", "integer", "number", "boolean", "object", "array")
                   for spec in schema["properties"].values())  # fmt: skip


def test_bad_arguments_fail_before_waiting_for_the_model(path: Path) -> None:
    embedder = GatedEmbedder()  # never released: a call that waited would hang
    warm = WarmStore(Store.open(path, KEY, embedder=embedder))  # type: ignore[arg-type]
    warm.start()
    try:
        tools = Tools(warm, RENDERING)
        for name, arguments in [
            ("remember", {"text": " "}),
            ("remember", {"text": "x", "ttl": "forever"}),
            ("remember", {"text": "x", "meta": {"n": float("nan")}}),
            ("recall", {"query": "x", "k": 0}),
            ("recall", {"query": "x", "format": "yaml"}),
            ("recall", {"query": "x", "expand": -1}),
            ("recall", {"query": "x", "min_score": "high"}),
            ("recall", {"query": "x", "tags": ["ok", 3]}),
            ("recall", {"query": "x", "context": 21}),
            ("recall", {"query": "x", "context": "2"}),
            ("recall", {"query": "x", "session": ""}),
            ("recall", {"query": "x", "session": 7}),
            ("remember", {"text": "x", "session": "a\nb"}),
            ("recall", {"query": "x", "now": "teatime"}),
            ("recall", {"query": "x", "since": "the other day"}),
            ("recall", {"query": "x", "since": "today", "until": "last week"}),
            ("forget", {"ids": ["abcd"], "query": "x"}),
        ]:
            reply = tools.call(name, arguments)
            assert reply.is_error and reply.text.startswith("mnemo: error: "), (name, arguments, reply)
            assert "internal error" not in reply.text  # what a call that waited for the gated model gets
        assert warm.model_state == "loading"
        # Lexical recall and the tools that do not embed answer while the model loads.
        assert json.loads(tools.call("recall", {"query": "x", "mode": "lexical"}).text) == []
        assert json.loads(tools.call("list", {}).text) == []
    finally:
        embedder.release.set()
        warm.close()


def test_null_arguments_count_as_left_out(tools: Tools) -> None:
    made = json.loads(tools.call("remember", {"text": "Dana prefers email", "tags": None, "ttl": None}).text)
    assert made["tags"] == [] and "expires_at" not in made
    assert json.loads(tools.call("list", {"limit": None, "since": None}).text)[0]["id"] == made["id"]


def test_sessions_and_context(tools: Tools) -> None:
    turns = ["Maya: a new hobby?", "Sam: pottery classes on Thursday", "Maya: signed up"]
    for turn in turns:
        made = json.loads(tools.call("remember", {"text": turn, "session": "chat-1"}).text)
        assert made["session"] == "chat-1"
    tools.call("remember", {"text": "pottery glazes need firing"})
    found = json.loads(tools.call("recall", {"query": "pottery classes", "k": 1, "mode": "lexical", "context": 1}).text)
    assert [m["text"] for m in found] == turns
    assert [m["score"] is None for m in found] == [True, False, True]
    assert found[0]["via"] == {"context_of": found[1]["id"], "offset": -1}
    only = json.loads(tools.call("recall", {"query": "pottery", "mode": "lexical", "session": "chat-1"}).text)
    assert {m["session"] for m in only} == {"chat-1"}
    prompt = tools.call(
        "recall", {"query": "pottery classes", "k": 1, "mode": "lexical", "context": 1, "format": "prompt"}
    )
    assert "Conversation chat-1" in prompt.text and "  > (" in prompt.text
    listed = json.loads(tools.call("list", {"session": "chat-1"}).text)
    assert sorted(m["text"] for m in listed) == sorted(turns)


def test_recall_reads_time_words_at_its_now(tools: Tools) -> None:
    made = json.loads(tools.call("remember", {"text": "Dana prefers email"}).text)

    def recalled(arguments: dict[str, object]) -> list[str]:
        return [hit["id"] for hit in json.loads(tools.call("recall", {"mode": "lexical", **arguments}).text)]

    assert recalled({"query": "today"}) == [made["id"]]
    assert recalled({"query": "today", "now": "2000-01-01T12:00:00Z"}) == []
    assert recalled({"query": "Dana", "since": "yesterday"}) == [made["id"]]
    assert recalled({"query": "Dana", "since": "yesterday", "now": "2000-01-01T12:00:00Z"}) == [made["id"]]
    assert recalled({"query": "Dana", "until": "yesterday"}) == []


def test_read_only_lists_and_runs_only_the_reading_tools(tools: Tools) -> None:
    tools.read_only = True
    assert [tool.name for tool in tools.listed()] == ["recall", "show", "list"]
    for name in ("remember", "link", "forget"):
        reply = tools.call(name, {"text": "x"})
        assert reply.is_error and f"{name} is not available: this server is read-only" in reply.text


def test_an_unexpected_failure_is_an_internal_error_reply(tools: Tools, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk caught fire\nsecond line")

    monkeypatch.setattr(Store, "list_memories", broken)
    reply = tools.call("list", {})
    assert reply.is_error and reply.text == "mnemo: error: internal error: RuntimeError: the disk caught fire"


def test_the_recent_resource_holds_the_newest_memories(tools: Tools) -> None:
    for i in range(RECENT + 3):
        tools.call("remember", {"text": f"memory {i}", "created_at": f"2025-01-{1 + i:02d}T00:00:00Z"})
    recent = json.loads(tools.recent())
    assert len(recent) == RECENT and recent[0]["text"] == f"memory {RECENT + 2}"


def test_recall_applies_the_relevance_floor_like_the_cli(tools: Tools) -> None:
    for text in ("Dana prefers email", "the boiler needs a service"):
        tools.call("remember", {"text": text})
    assert json.loads(tools.call("recall", {"query": "quantum chromodynamics lecture notes"}).text) == []
    assert tools.call("recall", {"query": "quantum chromodynamics lecture notes", "format": "prompt"}).text == ""
    everything = json.loads(tools.call("recall", {"query": "quantum chromodynamics", "min_score": 0}).text)
    assert len(everything) == 2
    found = json.loads(tools.call("recall", {"query": "what does Dana prefer?"}).text)
    assert [hit["text"] for hit in found] == ["Dana prefers email"]


def test_an_error_quoting_what_the_client_sent_stays_one_visible_line(tools: Tools) -> None:
    tools.call("remember", {"text": "Dana prefers email"})
    for bad in ("00\n0", "ab\x1b[2Jcd", "abcd\u202eefgh"):
        reply = tools.call("show", {"id": bad})
        assert reply.is_error
        error = reply.text.split("\nmnemo: hint: ")[0]
        assert error.startswith("mnemo: error: ") and "\n" not in error
        assert "\x1b" not in reply.text and "\u202e" not in reply.text
    reply = tools.call("show", {"id": "00\n0"})
    assert "00\\n0" in reply.text


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("recall", {"query": "x", "k": 2.0}, "recall: k must be a whole number, not 2.0"),
        ("recall", {"query": "x", "tags": ["ok", 3]}, 'recall: tags must be a list of text, not ["ok", 3]'),
        ("recall", {"query": "x", "colour": None}, "recall takes no argument 'colour' (it takes: query, k,"),
        ("recall", {"query": None}, "recall needs the argument 'query'"),
        ("recall", {"query": "x", "mode": "psychic", "format": "yaml"}, "unknown format 'yaml' (choose from: json"),
        ("forget", {"ids": "abcd"}, 'forget: ids must be a list of text, not "abcd"'),
        ("remember", {"text": "x", "meta": [1]}, "remember: meta must be a JSON object, not [1]"),
    ],
)
def test_arguments_are_checked_against_the_published_schema(
    tools: Tools, name: str, arguments: dict[str, object], message: str
) -> None:
    reply = tools.call(name, arguments)
    assert reply.is_error and reply.text.startswith(f"mnemo: error: {message}"), reply.text
    assert "\n" not in reply.text


def test_what_the_schema_says_is_what_is_checked(tools: Tools, monkeypatch: pytest.MonkeyPatch) -> None:
    # A constraint only the published schema states (no hand-written check knows it) refuses the call.
    tool = tools._by_name["list"]
    monkeypatch.setitem(tool.properties, "limit", {"type": "integer", "maximum": 3})
    monkeypatch.setattr(mcp_tools, "_validators", {}, raising=False)
    assert tool.input_schema()["properties"]["limit"]["maximum"] == 3
    reply = tools.call("list", {"limit": 4})
    assert reply.is_error and reply.text == "mnemo: error: list: limit: 4 is greater than the maximum of 3"
    assert json.loads(tools.call("list", {"limit": 3}).text) == []


def test_jsonschema_is_imported_at_the_first_call_not_before() -> None:
    probe = "import sys, mnemo_cli.server.mcp_tools; print('jsonschema' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
