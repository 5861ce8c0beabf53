"""How memories look on stdout: plain lines for pipes, Rich tables on a terminal, JSON, LLM prompts.

Plain text shows one memory per line (`id12  [score]  when  #tags  text`, whitespace in the text
folded); JSON carries everything, full ids and full text. People see times in their own time zone
($TZ, else the system's) to the minute, with the offset that held then (`2025-03-04 21:00-05:00`,
ISO 8601, so it still parses); JSON keeps the stored RFC 3339 UTC time. Everything but JSON shows control
characters in memories escaped (`output.visible`): `output.emit_lines` does it for plain lines, the
table and the prompt block here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mnemo_cli.cli import output
from mnemo_cli.memories import Hit, Link, Memory

SHORT_ID = 12


def one_line(text: str) -> str:
    return " ".join(text.split())


def local_time(stored: str, timespec: str = "minutes") -> str:
    """A stored RFC 3339 time as local time with its offset: `2025-03-04 21:00-05:00`."""
    try:
        return datetime.fromisoformat(stored).astimezone().isoformat(sep=" ", timespec=timespec)
    except (ValueError, OverflowError):  # a time near year 1 or 9999 has no local equivalent: as stored
        return stored


def tag_text(tags: Sequence[str]) -> str:
    return " ".join(f"#{tag}" for tag in tags)


def memory_line(memory: Memory, score: float | None = None, via: Any = None) -> str:
    parts = [memory.id[:SHORT_ID]]
    if score is not None:
        parts.append(f"{score:.3f}")
    parts.append(local_time(memory.created_at))
    if memory.tags:
        parts.append(tag_text(memory.tags))
    if via:
        arrow = "→" if via["direction"] == "out" else "←"
        parts.append(f"(via {arrow} {via['from'][:SHORT_ID]} {via['rel']})")
    parts.append(one_line(memory.text))
    return "  ".join(parts)


def json_lines(documents: Sequence[dict[str, Any]]) -> None:
    sys.stdout.write("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents))


def json_array(documents: Sequence[dict[str, Any]]) -> None:
    sys.stdout.write(json.dumps(list(documents), ensure_ascii=False, indent=2) + "\n")


def prompt_block(hits: Sequence[Hit]) -> str:
    """A compact block to paste into an LLM prompt: dates, tags and text, best first, no colour."""
    if not hits:
        return ""
    lines = ["Relevant memories (most relevant first):"]
    for hit in hits:
        memory = hit.memory
        tags = f" [{', '.join(memory.tags)}]" if memory.tags else ""
        lines.append(f"- ({local_time(memory.created_at)}){tags} {one_line(memory.text)}")
    return output.visible("\n".join(lines)) + "\n"  # also for MCP clients, which get it as it is


def table(memories: Sequence[Memory], scores: Sequence[float | None], vias: Sequence[Any] = ()) -> None:
    """A Rich table on the terminal (call only when stdout is one)."""
    from rich.table import Table
    from rich.text import Text

    with_scores = any(score is not None for score in scores)
    grid = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    grid.add_column("id", style="cyan", no_wrap=True)
    if with_scores:
        grid.add_column("score", justify="right")
    grid.add_column("date", no_wrap=True)
    grid.add_column("tags", style="magenta")
    grid.add_column("text", overflow="fold")
    for i, memory in enumerate(memories):
        via = vias[i] if i < len(vias) else None
        text = one_line(memory.text)
        if via:
            text = f"(via {via['rel']} of {via['from'][:8]}) {text}"
        row = [Text(memory.id[:SHORT_ID])]
        if with_scores:
            score = scores[i]
            row.append(Text("" if score is None else f"{score:.3f}"))
        row += [
            Text(local_time(memory.created_at)),
            Text(output.visible(", ".join(memory.tags))),
            Text(output.visible(text)),
        ]
        grid.add_row(*row)
    output.rich_console().print(grid)


def memories_out(memories: Sequence[Memory], fmt: str) -> None:
    """`list`-style output in `text`, `json` or `jsonl`."""
    if fmt == "json":
        json_array([m.to_json() for m in memories])
    elif fmt == "jsonl":
        json_lines([m.to_json() for m in memories])
    elif output.stdout_is_terminal() and memories:
        table(memories, [None] * len(memories))
    else:
        output.emit_lines([memory_line(m) for m in memories])


def link_json(link: Link) -> dict[str, Any]:
    return link.to_json()
