"""Index snapshots: written by writers past a threshold, used on open, rebuilt when anything is off.

A snapshot is derived state. Whatever happens to it (missing, damaged, stale, from another copy of
the store), opening gives the same answers as replaying the whole log, and never an error.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.log import layout
from mnemo_cli.memories import NewMemory
from mnemo_cli.store import store as store_module
from mnemo_cli.store.store import Store
from tests.helpers import digest_tree

pytestmark = pytest.mark.slow
KEY = secrets.keyfile(bytes(range(32)), "test")
QUERIES = ["garden tomatoes", "train to Porto", "memory number 7", "birthday cake"]


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SNAPSHOT_EVERY", 8)


def populated(path: Path, n: int = 30) -> Path:
    Store.create(path, [KEY]).close()
    with Store.open(path, KEY) as store:
        store.remember_many(
            [
                NewMemory(text=f"memory number {i}: " + ["garden tomatoes", "train to Porto", "birthday cake"][i % 3])
                for i in range(n)
            ]
        )
        store.remember("one more, after the snapshot")
    return path


def snapshots(path: Path) -> list[Path]:
    return sorted((path / layout.INDEX_DIR).glob("*.snap"))


def answers(path: Path) -> tuple[str, list[list[str]]]:
    with Store.open(path, KEY) as store:
        result = [[hit.memory.id for hit in store.recall(q, k=5)] for q in QUERIES]
        return store.state().loaded_from, result


def rebuilt_answers(path: Path, tmp_path: Path) -> list[list[str]]:
    clean = tmp_path / "no-snapshot"
    shutil.copytree(path, clean)
    shutil.rmtree(clean / layout.INDEX_DIR, ignore_errors=True)
    source, result = answers(clean)
    assert source == "rebuilt"
    return result


def test_writers_snapshot_and_readers_replay_only_the_tail(tmp_path: Path) -> None:
    path = populated(tmp_path / "s")
    assert len(snapshots(path)) == 1
    with Store.open(path, KEY) as store:
        state = store.state()
        assert state.loaded_from == "snapshot"
        assert state.tail_frames() == 1  # only the memory after the snapshot was replayed
        assert state.catalog.count() == 31
    assert answers(path)[1] == rebuilt_answers(path, tmp_path)


def test_snapshot_names_its_chain_point_and_old_ones_are_pruned(tmp_path: Path) -> None:
    path = populated(tmp_path / "s")
    with Store.open(path, KEY) as store:
        for i in range(20):
            store.remember(f"extra {i}")
    names = [p.name for p in snapshots(path)]
    assert len(names) == 2  # the newest two are kept
    with Store.open(path, KEY) as store:
        gen = store.head().gen.hex()
        assert all(name.startswith(gen + ".") for name in names)
        assert store.state().tail_frames() < store_module.SNAPSHOT_EVERY


@pytest.mark.parametrize("damage", ["delete", "flip", "truncate", "garbage", "foreign"])
def test_a_bad_snapshot_means_a_rebuild_with_the_same_answers(tmp_path: Path, damage: str) -> None:
    path = populated(tmp_path / "s")
    expected = rebuilt_answers(path, tmp_path)
    (snap,) = snapshots(path)
    if damage == "delete":
        snap.unlink()
    elif damage == "flip":
        data = bytearray(snap.read_bytes())
        data[len(data) // 2] ^= 0x01
        snap.write_bytes(bytes(data))
    elif damage == "truncate":
        snap.write_bytes(snap.read_bytes()[:100])
    elif damage == "garbage":
        snap.write_bytes(b"MNSNAP\r\n" + bytes(500))
    else:  # a snapshot from another store under another key, renamed into place
        other = populated(tmp_path / "other")
        shutil.copyfile(snapshots(other)[0], snap)
    source, result = answers(path)
    assert source == "rebuilt"
    assert result == expected


def test_a_stale_snapshot_of_a_diverged_copy_is_not_trusted(tmp_path: Path) -> None:
    # Two copies share a history, then each commits something else; copy B's snapshot names a
    # frame count that A also has, but not A's chain.
    a = populated(tmp_path / "a", n=8)
    b = tmp_path / "b"
    shutil.copytree(a, b)
    with Store.open(a, KEY) as store:
        store.remember_many([NewMemory(text=f"only in a {i}") for i in range(10)])
    with Store.open(b, KEY) as store:
        store.remember_many([NewMemory(text=f"only in b {i}") for i in range(10)])
    for snap in snapshots(a):
        snap.unlink()
    for snap in snapshots(b):
        shutil.copyfile(snap, a / layout.INDEX_DIR / snap.name)
    with Store.open(a, KEY) as store:
        texts = {m.text for m in store.list_memories()}
        # B's newest snapshot (same frame count as A's log) is refused; its older one, taken before
        # the copies diverged, is a true point of A's chain and may serve.
        assert store.state().snapshot_frames < store.head().frames
    assert len(texts) == 19
    assert "only in a 3" in texts and "only in b 3" not in texts


def test_read_only_commands_never_write(tmp_path: Path) -> None:
    path = populated(tmp_path / "s")
    for snap in snapshots(path):  # now the whole log is a tail far past the threshold
        snap.unlink()
    before = digest_tree(path)
    with Store.open(path, KEY) as store:
        store.recall("cake", k=3)
        store.list_memories()
        list(store.memories())
        store.get(store.list_memories()[0].id)
        store.verify()
    assert digest_tree(path) == before


def test_the_snapshot_holds_no_plaintext(tmp_path: Path) -> None:
    path = populated(tmp_path / "s")
    with Store.open(path, KEY) as store:
        vector = store.embedder.embed_documents(["memory number 3: garden tomatoes"])[0]
    data = snapshots(path)[0].read_bytes()
    assert b"tomatoes" not in data and b"SQLite format" not in data
    assert vector.astype("<f4").tobytes()[:16] not in data
    assert vector.astype("<f2").tobytes()[:16] not in data


def test_verify_reports_the_snapshot_and_deep_compares_it_with_the_log(tmp_path: Path) -> None:
    from mnemo_cli.errors import IntegrityError

    path = populated(tmp_path / "s")
    with Store.open(path, KEY) as store:
        report = store.verify(deep=True)
        assert report.snapshot == "ok (covers 30 of 31 frames)" and report.deep
        # A snapshot that authenticates but lies (only a key holder's bug could write one).
        state = store.state()
        with state.catalog.db:
            state.catalog.db.execute("UPDATE memories SET text = 'tampered' WHERE key = 1")
        state.write_snapshot()
    with Store.open(path, KEY) as store:
        assert store.verify().snapshot.startswith("ok")
        with pytest.raises(IntegrityError, match="the index snapshot differs from the log"):
            store.verify(deep=True)
    (snap,) = [p for p in snapshots(path) if p.name.endswith(".31.snap")]
    snap.write_bytes(snap.read_bytes()[:-1])
    with Store.open(path, KEY) as store:
        report = store.verify(deep=True)  # the damaged newest is reported; loading falls back
        assert report.snapshot.startswith("damaged")
        assert any("unusable" in note for note in report.notes)


def test_a_snapshot_is_used_where_it_was_decrypted_and_still_takes_changes(tmp_path: Path) -> None:
    path = tmp_path / "s"
    Store.create(path, [KEY]).close()
    with Store.open(path, KEY) as store:  # 8 memories: the snapshot covers them all, no tail
        store.remember_many([NewMemory(text=f"memory number {i}: {QUERIES[i % 4]}") for i in range(8)])
    with Store.open(path, KEY) as store:
        state = store.state()
        assert state.loaded_from == "snapshot" and state.tail_frames() == 0
        assert isinstance(state._vector_bytes, memoryview)  # no copy of the vectors at open
        store.recall("garden tomatoes", k=3)
        assert state.vectors._viewed is not None  # searched where they lie
        store.remember("a new memory about garden tomatoes")  # the view becomes a copy of its own
        store.forget([store.recall("train to Porto", k=1)[0].memory.id])
        assert state.vectors._viewed is None
        after = [[hit.memory.id for hit in store.recall(q, k=5)] for q in QUERIES]
    assert answers(path)[1] == after == rebuilt_answers(path, tmp_path)


def test_opening_from_a_snapshot_builds_no_empty_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mnemo_cli.store import state as state_module

    path = populated(tmp_path / "s")
    made: list[object] = []
    real = state_module.Catalog

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, connection: object = None) -> None:
            made.append(connection)
            super().__init__(connection)  # type: ignore[arg-type]

    monkeypatch.setattr(state_module, "Catalog", Counting)
    with Store.open(path, KEY) as store:
        assert store.state().loaded_from == "snapshot"
    assert made == []  # the snapshot's catalog comes from Catalog.deserialize (of the real class)


def test_the_catalog_is_compressed_and_a_payload_5_snapshot_is_rebuilt(tmp_path: Path) -> None:
    import json
    import struct

    from mnemo_cli.index import snapshot as payload_codec
    from mnemo_cli.log import snapshot_file

    path = populated(tmp_path / "s")
    expected = rebuilt_answers(path, tmp_path)
    with Store.open(path, KEY) as store:
        state = store.state()
        payload = payload_codec.encode(state.catalog, state.vectors, state.model.to_json())
        (meta_len,) = struct.unpack_from("<I", payload)
        assert json.loads(payload[4 : 4 + meta_len])["version"] == payload_codec.PAYLOAD_VERSION
        assert payload[4 + meta_len + 8 : 4 + meta_len + 12] == b"\x28\xb5\x2f\xfd"  # a zstd frame
        (snap,) = snapshots(path)
        old = snapshot_file.read(snap, store._data_key, store.store_id)
        image, vectors = state.catalog.serialize(), state.vectors.serialize()
        meta = json.dumps({"version": 5, "model": state.model.to_json(), "dimension": 384, "count": 31}).encode()
        v5 = b"".join([struct.pack("<I", len(meta)), meta, struct.pack("<Q", len(image)), image])
        v5 += struct.pack("<Q", len(vectors)) + vectors
    snap.unlink()
    snapshot_file.write(path, store._data_key, store.store_id, snapshot_file.Snapshot(old.gen, old.point, v5))
    assert snapshots(path) == [snap]
    assert answers(path) == ("rebuilt", expected)


def test_an_older_mnemos_snapshot_is_rebuilt_with_a_note_until_the_next_change_saves_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mnemo_cli.index import snapshot as payload_codec
    from mnemo_cli.store import state as state_module

    monkeypatch.setattr(state_module, "REBUILD_NOTE_FRAMES", 20)
    with monkeypatch.context() as older:  # the snapshot an earlier payload version wrote
        older.setattr(payload_codec, "PAYLOAD_VERSION", payload_codec.PAYLOAD_VERSION - 1)
        path = populated(tmp_path / "store")
    before = snapshots(path)
    for _ in range(2):  # read-only: rebuilt at every start, and said so
        with Store.open(path, KEY) as store:
            assert store.state().loaded_from == "rebuilt"
            assert store.notes == [state_module.OLDER_SNAPSHOT_NOTE]
    assert snapshots(path) == before
    with Store.open(path, KEY) as store:  # one change saves a snapshot of this version at once
        store.remember("a change")
    with Store.open(path, KEY) as store:
        assert store.state().loaded_from == "snapshot" and store.notes == []


def test_a_small_store_is_rebuilt_without_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mnemo_cli.index import snapshot as payload_codec

    with monkeypatch.context() as older:
        older.setattr(payload_codec, "PAYLOAD_VERSION", payload_codec.PAYLOAD_VERSION - 1)
        path = populated(tmp_path / "store")
    with Store.open(path, KEY) as store:
        assert store.state().loaded_from == "rebuilt" and store.notes == []
