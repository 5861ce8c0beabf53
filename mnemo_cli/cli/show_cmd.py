"""`mnemo show`: one memory in full, with its links both ways."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from mnemo_cli import documents
from mnemo_cli.cli import output, render
from mnemo_cli.cli._common import unlocked_store


def show(
    ref: Annotated[str, typer.Argument(metavar="ID", help="The memory's id or a unique prefix (4+ hex digits).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the memory and its links as JSON.")] = False,
    history: Annotated[bool, typer.Option("--history", help="List every version of the memory, oldest first.")] = False,
) -> None:
    """Show one memory: its full text, dates, tags, metadata and links in and out.

    Example: mnemo show 3f2a --json

    Exit codes: 0 shown; 2 ambiguous id prefix (candidates listed); 3 wrong or missing secret; 4 no
    store; 5 integrity failure; 6 store busy; 7 no such memory; 8 I/O error.
    """
    if history:
        with unlocked_store() as store:
            versions = store.history(ref)
        if json_output:
            output.emit_json(documents.history(versions))
        else:
            output.emit_lines([render.memory_line(m) for m in versions])
        return
    with unlocked_store() as store:
        memory = store.get(ref)
        outgoing, incoming = store.links_of(memory.id)
        others = {link.dst: store.get(link.dst) for link in outgoing} | {
            link.src: store.get(link.src) for link in incoming
        }
    if json_output:
        output.emit_json(documents.show(memory, outgoing, incoming))
        return
    lines = [
        f"id:         {memory.id}",
        f"created_at: {render.local_time(memory.created_at, 'auto')}",
        f"tags:       {', '.join(memory.tags) if memory.tags else '-'}",
    ]
    if memory.source:
        lines.append(f"source:     {memory.source}")
    if memory.session is not None:
        lines.append(f"session:    {memory.session}")
    if memory.meta:
        lines.append(f"meta:       {json.dumps(dict(memory.meta), ensure_ascii=False, sort_keys=True)}")
    lines += ["", memory.text, ""]
    for link in outgoing:
        lines.append(f"→ {link.rel}: {render.memory_line(others[link.dst])}")
    for link in incoming:
        lines.append(f"← {link.rel}: {render.memory_line(others[link.src])}")
    output.emit_lines(lines if outgoing or incoming else lines[:-1])
