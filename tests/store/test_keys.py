"""Key slots over time: add, remove, change the passphrase; data untouched; crash-safe."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import AuthenticationError, UsageError
from mnemo_cli.log import layout
from mnemo_cli.store.store import Store
from tests.helpers import crash_at_every_point, make_store, read_all

NEW = secrets.passphrase("a brand new passphrase", "test")


def log_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted((path / layout.LOG_DIR).iterdir())) + (path / "HEAD").read_bytes()


def test_add_and_remove_slots_without_touching_data(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 3)
    data = log_bytes(fx.path)
    extra = secrets.keyfile(bytes([7]) * 32, "extra")
    with Store.open(fx.path, fx.passphrase) as store:
        slot = store.add_key_slot(extra)
    assert read_all(fx.path, extra) == fx.records
    assert [s.kind_name for s in Store.key_slots(fx.path)] == ["passphrase", "keyfile", "recovery", "keyfile"]
    with Store.open(fx.path, extra) as store:
        store.remove_key_slot(1)
    with pytest.raises(AuthenticationError):
        Store.open(fx.path, fx.passphrase)
    assert read_all(fx.path, fx.keyfile) == fx.records
    assert log_bytes(fx.path) == data
    assert slot.slot_id == 4


def test_the_last_slot_stays(tmp_path: Path) -> None:
    key = secrets.keyfile(bytes(32), "k")
    store = Store.create(tmp_path / "s", [key], recovery=False)
    with pytest.raises(UsageError, match="last key slot"):
        store.remove_key_slot(1)
    with pytest.raises(UsageError, match="no key slot 9"):
        store.remove_key_slot(9)


def test_change_passphrase(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "s", 2)
    with Store.open(fx.path, fx.passphrase) as store:
        store.change_passphrase(NEW)
    with pytest.raises(AuthenticationError):
        Store.open(fx.path, fx.passphrase)
    assert read_all(fx.path, NEW) == fx.records
    # Unlocked by keyfile, the only passphrase slot is the one replaced.
    newer = secrets.passphrase("newer still", "t")
    with Store.open(fx.path, fx.keyfile) as store:
        store.change_passphrase(newer)
    assert read_all(fx.path, newer) == fx.records
    with pytest.raises(AuthenticationError):
        Store.open(fx.path, NEW)


def test_weak_passphrase_slots_are_refused_without_the_test_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fx = make_store(tmp_path / "s", 0)
    monkeypatch.delenv("MNEMO_TESTONLY_WEAKEN_KDF")
    from mnemo_cli.crypto import kdf

    with Store.open(fx.path, fx.keyfile) as store, pytest.raises(UsageError, match="weaker than the default"):
        store.add_key_slot(NEW, kdf=kdf.TESTONLY)


def test_crash_at_every_point_of_passwd_leaves_a_working_secret(tmp_path: Path) -> None:
    fx = make_store(tmp_path / "pristine", 1)

    def passwd(path: Path) -> Callable[[], object]:
        store = Store.open(path, fx.passphrase)
        return lambda: store.change_passphrase(NEW)

    outcomes = set()
    for n, path in crash_at_every_point(fx.path, tmp_path, passwd):
        works = []
        for name, secret in (("old", fx.passphrase), ("new", NEW)):
            try:
                assert read_all(path, secret) == fx.records
                works.append(name)
            except AuthenticationError:
                pass
        assert works, n
        outcomes.add(tuple(works))
        assert read_all(path, fx.keyfile) == fx.records
    assert n == 20  # two table rewrites, two copies each, five calls per atomic replace
    # Old alone (before the new slot landed), both (between the two rewrites), new alone (the
    # removal landed in the first copy): never neither.
    assert outcomes == {("old",), ("old", "new"), ("new",)}
