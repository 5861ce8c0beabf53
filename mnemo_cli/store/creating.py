"""Creating a store: a new folder (header, key slots with a recovery key, lock file, an empty log)
built under a temporary name beside its place and renamed into it, so a crash leaves either no
store or a complete one. `Store.create` delegates here; opening and unlocking stay in `store.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mnemo_cli.crypto import aead, secrets
from mnemo_cli.crypto.kdf import KdfParams, check_creatable, params_for_profile
from mnemo_cli.crypto.keyslots import KeySlotTable
from mnemo_cli.errors import StoreExists, UsageError
from mnemo_cli.log import fileops, keyslot_files, layout, store_header
from mnemo_cli.log.journal import Journal
from mnemo_cli.store import key_admin
from mnemo_cli.store.location import store_path

if TYPE_CHECKING:
    from mnemo_cli.store.store import Store

#: The id of a new store's data key (`rekey --full` numbers its successors).
KEY_ID = 1


def create(
    cls: type[Store],
    path: Path | None,
    secret_list: Sequence[secrets.Secret],
    *,
    kdf: str | KdfParams = "default",
    recovery: bool = True,
) -> Store:
    """Create a store with one key slot per secret (passphrase or keyfile), plus a recovery key.

    The folder is built under a temporary name beside `path` and renamed into place, so a
    crash leaves either no store or a complete one.
    """
    path = store_path() if path is None else Path(path)
    params = params_for_profile(kdf) if isinstance(kdf, str) else kdf
    check_creatable(params)
    if not secret_list and not recovery:
        raise UsageError("a store needs at least one secret")
    if any(s.kind == "recovery" for s in secret_list):
        raise UsageError("the recovery key is made by create, not given to it")
    check_free(path)
    store_id, data_key = aead.random_bytes(16), aead.random_bytes(32)
    slots, recovery_text = key_admin.new_slots(
        secret_list, data_key, KEY_ID, store_id, params, first=1, recovery=recovery, label="recovery key"
    )
    table = KeySlotTable(store_id, 1, tuple(slots))
    build(path, store_header.encode(store_header.StoreHeader(store_id)), table, data_key, KEY_ID)
    store = cls(path, store_id, data_key, table, slots[0])
    store.recovery_key = recovery_text
    return store


def build(path: Path, header: bytes, table: KeySlotTable, data_key: bytes, key_id: int) -> None:
    """Make the folder of a store with this header, key slot table and data key, and an empty log:
    under a temporary name beside `path`, renamed into place (`StoreExists` if one appeared)."""
    fileops.make_parents(path)
    work = path.parent / f".{path.name}.init-{aead.random_bytes(6).hex()}"
    fileops.mkdir(work)
    try:
        fileops.create_exclusive(work / layout.HEADER, header)
        keyslot_files.write(work, table)
        fileops.create_exclusive(work / layout.LOCK, b"")
        Journal(work, table.store_id, data_key).initialise(key_id)
        fileops.fsync_dir(work)
        try:
            fileops.rename_dir(work, path)
        except FileExistsError:
            raise StoreExists(f"a store appeared at {path} while this one was being created") from None
        fileops.fsync_dir(path.parent)
    except Exception:
        fileops.discard_tree(work)
        raise


def check_free(path: Path) -> None:
    """Refuse (`StoreExists`) unless `path` is free for a new store: missing, or an empty folder."""
    if not path.exists() and not path.is_symlink():
        return
    if (path / layout.HEADER).exists():
        raise StoreExists(f"a store already exists at {path}")
    if not path.is_dir() or any(path.iterdir()):
        raise StoreExists(f"{path} exists and is not an empty folder")
