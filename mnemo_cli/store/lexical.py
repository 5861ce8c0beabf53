"""The lexical side of recall: FTS5 answers a process's first recall, in-memory postings the next.

A cold `mnemo recall` asks one question: FTS5, already in the snapshot, answers it without building
anything. A process that recalls again (an agent, `mnemo serve`, a library user holding a `Store`)
then builds `index/lexicon.py` once, from FTS5's own index, and ranks and measures coverage there:
the same scores, a small share of the time at 10k memories and more (docs/performance.md). A query
word FTS5 reads as a phrase goes to FTS5 still.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from mnemo_cli.index.coverage import weighted
from mnemo_cli.index.lexicon import Unsupported
from mnemo_cli.index.terms import query_terms

if TYPE_CHECKING:
    from mnemo_cli.store.state import IndexState


def ranking(
    state: IndexState,
    text: str,
    limit: int,
    filters: tuple[Sequence[str], float | None, float | None, str | None] | None,
    allowed: Callable[[], Sequence[int]],
) -> list[tuple[int, float]]:
    """(key, lexical score) best first for the query `text`, of the memories recall may show:
    those passing `filters` (tags, since, until, session; `allowed()` lists them) or, without
    filters, every visible one."""
    tags, since, until, session = filters if filters is not None else ((), None, None, None)
    if _warm(state):
        try:
            hidden = set() if filters is not None else state.catalog.hidden_keys(time.time())
            return state.lexicon().rank(query_terms(text), limit, allowed if filters is not None else None, hidden)
        except Unsupported:
            pass
    return state.catalog.lexical(text, limit, tags, since, until, session)


def coverage(state: IndexState, terms: Sequence[str], keys: Sequence[int]) -> dict[int, float]:
    """key → the idf-weighted share of `terms` each of `keys` contains (`index/coverage.py`)."""
    if _warm(state):
        lexicon = state.lexicon()
        try:
            for term in terms:  # every word must be one token before any is counted
                lexicon.token(term)
            documents, matches = lexicon.matcher(keys)
            return weighted(terms, keys, documents, matches)
        except Unsupported:
            pass
    return state.catalog.coverage(terms, keys)


def _warm(state: IndexState) -> bool:
    """Whether this recall uses the in-memory index: not on a process's first recall unless a
    server said many will come (`WarmStore`), and never inside a transaction (what the index read
    there could still be rolled back)."""
    return (state.recalls > 0 or state.many_recalls) and not state.catalog.db.in_transaction
