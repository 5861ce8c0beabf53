"""`mnemo list`: memories, newest first, filtered like recall."""

from __future__ import annotations

from typing import Annotated

import typer

from mnemo_cli.cli import render
from mnemo_cli.cli._common import unlocked_store


def list_(
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Only memories with this tag (repeatable: all of them).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="From then on: RFC 3339, an age like 7d, 12h, 2w, or time words "
            "(yesterday, last week, monday, march 2025: from the start of that time).",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Up to then (same forms as --since; time words: to their end)."),
    ] = None,
    session: Annotated[
        str | None,
        typer.Option("--session", help="Only memories of this session.", metavar="ID"),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", help="At most this many.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json (one array) or jsonl.")] = "text",
    json_output: Annotated[bool, typer.Option("--json", help="Short for --format json.")] = False,
) -> None:
    """List memories, newest first (by when they happened).

    Example: mnemo list --tag people --since 'last month' --limit 20

    Exit codes: 0 listed (even none); 2 bad option; 3 wrong or missing secret; 4 no store; 5
    integrity failure; 6 store busy; 8 I/O error.
    """
    from mnemo_cli.errors import UsageError
    from mnemo_cli.store import values

    fmt = "json" if json_output else fmt
    if fmt not in ("text", "json", "jsonl"):
        raise UsageError(f"unknown format {fmt!r} (choose from: text, json, jsonl)")
    if session is not None:
        values.check_session(session)  # before asking for the secret
    with unlocked_store() as store:
        memories = store.list_memories(tags=tag or [], since=since, until=until, limit=limit, session=session)
    render.memories_out(memories, fmt)
