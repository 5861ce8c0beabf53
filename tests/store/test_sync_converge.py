"""Devices converge (issue 18): several devices doing random remembers, updates, forgets, links,
unlinks and compactions, syncing through one remote in a random interleaving, hold the same
memories, versions and links once each has synced after the last change."""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnemo_cli.crypto import secrets
from mnemo_cli.store import sync
from mnemo_cli.store.records import Record
from mnemo_cli.store.store import Store
from tests.store.test_fold_order import remember as stamped_remember

KEY = secrets.keyfile(bytes(range(32)), "test")


def remember(memory_id: str, supersedes: str | None = None) -> Record:
    """A `remember` record as this device writes it (stamped when committed)."""
    record = stamped_remember(memory_id, 0, "", supersedes)
    fields = {k: v for k, v in record.fields.items() if k not in ("t", "from")}
    return Record("remember", fields, record.blob)


def state(store: Store) -> dict[str, object]:
    current = store.state()
    catalog = current.catalog
    ids = [m.id for m in catalog.in_order()]
    return {
        "fingerprint": current.fingerprint(),
        "current": {i: catalog.head_of(i) for i in ids},
        "history": {i: sorted(catalog.family(i)) for i in ids},
        "forgotten": sorted(row[0] for row in catalog.tombstones()),
    }


def act(store: Store, rng: random.Random, counter: list[int]) -> None:
    live = [m.id for m in store.list_memories()]
    choice = rng.random()
    if not live or choice < 0.35:
        counter[0] += 1
        store._append([remember(f"{counter[0]:032x}")])
    elif choice < 0.5:
        counter[0] += 1
        store._append([remember(f"{counter[0]:032x}", supersedes=rng.choice(live))])
    elif choice < 0.6:
        store.forget([rng.choice(live)])
    elif choice < 0.8 and len(live) > 1:
        src, dst = rng.sample(live, 2)
        store.link(src, dst, rng.choice(["related", "cites"]))
    elif choice < 0.9 and len(live) > 1:
        links = store.all_links()
        if links:
            link = rng.choice(links)
            store.unlink(link.src, link.dst)
    else:
        store.compact()


@settings(
    max_examples=int(os.environ.get("MNEMO_CONVERGE_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(5, 80))
def test_three_devices_converge_through_a_folder(tmp_path_factory, seed: int, steps: int) -> None:
    base = tmp_path_factory.mktemp("converge")
    remote = str(base / "remote")
    rng = random.Random(seed)
    Store.create(base / "d0", [KEY]).close()
    devices = [Store.open(base / "d0", KEY)]
    sync.sync(devices[0], remote)
    for n in (1, 2):
        devices.append(sync.clone(Store, base / f"d{n}", remote, KEY)[0])
    counter = [0]
    for _ in range(steps):
        device = rng.choice(devices)
        if rng.random() < 0.3:
            sync.sync(device)
        else:
            act(device, rng, counter)
    for _ in range(2):
        for device in devices:
            report = sync.sync(device)
            assert not report.problems
    states = [state(d) for d in devices]
    assert states[0] == states[1] == states[2]
    for device in devices:
        device.close()
