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
from typing import TYPE_CHECKING

from mnemo_cli import timings
from mnemo_cli.embed.embedder import Embedder
from mnemo_cli.errors import UsageError
from mnemo_cli.graph.expand import expand as expand_links
from mnemo_cli.index import fusion
from mnemo_cli.index.terms import informativeness, query_terms
from mnemo_cli.memories import Hit
from mnemo_cli.store import recency, values
from mnemo_cli.store.state import IndexState

if TYPE_CHECKING:
    import numpy as np

    from mnemo_cli.index.vectors import Vectors

MODES = ("hybrid", "vector", "lexical")
CANDIDATES = 100
EXACT_LIMIT = 20_000
OVERSAMPLE = 10
#: The relevance below which a hybrid hit is not shown unless `min_score` says otherwise: a question
#: about something never remembered prints nothing. Chosen on the quality benchmark's dev seed for
#: the trade-off in docs/performance.md (unanswerable questions with nothing shown against answerable
#: ones whose evidence stays shown).
RELEVANCE_FLOOR = 0.3


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

    def floor(self) -> float | None:
        """The lowest score shown: `min_score` if given, else the relevance floor in hybrid mode
        (vector and lexical scores are on other scales and have none)."""
        if self.min_score is not None:
            return self.min_score
        return RELEVANCE_FLOOR if self.mode == "hybrid" else None


def recall(state: IndexState, embedder: Embedder, query: Query) -> list[Hit]:
    query.check()
    catalog = state.catalog
    since = query.since.timestamp() if query.since else None
    until = query.until.timestamp() if query.until else None
    filtered = bool(query.tags) or since is not None or until is not None or query.session is not None
    allowed = catalog.filtered_keys(query.tags, since, until, query.session) if filtered else None
    wanted = max(CANDIDATES, query.k) if query.mode == "hybrid" else query.k
    rankings: dict[str, list[tuple[int, float]]] = {}
    vector = None
    if query.mode in ("vector", "hybrid") and catalog.count():
        with timings.phase("vectors"):  # the vector index, deserialised on first use
            vectors = state.vectors  # meanwhile a `Preload` thread may be creating the model's session
        vector = embedder.embed_query(query.text)
        rankings["vector"] = _nearest(vectors, vector, allowed, wanted)
    if query.mode in ("lexical", "hybrid"):
        rankings["lexical"] = catalog.lexical(query.text, wanted, query.tags, since, until, query.session)
    hidden = catalog.hidden_keys(time.time())
    if hidden:  # the filtered paths skip them already; the unfiltered vector search does not
        rankings = {name: [(key, s) for key, s in ranked if key not in hidden] for name, ranked in rankings.items()}
    hybrid = query.mode == "hybrid"
    scored = _hybrid(state, vector, query.text, rankings) if hybrid else rankings.get(query.mode, [])
    floor = query.floor()
    if floor is not None:
        scored = [(key, score) for key, score in scored if score >= floor]
    top = scored[: query.k]
    memories = catalog.by_keys([key for key, _ in top])
    hits = [Hit(memories[key], score) for key, score in top]
    if query.expand:
        expanded = _expanded(state, hits, query)
        if floor is not None:
            expanded = [hit for hit in expanded if hit.score is not None and hit.score >= floor]
        hits += expanded
    return hits


def _nearest(vectors: Vectors, vector: np.ndarray, allowed: list[int] | None, wanted: int) -> list[tuple[int, float]]:
    """The `wanted` memories nearest `vector` (among `allowed` when filtered): exact up to
    `EXACT_LIMIT` memories, approximate beyond."""
    if allowed is None:
        return vectors.exact_all(vector, wanted) if len(vectors) <= EXACT_LIMIT else vectors.search(vector, wanted)
    if len(allowed) <= EXACT_LIMIT:
        return vectors.exact(vector, allowed, wanted)
    keep = set(allowed)
    found = vectors.search(vector, wanted * OVERSAMPLE)
    return [(key, score) for key, score in found if key in keep][:wanted]


def _hybrid(
    state: IndexState, vector: np.ndarray | None, text: str, rankings: dict[str, list[tuple[int, float]]]
) -> list[tuple[int, float]]:
    """The candidates of both rankings, each scored by `fusion.relevance`, best first."""
    cosines = dict(rankings.get("vector", []))
    candidates = list(
        dict.fromkeys([key for key, _ in rankings.get("vector", [])] + [key for key, _ in rankings["lexical"]])
    )
    if not candidates:
        return []
    missing = [key for key in candidates if key not in cosines]
    if missing and vector is not None:  # found by words only: their similarity still counts
        cosines.update(state.vectors.exact(vector, missing, len(missing)))
    covered = state.catalog.coverage(query_terms(text), candidates)
    scored = [(key, fusion.relevance(cosines.get(key, 0.0), covered[key])) for key in candidates]
    turns = state.catalog.sessions_of(candidates)
    if turns:  # a conversation's turns: "ok, sounds good" can answer little (`terms.informativeness`)
        texts = state.catalog.texts(list(turns))
        scored = [(key, score * informativeness(texts[key]) if key in turns else score) for key, score in scored]
    scored.sort(key=lambda item: (-item[1], item[0]))
    head = [key for key, _ in scored[: recency.DEPTH]]
    return recency.prefer_newer(scored, state.vectors, state.catalog.created_times(head))


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
