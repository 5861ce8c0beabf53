"""Context around hits (`recall --context N`): a hit's neighbouring turns in its session.

Like `grep -C N`: each hit comes with up to N memories before and after it in its session, in
session order and with the hit in its place, so an LLM reads the conversation turn, not a lone
line. Hits keep their rank order; a memory that is itself a hit, or already shown around an
earlier hit, is not repeated (overlapping windows merge into the first group that shows them).
Context entries carry no score and `via = {"context_of": hit id, "offset": ±i}`. Memories without
a session have no context. Ranking is not changed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mnemo_cli.errors import UsageError
from mnemo_cli.memories import Hit

if TYPE_CHECKING:  # the command line checks --context with this module before any store opens
    from mnemo_cli.index.catalog import Catalog

#: The widest `--context`: beyond it a window is a whole conversation, not the turn around a hit.
MAX_CONTEXT = 20


def check_context(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_CONTEXT:
        raise UsageError(f"--context must be from 0 to {MAX_CONTEXT}")
    return n


def with_context(catalog: Catalog, hits: Sequence[Hit], n: int) -> list[Hit]:
    """`hits` in their order, each with its session's neighbours (n before, n after) around it."""
    check_context(n)
    if n == 0:
        return list(hits)
    shown = {hit.memory.id for hit in hits}
    result: list[Hit] = []
    for hit in hits:
        key = catalog.key_of(hit.memory.id) if hit.memory.session is not None else None
        window = catalog.session_neighbours(key, n, n) if key is not None else []
        memories = catalog.by_keys([k for k, _ in window])
        before: list[Hit] = []
        after: list[Hit] = []
        for k, offset in window:
            memory = memories.get(k)
            if memory is None or memory.id in shown:
                continue
            shown.add(memory.id)
            entry = Hit(memory, None, {"context_of": hit.memory.id, "offset": offset})
            (before if offset < 0 else after).append(entry)
        result += [*before, hit, *after]
    return result


def groups(hits: Sequence[Hit]) -> list[list[Hit]]:
    """`with_context`'s output split into groups, one per hit with its context (for grep -C-like
    output): consecutive entries that belong to the same hit."""
    result: list[list[Hit]] = []
    owner = None
    for hit in hits:
        mine = hit.via["context_of"] if hit.is_context and hit.via is not None else hit.memory.id
        if not result or mine != owner:
            result.append([])
            owner = mine
        result[-1].append(hit)
    return result
