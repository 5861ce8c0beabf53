"""`mnemo backup`: a consistent encrypted copy, verified, that is itself a store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mnemo_cli.cli import output
from mnemo_cli.cli._common import unlocked_store


def backup(
    dest: Annotated[
        Path, typer.Argument(metavar="DEST", help="A new or empty folder, or an earlier backup of this store.")
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Copy the store to DEST, encrypted as it is, and verify the copy.

    Safe while other mnemo processes write (they wait a moment). When DEST holds an earlier backup
    of this store, only what is new is copied. The backup is a store: the same secrets open it
    (MNEMO_HOME=DEST mnemo verify), including secrets removed since.

    Example: MNEMO_KEYFILE=~/.config/mnemo/cron.key mnemo backup /mnt/usb/mnemo-backup

    Exit codes: 0 copied and verified; 2 DEST inside the store; 3 wrong or missing secret; 4 no
    store, or DEST holds something else; 5 integrity failure (of a frame to copy too: nothing is
    then written), or the copy failed verification; 6 store busy; 8 I/O error, or cannot write DEST.
    """
    with unlocked_store() as store:
        report, checked = store.backup(dest)
    if json_output:
        output.emit_json(
            {
                "path": str(report.path),
                "incremental": report.incremental,
                "bytes_copied": report.log_bytes_copied,
                "frames": report.frames,
                "verified": True,
            }
        )
    else:
        kind = "updated" if report.incremental else "written"
        copied = f"{report.log_bytes_copied} log bytes copied"
        output.emit_lines([f"backup {kind} at {report.path}: {report.frames} frames ({copied}), verified"])
    for note in checked.notes:
        output.warn(note)
