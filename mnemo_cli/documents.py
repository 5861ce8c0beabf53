"""The documents and messages mnemo answers with, built once for the command line, the agent and MCP.

A leaf module, like `safe_text` (it imports only `memories`), so that `cli/` and `server/`, which may
not import each other, and `store/` below them, give the same answer to the same request: the JSON
document a command prints with `--json` is, byte for byte, the result of the MCP tool of the same
name; the warnings `remember` gives are the same sentences wherever it runs.

`--json` output is one document carrying `schema_version`; adding a key keeps the version, renaming
or removing one bumps it (docs/cli.md lists the schemas). Lists of memories or hits (`recall`,
`list`) are plain JSON arrays.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from mnemo_cli.memories import Link, Memory

SCHEMA_VERSION = 1


def json_text(document: dict[str, Any]) -> str:
    """One `--json` document as text (no final newline), `schema_version` first."""
    payload = {"schema_version": SCHEMA_VERSION, **document}
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str)


def json_array_text(documents: Iterable[dict[str, Any]]) -> str:
    """A JSON array as `recall --json` and `list --json` print it (no final newline)."""
    return json.dumps(list(documents), ensure_ascii=False, indent=2)


# -- documents -------------------------------------------------------------------------------------


def show(memory: Memory, outgoing: Sequence[Link], incoming: Sequence[Link]) -> dict[str, Any]:
    """`show --json`: the memory, with its links both ways."""
    document = memory.to_json()
    document["links"] = {
        "out": [{"id": link.dst, "rel": link.rel, "created_at": link.created_at} for link in outgoing],
        "in": [{"id": link.src, "rel": link.rel, "created_at": link.created_at} for link in incoming],
    }
    return document


def history(versions: Sequence[Memory]) -> dict[str, Any]:
    """`show --history --json`: every version, oldest first."""
    return {"versions": [m.to_json() for m in versions]}


def forgotten(chosen: Sequence[Memory], *, dry_run: bool) -> dict[str, Any]:
    """`forget --json`: what was (or, with dry_run, would be) forgotten."""
    return {"dry_run": dry_run, "forgotten": [m.id for m in chosen]}


def pruned(chosen: Sequence[Memory], *, dry_run: bool) -> dict[str, Any]:
    """`prune --json`."""
    return {"dry_run": dry_run, "pruned": [m.id for m in chosen]}


# -- messages (each is one `mnemo: warning: ...` line once `safe_text.warning_line` has it) ------------


def already_remembered(memory: Memory) -> str:
    return f"already remembered as {memory.id} (nothing stored; --allow-duplicate stores it again)"


def looks_like(other: Memory, score: float) -> str:
    return f"this looks like {other.id} (similarity {score:.2f}): {' '.join(other.text.split())[:80]}"
