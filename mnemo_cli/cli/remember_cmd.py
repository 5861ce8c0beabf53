"""`mnemo remember`: store one memory, from an argument or from stdin."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mnemo_cli.cli import _delegate, output
from mnemo_cli.cli._common import unlocked_store


def remember(
    text: Annotated[
        str | None, typer.Argument(help="The memory. '-' (or no argument with piped input) reads stdin.")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag (repeatable).")] = None,
    meta: Annotated[list[str] | None, typer.Option("--meta", help="Metadata as key=value (repeatable).")] = None,
    meta_json: Annotated[str | None, typer.Option("--meta-json", help="Metadata as a JSON object.")] = None,
    created_at: Annotated[
        str | None, typer.Option("--created-at", help="When it happened, RFC 3339 (default: now, UTC).")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Where it came from (free text).")] = None,
    ttl: Annotated[
        str | None,
        typer.Option("--ttl", help="Expire this long after --created-at (30d, 12h, 2w): hidden, then pruned."),
    ] = None,
    supersedes: Annotated[
        str | None,
        typer.Option(
            "--supersedes", help="This replaces memory ID (hidden from recall; see show --history).", metavar="ID"
        ),
    ] = None,
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            help="The conversation or thread this belongs to (recall --context shows its turns).",
            metavar="ID",
        ),
    ] = None,
    allow_duplicate: Annotated[
        bool, typer.Option("--allow-duplicate", help="Store it even if a live memory has exactly this text.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the stored memory as JSON.")] = False,
) -> None:
    """Remember TEXT: embed it locally, encrypt it, and commit it to the store.

    Prints the new memory's id (32 hex digits; any unique prefix of 4 or more names it later). If
    a live memory already has exactly this text, prints that memory's id instead and stores
    nothing (unless --allow-duplicate).

    Example: echo "Dana prefers email" | mnemo remember --tag people --meta project=quill

    Turns of one conversation, in order: mnemo remember --session chat-42 "Dana: can we move to Friday?"

    Exit codes: 0 stored; 2 empty text, bad date, bad metadata or bad session; 3 wrong or missing secret; 4 no
    store; 5 integrity failure; 6 store busy; 8 I/O error.
    """
    from mnemo_cli.errors import UsageError
    from mnemo_cli.store import values

    if text is None or text == "-":
        if text is None and sys.stdin.isatty():
            raise UsageError("give the memory as an argument, or pipe it in")
        text = sys.stdin.read()
        if text.endswith("\n"):
            text = text[:-1]
    metadata = values.parse_meta_pairs(meta or [])
    if meta_json is not None:
        metadata.update(values.parse_meta_json(meta_json))
    from mnemo_cli.store.store import new_memory

    item = new_memory(
        text,
        tags=tag or [],
        meta=metadata,
        created_at=created_at,
        source=source,
        ttl=ttl,
        supersedes=supersedes,
        session=session,
        as_options=True,
    )
    report = _delegate.remember(item, allow_duplicate=allow_duplicate, find_similar=True)  # None: no agent
    if report is None:
        with unlocked_store(preload_model=True) as store:
            report = store.remember_many([item], allow_duplicate=allow_duplicate, find_similar=True)
    for warning in report.warnings():
        output.warn(warning)
    if json_output:
        output.emit_json(report.memory.to_json())
    else:
        output.emit_lines([report.memory.id])
