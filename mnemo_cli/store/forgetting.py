"""Forget and prune requests: which memories a request names, what it refuses, when it must be confirmed.

`mnemo forget`, `mnemo prune` and the MCP forget tool make a `ForgetRequest` or a `PruneRequest`
(refused at once when it names nothing, or names both ways) and hand it to `Store.forget_request`,
which chooses the memories, asks for confirmation (`yes`) where a filter chose them, and forgets
them unless `dry_run`. The adapters only render what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mnemo_cli.errors import UsageError
from mnemo_cli.memories import Memory

if TYPE_CHECKING:
    from mnemo_cli.store.store import Store


@dataclass(frozen=True)
class ForgetRequest:
    """Forget by `ids` (or prefixes), or every memory with all of `words` and/or all `tags` (needs `yes`)."""

    ids: tuple[str, ...] = ()
    words: str | None = None
    tags: tuple[str, ...] = ()
    yes: bool = False
    dry_run: bool = False

    def __post_init__(self) -> None:
        if self.ids and (self.words is not None or self.tags):
            raise UsageError("give ids, or --query/--tag, not both")
        if not self.ids and self.words is None and not self.tags:
            raise UsageError("say what to forget: ids, --query WORDS or --tag TAG")


@dataclass(frozen=True)
class PruneRequest:
    """Forget memories older than `older_than` and/or expired (with all `tags`), without asking."""

    older_than: str | None = None
    expired: bool = False
    tags: tuple[str, ...] = ()
    dry_run: bool = False

    def __post_init__(self) -> None:
        if self.older_than is None and not self.expired:
            raise UsageError("say what to prune: --older-than AGE and/or --expired")


def chosen(store: Store, request: ForgetRequest | PruneRequest) -> list[Memory]:
    """The memories `request` names; `UsageError` when a filter chose some and `yes` is missing."""
    if isinstance(request, PruneRequest):
        return store.select(tags=request.tags, older_than=request.older_than, expired=request.expired)
    if request.ids:
        return [store.get(ref) for ref in request.ids]
    found = store.select(words=request.words, tags=request.tags)
    if found and not request.yes and not request.dry_run:
        raise UsageError(f"this would forget {len(found)} memories; add --yes, or --dry-run to list them")
    return found


def carry_out(store: Store, request: ForgetRequest | PruneRequest) -> list[Memory]:
    """Forget what `request` names (only list it with `dry_run`); the memories chosen."""
    memories = chosen(store, request)
    if memories and not request.dry_run:
        store.forget([m.id for m in memories])
    return memories
