"""Unlocking: which key slot and data key open a store, and, for a process that keeps a store open
(the agent), checking again that they still do. Both compare the store with what this user saw last
(`seen.py`, rollback detection) and name key slots left by an unfinished rekey.
`Store.open` and `Store.recheck` delegate here; the store's lifecycle stays in `store.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mnemo_cli import timings
from mnemo_cli.crypto import keyslots, secrets
from mnemo_cli.crypto.keyslots import KeySlot, KeySlotTable
from mnemo_cli.errors import AuthenticationError
from mnemo_cli.log import keyslot_files, store_header
from mnemo_cli.log.head import WrongKey
from mnemo_cli.store import seen

if TYPE_CHECKING:
    from mnemo_cli.embed.embedder import Embedder
    from mnemo_cli.store.store import Store


def open_store(
    cls: type[Store], path: Path, secret: secrets.Secret, embedder: Embedder | None, preload_model: bool
) -> Store:
    """`Store.open`: `unlock`, loading the embedding model meanwhile in a background thread when
    `preload_model` (and no embedder is given)."""
    with timings.phase("unlock"):
        preload = None
        if preload_model and embedder is None:
            from mnemo_cli.embed.embedder import Preload

            preload = Preload()
        try:
            store = unlock(cls, path, secret, embedder)
        except BaseException:
            if preload is not None:
                preload.cancel()
            raise
        store._preload = preload
        return store


def unlock(cls: type[Store], path: Path, secret: secrets.Secret, embedder: Embedder | None) -> Store:
    """The store at `path` unlocked by `secret`: the first of its key slots that opens the current data key."""
    header = store_header.read(path)
    table, notes = keyslot_files.read(path, header.store_id)
    seen_before = seen.read_raw(header.store_id, path)  # before HEAD: see `seen.read_raw`
    retired: list[KeySlot] = []
    for data_key, slot in keyslots.openings(table, secret):
        store = cls(path, header.store_id, data_key, table, slot)
        try:
            head = store.head()  # HEAD must decrypt under this key: a wrong store or damaged anchor shows now
        except WrongKey:
            if len({s.key_id for s in table.slots}) == 1:
                raise  # one data key: HEAD is damaged or foreign
            retired.append(slot)  # a key replaced by `rekey --full` (or of an unfinished one)
            continue
        store._embedder = embedder
        store.notes.extend(notes)
        store.notes.extend(seen.observe(seen_before, header.store_id, path, data_key, head, table.seq))
        store.notes.extend(stale_slot_notes(table, slot))
        return store
    listed = ", ".join(str(s.slot_id) for s in retired)
    raise AuthenticationError(
        f"this {secret.kind} opens key slot(s) {listed}, whose data key the store no longer uses "
        "(replaced by `mnemo rekey --full`, or from one that was interrupted)",
        hint="unlock with a secret given to the newer key (or the older one, if the rekey did not finish)",
    )


def recheck(store: Store) -> list[str]:
    """`open`'s checks made again, without the key derivation, for a process that keeps the
    store open across requests (the agent); returns the notes `open` would give now.

    `AuthenticationError` when this unlock no longer speaks for the store: the key slot it was
    unlocked with is gone or changed (a secret removed or replaced, a full rekey), or the folder
    holds another store now."""
    header = store_header.read(store.path)
    if header.store_id != store.store_id:
        raise AuthenticationError(f"{store.path} holds another store now")
    table, notes = keyslot_files.read(store.path, store.store_id)
    if store.unlocked_with not in table.slots:
        raise AuthenticationError("the secret this store was unlocked with no longer opens it")
    seen_before = seen.read_raw(store.store_id, store.path)  # before HEAD, as in `open`
    try:
        head = store.head()
    except WrongKey:
        raise AuthenticationError("the store's data key changed (a full rekey)") from None
    store._table = table
    notes.extend(seen.observe(seen_before, store.store_id, store.path, store._data_key, head, table.seq))
    return notes + stale_slot_notes(table, store.unlocked_with)


def stale_slot_notes(table: KeySlotTable, slot: KeySlot) -> list[str]:
    """Notes naming the slots of `table` that hold another data key than `slot` (a rekey not finished)."""
    stale = [s.slot_id for s in table.slots if s.key_id != slot.key_id]
    if not stale:
        return []
    listed = ", ".join(map(str, stale))
    return [
        f"key slot(s) {listed} hold a data key the store no longer uses (an interrupted "
        f"`mnemo rekey --full`): run it again, or `mnemo key remove` them"
    ]
