"""`reindex`: every memory re-embedded with another model, switched in one step; the store records
the model, later writes and queries use it, and no state ever holds vectors of two models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.embed.model_spec import EMBEDDED, ModelSpec, folder_spec
from mnemo_cli.errors import IntegrityError
from mnemo_cli.log import layout, snapshot_file
from mnemo_cli.memories import NewMemory
from mnemo_cli.store import store as store_module
from mnemo_cli.store.records import Record
from mnemo_cli.store.store import Store
from tests.embed.tiny_model import TINY_DIMENSION, build_tiny_model
from tests.helpers import crash_at_every_point

pytestmark = pytest.mark.slow
KEY = secrets.keyfile(bytes(range(32)), "test")
TEXTS = [
    "the cat sleeps on the sofa",
    "buy milk and eggs on the way home",
    "the dentist appointment is on friday at nine",
    "Dana prefers email over phone calls",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> ModelSpec:
    return folder_spec(build_tiny_model(tmp_path_factory.mktemp("models") / "tiny"))


def build(path: Path) -> list[str]:
    Store.create(path, [KEY], recovery=False).close()
    with Store.open(path, KEY) as store:
        made = store.remember_many([NewMemory(text=t, tags=["t"]) for t in TEXTS]).added
        store.link(made[0].id, made[1].id, "next")
        store.forget([made[3].id])
        return [m.id for m in made[:3]]


def models_in_log(store: Store) -> set[tuple[str, int]]:
    return {(r.fields["model"], len(r.blob) // 2) for r in store._records() if r.op == "remember"}  # float16


def visible(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    with Store.open(path, KEY) as store:
        return [(m.id, m.text) for m in store.memories()], [(link.src, link.dst) for link in store.all_links()]


def test_reindex_switches_every_vector_and_later_writes_follow(tmp_path: Path, tiny: ModelSpec) -> None:
    path = tmp_path / "s"
    ids = build(path)
    before = visible(path)
    with Store.open(path, KEY) as store:
        report = store.reindex(tiny)
        assert (report.changed, report.memories, report.previous) == (True, 3, EMBEDDED)
        assert store.model == tiny
        added = store.remember("the garden needs water")
        assert models_in_log(store) == {(tiny.id, TINY_DIMENSION)}
        assert store.stats()["model"] == tiny.id
        hits = store.recall("buy milk and eggs on the way home", mode="vector", k=1)
        assert hits[0].memory.id == ids[1] and hits[0].score == pytest.approx(1.0, abs=1e-2)
        assert store.verify(deep=True).deep
    memories, links = visible(path)
    assert memories == [*before[0], (added.id, "the garden needs water")] and links == before[1]
    with Store.open(path, KEY) as store:  # a new process learns the model from the log
        assert store.model == tiny
        assert store.reindex(tiny).changed is False
        store.reindex(EMBEDDED)
        assert models_in_log(store) == {(EMBEDDED.id, 384)}
        assert store.recall("where does the cat sleep?", mode="vector", k=1)[0].memory.id == ids[0]


def test_unchanged_model_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s"
    build(path)
    with Store.open(path, KEY) as store:
        head = store.head()
        report = store.reindex(EMBEDDED)
        assert not report.changed and store.head() == head


def test_the_model_survives_compaction_rekey_and_snapshots(
    tmp_path: Path, tiny: ModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "SNAPSHOT_EVERY", 4)
    path = tmp_path / "s"
    build(path)
    with Store.open(path, KEY) as store:
        store.reindex(tiny)
        store.remember_many([NewMemory(text=f"note {i} about tea") for i in range(5)])
        assert snapshot_file.listing(path, store.head().gen)
    with Store.open(path, KEY) as store:
        assert store.state().loaded_from == "snapshot" and store.model == tiny
        store.compact()
    with Store.open(path, KEY) as store:
        assert store.model == tiny and store.verify(deep=True).deep
        new_key = secrets.keyfile(bytes([5]) * 32, "new")
        store.rekey([new_key], recovery=False)
    with Store.open(path, new_key) as store:
        assert store.model == tiny
        assert models_in_log(store) == {(tiny.id, TINY_DIMENSION)}
        assert len(store.recall("tea", mode="vector", k=10)) == 8


def test_a_remember_racing_a_reindex_is_embedded_again(tmp_path: Path, tiny: ModelSpec) -> None:
    path = tmp_path / "s"
    build(path)
    writer = Store.open(path, KEY)
    writer.state()
    embedder = writer.embedder
    original = embedder.embed_documents
    raced: list[bool] = []

    def reindex_meanwhile(texts: list[str]) -> np.ndarray:
        vectors = original(texts)
        if not raced:
            raced.append(True)
            with Store.open(path, KEY) as other:
                other.reindex(tiny)
        return vectors

    embedder.embed_documents = reindex_meanwhile  # type: ignore[method-assign]
    try:
        added = writer.remember("written while the model changed")
    finally:
        embedder.embed_documents = original  # type: ignore[method-assign]
    assert raced
    with Store.open(path, KEY) as store:
        assert models_in_log(store) == {(tiny.id, TINY_DIMENSION)}
        assert store.get(added.id).text == "written while the model changed"
        assert store.verify(deep=True).deep


def test_a_model_record_after_memories_is_refused(tmp_path: Path, tiny: ModelSpec) -> None:
    path = tmp_path / "s"
    build(path)
    with Store.open(path, KEY) as store:
        store._append([Record("model", {"spec": tiny.to_json(), "at": "2026-01-01T00:00:00Z"})])
    with Store.open(path, KEY) as store, pytest.raises(IntegrityError, match="mixes two models"):
        store.memories()


def test_crash_at_every_point_of_reindex(tmp_path: Path, tiny: ModelSpec) -> None:
    pristine = tmp_path / "pristine"
    build(pristine)
    expected = visible(pristine)

    def reindex(path: Path) -> Callable[[], object]:
        store = Store.open(path, KEY)
        store.state()
        return lambda: store.reindex(tiny)

    outcomes = set()
    for n, path in crash_at_every_point(pristine, tmp_path, reindex):
        assert visible(path) == expected, n
        with Store.open(path, KEY) as after:
            outcomes.add(after.model.id)
            assert len(models_in_log(after)) == 1, n
            after.remember("the next writer cleans up")
            assert after.verify(deep=True).deep
        assert len(list((path / layout.LOG_DIR).iterdir())) == 1, n
    assert n >= 8
    assert outcomes == {EMBEDDED.id, tiny.id}
