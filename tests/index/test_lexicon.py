"""The in-memory lexical index against FTS5: the same ranking, scores and coverage to the last bit,
on random catalogs, while memories come and go."""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnemo_cli.index import coverage as coverage_module
from mnemo_cli.index.catalog import Catalog
from mnemo_cli.index.lexicon import Lexicon, Unsupported, _size
from mnemo_cli.memories import Memory

#: Words that stem together (run, running, runs), carry diacritics (café, cafe), are numbers, date
#: words (may, friday, 2025) or a tag.
VOCABULARY = [
    "run", "running", "runs", "runner", "café", "cafe", "naïve", "lisbon", "trip", "tax", "filing",
    "dana", "tom", "may", "friday", "2025", "3", "garden", "tomato", "seedlings", "book", "club", "x",
]  # fmt: skip
TAGS = ["work", "home", "garden", "trip"]

texts = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=30).map(" ".join)
memories = st.lists(
    st.tuples(
        texts,
        st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
        st.integers(1, 28),
        st.integers(1, 12),
    ),
    min_size=1,
    max_size=40,
)
queries = st.lists(st.sampled_from([*VOCABULARY, "absent"]), min_size=1, max_size=6)


def memory(n: int, text: str, tags: list[str], day: int, month: int, **extra: str) -> Memory:
    return Memory(f"{n:032x}", text, f"2025-{month:02d}-{day:02d}T10:00:00Z", tuple(tags), **extra)


def add(catalog: Catalog, m: Memory) -> None:
    catalog.add(catalog.next_key(), m, f"text-{m.id}")


def fts_ranking(catalog: Catalog, words: list[str], limit: int) -> list[tuple[int, float]]:
    return catalog.lexical(" ".join(words), limit)


def lexicon_ranking(lexicon: Lexicon, catalog: Catalog, words: list[str], limit: int) -> list[tuple[int, float]]:
    from mnemo_cli.index.terms import query_terms

    return lexicon.rank(query_terms(" ".join(words)), limit, None, catalog.hidden_keys(time.time()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(memories, st.lists(queries, min_size=1, max_size=4), st.integers(1, 12), st.data())
def test_ranks_as_fts5_does_while_memories_come_and_go(stored, asked, limit, data) -> None:  # type: ignore[no-untyped-def]
    catalog = Catalog()
    for n, (text, tags, day, month) in enumerate(stored):
        add(catalog, memory(n, text, tags, day, month))
    lexicon = Lexicon(catalog)
    fresh = itertools.count(1000)
    for words in asked:
        assert lexicon_ranking(lexicon, catalog, words, limit) == fts_ranking(catalog, words, limit)
        # Then the catalog changes under the lexicon: a memory more, one forgotten, one superseded.
        n = next(fresh)
        text, tags, day, month = data.draw(memories)[0]
        add(catalog, memory(n, text, tags, day, month))
        ids = [m.id for m in catalog.in_order()]
        catalog.remove(data.draw(st.sampled_from(ids)))
        ids = [m.id for m in catalog.in_order()]
        if ids:
            old = data.draw(st.sampled_from(ids))
            add(catalog, memory(next(fresh), data.draw(texts), [], 1, 1, supersedes=old))
    for words in asked:
        assert lexicon_ranking(lexicon, catalog, words, limit) == fts_ranking(catalog, words, limit)


@settings(max_examples=40, deadline=None)
@given(memories, queries)
def test_coverage_equals_fts5s(stored, words) -> None:  # type: ignore[no-untyped-def]
    catalog = Catalog()
    for n, (text, tags, day, month) in enumerate(stored):
        add(catalog, memory(n, text, tags, day, month))
    lexicon = Lexicon(catalog)
    keys = [key for (key,) in catalog.db.execute("SELECT key FROM memories")][::2]
    expected = catalog.coverage(words, keys)
    documents, matches = lexicon.matcher(keys)
    found = coverage_module.weighted(words, keys, documents, matches)
    assert found == expected


def test_a_word_fts5_splits_is_left_to_fts5() -> None:
    catalog = Catalog()
    add(catalog, memory(1, "foo bar baz", [], 1, 1))
    lexicon = Lexicon(catalog)
    with pytest.raises(Unsupported):
        lexicon.rank(["foo_bar"], 10, None, set())
    assert lexicon.token("Running") == "run"


def test_long_texts_have_their_multi_byte_lengths_read() -> None:
    catalog = Catalog()
    add(catalog, memory(1, " ".join(["garden"] * 300 + ["tomato"]), [], 1, 1))
    add(catalog, memory(2, "tomato garden", [], 2, 1))
    lexicon = Lexicon(catalog)
    assert lexicon_ranking(lexicon, catalog, ["tomato"], 5) == fts_ranking(catalog, ["tomato"], 5)
    assert _size(bytes([0x82, 0x2D, 0x01])) == 301 + 1  # SQLite varints: 2 × 128 + 45, then 1


def test_filters_pick_the_allowed_rows() -> None:
    catalog = Catalog()
    for n in range(6):
        add(catalog, memory(n, f"tomato garden {n}", ["home"] if n % 2 else [], 1 + n, 1))
    lexicon = Lexicon(catalog)
    allowed = catalog.filtered_keys(["home"], None, None)
    expected = catalog.lexical("tomato", 10, ["home"])
    assert lexicon.rank(["tomato"], 10, lambda: allowed, set()) == expected
    assert {key for key, _ in expected} == set(allowed)


def test_postings_beyond_the_budget_are_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from mnemo_cli.index import lexicon as lexicon_module

    monkeypatch.setattr(lexicon_module, "POSTING_BUDGET", 3)
    catalog = Catalog()
    for n in range(4):
        add(catalog, memory(n, "tomato garden lisbon", [], 1 + n, 1))
    lexicon = Lexicon(catalog)
    for words in (["tomato"], ["garden"], ["lisbon"], ["tomato", "garden"]):
        assert lexicon_ranking(lexicon, catalog, words, 10) == fts_ranking(catalog, words, 10)
        assert lexicon._posting_entries <= 4 and len(lexicon._postings) == 1
