"""`mnemo verify`: read and authenticate every byte of the store; say what is wrong, if anything."""

from __future__ import annotations

from typing import Annotated

import typer

from mnemo_cli.cli import output
from mnemo_cli.cli._common import unlocked_store


def verify(
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as one JSON document.")] = False,
    deep: Annotated[
        bool, typer.Option("--deep", help="Also rebuild the index from the log and compare it with the snapshot.")
    ] = False,
) -> None:
    """Check the store's integrity: header, both key-slot copies, HEAD, every frame and the chain.

    Read-only: nothing is repaired or rewritten. A damaged key-slot copy, an interrupted write
    after the last commit, or files an interrupted write left (the next write removes them) are
    reported as warnings (the store still works); anything else wrong is an integrity failure
    naming the file.

    Example: MNEMO_KEYFILE=~/.config/mnemo/agent.key mnemo verify --json

    Exit codes: 0 intact; 3 wrong or missing secret; 4 no store; 5 integrity failure; 6 store busy;
    8 I/O error.
    """
    with unlocked_store() as store:
        report = store.verify(deep=deep)
    if json_output:
        output.emit_json(
            {
                "ok": True,
                "path": str(report.path),
                "store_id": report.store_id,
                "frames": report.frames,
                "log_bytes": report.log_bytes,
                "uncommitted_bytes": report.uncommitted_bytes,
                "keyslot_copies": report.keyslot_copies,
                "records": report.ops,
                "snapshot": report.snapshot,
                "deep": report.deep,
                "leftovers": report.leftovers,
                "notes": report.notes,
            }
        )
    else:
        copies = ", ".join(f"{name} {state}" for name, state in report.keyslot_copies.items())
        output.emit_lines(
            [
                f"store {report.path} is intact",
                f"log: {report.frames} frames, {report.log_bytes} bytes, chain verified up to HEAD",
                f"key slots: {copies}",
                f"index snapshot: {report.snapshot}",
            ]
            + (["deep: the index rebuilt from the log matches the snapshot"] if report.deep else [])
        )
    for note in report.notes:
        output.warn(note)
