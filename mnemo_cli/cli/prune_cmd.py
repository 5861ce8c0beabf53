"""`mnemo prune`: forget old or expired memories, for cron."""

from __future__ import annotations

from typing import Annotated

import typer

from mnemo_cli import documents
from mnemo_cli.cli import output, render
from mnemo_cli.cli._common import unlocked_store


def prune(
    older_than: Annotated[
        str | None, typer.Option("--older-than", help="Memories that happened longer ago than this: 90d, 12w, 1y.")
    ] = None,
    expired: Annotated[bool, typer.Option("--expired", help="Memories whose --ttl has run out.")] = False,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Only memories with this tag (repeatable: all of them).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be pruned.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print what was pruned as JSON.")] = False,
    compact: Annotated[
        bool, typer.Option("--compact", help="Then compact, so the pruned text leaves the disk.")
    ] = False,
) -> None:
    """Forget memories older than --older-than and/or expired, without asking: for cron.

    Prints nothing on success unless --json or --dry-run is given; pruning nothing is success.

    Example (crontab): 17 3 * * * MNEMO_KEYFILE=~/.config/mnemo/agent.key mnemo prune --expired --older-than 1y

    Exit codes: 0 done (also when nothing matched); 2 neither --older-than nor --expired, or a bad
    age; 3 wrong or missing secret; 4 no store; 5 integrity failure; 6 store busy; 8 I/O error.
    """
    from mnemo_cli.store.forgetting import PruneRequest

    request = PruneRequest(older_than, expired, tuple(tag or ()), dry_run=dry_run)
    with unlocked_store() as store:
        chosen = store.forget_request(request)
        if chosen and not dry_run and compact:
            store.compact()
    if json_output:
        output.emit_json(documents.pruned(chosen, dry_run=dry_run))
    elif dry_run:
        output.emit_lines([render.memory_line(m) for m in chosen])
