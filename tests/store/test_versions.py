"""Conflicts without an LLM: exact duplicates return the existing memory, supersede and update keep
history while only the newest version is recalled."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import UsageError
from mnemo_cli.memories import NewMemory
from mnemo_cli.store.store import Store
from mnemo_cli.store.transfer import export_lines, parse_import

pytestmark = pytest.mark.slow
KEY = secrets.keyfile(bytes(range(32)), "test")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    Store.create(tmp_path / "s", [KEY]).close()
    return Store.open(tmp_path / "s", KEY)


def test_identical_text_returns_the_existing_memory(store: Store) -> None:
    first = store.remember("Dana prefers email")
    assert store.remember("Dana prefers email") == first
    assert store.head().frames == 1
    report = store.remember_many([NewMemory(text="Dana prefers email"), NewMemory(text="new"), NewMemory(text="new")])
    assert [m.text for m in report.added] == ["new"] and report.existing[0].id == first.id
    again = store.remember("Dana prefers email", allow_duplicate=True)
    assert again.id != first.id and len(store.list_memories()) == 3
    # The hash is keyed: no plain digest of the text exists anywhere in the store's files.
    import hashlib

    plain = hashlib.sha256(b"Dana prefers email").hexdigest().encode()
    assert all(plain not in p.read_bytes() for p in store.path.rglob("*") if p.is_file())


def test_a_forgotten_or_superseded_text_can_be_remembered_again(store: Store) -> None:
    first = store.remember("temporary")
    store.forget([first.id])
    assert store.remember("temporary").id != first.id


def test_supersede_hides_the_old_version_and_moves_links(store: Store) -> None:
    old = store.remember("Dana prefers email", tags=["people"])
    friend = store.remember("Dana works at Quill")
    store.link(friend.id, old.id, "same-person")
    new = store.remember("Dana prefers Signal now", supersedes=old.id[:6])
    assert new.supersedes == old.id
    assert [m.id for m in store.list_memories()] == [new.id, friend.id]
    assert all(hit.memory.id != old.id for hit in store.recall("how does Dana like to be contacted", k=5))
    assert [link.dst for link in store.links_of(friend.id)[0]] == [new.id]
    assert [m.id for m in store.history(old.id)] == [old.id, new.id]
    assert [m.id for m in store.history(new.id)] == [old.id, new.id]
    with pytest.raises(UsageError, match="already superseded"):
        store.remember("another", supersedes=old.id)


def test_update_makes_a_new_version(store: Store) -> None:
    old = store.remember("Dana prefers email", tags=["people"], meta={"source": "call"})
    new = store.update(old.id[:6], text="Dana prefers Signal", meta={"checked": "yes"})
    assert (new.text, new.tags, dict(new.meta)) == (
        "Dana prefers Signal",
        ("people",),
        {"source": "call", "checked": "yes"},
    )
    retagged = store.update(new.id, tags=["contacts"])
    assert retagged.text == "Dana prefers Signal" and retagged.tags == ("contacts",)
    assert [m.id for m in store.history(old.id)] == [old.id, new.id, retagged.id]
    assert [m.id for m in store.list_memories()] == [retagged.id]
    with pytest.raises(UsageError, match="nothing to update"):
        store.update(retagged.id)


def test_versions_survive_export_import_and_compaction(store: Store, tmp_path: Path) -> None:
    old = store.remember("v1")
    new = store.update(old.id, text="v2")
    exported = "".join(export_lines(store.memories(), store.all_links(), "jsonl"))
    Store.create(tmp_path / "copy", [KEY]).close()
    with Store.open(tmp_path / "copy", KEY) as copy:
        plan = parse_import(exported, "e.jsonl")
        copy.remember_many(plan.memories)
        assert "".join(export_lines(copy.memories(), copy.all_links(), "jsonl")) == exported
        assert [m.text for m in copy.list_memories()] == ["v2"]
    store.compact()
    assert [m.id for m in store.history(new.id)] == [old.id, new.id]


def test_a_near_duplicate_is_reported_not_refused(store: Store) -> None:
    first = store.remember("Dana prefers email over phone calls.")
    report = store.remember_many([NewMemory(text="dana prefers email over phone calls")], find_similar=True)
    assert len(report.added) == 1
    ((new, other, score),) = report.similar
    assert (new.id, other.id) == (report.added[0].id, first.id) and score >= 0.98
    unrelated = store.remember_many([NewMemory(text="The tomato seedlings need repotting")], find_similar=True)
    assert unrelated.similar == []
