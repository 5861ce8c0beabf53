from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnemo_cli.crypto import kdf, keyslots, secrets
from mnemo_cli.crypto.kdf import KdfParams
from mnemo_cli.crypto.keyslots import KeySlot, KeySlotFormatError, KeySlotTable
from mnemo_cli.errors import AuthenticationError, IntegrityError, UsageError

STORE_ID = bytes(range(16))
DATA_KEY = bytes(range(100, 132))


def table_with(*secret_list: secrets.Secret) -> KeySlotTable:
    slots = [
        keyslots.make_slot(i + 1, s, DATA_KEY, 1, STORE_ID, kdf.TESTONLY if s.kind == "passphrase" else None)
        for i, s in enumerate(secret_list)
    ]
    return KeySlotTable(STORE_ID, 1, tuple(slots))


slot_strategy = st.builds(
    KeySlot,
    slot_id=st.integers(0, 2**16 - 1),
    kind=st.sampled_from([keyslots.KIND_KEYFILE, keyslots.KIND_RECOVERY]),
    key_id=st.integers(0, 2**32 - 1),
    salt=st.binary(min_size=16, max_size=16),
    params=st.none(),
    wrapped=st.binary(min_size=72, max_size=72),
) | st.builds(
    KeySlot,
    slot_id=st.integers(0, 2**16 - 1),
    kind=st.just(keyslots.KIND_PASSPHRASE),
    key_id=st.integers(0, 2**32 - 1),
    salt=st.binary(min_size=16, max_size=16),
    params=st.builds(KdfParams, st.integers(1, 2**32 - 1), st.integers(1, 2**32 - 1), st.integers(1, 2**32 - 1)),
    wrapped=st.binary(min_size=72, max_size=72),
)


@given(
    st.binary(min_size=16, max_size=16),
    st.integers(0, 2**64 - 1),
    st.lists(slot_strategy, max_size=6, unique_by=lambda s: s.slot_id),
)
def test_table_round_trip_is_byte_identical(store_id: bytes, seq: int, slots: list[KeySlot]) -> None:
    table = KeySlotTable(store_id, seq, tuple(slots))
    encoded = keyslots.encode_table(table)
    decoded = keyslots.decode_table(encoded)
    assert decoded == table
    assert keyslots.encode_table(decoded) == encoded


@given(st.binary(max_size=600))
def test_garbage_is_a_format_error_only(data: bytes) -> None:
    with pytest.raises(KeySlotFormatError):
        keyslots.decode_table(data)


def test_every_kind_unlocks_its_own_slot() -> None:
    pw = secrets.passphrase("hunter2", "t")
    kf = secrets.keyfile(bytes(32), "t")
    rk = secrets.Secret("recovery", bytes([7]) * 32, "t")
    table = table_with(pw, kf, rk)
    for secret, slot_id in ((pw, 1), (kf, 2), (rk, 3)):
        key, slot = keyslots.unlock(table, secret)
        assert key == DATA_KEY
        assert slot.slot_id == slot_id


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (secrets.passphrase("hunter3", "MNEMO_PASSPHRASE"), "wrong passphrase"),
        (secrets.keyfile(bytes([1]) * 32, "keyfile k"), "does not open this store"),
        (secrets.Secret("recovery", bytes([8]) * 32, "r"), "does not open this store"),
    ],
)
def test_wrong_secrets_are_authentication_errors(secret: secrets.Secret, message: str) -> None:
    table = table_with(
        secrets.passphrase("hunter2", "t"), secrets.keyfile(bytes(32), "t"), secrets.Secret("recovery", bytes(32), "t")
    )
    with pytest.raises(AuthenticationError, match=message):
        keyslots.unlock(table, secret)


def test_a_kind_without_a_slot_says_so() -> None:
    with pytest.raises(AuthenticationError, match="no keyfile key slot"):
        keyslots.unlock(table_with(secrets.passphrase("a", "t")), secrets.keyfile(bytes(32), "t"))


def test_slot_metadata_is_authenticated() -> None:
    # Lowering a slot's KDF cost (a downgrade) breaks its tag: params are in the AAD.
    pw = secrets.passphrase("hunter2", "t")
    table = table_with(pw)
    slot = table.slots[0]
    cheaper = KeySlot(slot.slot_id, slot.kind, slot.key_id, slot.salt, KdfParams(1, 32, 1), slot.wrapped)
    with pytest.raises(AuthenticationError):
        keyslots.unlock(KeySlotTable(STORE_ID, 2, (cheaper,)), pw)
    # And a slot moved to another store's table does not open there.
    with pytest.raises(AuthenticationError):
        keyslots.unlock(KeySlotTable(bytes(16), 1, table.slots), pw)


def test_a_planted_4_tib_slot_is_refused_before_argon2_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    pw = secrets.passphrase("hunter2", "t")
    slot = table_with(pw).slots[0]
    bomb = KeySlot(1, slot.kind, slot.key_id, slot.salt, KdfParams(3, 4 * 1024**3, 4), slot.wrapped)  # 4 TiB in KiB

    def no_argon(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("Argon2 ran for a slot over the caps")

    monkeypatch.setattr("argon2.low_level.hash_secret_raw", no_argon)
    started = time.perf_counter()
    with pytest.raises(IntegrityError, match="outside the caps"):
        keyslots.unlock(KeySlotTable(STORE_ID, 1, (bomb,)), pw)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    "params",
    [
        KdfParams(17, 65536, 4),
        KdfParams(3, 65536, 17),
        KdfParams(3, 4 * 1024 * 1024 + 1, 4),
        KdfParams(0, 65536, 4),
        KdfParams(1, 7, 1),
    ],
)
def test_caps(params: KdfParams) -> None:
    with pytest.raises(IntegrityError):
        kdf.check_within_caps(params)


def test_weak_parameters_are_refused_at_creation_without_the_test_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNEMO_TESTONLY_WEAKEN_KDF")
    with pytest.raises(UsageError, match="weaker than the default"):
        kdf.check_creatable(kdf.TESTONLY)
    kdf.check_creatable(kdf.DEFAULT)
    kdf.check_creatable(kdf.SENSITIVE)
    assert kdf.params_for_profile("default") == kdf.DEFAULT
    assert kdf.params_for_profile("sensitive") == kdf.SENSITIVE
    monkeypatch.setenv("MNEMO_TESTONLY_WEAKEN_KDF", "1")
    kdf.check_creatable(kdf.TESTONLY)
    assert kdf.params_for_profile("default") == kdf.TESTONLY
    with pytest.raises(UsageError, match="unknown KDF profile"):
        kdf.params_for_profile("fast")


@pytest.mark.slow
def test_real_default_parameters_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one test that runs Argon2id at the real default cost (t=3, 64 MiB, p=4)."""
    monkeypatch.delenv("MNEMO_TESTONLY_WEAKEN_KDF")
    pw = secrets.passphrase("a real passphrase", "t")
    params = kdf.params_for_profile("default")
    kdf.check_creatable(params)
    slot = keyslots.make_slot(1, pw, DATA_KEY, 1, STORE_ID, params)
    assert slot.params == KdfParams(3, 65536, 4)
    table = KeySlotTable(STORE_ID, 1, (slot,))
    assert keyslots.unlock(table, pw)[0] == DATA_KEY
    # Known-answer check of the KDF itself against argon2-cffi's own high-level hasher.
    from argon2 import PasswordHasher
    from argon2.low_level import Type

    salt = bytes(16)
    ours = kdf.passphrase_kek(b"password", salt, params)
    hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4, hash_len=32, salt_len=16, type=Type.ID)
    assert hasher.verify("$argon2id$v=19$m=65536,t=3,p=4$" + _b64(salt) + "$" + _b64(ours), "password")


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode().rstrip("=")
