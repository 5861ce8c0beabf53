"""`rekey --full`: a new data key under every byte of the store, new secrets only, and a crash at
any point leaves a store that opens (with the old secrets or the new ones) holding the same data."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.crypto.kdf import subkey
from mnemo_cli.errors import AuthenticationError, IntegrityError, UsageError
from mnemo_cli.log import fileops, frames, head, layout, snapshot_file
from mnemo_cli.log.fileops import Fault, SimulatedCrash
from mnemo_cli.memories import NewMemory
from mnemo_cli.store import store as store_module
from mnemo_cli.store.slot_strength import weak_slot_notes_at
from mnemo_cli.store.store import Store
from tests.helpers import crash_at_every_point, make_store, read_all

NEW = secrets.passphrase("the passphrase after the rekey", "test")
NEW_KEYFILE = secrets.keyfile(bytes([9]) * 32, "new keyfile")


def data_key(path: Path, secret: secrets.Secret) -> bytes:
    with Store.open(path, secret) as store:
        return store._data_key


def test_rekey_replaces_the_key_and_every_slot(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 5, batches=3)
    old_key = data_key(fx.path, fx.passphrase)
    old_log = next((fx.path / layout.LOG_DIR).iterdir()).read_bytes()
    with Store.open(fx.path, fx.keyfile) as store:
        report = store.rekey([NEW, NEW_KEYFILE])
        assert list(store._records()) == fx.records  # the open store goes on under the new key
    assert report.frames == 5 and report.key_id == 2 and report.recovery_key
    assert [(s.kind_name, s.key_id) for s in Store.key_slots(fx.path)] == [
        ("passphrase", 2),
        ("keyfile", 2),
        ("recovery", 2),
    ]
    recovery = secrets.passphrase(report.recovery_key, "test")
    for secret in (NEW, NEW_KEYFILE, recovery):
        assert read_all(fx.path, secret) == fx.records
    for secret in (fx.passphrase, fx.keyfile, fx.recovery):
        with pytest.raises(AuthenticationError):
            Store.open(fx.path, secret)
    new_key = data_key(fx.path, NEW)
    assert new_key != old_key
    # Nothing in the store opens under the old key: neither HEAD nor any frame of the log.
    logs = list((fx.path / layout.LOG_DIR).iterdir())
    assert len(logs) == 1
    raw = logs[0].read_bytes()
    with pytest.raises(IntegrityError):
        head.read(fx.path, subkey(old_key, "head"), store_id(fx.path))
    header = frames.decode_header(raw[: frames.HEADER_SIZE])
    point = frames.genesis(subkey(old_key, "log"), raw[: frames.HEADER_SIZE])
    with pytest.raises(frames.FrameError):
        frames.open_frame(subkey(old_key, "log"), header, point, raw, frames.HEADER_SIZE)
    assert raw != old_log and header.key_id == 2


def store_id(path: Path) -> bytes:
    from mnemo_cli.log import store_header

    return store_header.read(path).store_id


def test_rekey_needs_a_new_secret(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 1)
    with Store.open(fx.path, fx.passphrase) as store:
        with pytest.raises(UsageError, match="needs a passphrase or a keyfile"):
            store.rekey([])
        with pytest.raises(UsageError, match="recovery key is made by rekey"):
            store.rekey([fx.recovery])
    assert read_all(fx.path, fx.passphrase) == fx.records


def test_the_same_passphrase_may_open_the_new_key(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 2)
    old_key = data_key(fx.path, fx.passphrase)
    with Store.open(fx.path, fx.passphrase) as store:
        store.rekey([fx.passphrase], recovery=False)
    assert data_key(fx.path, fx.passphrase) != old_key
    assert [s.kind_name for s in Store.key_slots(fx.path)] == ["passphrase"]
    assert read_all(fx.path, fx.passphrase) == fx.records


def test_rekey_rewrites_the_index_snapshot_under_the_new_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SNAPSHOT_EVERY", 4)
    path = tmp_path / "s"
    Store.create(path, [NEW_KEYFILE], recovery=False).close()
    with Store.open(path, NEW_KEYFILE) as store:
        store.remember_many([NewMemory(text=f"memory {i} about tea") for i in range(6)])
        before = [(m.id, m.text) for m in store.memories()]
        hits = [h.memory.id for h in store.recall("tea", k=3)]
        old_key = store._data_key
        assert snapshot_file.listing(path, store.head().gen)
        store.rekey([NEW], recovery=False)
        gen = store.head().gen
    listing = snapshot_file.listing(path, gen)
    assert len(listing) == 1 and len(list((path / layout.INDEX_DIR).iterdir())) == 1
    with pytest.raises(snapshot_file.BadSnapshot):
        snapshot_file.read(listing[0][1], old_key, store_id(path))
    with Store.open(path, NEW) as store:
        assert [(m.id, m.text) for m in store.memories()] == before
        assert store.state().loaded_from == "snapshot"
        assert [h.memory.id for h in store.recall("tea", k=3)] == hits
        assert store.verify(deep=True).deep


def test_slots_of_a_retired_key_are_reported_and_can_go(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 2)
    reference = tmp_path / "reference"
    shutil.copytree(fx.path, reference)
    # Interrupt after the first key-slot rewrite (both copies): the new slots exist, HEAD is old.
    with Store.open(reference, fx.passphrase) as store:
        fileops.inject(None)
        store.rekey([NEW], recovery=False)
    with Store.open(fx.path, fx.passphrase) as store:
        fileops.inject(Fault(at=11))  # the 11th call: the first write of the new log generation
        with pytest.raises(SimulatedCrash):
            store.rekey([NEW], recovery=False)
    fileops.inject(None)
    with pytest.raises(AuthenticationError, match="no longer uses"):
        Store.open(fx.path, NEW)
    with Store.open(fx.path, fx.passphrase) as store:
        assert any("interrupted `mnemo rekey --full`" in note for note in store.notes)
        stale = [s.slot_id for s in store.slots if s.key_id != store.unlocked_with.key_id]
        assert stale == [4]
        with pytest.raises(UsageError, match="last key slot"):
            for slot in (1, 2, 3):  # the slots of the key in use: the last of them stays
                store.remove_key_slot(slot)
    with Store.open(fx.path, fx.recovery) as store:
        store.remove_key_slot(4)
        assert not [s for s in store.slots if s.key_id != store.unlocked_with.key_id]


def test_crash_at_every_point_of_rekey_leaves_a_working_secret(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "pristine", 4, batches=2)

    def rekey(path: Path) -> Callable[[], object]:
        store = Store.open(path, fx.passphrase)
        return lambda: store.rekey([NEW], recovery=False)

    outcomes = set()
    for n, path in crash_at_every_point(fx.path, tmp_path, rekey):
        works = []
        for name, secret in (("old", fx.passphrase), ("new", NEW)):
            try:
                assert read_all(path, secret) == fx.records, n
                works.append(name)
            except AuthenticationError:
                pass
        assert works, n
        outcomes.add(tuple(works))
        # Running it again from whichever secret works finishes the job, and cleans up.
        with Store.open(path, fx.passphrase if works == ["old"] else NEW) as again:
            again.rekey([NEW], recovery=False)
            report = again.verify()
            # The one note: its new slot is weak, as the suite's KDF makes every slot.
            assert report.uncommitted_bytes == 0 and report.notes == weak_slot_notes_at(path), n
        assert read_all(path, NEW) == fx.records
        assert len({s.key_id for s in Store.key_slots(path)}) == 1, n
        assert len(list((path / layout.LOG_DIR).iterdir())) == 1, n
    assert n >= 20
    assert outcomes == {("old",), ("new",)}
