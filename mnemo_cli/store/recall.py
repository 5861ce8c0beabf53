"""Recall: find the memories that answer a query, by meaning, by words, or both fused.

Filters (tags, time range) apply before ranking, so a filtered recall still returns k hits when k
exist. Vector search is exact (one matrix product) over up to `EXACT_LIMIT` memories, filtered or
not, and approximate (usearch HNSW) beyond: on the quality benchmark the approximate top 10 missed
9% of the exact one, for no speed gain at that size. Hybrid takes `CANDIDATES` from each ranking and fuses them
(`index/fusion.py`).

A time expression in the query ("last week", `time_words`) is taken out of the text both rankings
see, and the hits created in its window gain `WINDOW_BOOST`: a preference, not a filter (that is
--since/--until). A query that is only a time expression lists the window's memories, newest first.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mnemo_cli import timings
from mnemo_cli.embed.embedder import Embedder
from mnemo_cli.errors import UsageError
from mnemo_cli.graph.expand import expand as expand_links
from mnemo_cli.index.fusion import reciprocal_rank
from mnemo_cli.memories import Hit
from mnemo_cli.store import values
from mnemo_cli.store.state import IndexState
from mnemo_cli.store.time_hint import may_have_time

if TYPE_CHECKING:
    from mnemo_cli.store.time_words import TimeMatch

MODES = ("hybrid", "vector", "lexical")
CANDIDATES = 100
EXACT_LIMIT = 20_000
OVERSAMPLE = 10
#: What a hit created inside the query's time window gains on its (fused) score before the final
#: sort: enough to lift an in-window hit over out-of-window ones of similar relevance, not over
#: far better ones. A first value, to be chosen on the quality benchmark.
WINDOW_BOOST = 0.3
#: The score of a memory listed for a query that is only a time expression ("last week").
WINDOW_ONLY_SCORE = 1.0


@dataclass(frozen=True)
class Query:
    text: str
    k: int = 5
    mode: str = "hybrid"
    tags: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    expand: int = 0
    min_score: float | None = None
    #: The moment time words in the text are relative to (None: the clock); --now for scripts and tests.
    now: datetime | None = None

    def check(self) -> None:
        if not self.text.strip():
            raise UsageError("the query is empty")
        if self.mode not in MODES:
            raise UsageError(f"unknown mode {self.mode!r} (choose from: {', '.join(MODES)})")
        if not values.is_utf8(self.text):
            raise UsageError("the query is not valid UTF-8 text")
        values.check_count(self.k, "-k")
        values.check_tags(self.tags)
        if self.expand < 0:
            raise UsageError("--expand must be 0 or more")
        if self.min_score is not None:
            low = -1.0 if self.mode == "vector" else 0.0  # the score scales of docs/cli.md
            if not low <= self.min_score <= 1.0:  # also refuses NaN, which every comparison fails
                raise UsageError(f"--min-score must be from {low:g} to 1 in {self.mode} mode")
        values.check_range(self.since, self.until)


def time_window(query: Query) -> TimeMatch | None:
    """The time expression in the query's text, in the user's time zone, if it has one."""
    if not may_have_time(query.text):  # most queries: the grammar is not even imported
        return None
    from mnemo_cli.store.time_words import find_time, local_zone

    return find_time(query.text, (query.now or datetime.now(UTC)).astimezone(local_zone()))


def recall(state: IndexState, embedder: Embedder, query: Query) -> list[Hit]:
    query.check()
    catalog = state.catalog
    since = query.since.timestamp() if query.since else None
    until = query.until.timestamp() if query.until else None
    window = time_window(query)
    text = window.remainder if window else query.text
    if window and not text.strip(" ,.;:!?"):
        return _in_window(state, query, window)
    filtered = bool(query.tags) or since is not None or until is not None
    # A window may lift a hit from below the top k: every mode then ranks as many as hybrid does.
    wanted = max(CANDIDATES, query.k) if query.mode == "hybrid" or window else query.k
    rankings: dict[str, list[tuple[int, float]]] = {}
    if query.mode in ("vector", "hybrid") and catalog.count():
        with timings.phase("vectors"):  # the vector index, deserialised on first use
            vectors = state.vectors  # meanwhile a `Preload` thread may be creating the model's session
        vector = embedder.embed_query(text)
        if filtered:
            allowed = catalog.filtered_keys(query.tags, since, until)
            if len(allowed) <= EXACT_LIMIT:
                rankings["vector"] = vectors.exact(vector, allowed, wanted)
            else:
                keep = set(allowed)
                found = vectors.search(vector, wanted * OVERSAMPLE)
                rankings["vector"] = [(key, score) for key, score in found if key in keep][:wanted]
        elif len(vectors) <= EXACT_LIMIT:
            rankings["vector"] = vectors.exact_all(vector, wanted)
        else:
            rankings["vector"] = vectors.search(vector, wanted)
    if query.mode in ("lexical", "hybrid"):
        rankings["lexical"] = catalog.lexical(text, wanted, query.tags, since, until)
    hidden = catalog.hidden_keys(time.time())
    if hidden:  # the filtered paths skip them already; the unfiltered vector search does not
        rankings = {name: [(key, s) for key, s in ranked if key not in hidden] for name, ranked in rankings.items()}
    if query.mode == "hybrid":
        scored = reciprocal_rank({name: [key for key, _ in ranked] for name, ranked in rankings.items()})
    else:
        scored = rankings.get(query.mode, [])
    if window:
        scored = _boosted(state, scored, window, query.now)
    if query.min_score is not None:
        scored = [(key, score) for key, score in scored if score >= query.min_score]
    top = scored[: query.k]
    memories = catalog.by_keys([key for key, _ in top])
    return _with_expanded(state, [Hit(memories[key], score) for key, score in top], query)


def _boosted(
    state: IndexState, scored: list[tuple[int, float]], window: TimeMatch, now: datetime | None
) -> list[tuple[int, float]]:
    """`scored` with `WINDOW_BOOST` added to the memories created in the window (never to one
    created after now), best first again."""
    start, end = window.start.timestamp(), window.end.timestamp()
    latest = (now or datetime.now(UTC)).timestamp()
    memories = state.catalog.by_keys([key for key, _ in scored])
    stamps = {key: values.timestamp(memory.created_at) for key, memory in memories.items()}
    boosted = [
        (key, score + WINDOW_BOOST if start <= stamps[key] < end and stamps[key] <= latest else score)
        for key, score in scored
    ]
    return sorted(boosted, key=lambda pair: -pair[1])


def _in_window(state: IndexState, query: Query, window: TimeMatch) -> list[Hit]:
    """The memories of the window (within --since/--until too), newest first."""
    start, end = window.start.timestamp(), window.end.timestamp() - 1e-6  # `newest` takes until as inclusive
    if query.since:
        start = max(start, query.since.timestamp())
    if query.until:
        end = min(end, query.until.timestamp())
    found = state.catalog.newest(query.tags, start, end, query.k) if start <= end else []
    return _with_expanded(state, [Hit(memory, WINDOW_ONLY_SCORE) for memory in found], query)


def _with_expanded(state: IndexState, hits: list[Hit], query: Query) -> list[Hit]:
    if query.expand:
        expanded = _expanded(state, hits, query)
        if query.min_score is not None:
            expanded = [hit for hit in expanded if hit.score >= query.min_score]
        hits += expanded
    return hits


def _expanded(state: IndexState, hits: list[Hit], query: Query) -> list[Hit]:
    catalog = state.catalog

    def neighbours(memory_id: str) -> list[tuple[str, str, str]]:
        out = [(link.dst, link.rel, "out") for link in catalog.links_from(memory_id)]
        return out + [(link.src, link.rel, "in") for link in catalog.links_to(memory_id)]

    seeds = [(hit.memory.id, hit.score) for hit in hits]
    found = expand_links(seeds, neighbours, query.expand, limit=query.k * 3)
    result = []
    hidden = catalog.hidden_keys(time.time())
    for memory_id, score, via in found:
        memory = catalog.get(memory_id)
        if memory is not None and catalog.key_of(memory_id) not in hidden:
            result.append(Hit(memory, score, via))
    return result
