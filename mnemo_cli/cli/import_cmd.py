"""`mnemo import`: memories from a mnemo export or from simple JSON lines."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mnemo_cli.cli import output
from mnemo_cli.cli._common import unlocked_store


def import_(
    source: Annotated[
        str, typer.Argument(metavar="FILE", help="A mnemo export (jsonl or json), or JSON lines; '-' reads stdin.")
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Import memories (and links) from FILE.

    Reads mnemo's own exports (ids and links kept; ids already in the store are skipped, so an
    import can be repeated) and simple lines such as
    {"text": "...", "tags": ["a"], "meta": {"k": "v"}, "created_at": "2025-03-14T10:00:00Z"}
    (only text required). Every line is checked first: a bad line fails the import with its line
    number and stores nothing. Memories are embedded and committed in batches.

    Example: mnemo import notes.jsonl

    Exit codes: 0 imported; 2 unreadable file or bad line; 3 wrong or missing secret; 4 no store; 5
    integrity failure; 6 store busy; 7 a link names a memory that is neither in the file nor in the
    store; 8 I/O error.
    """
    from mnemo_cli.errors import Interrupted, MemoryNotFound, UsageError
    from mnemo_cli.store.store import RememberReport
    from mnemo_cli.store.transfer import parse_import

    name = "stdin" if source == "-" else source
    try:
        if source == "-":
            content = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as f:
                content = f.read()
    except OSError as e:
        raise UsageError(f"cannot read {source}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{name} is not UTF-8 text") from None
    plan = parse_import(content, name)
    with unlocked_store() as store:
        for where, link in plan.links:
            for end in (link.src, link.dst):
                if end not in plan.ids and not store.has(end):
                    raise MemoryNotFound(f"{where}: link end {end} is neither in the file nor in the store")
        report = RememberReport()
        with output.progress_bar(len(plan.memories), "embedding") as advance:
            try:
                store.remember_many(
                    plan.memories, links=[link for _, link in plan.links], progress=advance, report=report
                )
            except KeyboardInterrupt:
                raise Interrupted(
                    f"{len(report.added):,} of {len(plan.memories):,} memories committed;"
                    " run the import again to finish"
                ) from None
    # Already present: lines whose id the store has, and lines whose text equals a live memory's.
    present = len(report.skipped) + len(report.existing)
    counts = {"added": len(report.added), "skipped": present, "links": report.links_added}
    if json_output:
        output.emit_json(counts)
    else:
        output.emit_lines(
            [f"imported {counts['added']} memories ({counts['skipped']} already present), {counts['links']} links"]
        )
