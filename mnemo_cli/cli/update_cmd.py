"""`mnemo update`: a new version of a memory that supersedes the old one (kept in its history)."""

from __future__ import annotations

from typing import Annotated

import typer

from mnemo_cli.cli import output
from mnemo_cli.cli._common import unlocked_store


def update(
    ref: Annotated[str, typer.Argument(metavar="ID", help="The memory to update (id or unique prefix).")],
    text: Annotated[str | None, typer.Option("--text", help="The new text.")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="The new tags, replacing the old (repeatable).")
    ] = None,
    meta: Annotated[
        list[str] | None, typer.Option("--meta", help="Metadata key=value to set (merged; repeatable).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the new version as JSON.")] = False,
) -> None:
    """Update a memory: store a new version (new id, dated now) that supersedes it.

    The old version disappears from recall and list but stays in `mnemo show ID --history` until
    it is forgotten and compacted. Links move to the new version.

    Example: mnemo update 3f2a --text "Dana now prefers Signal over email"

    Exit codes: 0 updated; 2 nothing to change, an ambiguous id, or a version already superseded; 3
    wrong or missing secret; 4 no store; 5 integrity failure; 6 store busy; 7 no such memory; 8 I/O
    error.
    """
    from mnemo_cli.store import values

    metadata = values.parse_meta_pairs(meta or []) if meta else None
    with unlocked_store() as store:
        memory = store.update(ref, text=text, tags=tag, meta=metadata)
    if json_output:
        output.emit_json(memory.to_json())
    else:
        output.emit_lines([memory.id])
