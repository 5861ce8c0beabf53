"""`store/forgetting.py`: the one forget plan `mnemo forget`, `mnemo prune` and the MCP forget tool
call (`Store.forget_request`): what a request names, what it refuses, when it needs `yes`."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import MemoryNotFound, UsageError
from mnemo_cli.store.forgetting import ForgetRequest, PruneRequest, chosen
from mnemo_cli.store.store import Store
from tests.reliability.stub_embedder import STUB

KEY = secrets.keyfile(bytes(range(32)), "test")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    Store.create(tmp_path / "s", [KEY], recovery=False).close()
    return Store.open(tmp_path / "s", KEY, embedder=STUB)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (lambda: ForgetRequest(), "say what to forget: ids, --query WORDS or --tag TAG"),
        (lambda: ForgetRequest(("abcd",), words="x"), "give ids, or --query/--tag, not both"),
        (lambda: ForgetRequest(("abcd",), tags=("t",)), "give ids, or --query/--tag, not both"),
        (lambda: PruneRequest(tags=("t",)), "say what to prune: --older-than AGE and/or --expired"),
    ],
)
def test_a_request_naming_nothing_or_both_ways_is_refused_before_any_store(request_, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        request_()


def test_a_filter_needs_yes_ids_do_not_and_a_dry_run_forgets_nothing(store: Store) -> None:
    a = store.remember("old tax receipt", tags=["scratch"])
    b = store.remember("grocery list", tags=["scratch"])
    keep = store.remember("Dana prefers email", tags=["people"])
    by_tag = ForgetRequest(tags=("scratch",))
    with pytest.raises(UsageError, match="this would forget 2 memories; add --yes, or --dry-run to list them"):
        store.forget_request(by_tag)
    dry = ForgetRequest(tags=("scratch",), dry_run=True)
    assert [m.id for m in store.forget_request(dry)] == [m.id for m in chosen(store, dry)]
    assert len(store.list_memories()) == 3
    assert store.forget_request(ForgetRequest(words="nothing matches this")) == []  # nothing chosen: no question
    assert {m.id for m in store.forget_request(ForgetRequest(tags=("scratch",), yes=True))} == {a.id, b.id}
    assert store.forget_request(ForgetRequest((keep.id[:8],))) == [keep]
    assert store.list_memories() == []
    with pytest.raises(MemoryNotFound):
        store.forget_request(ForgetRequest((keep.id,)))


def test_prune_chooses_by_age_without_asking(store: Store) -> None:
    old = store.remember("old note", created_at="2001-01-01T00:00:00Z")
    store.remember("new note")
    assert store.forget_request(PruneRequest(older_than="365d", dry_run=True)) == [old]
    assert len(store.list_memories()) == 2
    assert store.forget_request(PruneRequest(older_than="365d")) == [old]
    assert [m.text for m in store.list_memories()] == ["new note"]
