"""One public `Store` operation brings the index state up to date with the log once (one HEAD read
and decryption), however many reads it makes, and still sees its own commits and everybody else's
commits made before it started (`store/operation.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.memories import NewMemory
from mnemo_cli.store.state import IndexState
from mnemo_cli.store.store import Store
from tests.reliability.stub_embedder import STUB

KEY = secrets.keyfile(bytes(range(32)), "test")


def open_stub(path: Path) -> Store:
    return Store.open(path, KEY, embedder=STUB)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    Store.create(tmp_path / "s", [KEY], recovery=False).close()
    with open_stub(tmp_path / "s") as opened:
        opened.remember_many([NewMemory(text=f"note {i} about the garden") for i in range(5)])
        opened.state()  # loaded: what follows only refreshes
        yield opened


@pytest.fixture
def refreshes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times an index state was brought up to date with the log (each reads HEAD)."""
    calls: list[int] = []
    original = IndexState.refresh

    def counted(self: IndexState, *, locked: bool = False) -> None:
        calls.append(1)
        original(self, locked=locked)

    monkeypatch.setattr(IndexState, "refresh", counted)
    return calls


def test_a_read_that_consults_the_state_many_times_refreshes_once(store: Store, refreshes: list[int]) -> None:
    first = next(iter(store.memories()))
    refreshes.clear()
    store.get(first.id[:6])  # resolves the prefix, then reads the memory: two uses of the state
    assert len(refreshes) == 1
    refreshes.clear()
    store.links_of(first.id)
    assert len(refreshes) == 1
    refreshes.clear()
    store.history(first.id)
    assert len(refreshes) == 1


def test_outside_an_operation_every_use_of_the_state_refreshes(store: Store, refreshes: list[int]) -> None:
    store.state()
    store.state()
    assert len(refreshes) == 2


def test_an_operation_sees_its_own_commits(store: Store, refreshes: list[int]) -> None:
    report = store.remember_many([NewMemory(text="the tomatoes ripened"), NewMemory(text="the tomatoes ripened")])
    assert len(report.added) == 1 and len(report.existing) == 1  # the batch's own duplicate is caught
    again = store.remember("the tomatoes ripened")  # the next operation sees the commit
    assert again.id == report.added[0].id
    assert store.get(again.id).text == "the tomatoes ripened"


def test_each_operation_sees_what_another_process_committed_before_it(store: Store, tmp_path: Path) -> None:
    before = {m.id for m in store.memories()}
    with open_stub(tmp_path / "s") as other:
        added = other.remember("written by another process")
    assert {m.id for m in store.memories()} == before | {added.id}
    assert store.get(added.id).text == "written by another process"
    with open_stub(tmp_path / "s") as other:
        other.forget([added.id])
    assert not store.has(added.id)


def test_an_operation_that_fails_ends_the_operation(store: Store, refreshes: list[int]) -> None:
    with pytest.raises(Exception, match="no memory"):
        store.get("ffffffff")
    refreshes.clear()
    store.state()
    store.state()
    assert len(refreshes) == 2  # outside an operation again
