"""Forgetting, TTL and pruning through the Store API: hidden at once, everywhere, across reopen."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import MemoryNotFound, UsageError
from mnemo_cli.memories import NewMemory
from mnemo_cli.store import store as store_module
from mnemo_cli.store.store import Store

pytestmark = pytest.mark.slow
KEY = secrets.keyfile(bytes(range(32)), "test")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    Store.create(tmp_path / "s", [KEY]).close()
    return Store.open(tmp_path / "s", KEY)


def ids(memories) -> set[str]:
    return {m.id for m in memories}


def test_forgotten_memories_vanish_everywhere(store: Store, tmp_path: Path) -> None:
    keep = store.remember("Dana prefers email over phone calls", tags=["people"])
    gone = store.remember("The launch code for the demo is 4711", tags=["secret"])
    store.link(keep.id, gone.id, "mentions")
    assert ids(store.forget([gone.id[:8]])) == {gone.id}
    for reader in (store, Store.open(tmp_path / "s", KEY)):
        assert ids(reader.list_memories()) == {keep.id}
        assert all(hit.memory.id != gone.id for hit in reader.recall("launch code demo", k=5))
        assert all(
            hit.memory.id != gone.id for mode in ("vector", "lexical") for hit in reader.recall("4711", mode=mode)
        )
        assert ids(reader.memories()) == {keep.id}
        assert reader.links_of(keep.id) == ([], [])
        with pytest.raises(MemoryNotFound):
            reader.get(gone.id)
    assert store.stats()["memories"]["forgotten"] == 1


def test_forget_survives_snapshots_and_rebuilds(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SNAPSHOT_EVERY", 4)
    made = store.remember_many([NewMemory(text=f"note {i} about apples") for i in range(10)]).added
    store.forget([made[3].id, made[7].id])
    store.remember_many([NewMemory(text=f"later note {i}") for i in range(5)])  # snapshot after the forget
    fresh = Store.open(tmp_path / "s", KEY)
    assert fresh.state().loaded_from == "snapshot"
    assert len(fresh.list_memories()) == 13
    found = ids(hit.memory for hit in fresh.recall("note about apples", k=20, mode="vector"))
    assert made[3].id not in found and made[7].id not in found and len(found) == 13


def test_a_new_memory_never_reuses_a_forgotten_key(store: Store) -> None:
    first = store.remember("first")
    store.forget([first.id])
    second = store.remember("second one about pears")
    assert [hit.memory.id for hit in store.recall("pears", k=5, mode="vector")] == [second.id]


def test_forget_unknown_id(store: Store) -> None:
    with pytest.raises(MemoryNotFound):
        store.forget(["abcd1234"])


def test_ttl_hides_then_prune_removes(store: Store) -> None:
    brief = store.remember("a fleeting thought", ttl="1s")
    lasting = store.remember("a lasting thought")
    assert brief.expires_at is not None
    assert ids(store.list_memories()) == {brief.id, lasting.id}
    time.sleep(1.1)
    assert ids(store.list_memories()) == {lasting.id}
    assert all(hit.memory.id != brief.id for hit in store.recall("fleeting thought", k=5))
    assert store.stats()["memories"] == {"live": 1, "expired": 1, "forgotten": 0}
    assert ids(store.select(expired=True)) == {brief.id}
    store.forget([m.id for m in store.select(expired=True)])
    assert store.stats()["memories"] == {"live": 1, "expired": 0, "forgotten": 1}


def test_select_by_age_tag_and_words(store: Store) -> None:
    old = store.remember("old receipt for the bike", tags=["receipts"], created_at="2020-01-01")
    store.remember("new receipt for the bike", tags=["receipts"])
    store.remember("old diary page", created_at="2020-01-01")
    assert ids(store.select(older_than="365d", tags=["receipts"])) == {old.id}
    assert ids(store.select(words="receipt bike", older_than="365d")) == {old.id}
    assert len(store.select(words="receipt")) == 2
    assert store.select(words="?!") == []
    with pytest.raises(UsageError, match="bad --older-than"):
        store.select(older_than="ninety days")
    with pytest.raises(UsageError, match="bad --ttl"):
        store.remember("x", ttl="0d")
