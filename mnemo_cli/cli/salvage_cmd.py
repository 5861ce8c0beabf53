"""`mnemo salvage`: copy what still authenticates in a damaged or rolled-back store to a new one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mnemo_cli.cli import output


def salvage(
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="Where to write the new store; must not exist.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as one JSON document.")] = False,
) -> None:
    """Copy every record that still authenticates into a new store at DEST, and say what was lost.

    For a store that fails with exit 5 (a damaged frame, a cut log) or whose HEAD was rolled back:
    the store is only read, from its first frame to the end of its log (beyond damage, and beyond
    HEAD), and left exactly as it was. DEST gets the same store id and key slots, so the same
    passphrase, keyfile and recovery key open it. Check it, then move it into place (or point
    MNEMO_HOME at it) and keep the damaged store until you are satisfied.

    Example: mnemo salvage ~/mnemo-salvaged && MNEMO_HOME=~/mnemo-salvaged mnemo verify --deep

    Exit codes: 0 DEST written (see "complete" for whether anything was lost); 2 DEST inside the
    store; 3 wrong or missing secret; 4 no store, or DEST exists; 5 integrity failure of the
    store's header or key slots (damage in the log is what salvage works around); 6 store busy; 8
    I/O error, or cannot write DEST.
    """
    from mnemo_cli.store.salvage import check_dest
    from mnemo_cli.store.salvage import salvage as run_salvage
    from mnemo_cli.store.secret_sources import unlock_secret
    from mnemo_cli.store.store import Store

    path = Store.check_exists()
    check_dest(path, dest)  # before the secret is asked for
    report = run_salvage(path, dest, unlock_secret())
    lost_stretches = [
        {"offset": offset, "bytes": size, "beyond_head": beyond} for offset, size, beyond in report.lost_stretches
    ]
    if json_output:
        output.emit_json(
            {
                "source": str(report.source),
                "path": str(report.dest),
                "complete": report.complete,
                "head": report.head,
                "head_frames": report.head_frames,
                "log_bytes": report.log_bytes,
                "recovered": report.recovered,
                "beyond_head": report.beyond_head,
                "lost_frames": report.lost_frames,
                "lost_stretches": lost_stretches,
                "dropped": [{"frame": index, "reason": why} for index, why in report.dropped],
                "memories": report.memories,
                "links": report.links,
            }
        )
        return
    lines = [
        f"salvaged {report.source} into {report.dest}: {report.recovered} records recovered"
        + (f" ({report.beyond_head} beyond HEAD)" if report.beyond_head else "")
        + f", {report.memories} memories and {report.links} links",
        f"HEAD: {report.head}" + (f" ({report.head_frames} frames)" if report.head_frames is not None else ""),
    ]
    if report.lost_frames:
        lines.append(f"lost: {len(report.lost_frames)} frames below HEAD: {_ranges(report.lost_frames)}")
    for item in lost_stretches:
        where = "beyond HEAD" if item["beyond_head"] else "below HEAD"
        lines.append(f"lost: {item['bytes']} bytes at offset {item['offset']} ({where}) held no authentic frame")
    for index, why in report.dropped:
        lines.append(f"left out: frame {index}: {why}")
    lines.append("complete: nothing was lost" if report.complete else "partial: see the lines above")
    output.emit_lines(lines)


def _ranges(indexes: list[int]) -> str:
    """`3, 7-9, 12`: frame indexes, runs joined."""
    runs: list[list[int]] = []
    for i in indexes:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
