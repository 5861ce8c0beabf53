"""The catalog's session queries: neighbours in session order, hidden memories skipped, filters."""

from __future__ import annotations

from mnemo_cli.index.catalog import Catalog
from mnemo_cli.memories import Memory


def memory(n: int, session: str | None, created_at: str = "2025-01-01T00:00:00Z", **extra: str) -> Memory:
    return Memory(f"{n:032x}", f"memory number {n}", created_at, session=session, **extra)


def catalog_of(memories: list[Memory]) -> Catalog:
    catalog = Catalog()
    for m in memories:
        catalog.add(catalog.next_key(), m, f"text-{m.id}")
    return catalog


def key(catalog: Catalog, n: int) -> int:
    found = catalog.key_of(f"{n:032x}")
    assert found is not None
    return found


def test_neighbours_follow_created_at_then_the_order_remembered() -> None:
    catalog = catalog_of(
        [
            memory(1, "s", "2025-01-01T00:00:03Z"),
            memory(2, "s", "2025-01-01T00:00:01Z"),
            memory(3, "other", "2025-01-01T00:00:02Z"),
            memory(4, "s", "2025-01-01T00:00:02Z"),
            memory(5, "s", "2025-01-01T00:00:02Z"),
            memory(6, None, "2025-01-01T00:00:02Z"),
        ]
    )
    order = [key(catalog, n) for n in (2, 4, 5, 1)]
    assert catalog.session_keys("s") == order
    assert catalog.session_neighbours(key(catalog, 4), 5, 5) == [(order[0], -1), (order[2], 1), (order[3], 2)]
    assert catalog.session_neighbours(key(catalog, 5), 1, 0) == [(order[1], -1)]
    assert catalog.session_neighbours(key(catalog, 2), 2, 2) == [(order[1], 1), (order[2], 2)]
    assert catalog.session_neighbours(key(catalog, 6), 3, 3) == []  # no session
    assert catalog.session_neighbours(999, 3, 3) == []


def test_neighbours_skip_superseded_and_expired_memories() -> None:
    catalog = catalog_of(
        [
            memory(1, "s", "2025-01-01T00:00:01Z"),
            memory(2, "s", "2025-01-01T00:00:02Z", expires_at="2025-01-02T00:00:00Z"),
            memory(3, "s", "2025-01-01T00:00:03Z"),
            memory(4, "s", "2025-01-01T00:00:04Z"),
            memory(5, "s", "2025-01-01T00:00:05Z", supersedes=f"{4:032x}"),
        ]
    )
    one, three, five = key(catalog, 1), key(catalog, 3), key(catalog, 5)
    assert catalog.session_neighbours(three, 1, 1) == [(one, -1), (five, 1)]
    assert catalog.session_keys("s") == [one, three, five]


def test_sessions_of_names_only_memories_with_one() -> None:
    catalog = catalog_of([memory(1, "a"), memory(2, None), memory(3, "b")])
    keys = [key(catalog, n) for n in (1, 2, 3)]
    assert catalog.sessions_of([*keys, 12345]) == {keys[0]: "a", keys[2]: "b"}
    assert catalog.sessions_of([]) == {}


def test_the_session_is_a_hard_filter_for_every_search() -> None:
    catalog = catalog_of([memory(1, "a"), memory(2, None), memory(3, "b"), memory(4, "a")])
    a = [key(catalog, 1), key(catalog, 4)]
    assert sorted(catalog.filtered_keys((), None, None, "a")) == a
    assert {m.session for m in catalog.newest((), None, None, None, "a")} == {"a"}
    assert len(catalog.newest((), None, None, None)) == 4
    assert sorted(k for k, _ in catalog.lexical("memory number", 10, session="a")) == a
    assert catalog.lexical("memory number", 10, session="zzz") == []
    assert catalog.get(f"{3:032x}") == memory(3, "b")
