"""`mnemo stats`: what the store holds and what it costs on disk."""

from __future__ import annotations

from typing import Annotated

import typer

from mnemo_cli.cli import output
from mnemo_cli.cli._common import unlocked_store


def stats(
    json_output: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON document.")] = False,
) -> None:
    """Show counts (live, expired, forgotten memories; links), the log and snapshot positions, the
    key slots with their KDF parameters, and bytes on disk by file. Read-only.

    Example: mnemo stats --json

    Exit codes: 0 shown; 3 wrong or missing secret; 4 no store; 5 integrity failure; 6 store busy; 8
    I/O error.
    """
    with unlocked_store() as store:
        figures = store.stats()
    if json_output:
        output.emit_json(figures)
        return
    memories, log, snap = figures["memories"], figures["log"], figures["snapshot"]
    lines = [
        f"store:     {figures['path']}",
        f"memories:  {memories['live']} live, {memories['expired']} expired (prune --expired), "
        f"{memories['forgotten']} forgotten since the last compaction",
        f"links:     {figures['links']}",
        f"log:       {log['frames']} frames, {log['bytes']} bytes, {log['commits']} commits",
        f"snapshot:  covers {snap['frames']} frames; {snap['tail_frames']} replayed on open",
        f"compacted: {figures['last_compaction'] or 'never'} ({figures['compactions']} times)",
        f"model:     {_model_line(figures['model_spec'])}",
    ]
    for slot in figures["key_slots"]:
        kdf = slot.get("kdf")
        detail = f" (argon2id t={kdf['time_cost']} m={kdf['memory_kib']} KiB p={kdf['parallelism']})" if kdf else ""
        lines.append(f"key slot:  {slot['slot']} {slot['kind']}{detail}")
    lines.append(f"disk:      {figures['disk']['bytes']} bytes")
    lines += [f"  {size:>12}  {name}" for name, size in figures["disk"]["files"].items()]
    output.emit_lines(lines)


def _model_line(spec: dict) -> str:
    where = f", {spec['location']}" if spec["location"] else ""
    return f"{spec['id']} ({spec['kind']}{where}, {spec['dimension']} dimensions)"
