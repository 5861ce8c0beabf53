"""Key administration: the key slots that open a store, and replacing its data key.

`new_slots` makes the slots for a set of secrets plus a new recovery key (for `Store.create` and
`rekey`); `add_key_slot`, `remove_key_slot` and `change_passphrase` rewrite the slot table only,
never data; `rekey` re-encrypts every record under a new data key through
`generations.switch_generation`. Reading the slots without unlocking stays in `store.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mnemo_cli.crypto import aead, keyslots, secrets
from mnemo_cli.crypto.kdf import KdfParams, check_creatable, params_for_profile
from mnemo_cli.crypto.keyslots import KeySlot
from mnemo_cli.errors import UsageError
from mnemo_cli.log import keyslot_files, store_header
from mnemo_cli.log.head import Head
from mnemo_cli.log.journal import Journal
from mnemo_cli.store import vector_blobs
from mnemo_cli.store.generations import switch_generation

if TYPE_CHECKING:
    from mnemo_cli.store.store import Store


@dataclass
class RekeyReport:
    #: The key slots of the new data key (the old ones are gone).
    slots: list[KeySlot]
    #: The new recovery key, to be shown to the user once (None when none was made).
    recovery_key: str | None
    #: Records re-encrypted.
    frames: int
    key_id: int


def new_slots(
    given: Iterable[secrets.Secret],
    data_key: bytes,
    key_id: int,
    store_id: bytes,
    params: KdfParams,
    *,
    first: int,
    recovery: bool,
    label: str,
) -> tuple[list[KeySlot], str | None]:
    """Slots wrapping `data_key` for each of `given`, numbered from `first`, then (with `recovery`)
    one for a new recovery key named `label`. Returns (slots, the recovery key's text or None)."""
    given = list(given)
    recovery_text = None
    if recovery:
        raw = secrets.new_recovery_key()
        recovery_text = secrets.format_recovery_key(raw)
        given.append(secrets.Secret("recovery", raw, label))
    slots = [
        keyslots.make_slot(
            first + i, secret, data_key, key_id, store_id, params if secret.kind == "passphrase" else None
        )
        for i, secret in enumerate(given)
    ]
    return slots, recovery_text


def add_key_slot(store: Store, secret: secrets.Secret, *, kdf: str | KdfParams = "default") -> KeySlot:
    """Add a slot that opens this store with `secret` (a passphrase, keyfile or recovery key)."""
    params = params_for_profile(kdf) if isinstance(kdf, str) else kdf
    if secret.kind == "passphrase":
        check_creatable(params)
    with store.journal.exclusive():
        table, _notes = keyslot_files.read(store.path, store.store_id)
        slot = keyslots.make_slot(
            table.next_slot_id(),
            secret,
            store._data_key,
            store.unlocked_with.key_id,
            store.store_id,
            params if secret.kind == "passphrase" else None,
        )
        table = keyslots.with_slots(table, [*table.slots, slot])
        keyslot_files.write(store.path, table)
        store._table = table  # only once written: the rollback record must not name an unwritten seq
        store._record_seen(store.head())
    return slot


def remove_key_slot(store: Store, slot_id: int) -> KeySlot:
    """Remove a slot; never the last one."""
    with store.journal.exclusive():
        table, _notes = keyslot_files.read(store.path, store.store_id)
        found = [slot for slot in table.slots if slot.slot_id == slot_id]
        if not found:
            raise UsageError(f"there is no key slot {slot_id} (see `mnemo key list`)")
        key_id = store.unlocked_with.key_id
        if not any(slot.key_id == key_id and slot.slot_id != slot_id for slot in table.slots):
            raise UsageError("refusing to remove the last key slot: nothing could open the store")
        table = keyslots.with_slots(table, [slot for slot in table.slots if slot.slot_id != slot_id])
        keyslot_files.write(store.path, table)
        store._table = table
        store._record_seen(store.head())
    return found[0]


def change_passphrase(store: Store, new: secrets.Secret, *, kdf: str | KdfParams = "default") -> KeySlot:
    """Replace the passphrase slot (the one used to unlock, else the only one) with one for `new`.

    The new slot is written (both copies) before the old is removed: a crash in between leaves
    the old passphrase, the new one or both working, never neither."""
    passphrase_slots = [slot for slot in store._table.slots if slot.kind_name == "passphrase"]
    if store.unlocked_with.kind_name == "passphrase":
        old = store.unlocked_with
    elif len(passphrase_slots) == 1:
        old = passphrase_slots[0]
    elif not passphrase_slots:
        raise UsageError("this store has no passphrase slot to change; use `mnemo key add --passphrase`")
    else:
        raise UsageError("several passphrase slots: unlock with the one to change, or use `mnemo key remove`")
    added = add_key_slot(store, new, kdf=kdf)
    remove_key_slot(store, old.slot_id)
    return added


def rekey(
    store: Store,
    new_secrets: Sequence[secrets.Secret],
    *,
    kdf: str | KdfParams = "default",
    recovery: bool = True,
    lock_wait: float | None = None,
) -> RekeyReport:
    """Replace the data key: every record is re-encrypted under a new one, opened by `new_secrets`
    (plus a new recovery key unless `recovery` is false); every old key slot is removed.

    Order (docs/format.md, "Rekey"): slots for the new key are added beside the old ones; a new
    log generation is written under the new key; HEAD sealed under the new key makes it current
    (the commit point); then the old slots and files go. Interrupted, the store opens with the
    old secrets (before the commit) or the new ones (after), and running it again finishes.
    """
    params = params_for_profile(kdf) if isinstance(kdf, str) else kdf
    if any(s.kind == "passphrase" for s in new_secrets):
        check_creatable(params)
    if any(s.kind == "recovery" for s in new_secrets):
        raise UsageError("the new recovery key is made by rekey, not given to it")
    if not new_secrets:
        raise UsageError("the new data key needs a passphrase or a keyfile (a recovery key alone is not enough)")
    journal = store.journal
    with journal.exclusive(lock_wait):
        before = store.head()
        journal.refuse_if_rolled_back(before)
        # Every record is read (and authenticated) before anything is written: damage stops it here.
        _anchor, header, chain = journal.read(locked=True)
        bodies = [vector_blobs.upgraded(body, header.version) for body, _point in chain]  # a new log: f16
        table, _notes = keyslot_files.read(store.path, store.store_id)
        current = [slot for slot in table.slots if slot.key_id == before.key_id]
        key_id = max(slot.key_id for slot in table.slots) + 1  # never reuse the id of a retired key
        new_key = aead.random_bytes(32)
        first = max((slot.slot_id for slot in current), default=0) + 1
        added, recovery_text = new_slots(
            new_secrets,
            new_key,
            key_id,
            store.store_id,
            params,
            first=first,
            recovery=recovery,
            label="new recovery key",
        )
        # Both keys open the store until HEAD moves: leftovers of an interrupted rekey go now.
        table = keyslots.with_slots(table, [*current, *added])
        keyslot_files.write(store.path, table)
        new_journal = store._guarded(Journal(store.path, store.store_id, new_key))
        final = keyslots.with_slots(table, added)

        def take_new_key(_new: Head) -> None:  # HEAD names the new key's generation: the old slots go
            keyslot_files.write(store.path, final)
            store._journal, store._data_key, store._table = new_journal, new_key, final
            store.unlocked_with = added[0]
            store._state = None  # the old index was sealed under the old key

        new, _removed = switch_generation(store, new_journal, bodies, key_id, before.commit + 1, on_switch=take_new_key)
    return RekeyReport(slots=added, recovery_key=recovery_text, frames=new.frames, key_id=key_id)


def slots_at(path: Path) -> tuple[KeySlot, ...]:
    """The key slots of the store at `path`, read without unlocking (their metadata is not secret)."""
    header = store_header.read(path)
    table, _notes = keyslot_files.read(path, header.store_id)
    return table.slots
