"""`mnemo compact`: rewrite the store without what was forgotten, so it leaves the disk."""

from __future__ import annotations

from typing import Annotated

import typer

from mnemo_cli.cli import output
from mnemo_cli.cli._common import unlocked_store


def compact(
    json_output: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Rewrite the live memories and links into a new log and delete the old one.

    This is how forgotten, pruned and expired-then-pruned text leaves the disk (forget only hides
    it). Writers wait while it runs; readers are not blocked. It cannot erase copies outside the
    store's files (backups, filesystem snapshots, SSD remnants): see docs/cli.md.

    Example: mnemo prune --expired && mnemo compact

    Exit codes: 0 compacted; 3 wrong or missing secret; 4 no store; 5 integrity failure (nothing is
    rewritten); 6 store busy; 8 I/O error (the old generation stays current).
    """
    with unlocked_store() as store:
        report = store.compact()
    if json_output:
        output.emit_json(
            {
                "memories": report.memories,
                "links": report.links,
                "frames_before": report.frames_before,
                "frames_after": report.frames_after,
                "bytes_before": report.bytes_before,
                "bytes_after": report.bytes_after,
            }
        )
    else:
        output.emit_lines(
            [
                f"compacted: {report.memories} memories and {report.links} links kept; "
                f"log {report.frames_before} -> {report.frames_after} frames; "
                f"disk {report.bytes_before} -> {report.bytes_after} bytes"
            ]
        )
