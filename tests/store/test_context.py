"""`with_context` (recall --context): grep -C-like windows around hits, checked on random sessions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnemo_cli.errors import UsageError
from mnemo_cli.index.catalog import Catalog
from mnemo_cli.memories import Hit, Memory
from mnemo_cli.store.context import MAX_CONTEXT, check_context, groups, with_context


def build(sessions: list[str | None]) -> tuple[Catalog, list[Memory]]:
    """One memory per entry, remembered in this order, all at the same moment (so the session order
    is the order remembered)."""
    catalog = Catalog()
    memories = []
    for i, session in enumerate(sessions):
        memory = Memory(f"{i:032x}", f"turn {i}", "2025-01-01T00:00:00Z", session=session)
        catalog.add(catalog.next_key(), memory, f"t{i}")
        memories.append(memory)
    return catalog, memories


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[str | None], list[int], int]:
    sessions = draw(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=1, max_size=25))
    hits = draw(st.lists(st.integers(0, len(sessions) - 1), unique=True, max_size=len(sessions)))
    return sessions, hits, draw(st.integers(0, 6))


@settings(max_examples=150, deadline=None)
@given(cases())
def test_context_windows(case: tuple[list[str | None], list[int], int]) -> None:
    sessions, hit_indexes, n = case
    catalog, memories = build(sessions)
    hits = [Hit(memories[i], 1.0 / (rank + 1)) for rank, i in enumerate(hit_indexes)]
    result = with_context(catalog, hits, n)
    ids = [h.memory.id for h in result]
    assert len(ids) == len(set(ids)), "a memory is shown twice"
    assert [h for h in result if not h.is_context] == hits, "hits are all there, in rank order"
    index_of = {m.id: i for i, m in enumerate(memories)}
    for group in groups(result):
        owners = [h for h in group if not h.is_context]
        assert len(owners) == 1
        owner = owners[0]
        positions = [index_of[h.memory.id] for h in group]
        assert positions == sorted(positions), "a group is in session order"
        session = sessions[index_of[owner.memory.id]]
        order = [i for i, s in enumerate(sessions) if s == session]
        for entry in group:
            if entry.is_context:
                assert entry.score is None and entry.via is not None
                assert entry.via["context_of"] == owner.memory.id
                assert session is not None and sessions[index_of[entry.memory.id]] == session
                offset = order.index(index_of[entry.memory.id]) - order.index(index_of[owner.memory.id])
                assert entry.via["offset"] == offset and 1 <= abs(offset) <= n
    # Everything within n of a hit in its session is shown somewhere (merged windows lose nothing).
    shown = set(ids)
    for i in hit_indexes:
        if sessions[i] is None:
            continue
        order = [j for j, s in enumerate(sessions) if s == sessions[i]]
        at = order.index(i)
        for j in order[max(0, at - n) : at + n + 1]:
            assert memories[j].id in shown


def test_overlapping_windows_merge_into_the_first_group() -> None:
    catalog, memories = build(["s"] * 6)
    first, second = Hit(memories[2], 0.9), Hit(memories[3], 0.5)
    result = with_context(catalog, [first, second], 2)
    assert [h.memory.text for h in result] == ["turn 0", "turn 1", "turn 2", "turn 4", "turn 3", "turn 5"]
    assert [[h.memory.text for h in g] for g in groups(result)] == [
        ["turn 0", "turn 1", "turn 2", "turn 4"],
        ["turn 3", "turn 5"],
    ]


def test_no_context_leaves_the_hits_alone() -> None:
    catalog, memories = build(["s", "s"])
    hits = [Hit(memories[0], 0.5)]
    assert with_context(catalog, hits, 0) == hits


@pytest.mark.parametrize("n", [-1, MAX_CONTEXT + 1, True])
def test_check_context_refuses_out_of_range(n: int) -> None:
    with pytest.raises(UsageError):
        check_context(n)
