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

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mnemo_cli import timings
from mnemo_cli.embed.embedder import Embedder
from mnemo_cli.errors import UsageError
from mnemo_cli.graph.expand import expand as expand_links
from mnemo_cli.index import fusion
from mnemo_cli.index.terms import content_words, informativeness, query_terms
from mnemo_cli.memories import Hit
from mnemo_cli.store import lexical, recency, values
from mnemo_cli.store.conversation import with_conversation
from mnemo_cli.store.state import IndexState
from mnemo_cli.store.time_hint import may_have_time

if TYPE_CHECKING:
    from mnemo_cli.store.time_words import TimeMatch

if TYPE_CHECKING:
    import numpy as np

    from mnemo_cli.index.vectors import Vectors

MODES = ("hybrid", "vector", "lexical")
CANDIDATES = 100
EXACT_LIMIT = 20_000
OVERSAMPLE = 10
#: The relevance below which a hybrid hit is not shown unless `min_score` says otherwise: a question
#: about something never remembered prints nothing. On the quality benchmark (docs/performance.md)
#: no floor separates its near-miss unanswerable questions from answers (0.2 clears 0%, 0.3 1.5%, of
#: them on the dev seed), while 0.3 already hides 2.2% of found evidence and the answer to a pure
#: paraphrase ("what did the doctor say?" → "the physician said ...", cosine 0.41, relevance 0.26).
#: 0.2 keeps 99.8% of found evidence and such paraphrases, and still shows nothing for a question
#: unrelated to every memory (relevance ≈ 0).
RELEVANCE_FLOOR = 0.2
#: How strongly a time expression in the query prefers its window: a hit created outside it has its
#: score divided by 1 + this before the final sort, enough to put an in-window hit over
#: out-of-window ones of similar relevance, not over far better ones. Chosen on the quality
#: benchmark's dev seed.
WINDOW_BOOST = 2.0
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
    #: Only memories of this session (a hard filter, like tags).
    session: str | None = None
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
        if self.session is not None:
            values.check_session(self.session)
        if self.expand < 0:
            raise UsageError("--expand must be 0 or more")
        if self.min_score is not None:
            low = -1.0 if self.mode == "vector" else 0.0  # the score scales of docs/cli.md
            if not low <= self.min_score <= 1.0:  # also refuses NaN, which every comparison fails
                raise UsageError(f"--min-score must be from {low:g} to 1 in {self.mode} mode")
        values.check_range(self.since, self.until)

    def floor(self) -> float | None:
        """The lowest score shown: `min_score` if given, else the relevance floor in hybrid mode
        (vector and lexical scores are on other scales and have none)."""
        if self.min_score is not None:
            return self.min_score
        return RELEVANCE_FLOOR if self.mode == "hybrid" else None


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
    if window and not content_words(text):  # "last week", "what happened on Monday?"
        return _in_window(state, query, window)
    # A window may lift a hit from below the top k: every mode then ranks as many as hybrid does.
    wanted = max(CANDIDATES, query.k) if query.mode == "hybrid" or window else query.k
    vector = None
    if query.mode in ("vector", "hybrid") and catalog.count():
        with timings.phase("vectors"):  # the vector index, deserialised on first use
            state.vectors  # noqa: B018  (meanwhile a `Preload` thread may be creating the model's session)
        vector = embedder.embed_query(text)
    rankings = _rankings(state, query, vector, text, wanted, since, until)
    if window:  # the window's own best, which the whole store's best 100 may not reach
        start = window.start.timestamp() if since is None else max(since, window.start.timestamp())
        end = min(window.end.timestamp(), (query.now or datetime.now(UTC)).timestamp())
        end = end if until is None else min(until, end)
        span = catalog.created_span()
        if start <= end and span is not None and not start <= span[0] <= span[1] <= end:  # else: the same search
            inside = _rankings(state, query, vector, text, wanted, start, end)
            rankings = {name: _union(ranked, inside.get(name, [])) for name, ranked in rankings.items()}
    hidden = catalog.hidden_keys(time.time())
    if hidden:  # the filtered paths skip them already; the unfiltered vector search does not
        rankings = {name: [(key, s) for key, s in ranked if key not in hidden] for name, ranked in rankings.items()}
    hybrid = query.mode == "hybrid"
    scored = _hybrid(state, vector, text, rankings) if hybrid else rankings.get(query.mode, [])
    if window:
        scored = _boosted(state, scored, window, query.now)
    floor = query.floor()
    if floor is not None:
        scored = [(key, score) for key, score in scored if score >= floor]
    top = scored[: query.k]
    memories = catalog.by_keys([key for key, _ in top])
    state.recalls += 1
    return _with_expanded(state, [Hit(memories[key], score) for key, score in top], query)


def _rankings(
    state: IndexState,
    query: Query,
    vector: np.ndarray | None,
    text: str,
    wanted: int,
    since: float | None,
    until: float | None,
) -> dict[str, list[tuple[int, float]]]:
    """The vector and lexical rankings the mode needs, of memories that pass the filters."""
    filtered = bool(query.tags) or since is not None or until is not None or query.session is not None
    filters = (query.tags, since, until, query.session) if filtered else None

    @functools.cache
    def allowed() -> list[int]:  # the memories passing the filters, listed once for both sides
        return state.catalog.filtered_keys(query.tags, since, until, query.session)

    rankings: dict[str, list[tuple[int, float]]] = {}
    if vector is not None:
        rankings["vector"] = _nearest(state.vectors, vector, allowed() if filtered else None, wanted)
    if query.mode in ("lexical", "hybrid"):
        rankings["lexical"] = lexical.ranking(state, text, wanted, filters, allowed)
    return rankings


def _union(first: list[tuple[int, float]], second: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Two rankings of one query merged, best first (their scores are on the same scale)."""
    merged = dict(first)
    merged.update(second)
    return sorted(merged.items(), key=lambda pair: (-pair[1], pair[0]))


def _boosted(
    state: IndexState, scored: list[tuple[int, float]], window: TimeMatch, now: datetime | None
) -> list[tuple[int, float]]:
    """`scored` with every memory created outside the window (or after now) divided by
    1 + `WINDOW_BOOST`, best first again: the window's memories keep their relevance, the others
    lose the preference. Relative, so that a memory unrelated to the rest of the query stays
    unrelated (and below the floor) whenever it was made."""
    start, end = window.start.timestamp(), window.end.timestamp()
    latest = (now or datetime.now(UTC)).timestamp()
    stamps = state.catalog.created_times([key for key, _ in scored])
    kept = [
        (key, score if start <= stamps[key] < end and stamps[key] <= latest else score / (1.0 + WINDOW_BOOST))
        for key, score in scored
    ]
    return sorted(kept, key=lambda pair: -pair[1])  # stable: ties keep their order


def _in_window(state: IndexState, query: Query, window: TimeMatch) -> list[Hit]:
    """The memories of the window (within --since/--until too), newest first."""
    start, end = window.start.timestamp(), window.end.timestamp() - 1e-6  # `newest` takes until as inclusive
    if query.since:
        start = max(start, query.since.timestamp())
    if query.until:
        end = min(end, query.until.timestamp())
    found = state.catalog.newest(query.tags, start, end, query.k, query.session) if start <= end else []
    return _with_expanded(state, [Hit(memory, WINDOW_ONLY_SCORE) for memory in found], query)


def _with_expanded(state: IndexState, hits: list[Hit], query: Query) -> list[Hit]:
    floor = query.floor()
    if query.expand:
        expanded = _expanded(state, hits, query)
        if floor is not None:
            expanded = [hit for hit in expanded if hit.score is not None and hit.score >= floor]
        hits += expanded
    return hits


def _nearest(vectors: Vectors, vector: np.ndarray, allowed: list[int] | None, wanted: int) -> list[tuple[int, float]]:
    """The `wanted` memories nearest `vector` (among `allowed` when filtered): exact up to
    `EXACT_LIMIT` memories, approximate beyond.

    A filter that keeps a good share of the store ("before August") searches the whole store for
    `OVERSAMPLE` times as many and keeps those allowed: the same answer when enough survive (the
    exact ranking's allowed members, in order), at a fraction of the cost of fetching every
    allowed vector. When too few survive, the allowed vectors are ranked one by one after all.
    """
    everything = len(vectors) <= EXACT_LIMIT
    if allowed is None:
        return vectors.exact_all(vector, wanted) if everything else vectors.search(vector, wanted)
    small = len(allowed) <= EXACT_LIMIT
    if small and len(allowed) * OVERSAMPLE < len(vectors):
        return vectors.exact(vector, allowed, wanted)
    keep = set(allowed)
    count = wanted * OVERSAMPLE
    found = vectors.exact_all(vector, count) if everything else vectors.search(vector, count)
    survivors = [(key, score) for key, score in found if key in keep][:wanted]
    if len(survivors) < min(wanted, len(keep)) and small:
        return vectors.exact(vector, allowed, wanted)
    return survivors


def _hybrid(
    state: IndexState, vector: np.ndarray | None, text: str, rankings: dict[str, list[tuple[int, float]]]
) -> list[tuple[int, float]]:
    """The candidates of both rankings, each scored by `fusion.relevance`, best first, newer
    memories first among those on the same subject (`recency`)."""
    cosines = dict(rankings.get("vector", []))
    candidates = list(
        dict.fromkeys([key for key, _ in rankings.get("vector", [])] + [key for key, _ in rankings["lexical"]])
    )
    if not candidates:
        return []
    missing = [key for key in candidates if key not in cosines]
    if missing and vector is not None:  # found by words only: their similarity still counts
        cosines.update(state.vectors.exact(vector, missing, len(missing)))
    covered = lexical.coverage(state, query_terms(text), candidates)
    scored = [(key, fusion.relevance(cosines.get(key, 0.0), covered[key])) for key in candidates]
    turns = state.catalog.sessions_of(candidates)
    if turns:  # a conversation's turns: "ok, sounds good" can answer little (`terms.informativeness`)
        texts = state.catalog.texts(list(turns))
        scored = [(key, score * informativeness(texts[key]) if key in turns else score) for key, score in scored]
    # Ties (several memories holding every word: relevance 1) go to the nearer meaning; the later
    # steps sort stably and keep this order among equals.
    scored.sort(key=lambda item: (-item[1], -cosines.get(item[0], 0.0), item[0]))
    if turns:
        terms = query_terms(text)

        def relevance_of(keys: list[int]) -> dict[int, float]:
            near = dict(state.vectors.exact(vector, keys, len(keys))) if vector is not None else {}
            words = lexical.coverage(state, terms, keys)
            return {key: fusion.relevance(near.get(key, 0.0), words[key]) for key in keys}

        def neighbours(key: int) -> list[int]:
            return [other for other, _ in state.catalog.session_neighbours(key, 1, 1)]

        scored = with_conversation(scored, turns, neighbours, relevance_of)
    head = [key for key, _ in scored[: recency.DEPTH]]
    return recency.prefer_newer(scored, state.vectors, state.catalog.created_times(head), cosines)


def _expanded(state: IndexState, hits: list[Hit], query: Query) -> list[Hit]:
    catalog = state.catalog

    def neighbours(memory_id: str) -> list[tuple[str, str, str]]:
        out = [(link.dst, link.rel, "out") for link in catalog.links_from(memory_id)]
        return out + [(link.src, link.rel, "in") for link in catalog.links_to(memory_id)]

    seeds = [(hit.memory.id, hit.score) for hit in hits if hit.score is not None]
    found = expand_links(seeds, neighbours, query.expand, limit=query.k * 3)
    result = []
    hidden = catalog.hidden_keys(time.time())
    for memory_id, score, via in found:
        memory = catalog.get(memory_id)
        if memory is not None and catalog.key_of(memory_id) not in hidden:
            result.append(Hit(memory, score, via))
    return result
