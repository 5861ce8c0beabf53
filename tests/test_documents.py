"""`mnemo_cli/documents.py`: the command line and the MCP server answer with the same documents and
warnings, because both build them there (byte for byte: `mnemo X --json` is the MCP tool X's text)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnemo_cli import documents
from mnemo_cli.cli import app
from mnemo_cli.memories import Link, Memory
from mnemo_cli.server.mcp_tools import Tools
from mnemo_cli.server.warm import WarmStore
from mnemo_cli.store.remembering import RememberReport
from mnemo_cli.store.store import Store
from tests.reliability.stub_embedder import STUB
from tests.server.test_mcp_tools import KEY, RENDERING

A = Memory("a" * 32, "Dana prefers email", "2025-01-01T00:00:00Z", ("people",))
B = Memory("b" * 32, "Dana's address\nis on file", "2025-01-02T00:00:00Z")


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tools]:
    path = tmp_path / "s"
    Store.create(path, [KEY], recovery=False).close()
    keyfile = tmp_path / "key"
    keyfile.write_bytes(bytes(range(32)))
    os.chmod(keyfile, 0o600)
    monkeypatch.setenv("MNEMO_HOME", str(path))
    monkeypatch.setenv("MNEMO_KEYFILE", str(keyfile))
    monkeypatch.setenv("MNEMO_NO_AGENT", "1")
    warm = WarmStore(Store.open(path, KEY, embedder=STUB))  # type: ignore[arg-type]
    warm.start()
    yield Tools(warm, RENDERING)
    warm.close()


def cli_stdout(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert app.run(list(args)) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_the_cli_prints_the_documents_the_mcp_tools_answer(tools: Tools, capsys: pytest.CaptureFixture[str]) -> None:
    first = json.loads(tools.call("remember", {"text": "Dana prefers email", "tags": ["people"]}).text)["id"]
    second = json.loads(tools.call("remember", {"text": "Dana lives in Leeds"}).text)["id"]
    tools.call("link", {"source": first, "target": second, "rel": "about"})
    for tool, arguments, command in [
        ("show", {"id": first}, ["show", first, "--json"]),
        ("show", {"id": second, "history": True}, ["show", second, "--history", "--json"]),
        ("list", {}, ["list", "--json"]),
        ("forget", {"tags": ["people"], "dry_run": True}, ["forget", "--tag", "people", "--dry-run", "--json"]),
        ("forget", {"ids": [second[:8]], "dry_run": True}, ["forget", second[:8], "--dry-run", "--json"]),
    ]:
        assert cli_stdout(capsys, *command) == tools.call(tool, arguments).text + "\n", tool


def test_show_document_carries_the_links_both_ways() -> None:
    out, back = Link(A.id, B.id, "about", "2025-01-03T00:00:00Z"), Link(B.id, A.id, "see", "2025-01-04T00:00:00Z")
    document = documents.show(A, [out], [back])
    assert document["links"] == {
        "out": [{"id": B.id, "rel": "about", "created_at": "2025-01-03T00:00:00Z"}],
        "in": [{"id": B.id, "rel": "see", "created_at": "2025-01-04T00:00:00Z"}],
    }
    assert json.loads(documents.json_text(document)) == {"schema_version": documents.SCHEMA_VERSION, **document}


def test_a_remember_report_names_its_memory_and_its_warnings() -> None:
    stored = RememberReport(added=[A], similar=[(A, B, 0.987)])
    assert stored.memory == A
    assert stored.warnings() == [f"this looks like {B.id} (similarity 0.99): Dana's address is on file"]
    again = RememberReport(existing=[B])
    assert again.memory == B
    assert again.warnings() == [f"already remembered as {B.id} (nothing stored; --allow-duplicate stores it again)"]
