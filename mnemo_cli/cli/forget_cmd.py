"""`mnemo forget`: hide memories at once, by id, by words or by tag."""

from __future__ import annotations

from typing import Annotated

import typer

from mnemo_cli import documents
from mnemo_cli.cli import output, render
from mnemo_cli.cli._common import unlocked_store


def forget(
    refs: Annotated[
        list[str] | None, typer.Argument(metavar="[ID]...", help="Memories to forget (ids or prefixes).")
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Forget every memory whose text has all these words.")
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", help="Forget every memory with this tag (repeatable: all of them)."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Needed with --query/--tag: forget without asking.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be forgotten.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Forget memories: they disappear from recall, list, show and export at once.

    By ids, or every memory matching --query (all the words) and/or --tag, which needs --yes.
    Links to and from forgotten memories go too. The encrypted text stays in the log until
    `mnemo compact` rewrites it; docs/cli.md says what compaction cannot erase.

    Example: mnemo forget --tag scratch --dry-run

    Exit codes: 0 done (also when nothing matched); 2 no selection, or --query/--tag without --yes;
    3 wrong or missing secret; 4 no store; 5 integrity failure; 6 store busy; 7 an id matches no
    memory; 8 I/O error.
    """
    from mnemo_cli.store.forgetting import ForgetRequest

    request = ForgetRequest(tuple(refs or ()), query, tuple(tag or ()), yes=yes, dry_run=dry_run)
    with unlocked_store() as store:
        chosen = store.forget_request(request)
    if json_output:
        output.emit_json(documents.forgotten(chosen, dry_run=dry_run))
    elif dry_run:
        output.emit_lines([render.memory_line(m) for m in chosen])
    else:
        output.emit_lines([m.id for m in chosen])
