"""The store header and key slot tables on a sync remote: what `clone` opens a store from (docs/sync.md).

`header` on the remote is the store's `MNEMO` file, the same bytes on every device: the first
device to sync puts it there, the others check it is theirs. Each device puts its key slot table,
as it is on its disk, at `devices/<device>/keyslots.<table seq>` whenever the table changes
(`passwd`, `key add`, `key remove`), so a clone opens the store with any secret of the newest
table, and a change made on one device reaches the others.

A table's slots are authenticated one by one under the key each secret derives (docs/format.md
section 6): one the user's secret opens was made by someone who held that secret. A remote can
withhold the newest table and offer an older one, which a since-replaced passphrase still opens:
the same exposure as an old backup (docs/sync.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mnemo_cli.crypto.keyslots import KeySlotFormatError, KeySlotTable, decode_table, encode_table
from mnemo_cli.errors import IntegrityError, StoreNotFound
from mnemo_cli.log import fileops, keyslot_files, layout, store_header
from mnemo_cli.log.remotes import Remote
from mnemo_cli.log.store_header import StoreHeader

HEADER_NAME = "header"


def table_name(device: bytes, seq: int) -> str:
    return f"devices/{device.hex()}/keyslots.{seq:016x}"


def publish(remote: Remote, store: Path, device: bytes, staging: Path) -> list[str]:
    """Put the store's header (if the remote has none yet) and this device's current key slot table
    (if not there yet) on the remote; the names pushed. `IntegrityError` if the remote holds another
    store. `staging` is an empty local folder for what goes up."""
    header = fileops.read_file(store / layout.HEADER)
    store_id = store_header.decode(header).store_id
    listing = remote.listing()
    pushed = []
    if HEADER_NAME in listing:
        if remote.fetch([HEADER_NAME], staging) == [] and (staging / HEADER_NAME).read_bytes() != header:
            raise IntegrityError(f"{remote.description} holds another store (its header is not this store's)")
    else:
        _stage(staging, HEADER_NAME, header)
        pushed.append(HEADER_NAME)
    table, _ = keyslot_files.read(store, store_id)
    name = table_name(device, table.seq)
    if name not in listing:
        _stage(staging, name, encode_table(table))
        pushed.append(name)
    remote.push(staging, pushed)
    return pushed


@dataclass(frozen=True)
class RemoteKeys:
    header: StoreHeader
    header_bytes: bytes
    #: The newest key slot table any device put there.
    table: KeySlotTable
    #: One line for each table file that could not be used.
    notes: list[str]


def newest(remote: Remote, staging: Path) -> RemoteKeys:
    """The store header and the newest key slot table on the remote (`StoreNotFound` if it holds
    no store; `IntegrityError` if no table of it is usable)."""
    listing = remote.listing()
    if HEADER_NAME not in listing:
        raise StoreNotFound(f"no mnemo store at {remote.description}")
    tables = [name for name in listing if name.startswith("devices/") and "/keyslots." in name]
    missing = set(remote.fetch([HEADER_NAME, *tables], staging))
    if HEADER_NAME in missing:
        raise StoreNotFound(f"no mnemo store at {remote.description} (its header vanished)")
    header_bytes = (staging / HEADER_NAME).read_bytes()
    header = store_header.decode(header_bytes, where=f"{remote.description}: {HEADER_NAME}")
    found, notes = [], []
    for name in sorted(set(tables) - missing):
        try:
            table = decode_table((staging / name).read_bytes())
        except KeySlotFormatError as e:
            notes.append(f"{remote.description}: {name} is damaged ({e})")
            continue
        if table.store_id != header.store_id:
            notes.append(f"{remote.description}: {name} belongs to another store")
            continue
        found.append(table)
    if not found:
        raise IntegrityError(f"{remote.description} holds no usable key slot table", hint="; ".join(notes) or None)
    return RemoteKeys(header, header_bytes, max(found, key=lambda t: t.seq), notes)


def _stage(staging: Path, name: str, data: bytes) -> None:
    target = staging / name
    fileops.make_parents(target)
    fileops.write_outside(target, [data], sync=False)
