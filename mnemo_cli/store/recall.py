"""Recall: find the memories that answer a query, by meaning, by words, or both fused.

Filters (tags, time range) apply before ranking, so a filtered recall still returns k hits when k
exist. Vector search is exact (one matrix product) over up to `EXACT_LIMIT` memories, filtered or
not, and approximate (usearch HNSW) beyond: on the quality benchmark the approximate top 10 missed
9% of the exact one, for no speed gain at that size. Hybrid takes `CANDIDATES` from each ranking and fuses them
(`index/fusion.py`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mnemo_cli import timings
from mnemo_cli.embed.embedder import Embedder
from mnemo_cli.errors import UsageError
from mnemo_cli.graph.expand import expand as expand_links
from mnemo_cli.index.fusion import reciprocal_rank
from mnemo_cli.memories import Hit
from mnemo_cli.store import values
from mnemo_cli.store.state import IndexState

MODES = ("hybrid", "vector", "lexical")
CANDIDATES = 100
EXACT_LIMIT = 20_000
OVERSAMPLE = 10


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


def recall(state: IndexState, embedder: Embedder, query: Query) -> list[Hit]:
    query.check()
    catalog = state.catalog
    since = query.since.timestamp() if query.since else None
    until = query.until.timestamp() if query.until else None
    filtered = bool(query.tags) or since is not None or until is not None or query.session is not None
    wanted = max(CANDIDATES, query.k) if query.mode == "hybrid" else query.k
    rankings: dict[str, list[tuple[int, float]]] = {}
    if query.mode in ("vector", "hybrid") and catalog.count():
        with timings.phase("vectors"):  # the vector index, deserialised on first use
            vectors = state.vectors  # meanwhile a `Preload` thread may be creating the model's session
        vector = embedder.embed_query(query.text)
        if filtered:
            allowed = catalog.filtered_keys(query.tags, since, until, query.session)
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
        rankings["lexical"] = catalog.lexical(query.text, wanted, query.tags, since, until, query.session)
    hidden = catalog.hidden_keys(time.time())
    if hidden:  # the filtered paths skip them already; the unfiltered vector search does not
        rankings = {name: [(key, s) for key, s in ranked if key not in hidden] for name, ranked in rankings.items()}
    if query.mode == "hybrid":
        scored = reciprocal_rank({name: [key for key, _ in ranked] for name, ranked in rankings.items()})
    else:
        scored = rankings.get(query.mode, [])
    if query.min_score is not None:
        scored = [(key, score) for key, score in scored if score >= query.min_score]
    top = scored[: query.k]
    memories = catalog.by_keys([key for key, _ in top])
    hits = [Hit(memories[key], score) for key, score in top]
    if query.expand:
        expanded = _expanded(state, hits, query)
        if query.min_score is not None:
            expanded = [hit for hit in expanded if hit.score is not None and hit.score >= query.min_score]
        hits += expanded
    return hits


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
