"""The state of a store is a function of the set of its records, whatever order they arrived in
(docs/sync.md): records of several devices, appended in any order, fold to the same memories,
versions, links and tombstones as the same records appended in stamp order."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnemo_cli.crypto import secrets
from mnemo_cli.embed.model_spec import EMBEDDED
from mnemo_cli.store import vector_blobs
from mnemo_cli.store.records import Record
from mnemo_cli.store.store import Store

KEY = secrets.keyfile(bytes(range(32)), "test")
DEVICES = ("a" * 32, "b" * 32, "c" * 32)


def stamp(n: int) -> str:
    return f"{1_700_000_000_000 + n // 3:012x}.{n % 3:04x}"


def remember(memory_id: str, t: int, device: str, supersedes: str | None = None) -> Record:
    vector = np.random.default_rng(int(memory_id, 16) % 2**32).standard_normal(EMBEDDED.dimension)
    vector = (vector / np.linalg.norm(vector)).astype(np.float32)
    fields = vector_blobs.fields(
        {"id": memory_id, "text": f"memory {memory_id}", "created_at": "2026-01-01T00:00:00+00:00"}, 2
    )
    fields.update({"model": EMBEDDED.id, "t": stamp(t), "from": device})
    if supersedes:
        fields["supersedes"] = supersedes
    return Record("remember", fields, vector_blobs.encode(vector, 2))


def history(seed: int, steps: int) -> list[Record]:
    """A causal history of three devices: each record names only memories remembered before it
    (by any device, as if synced), and is stamped later than them."""
    rng = random.Random(seed)
    records: list[Record] = []
    ids: list[str] = []
    for t in range(1, steps + 1):
        device = rng.choice(DEVICES)
        choice = rng.random()
        if not ids or choice < 0.35:
            ids.append(f"{len(ids) + 1:032x}")
            records.append(remember(ids[-1], t, device))
        elif choice < 0.5:
            ids.append(f"{len(ids) + 1:032x}")
            records.append(remember(ids[-1], t, device, supersedes=rng.choice(ids[:-1])))
        elif choice < 0.6:
            records.append(Record("forget", {"ids": [rng.choice(ids)], "at": "x", "t": stamp(t), "from": device}))
        elif choice < 0.85 and len(ids) > 1:
            src, dst = rng.sample(ids, 2)
            rel = rng.choice(["related", "cites"])
            fields = {"src": src, "dst": dst, "rel": rel, "created_at": "c", "t": stamp(t), "from": device}
            records.append(Record("link", fields))
        elif len(ids) > 1:
            src, dst = rng.sample(ids, 2)
            records.append(Record("unlink", {"src": src, "dst": dst, "created_at": "c", "t": stamp(t), "from": device}))
    return records


def state_of(path: Path, batches: list[list[Record]]) -> dict[str, object]:
    Store.create(path, [KEY]).close()
    with Store.open(path, KEY) as store:
        for batch in batches:
            store._append(batch)
            store.state()  # fold each batch in as it comes
    with Store.open(path, KEY) as store:  # and from a fresh start
        state = store.state()
        catalog = state.catalog
        memories = {m.id: catalog.superseded_by(m.id) for m in catalog.in_order()}
        return {
            "fingerprint": state.fingerprint(),
            "superseded_by": memories,
            "families": {i: catalog.family(i) and sorted(catalog.family(i)) for i in memories},
            "links": sorted((r.src, r.dst, r.rel, r.stamp) for r in catalog.link_rows()),
            "forgotten": catalog.tombstones(),
        }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(2, 30), cuts=st.lists(st.integers(0, 30), max_size=4))
def test_any_arrival_order_folds_to_the_same_state(tmp_path_factory, seed: int, steps: int, cuts: list[int]) -> None:
    records = history(seed, steps)
    shuffled = records[:]
    random.Random(seed + 1).shuffle(shuffled)
    edges = sorted({min(c, len(shuffled)) for c in cuts} | {0, len(shuffled)})
    batches = [shuffled[a:b] for a, b in itertools.pairwise(edges)]
    base = tmp_path_factory.mktemp("fold")
    assert state_of(base / "shuffled", batches) == state_of(base / "ordered", [records])


def test_concurrent_updates_keep_both_versions_the_later_current(tmp_path: Path) -> None:
    a, b, c = (f"{i:032x}" for i in (1, 2, 3))
    records = [remember(a, 1, DEVICES[0]), remember(b, 2, DEVICES[1], a), remember(c, 3, DEVICES[2], a)]
    for name, order in (("forward", records), ("backward", records[::-1])):
        Store.create(tmp_path / name, [KEY]).close()
        with Store.open(tmp_path / name, KEY) as store:
            for record in order:
                store._append([record])
            catalog = store.state().catalog
            assert catalog.head_of(a) == c and catalog.superseded_by(b) == c
            assert [m.id for m in store.history(c)] == [a, b, c]
            assert [m.id for m in store.list_memories()] == [c]


def test_a_forgotten_memory_is_not_brought_back_by_its_record_pulled_again(tmp_path: Path) -> None:
    a = f"{1:032x}"
    Store.create(tmp_path / "s", [KEY]).close()
    with Store.open(tmp_path / "s", KEY) as store:
        store._append([remember(a, 1, DEVICES[0])])
        store.forget([a])
        store._append([remember(a, 1, DEVICES[0])])
        assert not store.list_memories() and store.state().catalog.is_forgotten(a)


def test_compaction_of_a_synced_store_keeps_tombstones_and_the_fold(tmp_path: Path) -> None:
    records = history(7, 40)
    records.append(Record("chain", {"device": DEVICES[1], "own": False, "seq": 3, "tag": "00" * 16, "detail": {}}))
    Store.create(tmp_path / "s", [KEY]).close()
    with Store.open(tmp_path / "s", KEY) as store:
        store._append(records[::-1])
        before = store.state().fingerprint(), store.state().catalog.tombstones()
        store.compact()
        store._append(records)  # every record again, in order: nothing changes
        state = store.state()
        assert (state.fingerprint(), state.catalog.tombstones()) == before
        assert state.catalog.chain_marks()[DEVICES[1]].seq == 3
