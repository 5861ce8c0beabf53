"""Key slots: the one random data key, wrapped once per secret, and the table that holds them.

Pure bytes in, bytes out: the file I/O (two copies, written one after the other) is in
`log/keyslot_files.py`. Layouts are specified in docs/format.md, "Key slots".
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from mnemo_cli.crypto import aead
from mnemo_cli.crypto.kdf import (
    DEFAULT,
    SALT_BYTES,
    KdfParams,
    check_within_caps,
    checksum,
    keyed_hash,
    passphrase_kek,
)
from mnemo_cli.crypto.secrets import Secret
from mnemo_cli.errors import AuthenticationError, IntegrityError

KIND_PASSPHRASE = 1
KIND_KEYFILE = 2
KIND_RECOVERY = 3
KIND_NAMES = {KIND_PASSPHRASE: "passphrase", KIND_KEYFILE: "keyfile", KIND_RECOVERY: "recovery"}
KIND_BY_NAME = {name: kind for kind, name in KIND_NAMES.items()}

TABLE_MAGIC = b"MNKEYS\r\n"
TABLE_VERSION = 1
MAX_SLOTS = 64
_HEAD = struct.Struct("<8sHH16sQI")  # magic, version, reserved, store_id, seq, count: 40 bytes
_META = struct.Struct("<BBHI16sIII")  # kind, reserved, slot_id, key_id, salt, t, m_kib, p: 36 bytes
WRAPPED_BYTES = aead.NONCE_BYTES + 32 + aead.TAG_BYTES  # 72
SLOT_BYTES = _META.size + WRAPPED_BYTES  # 108
CHECKSUM_BYTES = 32
_CHECKSUM_PERSON = b"mnemo-keys-v1"
_SLOT_AAD = b"mnemo-slot-v1"
_KEK_PERSON = {KIND_KEYFILE: b"mnemo-keyfile-v1", KIND_RECOVERY: b"mnemo-recover-v1"}


class KeySlotFormatError(Exception):
    """A key-slot table's bytes are malformed (bad magic, version, checksum or field)."""


@dataclass(frozen=True)
class KeySlot:
    slot_id: int
    kind: int
    key_id: int
    salt: bytes
    params: KdfParams | None
    wrapped: bytes

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]

    @property
    def weak(self) -> bool:
        """A passphrase slot whose Argon2id cost is below the default (made by the test suite's
        switch, or by hand): a guess at its passphrase costs less than mnemo promises."""
        return self.params is not None and self.params.weaker_than(DEFAULT)

    def describe(self) -> dict[str, object]:
        """The slot as users see it in `--json` (number, kind, KDF parameters): nothing secret."""
        entry: dict[str, object] = {"slot": self.slot_id, "kind": self.kind_name, "key": self.key_id}
        if self.params is not None:
            entry["kdf"] = {
                "algorithm": "argon2id",
                "time_cost": self.params.time_cost,
                "memory_kib": self.params.memory_kib,
                "parallelism": self.params.parallelism,
            }
            entry["weak"] = self.weak
        return entry

    def meta(self) -> bytes:
        p = self.params or KdfParams(0, 0, 0)
        return _META.pack(self.kind, 0, self.slot_id, self.key_id, self.salt, p.time_cost, p.memory_kib, p.parallelism)


@dataclass(frozen=True)
class KeySlotTable:
    store_id: bytes
    seq: int
    slots: tuple[KeySlot, ...]

    def next_slot_id(self) -> int:
        return max((s.slot_id for s in self.slots), default=0) + 1


def _aad(store_id: bytes, meta: bytes) -> bytes:
    return _SLOT_AAD + store_id + meta


def _kek(kind: int, secret: Secret, salt: bytes, params: KdfParams | None) -> bytes:
    if kind == KIND_PASSPHRASE:
        assert params is not None
        return passphrase_kek(secret.material, salt, params)
    return keyed_hash(secret.material, _KEK_PERSON[kind], salt=salt)


def make_slot(
    slot_id: int,
    secret: Secret,
    data_key: bytes,
    key_id: int,
    store_id: bytes,
    params: KdfParams | None = None,
) -> KeySlot:
    """Wrap `data_key` under a key derived from `secret` (Argon2id with `params` for a passphrase)."""
    kind = KIND_BY_NAME[secret.kind]
    if (kind == KIND_PASSPHRASE) != (params is not None):
        raise ValueError("KDF parameters go with passphrase slots only")
    salt = aead.random_bytes(SALT_BYTES)
    unsealed = KeySlot(slot_id, kind, key_id, salt, params, b"")
    wrapped = aead.seal(_kek(kind, secret, salt, params), data_key, _aad(store_id, unsealed.meta()))
    return KeySlot(slot_id, kind, key_id, salt, params, wrapped)


def unlock(table: KeySlotTable, secret: Secret) -> tuple[bytes, KeySlot]:
    """The data key and the first slot that opened it; `AuthenticationError` if no slot of that kind does."""
    return next(openings(table, secret))


def openings(table: KeySlotTable, secret: Secret) -> Iterator[tuple[bytes, KeySlot]]:
    """Every (data key, slot) that `secret` opens, in table order, each KDF run only when reached.

    More than one when the same secret sits in slots of two data keys (during `rekey --full`);
    the caller picks the key HEAD is sealed under. `AuthenticationError` if none opens.
    """
    kind = KIND_BY_NAME[secret.kind]
    candidates = [slot for slot in table.slots if slot.kind == kind]
    if not candidates:
        raise AuthenticationError(f"this store has no {secret.kind} key slot")
    refused: IntegrityError | None = None
    opened = 0
    for slot in candidates:
        if slot.params is not None:
            try:
                check_within_caps(slot.params)
            except IntegrityError as e:
                refused = IntegrityError(f"key slot {slot.slot_id}: {e}")
                continue
        kek = _kek(kind, secret, slot.salt, slot.params)
        try:
            data_key = aead.open_sealed(kek, slot.wrapped, _aad(table.store_id, slot.meta()))
        except aead.TagMismatch:
            continue
        opened += 1
        yield data_key, slot
    if opened:
        return
    if refused is not None:
        raise refused
    what = {"passphrase": "wrong passphrase", "keyfile": "the keyfile", "recovery": "the recovery key"}[secret.kind]
    if secret.kind == "passphrase":
        raise AuthenticationError(f"{what} (from {secret.source}): no key slot opens with it")
    raise AuthenticationError(f"{what} (from {secret.source}) does not open this store")


def encode_table(table: KeySlotTable) -> bytes:
    if len(table.slots) > MAX_SLOTS:
        raise ValueError(f"at most {MAX_SLOTS} key slots")
    body = _HEAD.pack(TABLE_MAGIC, TABLE_VERSION, 0, table.store_id, table.seq, len(table.slots))
    body += b"".join(slot.meta() + slot.wrapped for slot in table.slots)
    return body + checksum(_CHECKSUM_PERSON, body)


def decode_table(data: bytes) -> KeySlotTable:
    if len(data) < _HEAD.size + CHECKSUM_BYTES:
        raise KeySlotFormatError("too short")
    body, check = data[:-CHECKSUM_BYTES], data[-CHECKSUM_BYTES:]
    if checksum(_CHECKSUM_PERSON, body) != check:
        raise KeySlotFormatError("checksum mismatch")
    magic, version, reserved, store_id, seq, count = _HEAD.unpack_from(body)
    if magic != TABLE_MAGIC:
        raise KeySlotFormatError("not a key-slot table (bad magic)")
    if version != TABLE_VERSION:
        raise KeySlotFormatError(f"unsupported key-slot table version {version}")
    if reserved != 0:
        raise KeySlotFormatError("reserved bytes are not zero")
    if count > MAX_SLOTS or len(body) != _HEAD.size + count * SLOT_BYTES:
        raise KeySlotFormatError("slot count does not match the size")
    slots = []
    for i in range(count):
        offset = _HEAD.size + i * SLOT_BYTES
        kind, reserved, slot_id, key_id, salt, t, m, p = _META.unpack_from(body, offset)
        if kind not in KIND_NAMES:
            raise KeySlotFormatError(f"slot {i}: unknown kind {kind}")
        if reserved != 0:
            raise KeySlotFormatError(f"slot {i}: reserved byte is not zero")
        params = KdfParams(t, m, p) if kind == KIND_PASSPHRASE else None
        if params is None and (t, m, p) != (0, 0, 0):
            raise KeySlotFormatError(f"slot {i}: KDF parameters on a {KIND_NAMES[kind]} slot")
        wrapped = bytes(body[offset + _META.size : offset + SLOT_BYTES])
        slots.append(KeySlot(slot_id, kind, key_id, bytes(salt), params, wrapped))
    if len({s.slot_id for s in slots}) != len(slots):
        raise KeySlotFormatError("duplicate slot ids")
    return KeySlotTable(bytes(store_id), seq, tuple(slots))


def with_slots(table: KeySlotTable, slots: Iterable[KeySlot]) -> KeySlotTable:
    """The next version of `table` (sequence number + 1) holding `slots`."""
    return KeySlotTable(table.store_id, table.seq + 1, tuple(slots))
