"""Vectors in the log at the precision recall uses (docs/format.md 9.1): float32 in version 1 logs,
float16 from version 2. Recall must not tell them apart, and version 1 logs keep working."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import UnsupportedFormat
from mnemo_cli.log import frames, layout
from mnemo_cli.memories import NewMemory
from mnemo_cli.store import records, vector_blobs
from mnemo_cli.store.records import Record
from mnemo_cli.store.store import Store
from tests.fixtures import make_store_memories_v1 as old_fixture

SECRET = secrets.passphrase(old_fixture.PASSPHRASE, "fixture")
QUESTIONS = ["what does Dana drink in the morning?", "Alps hiking in July", "cello lessons", "music"]
finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)
vectors = hnp.arrays(np.float32, st.integers(1, 64), elements=finite32)


# -- the blob -------------------------------------------------------------------------------------


@given(vectors)
def test_float16_blob_round_trip(vector: np.ndarray) -> None:
    blob = vector_blobs.encode(vector, 2)
    assert len(blob) == 2 * len(vector)
    with np.errstate(over="ignore"):
        expected = vector.astype(np.float16).astype(np.float32)  # what the vector index stores
    assert np.array_equal(vector_blobs.decode([blob], 2, len(vector))[0], expected)
    assert vector_blobs.encode(vector_blobs.decode([blob], 2, len(vector))[0], 2) == blob


@given(vectors)
def test_float32_blob_round_trip(vector: np.ndarray) -> None:
    blob = vector_blobs.encode(vector, 1)
    assert np.array_equal(vector_blobs.decode([blob], 1, len(vector))[0], vector)


@given(st.binary(max_size=80), st.integers(1, 20), st.sampled_from([1, 2]))
def test_a_blob_of_the_wrong_length_is_refused(blob: bytes, dimension: int, version: int) -> None:
    if len(blob) == vector_blobs.width(version) * dimension:
        assert vector_blobs.decode([blob], version, dimension).shape == (1, dimension)
    else:
        with pytest.raises(ValueError, match="vector blob"):
            vector_blobs.decode([blob], version, dimension)


@given(
    vectors,
    st.text(max_size=20),
    st.sampled_from([[], ["t"]]),
    st.sampled_from([{}, {"k": 1}]),
    st.sampled_from([None, "", "chat"]),
)
def test_upgrading_a_v1_body_changes_its_vector_and_drops_empty_fields(
    vector: np.ndarray, text: str, tags: list, meta: dict, source: str | None
) -> None:
    fields = {"id": "a" * 32, "text": text, "model": "m", "tags": tags, "meta": meta, "source": source}
    old = records.encode(Record("remember", fields, vector_blobs.encode(vector, 1)))
    new = vector_blobs.upgraded(old, 1)
    kept = {name: value for name, value in fields.items() if value not in ([], {}, None)}
    assert new == records.encode(Record("remember", kept, vector_blobs.encode(vector, 2)))
    assert vector_blobs.fields(fields) == kept and vector_blobs.fields(fields, 1) == fields
    assert vector_blobs.upgraded(new, 2) == new
    link = records.encode(Record("link", {"src": "a", "dst": "b"}))
    assert vector_blobs.upgraded(link, 1) == link
    assert vector_blobs.upgraded(b"\xff\xff", 1) == b"\xff\xff"  # not a record: left for replay to refuse


# -- the log --------------------------------------------------------------------------------------


def log_header(path: Path) -> frames.LogHeader:
    (log,) = (path / layout.LOG_DIR).glob("*.mlog")
    return frames.decode_header(log.read_bytes()[: frames.HEADER_SIZE])


def remember_blobs(store: Store) -> list[int]:
    return [len(r.blob) for r in store._records() if r.op == "remember"]


def answers(store: Store) -> list[list[tuple[str, float, str]]]:
    """Every question's hits as (text, score, via), in both modes that use vectors."""
    return [
        [(hit.memory.text, hit.score, hit.via) for hit in store.recall(q, k=3, mode=mode)]
        for q in QUESTIONS
        for mode in ("vector", "hybrid")
    ]


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    return old_fixture.unpack(tmp_path)


def test_a_v1_fixture_store_compacts_into_a_v2_log_with_identical_recall(old_store: Path) -> None:
    assert log_header(old_store).version == 1
    with Store.open(old_store, SECRET) as store:
        before, vectors_before = answers(store), store.state().fingerprint()
        assert remember_blobs(store) == [4 * 384] * 3
        store.compact()
        assert log_header(old_store).version == 2
        assert remember_blobs(store) == [2 * 384] * 3
        assert not any({"meta", "source"} & set(r.fields) for r in store._records())  # empty: left out
        assert answers(store) == before
    with Store.open(old_store, SECRET) as store:
        assert answers(store) == before
        assert store.state().fingerprint() == vectors_before  # every field and vector, per memory


def test_a_v1_log_takes_new_memories_as_float32(old_store: Path) -> None:
    with Store.open(old_store, SECRET) as store:
        store.remember("The bakery on Elm Street sells rye bread on Fridays")
    assert log_header(old_store).version == 1
    with Store.open(old_store, SECRET) as store:
        assert remember_blobs(store) == [4 * 384] * 4
        assert store.recall("where to buy rye bread", k=1)[0].memory.text.startswith("The bakery")
        before = answers(store)
        store.compact()
        assert remember_blobs(store) == [2 * 384] * 4
        assert answers(store) == before


def test_a_log_written_the_old_way_recalls_exactly_as_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [text for text, _, _ in old_fixture.MEMORIES] + ["Dana's cello is in the attic", "July is hot"]
    found = []
    for version in (1, 2):
        monkeypatch.setattr(frames, "LOG_VERSION", version)
        path = tmp_path / f"v{version}"
        Store.create(path, [SECRET], recovery=False).close()
        with Store.open(path, SECRET) as store:
            store.remember_many([NewMemory(text=t) for t in texts])
        assert log_header(path).version == version
        with Store.open(path, SECRET) as store:
            assert remember_blobs(store) == [(6 - 2 * version) * 384] * len(texts)
            found.append(answers(store))
    assert found[0] == found[1]


def test_a_log_of_a_newer_version_is_refused_as_a_newer_format(old_store: Path) -> None:
    (log,) = (old_store / layout.LOG_DIR).glob("*.mlog")
    data = bytearray(log.read_bytes())
    data[8:10] = (3).to_bytes(2, "little")
    log.write_bytes(bytes(data))
    with pytest.raises(UnsupportedFormat, match="log version 3"), Store.open(old_store, SECRET) as store:
        store.list_memories()


@pytest.mark.parametrize("damage_header", [False, True])
def test_salvage_of_a_v1_log_writes_a_v2_store_with_the_same_recall(old_store: Path, damage_header: bool) -> None:
    from mnemo_cli.store.salvage import salvage

    with Store.open(old_store, SECRET) as store:
        before = answers(store)
    if damage_header:  # its version is then the one under which frame 0 authenticates
        (log,) = (old_store / layout.LOG_DIR).glob("*.mlog")
        data = bytearray(log.read_bytes())
        data[0] ^= 0xFF
        log.write_bytes(bytes(data))
    dest = old_store.parent / "salvaged"
    report = salvage(old_store, dest, SECRET)
    assert report.memories == 3 and not report.dropped and not report.lost_frames
    assert log_header(dest).version == 2
    with Store.open(dest, SECRET) as store:
        assert remember_blobs(store) == [2 * 384] * 3
        assert answers(store) == before


def test_a_v2_record_leaves_out_empty_tags_meta_and_source(tmp_path: Path, old_store: Path) -> None:
    path = tmp_path / "new"
    Store.create(path, [SECRET], recovery=False).close()
    with Store.open(path, SECRET) as store:
        bare = store.remember("nothing but text")
        full = store.remember("with everything", tags=["t"], meta={"k": 1}, source="chat")
    with Store.open(path, SECRET) as store:
        fields = {r.fields["id"]: r.fields for r in store._records() if r.op == "remember"}
        assert not {"tags", "meta", "source"} & set(fields[bare.id])
        given = fields[full.id]
        assert (given["tags"], given["meta"], given["source"]) == (["t"], {"k": 1}, "chat")
        shown = store.get(bare.id)
        assert (shown.tags, shown.meta, shown.source) == ((), {}, None)
    with Store.open(old_store, SECRET) as store:  # a version 1 log: written as before
        made = store.remember("appended to a v1 log")
        (record,) = [r for r in store._records() if r.fields.get("id") == made.id]
        assert (record.fields["tags"], record.fields["meta"], record.fields["source"]) == ([], {}, None)


def test_a_full_rekey_of_a_v1_log_writes_a_v2_log_with_identical_recall(old_store: Path) -> None:
    new = secrets.keyfile(bytes(range(32, 64)), "new")
    with Store.open(old_store, SECRET) as store:
        before, vectors_before = answers(store), store.state().fingerprint()
        store.rekey([new], recovery=False)
    assert log_header(old_store).version == 2
    with Store.open(old_store, new) as store:
        assert remember_blobs(store) == [2 * 384] * 3
        assert answers(store) == before
        assert store.state().fingerprint() == vectors_before


def test_a_reindex_of_a_v1_log_writes_float16_vectors_of_the_new_model(old_store: Path) -> None:
    from mnemo_cli.embed.model_spec import folder_spec
    from tests.embed.tiny_model import TINY_DIMENSION, build_tiny_model

    tiny = folder_spec(build_tiny_model(old_store.parent / "tiny"))
    with Store.open(old_store, SECRET) as store:
        store.reindex(tiny)
        assert remember_blobs(store) == [2 * TINY_DIMENSION] * 3
        assert store.recall("Dana tea", k=3, mode="vector")
    assert log_header(old_store).version == 2


def test_salvage_refuses_a_log_of_a_newer_version(old_store: Path) -> None:
    from mnemo_cli.store.salvage import salvage

    (log,) = (old_store / layout.LOG_DIR).glob("*.mlog")
    data = bytearray(log.read_bytes())
    data[8:10] = (3).to_bytes(2, "little")
    log.write_bytes(bytes(data))
    with pytest.raises(UnsupportedFormat, match="log version 3"):
        salvage(old_store, old_store.parent / "salvaged", SECRET)
    assert not (old_store.parent / "salvaged").exists()
