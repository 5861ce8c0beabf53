"""How memories look on stdout: plain lines for pipes, Rich tables on a terminal, JSON, LLM prompts.

Plain text shows one memory per line (`id12  [score]  when  #tags  text`, whitespace in the text
folded); with `recall --context` each hit and its session neighbours form a group, hit lines
marked `:` and context lines `-` after the score column, groups separated by `--` (like grep -C).
JSON carries everything, full ids and full text. People see times in their own time zone
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
from mnemo_cli.documents import json_array_text
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
    return "  ".join([*parts, _described(memory, via)])


def _described(memory: Memory, via: Any) -> str:
    """`when  #tags  (via ...)  text`: a plain line after its id and score columns."""
    parts = [local_time(memory.created_at)]
    if memory.tags:
        parts.append(tag_text(memory.tags))
    if via and "direction" in via:  # a link followed (--expand); context entries say so by their mark
        arrow = "→" if via["direction"] == "out" else "←"
        parts.append(f"(via {arrow} {via['from'][:SHORT_ID]} {via['rel']})")
    parts.append(one_line(memory.text))
    return "  ".join(parts)


def context_lines(hits: Sequence[Hit]) -> list[str]:
    """Hits with context, like grep -C: `id12  score  : date  #tags  text` for a hit, `id12  -  -
    date ...` for a context line (score column `-`), a `--` line between groups."""
    from mnemo_cli.store.context import groups

    lines: list[str] = []
    width = max((len(f"{h.score:.3f}") for h in hits if h.score is not None), default=5)
    for group in groups(hits):
        if lines:
            lines.append("--")
        for hit in group:
            score = "-" if hit.score is None else f"{hit.score:.3f}"
            marker = "-" if hit.is_context else ":"
            lines.append(f"{hit.memory.id[:SHORT_ID]}  {score:>{width}}  {marker} {_described(hit.memory, hit.via)}")
    return lines


def json_lines(documents: Sequence[dict[str, Any]]) -> None:
    sys.stdout.write("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents))


def json_array(documents: Sequence[dict[str, Any]]) -> None:
    sys.stdout.write(json_array_text(documents) + "\n")


def prompt_block(hits: Sequence[Hit]) -> str:
    """A compact block to paste into an LLM prompt: dates, tags and text, best first, no colour."""
    if not hits:
        return ""
    from mnemo_cli.store.context import groups

    lines = ["Relevant memories (most relevant first):"]
    for group in groups(hits):
        if len(group) == 1:
            lines.append(f"- {_prompt_memory(group[0].memory)}")
            continue
        # A hit with its session neighbours (recall --context): the conversation in order.
        session = next(h.memory.session for h in group if not h.is_context)
        lines.append(f"- Conversation {session}, in order (> marks the relevant turn):")
        lines += [f"  {'  ' if h.is_context else '> '}{_prompt_memory(h.memory)}" for h in group]
    return output.visible("\n".join(lines)) + "\n"  # also for MCP clients, which get it as it is


def _prompt_memory(memory: Memory) -> str:
    tags = f" [{', '.join(memory.tags)}]" if memory.tags else ""
    return f"({local_time(memory.created_at)}){tags} {one_line(memory.text)}"


def table(
    memories: Sequence[Memory],
    scores: Sequence[float | None],
    vias: Sequence[Any] = (),
    context: Sequence[bool] = (),
) -> None:
    """A Rich table on the terminal (call only when stdout is one). `context[i]`: row i is a
    context entry (`recall --context`), shown dimmed with `-` for its score."""
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
        is_context = i < len(context) and context[i]
        text = one_line(memory.text)
        if via and "rel" in via:
            text = f"(via {via['rel']} of {via['from'][:8]}) {text}"
        row = [Text(memory.id[:SHORT_ID])]
        if with_scores:
            score = scores[i]
            row.append(Text("-" if is_context else "" if score is None else f"{score:.3f}"))
        row += [
            Text(local_time(memory.created_at)),
            Text(output.visible(", ".join(memory.tags))),
            Text(output.visible(text)),
        ]
        grid.add_row(*row, style="dim" if is_context else None)
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
