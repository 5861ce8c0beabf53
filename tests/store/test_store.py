"""The Store API: create, unlock with each kind of secret, append, read, refuse what it must."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import AuthenticationError, StoreBusy, StoreExists, StoreNotFound
from mnemo_cli.log import layout
from mnemo_cli.log.lock import StoreLock
from mnemo_cli.store.records import Record
from mnemo_cli.store.store import Store
from tests.helpers import digest_tree, make_store, read_all, store_files


def test_each_secret_kind_opens_the_same_records(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 5, batches=2)
    for secret in (fx.passphrase, fx.keyfile, fx.recovery):
        assert read_all(fx.path, secret) == fx.records


def test_open_reports_which_slot_opened(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 0)
    kinds = [Store.open(fx.path, s).unlocked_with.kind_name for s in (fx.passphrase, fx.keyfile, fx.recovery)]
    assert kinds == ["passphrase", "keyfile", "recovery"]


@pytest.mark.parametrize(
    "wrong",
    [
        secrets.passphrase("not the passphrase", "test"),
        secrets.keyfile(bytes([9]) * 32, "test"),
        secrets.passphrase(secrets.format_recovery_key(bytes(32)), "test"),
    ],
    ids=["passphrase", "keyfile", "recovery"],
)
def test_wrong_secret_changes_no_byte(tmp_path: Path, wrong: secrets.Secret) -> None:
    fx = make_store(tmp_path / "s", 2)
    before = digest_tree(fx.path)
    with pytest.raises(AuthenticationError):
        Store.open(fx.path, wrong)
    assert digest_tree(fx.path) == before


def test_create_refuses_an_existing_store_and_a_nonempty_folder(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 1)
    with pytest.raises(StoreExists, match="already exists"):
        Store.create(fx.path, [fx.passphrase])
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something").write_text("x")
    with pytest.raises(StoreExists, match="not an empty folder"):
        Store.create(busy, [fx.passphrase])
    empty = tmp_path / "empty"
    empty.mkdir()
    assert Store.create(empty, [fx.passphrase]).path == empty


def test_missing_store_and_non_store(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFound, match="no store at"):
        Store.check_exists(tmp_path / "nothing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(StoreNotFound, match="not a mnemo store"):
        Store.check_exists(tmp_path / "plain")


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_modes_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        fx = make_store(tmp_path / "deep" / "s", 2)
        with Store.open(fx.path, fx.keyfile) as store:
            store._append([Record("note", {"text": "more"})])
    finally:
        os.umask(old)
    assert (fx.path.stat().st_mode & 0o777) == 0o700
    for path in fx.path.rglob("*"):
        assert path.stat().st_mode & 0o777 == (0o700 if path.is_dir() else 0o600), path


def test_a_canary_never_reaches_the_disk(tmp_path: Path) -> None:
    canary = "zebra-canary-7f3a9c1e-ungoogleable"
    fx = make_store(tmp_path / "s", 0)
    with Store.open(fx.path, fx.keyfile) as store:
        store._append([Record("note", {"text": f"the secret is {canary}", "tags": [canary]}, canary.encode())])
    assert canary in str(read_all(fx.path, fx.keyfile))
    raw = canary.encode()
    needles = [raw, raw.hex().encode(), canary.encode("utf-16-le"), canary.encode("utf-16-be")]
    # base64 of the canary at each of the three alignments, minus the edge characters
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        needles.append(encoded[4:-4])
    needles.append(fx.keyfile.material)
    needles.append(b"memory number")
    for path in store_files(fx.path):
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, (path, needle)


def test_empty_append_writes_nothing(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 1)
    before = digest_tree(fx.path)
    with Store.open(fx.path, fx.keyfile) as store:
        store._append([])
    assert digest_tree(fx.path) == before


def test_a_held_lock_makes_writers_and_readers_wait_then_give_up(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 1)
    store = Store.open(fx.path, fx.keyfile)
    with StoreLock(fx.path / layout.LOCK).acquire(exclusive=True, wait=0):
        with pytest.raises(StoreBusy, match="busy"):
            store._append([Record("note", {})], lock_wait=0.2)
        with pytest.raises(StoreBusy):
            list(store._records(lock_wait=0.2))
    store._append([Record("note", {"text": "after"})], lock_wait=0.2)
    assert len(read_all(fx.path, fx.keyfile)) == 2


def test_readers_share_the_lock(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 2)
    with StoreLock(fx.path / layout.LOCK).acquire(exclusive=False, wait=0), Store.open(fx.path, fx.keyfile) as store:
        assert len(list(store._records(lock_wait=0.2))) == 2


def test_a_damaged_keyslot_copy_is_survived_and_reported(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 1)
    (fx.path / "keyslots").write_bytes(b"garbage")
    with Store.open(fx.path, fx.passphrase) as store:
        assert [r.fields for r in store._records()] == [fx.records[0].fields]
        assert store.notes == ["keyslots is damaged (too short); using the other copy"]
        assert store.verify().keyslot_copies == {"keyslots": "damaged (too short)", "keyslots.2": "ok"}
