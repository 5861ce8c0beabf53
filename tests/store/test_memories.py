"""The memory API of `Store`: remember, recall in every mode and filter, links, list, import plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import MemoryNotFound, UsageError
from mnemo_cli.memories import Link, NewMemory
from mnemo_cli.store import recall as recall_module
from mnemo_cli.store.store import Store
from mnemo_cli.store.transfer import export_lines, parse_import

pytestmark = pytest.mark.slow
KEY = secrets.keyfile(bytes(range(32)), "test")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    Store.create(tmp_path / "s", [KEY]).close()
    return Store.open(tmp_path / "s", KEY)


@pytest.fixture
def filled(store: Store) -> Store:
    store.remember("Dana prefers email over phone calls", tags=["people", "work"], created_at="2025-01-10T09:00:00Z")
    store.remember("The physician said my blood pressure is fine", tags=["health"], created_at="2025-03-14T10:00:00Z")
    store.remember("Booked the flight to Lisbon for the conference", tags=["travel", "work"], created_at="2025-06-01")
    store.remember("Zyxomatic is the codename of the new billing service", tags=["work"], created_at="2025-09-30")
    return store


def texts(hits) -> list[str]:
    return [hit.memory.text for hit in hits]


def test_remember_returns_the_stored_memory(store: Store) -> None:
    memory = store.remember("  hello\nworld ", tags=["a", " b ", "a"], meta={"k": [1, 2]}, source="test")
    assert len(memory.id) == 32 and int(memory.id, 16) >= 0
    assert memory.text == "  hello\nworld "
    assert memory.tags == ("a", "b")
    assert dict(memory.meta) == {"k": [1, 2]}
    assert abs(datetime.fromisoformat(memory.created_at) - datetime.now(UTC)) < timedelta(minutes=1)
    assert store.get(memory.id[:6]) == memory


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   "}, "the text is empty"),
        ({"text": "x", "created_at": "yesterday"}, "bad created_at"),
        ({"text": "x", "tags": [""]}, "a tag must be non-empty"),
        ({"text": "x", "meta": {"v": float("nan")}}, "metadata is not plain JSON"),
    ],
)
def test_bad_values_are_usage_errors_and_store_nothing(store: Store, kwargs: dict, message: str) -> None:
    text = kwargs.pop("text")
    with pytest.raises(UsageError, match=message):
        store.remember(text, **kwargs)
    assert store.head().frames == 0


def test_each_mode_finds_what_it_is_good_at(filled: Store) -> None:
    # Lexical: a rare exact word. Vector: a paraphrase sharing no words with the memory.
    assert texts(filled.recall("zyxomatic", k=1, mode="lexical")) == [
        "Zyxomatic is the codename of the new billing service"
    ]
    paraphrase = "what did the doctor tell me about my health"
    assert texts(filled.recall(paraphrase, k=1, mode="vector")) == ["The physician said my blood pressure is fine"]
    assert texts(filled.recall(paraphrase, k=1, mode="hybrid")) == ["The physician said my blood pressure is fine"]
    assert texts(filled.recall("zyxomatic", k=1, mode="hybrid")) == [
        "Zyxomatic is the codename of the new billing service"
    ]
    # Dates are searchable words too ("march" matches a memory from March).
    assert texts(filled.recall("march", k=1, mode="lexical")) == ["The physician said my blood pressure is fine"]


def test_scores_are_ordered_and_in_range(filled: Store) -> None:
    for mode in ("hybrid", "vector", "lexical"):
        hits = filled.recall("work email conference", k=4, mode=mode)
        scores = [hit.score for hit in hits]
        assert scores == sorted(scores, reverse=True)
        assert all(-1 <= s <= 1 for s in scores)
    assert filled.recall("zyxomatic", k=1, mode="hybrid")[0].score == pytest.approx(1.0)


def test_filters_apply_before_ranking(filled: Store) -> None:
    assert set(texts(filled.recall("anything at all", k=10, tags=["work"], min_score=0))) == {
        "Dana prefers email over phone calls",
        "Booked the flight to Lisbon for the conference",
        "Zyxomatic is the codename of the new billing service",
    }
    assert texts(filled.recall("anything", k=10, tags=["work", "travel"], min_score=0)) == [
        "Booked the flight to Lisbon for the conference"
    ]
    assert set(texts(filled.recall("anything", k=10, since="2025-03-01", until="2025-07-01", min_score=0))) == {
        "Booked the flight to Lisbon for the conference",
        "The physician said my blood pressure is fine",
    }
    assert filled.recall("anything", k=10, tags=["nope"]) == []
    assert filled.recall("anything", k=10, since="1d") == []


def test_filtered_recall_through_the_approximate_path(filled: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recall_module, "EXACT_LIMIT", 0)
    assert texts(filled.recall("doctor", k=5, tags=["health"], mode="vector")) == [
        "The physician said my blood pressure is fine"
    ]


def test_k_and_min_score(filled: Store) -> None:
    assert len(filled.recall("work", k=2)) == 2
    assert len(filled.recall("work", k=100, min_score=0)) == 4
    assert len(filled.recall("work", k=100)) < 4  # the default relevance floor drops what does not mention work
    best = filled.recall("zyxomatic", k=4, mode="vector")
    cut = best[1].score
    assert all(hit.score >= cut for hit in filled.recall("zyxomatic", k=4, mode="vector", min_score=cut))
    assert len(filled.recall("zyxomatic", k=4, mode="vector", min_score=cut)) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"query": " "}, "the query is empty"),
        ({"query": "x", "mode": "fuzzy"}, "unknown mode"),
        ({"query": "x", "k": 0}, "-k must be between 1 and 1,000,000"),
        ({"query": "x", "since": "some tuesday"}, "bad --since"),
        ({"query": "x", "since": "2025-06-01", "until": "2025-01-01"}, "is after --until"),
        ({"query": "x", "expand": -1}, "--expand must be 0 or more"),
    ],
)
def test_bad_queries(filled: Store, kwargs: dict, message: str) -> None:
    query = kwargs.pop("query")
    with pytest.raises(UsageError, match=message):
        filled.recall(query, **kwargs)


def test_empty_store_recalls_nothing(store: Store) -> None:
    assert store.recall("anything") == []
    assert store.list_memories() == []


def test_links_and_expansion(filled: Store) -> None:
    dana = filled.recall("Dana email", k=1, mode="lexical")[0].memory
    trip = filled.recall("Lisbon flight", k=1, mode="lexical")[0].memory
    code = filled.recall("zyxomatic", k=1, mode="lexical")[0].memory
    filled.link(dana.id[:5], trip.id, "met-at")
    filled.link(trip.id, code.id[:8], "planned-during")
    out, into = filled.links_of(trip.id)
    assert [(link.dst, link.rel) for link in out] == [(code.id, "planned-during")]
    assert [(link.src, link.rel) for link in into] == [(dana.id, "met-at")]
    hits = filled.recall("Dana email", k=1, mode="lexical", expand=2)
    assert [(h.memory.id, h.via) for h in hits[1:]] == [
        (trip.id, {"from": dana.id, "rel": "met-at", "direction": "out", "hops": 1}),
        (code.id, {"from": trip.id, "rel": "planned-during", "direction": "out", "hops": 2}),
    ]
    assert hits[1].score == pytest.approx(hits[0].score / 2)
    assert hits[2].score == pytest.approx(hits[0].score / 4)
    # Retyping replaces the relation; unlinking removes it.
    filled.link(dana.id, trip.id, "introduced")
    assert [link.rel for link in filled.links_of(dana.id)[0]] == ["introduced"]
    filled.unlink(dana.id, trip.id)
    assert filled.links_of(dana.id) == ([], [])
    with pytest.raises(MemoryNotFound, match="no link from"):
        filled.unlink(dana.id, trip.id)
    with pytest.raises(UsageError, match="cannot link to itself"):
        filled.link(dana.id, dana.id)


def test_id_prefixes(store: Store) -> None:
    twins = [NewMemory(text=f"twin {i}", id=f"abcdef{i}" + "0" * 25) for i in range(2)]
    store.remember_many(twins)
    with pytest.raises(UsageError, match=r"memory id abcdef is ambiguous: abcdef0{25}0, abcdef10{25}"):
        store.resolve("abcdef")
    assert store.resolve("abcdef1") == "abcdef1" + "0" * 25
    with pytest.raises(MemoryNotFound, match="no memory with id 1234"):
        store.resolve("1234")
    with pytest.raises(UsageError, match="too short"):
        store.resolve("abc")


def test_list_is_newest_first_with_filters(filled: Store) -> None:
    assert [m.created_at[:10] for m in filled.list_memories()] == [
        "2025-09-30",
        "2025-06-01",
        "2025-03-14",
        "2025-01-10",
    ]
    assert [m.created_at[:10] for m in filled.list_memories(limit=2, tags=["work"])] == ["2025-09-30", "2025-06-01"]
    assert [m.created_at[:10] for m in filled.list_memories(until="2025-02-01")] == ["2025-01-10"]


def test_another_process_s_writes_are_seen(store: Store, tmp_path: Path) -> None:
    store.remember("first")
    assert len(store.list_memories()) == 1
    other = Store.open(tmp_path / "s", KEY)
    other.remember("written by someone else")
    assert texts(store.recall("someone else", k=1, mode="lexical")) == ["written by someone else"]


def test_import_plan_lossless_round_trip(filled: Store, tmp_path: Path) -> None:
    first = filled.list_memories()
    filled.link(first[0].id, first[1].id, "next")
    exported = "".join(export_lines(filled.memories(), filled.all_links(), "jsonl"))
    Store.create(tmp_path / "copy", [KEY]).close()
    copy = Store.open(tmp_path / "copy", KEY)
    plan = parse_import(exported, "export.jsonl")
    report = copy.remember_many(plan.memories, links=[link for _, link in plan.links])
    assert (len(report.added), report.links_added) == (4, 1)
    assert "".join(export_lines(copy.memories(), copy.all_links(), "jsonl")) == exported
    again = copy.remember_many(plan.memories, links=[link for _, link in plan.links])
    assert (len(again.added), len(again.skipped), again.links_added) == (0, 4, 0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "ok"}\n{"text": "bad\n', "f.jsonl:2: not JSON"),
        ('{"text": "ok"}\n\n{"text": ""}\n', "f.jsonl:3: the text is empty"),
        ('{"text": "x", "when": "now"}\n', "f.jsonl:1: unknown key: when"),
        ('{"text": "x", "tags": "a"}\n', "f.jsonl:1: 'tags' must be a list"),
        ('{"text": "x", "created_at": "soon"}\n', "f.jsonl:1: bad created_at"),
        ('{"type": "memory", "id": "xyz", "text": "x"}\n', "f.jsonl:1: not a memory id"),
        ('{"type": "mnemo-export", "version": 9}\n', "f.jsonl:1: export version 9"),
        ('{"type": "thing"}\n', "f.jsonl:1: unknown entry type"),
        ("[1, 2]\n", "f.jsonl:1: expected a JSON object"),
    ],
)
def test_import_errors_name_the_line(content: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_import(content, "f.jsonl")


def test_links_need_both_ends(store: Store) -> None:
    a = store.remember("a")
    with pytest.raises(MemoryNotFound):
        store.remember_many([], links=[Link(a.id, "f" * 32, "x", "2025-01-01T00:00:00Z")])
