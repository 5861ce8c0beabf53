"""Queries: recall, list and select as a user asks them (ids, tags, time words, sessions,
durations checked and turned into a `Query` or a catalog filter). The ranking itself is `recall.py`;
`Store.recall`, `Store.list_memories` and `Store.select` delegate here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from mnemo_cli import timings
from mnemo_cli.errors import MemoryNotFound, UsageError
from mnemo_cli.memories import Hit, Memory
from mnemo_cli.store import values
from mnemo_cli.store.context import check_context, with_context
from mnemo_cli.store.recall import Query
from mnemo_cli.store.recall import recall as rank

if TYPE_CHECKING:
    from mnemo_cli.store.store import Store


def resolve(store: Store, ref: str) -> str:
    """The full id of the memory `ref` names (a full id or a unique prefix of at least 4 digits)."""
    ref = ref.strip().lower()
    if len(ref) < 4:
        raise UsageError(f"memory id {ref!r} is too short: give at least 4 hex digits")
    found = store.state().catalog.ids_with_prefix(ref)
    if not found:
        raise MemoryNotFound(f"no memory with id {ref}")
    if len(found) > 1:
        shown = ", ".join(found[:5])
        raise UsageError(f"memory id {ref} is ambiguous: {shown}{', ...' if len(found) > 5 else ''}")
    return found[0]


def recall(
    store: Store,
    query: str,
    *,
    k: int = 5,
    mode: str = "hybrid",
    tags: Iterable[str] = (),
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    expand: int = 0,
    min_score: float | None = None,
    session: str | None = None,
    context: int = 0,
    now: str | datetime | None = None,
) -> list[Hit]:
    """The memories that best answer `query`, best first (see docs/cli.md for the score scales).

    `session`: only memories of that session. `context`: after each hit, up to that many
    memories before and after it in its session, as context entries (`Hit.is_context`,
    `store/context.py`). Time words in `query`, `since` and `until` ("last week") are relative
    to `now` (default: the clock), in the user's time zone."""
    with timings.phase("search"):  # timings: what the phases nested in it (open, model, ...) leave
        moment = values.parse_time(now, what="--now") if now is not None else None
        request = Query(
            text=query,
            k=k,
            mode=mode,
            tags=tuple(tags),
            since=_moment(since, "--since", moment),
            until=_moment(until, "--until", moment, end=True),
            expand=expand,
            min_score=min_score,
            session=None if session is None else values.check_session(session),
            now=moment,
        )
        request.check()
        check_context(context)
        state = store.state()
        hits = rank(state, store.embedder_for(state.model), request)
        return with_context(state.catalog, hits, context) if context else hits


def list_memories(
    store: Store,
    *,
    tags: Iterable[str] = (),
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    limit: int | None = None,
    session: str | None = None,
) -> list[Memory]:
    """Memories newest first (by `created_at`), filtered like recall (`session`: only its memories)."""
    if limit is not None:
        values.check_count(limit, "--limit")
    start, end = _moment(since, "--since"), _moment(until, "--until", end=True)
    values.check_range(start, end)
    return store.state().catalog.newest(
        values.check_tags(tags),
        start.timestamp() if start else None,
        end.timestamp() if end else None,
        limit,
        None if session is None else values.check_session(session),
    )


def select(
    store: Store,
    *,
    words: str | None = None,
    tags: Iterable[str] = (),
    older_than: str | None = None,
    expired: bool = False,
) -> list[Memory]:
    """Memories to forget or prune, oldest first: all of `words` in the text, all `tags`, and
    (when given) created more than `older_than` ago (e.g. `90d`) or expired."""
    import time

    now = time.time()
    before = now - values.parse_duration(older_than, what="--older-than").total_seconds() if older_than else None
    if words is not None and not values.is_utf8(words):
        raise UsageError("--query is not valid UTF-8 text")
    return store.state().catalog.select(
        words=words, tags=values.check_tags(tags), created_before=before, expired_at=now if expired else None
    )


def _moment(value: str | datetime | None, what: str, now: datetime | None = None, end: bool = False) -> datetime | None:
    """--since or --until (with `end`: time words give their window's end) as a time."""
    if value is None or isinstance(value, datetime):
        return values.parse_time(value, what=what) if value is not None else None
    return values.parse_since(value, what=what, now=now, end=end)
