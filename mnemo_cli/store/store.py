"""`Store`: the library API over one encrypted store folder. The CLI and servers are adapters over it.

    store = Store.create(path, [secrets.passphrase("correct horse", "example")])
    store.append([Record("note", {"text": "hello"})])
    with Store.open(path, secret) as store:
        for record in store.records(): ...

This issue's skeleton: create, open (unlock), append and iterate records, verify, close. The
memory operations (remember, recall, link, ...) are built on `append` and `records`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mnemo_cli.crypto import aead, keyslots, secrets
from mnemo_cli.crypto.kdf import KdfParams, check_creatable, params_for_profile
from mnemo_cli.crypto.keyslots import KeySlot, KeySlotTable
from mnemo_cli.errors import IntegrityError, StoreExists, UsageError
from mnemo_cli.log import fileops, keyslot_files, layout, store_header
from mnemo_cli.log.head import Head
from mnemo_cli.log.journal import Journal
from mnemo_cli.store import records as record_codec
from mnemo_cli.store.location import store_path
from mnemo_cli.store.records import Record, RecordFormatError

KEY_ID = 1


@dataclass
class VerifyReport:
    path: Path
    store_id: str
    frames: int
    log_bytes: int
    uncommitted_bytes: int
    keyslot_copies: dict[str, str]
    ops: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Store:
    """An unlocked store. Open with `Store.open`, create with `Store.create`; close when done."""

    def __init__(self, path: Path, store_id: bytes, data_key: bytes, table: KeySlotTable, slot: KeySlot) -> None:
        self.path = path
        self.store_id = store_id
        self._table = table
        self.unlocked_with = slot
        self._journal: Journal | None = Journal(path, store_id, data_key)
        #: Set by `create` only: the recovery key, to be shown to the user once.
        self.recovery_key: str | None = None
        #: Things the user should hear about (a damaged key-slot copy, a trimmed tail).
        self.notes: list[str] = []

    # -- lifecycle --------------------------------------------------------------------------------

    @staticmethod
    def check_exists(path: Path | None = None) -> Path:
        """The store's path, or `StoreNotFound` (before anyone is asked for a secret)."""
        path = store_path() if path is None else Path(path)
        store_header.read(path)
        return path

    @classmethod
    def create(
        cls,
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
        _check_free(path)
        os.makedirs(path.parent, mode=0o700, exist_ok=True)
        work = path.parent / f".{path.name}.init-{aead.random_bytes(6).hex()}"
        store_id, data_key = aead.random_bytes(16), aead.random_bytes(32)
        fileops.mkdir(work)
        try:
            fileops.create_exclusive(work / layout.HEADER, store_header.encode(store_header.StoreHeader(store_id)))
            slots = [
                keyslots.make_slot(i + 1, s, data_key, KEY_ID, store_id, params if s.kind == "passphrase" else None)
                for i, s in enumerate(secret_list)
            ]
            recovery_text = None
            if recovery:
                recovery_key = secrets.new_recovery_key()
                recovery_text = secrets.format_recovery_key(recovery_key)
                recovery_secret = secrets.Secret("recovery", recovery_key, "recovery key")
                slots.append(keyslots.make_slot(len(slots) + 1, recovery_secret, data_key, KEY_ID, store_id))
            table = KeySlotTable(store_id, 1, tuple(slots))
            keyslot_files.write(work, table)
            fileops.create_exclusive(work / layout.LOCK, b"")
            Journal(work, store_id, data_key).initialise(KEY_ID)
            fileops.fsync_dir(work)
            try:
                fileops.rename_dir(work, path)
            except FileExistsError:
                raise StoreExists(f"a store appeared at {path} while this one was being created") from None
            fileops.fsync_dir(path.parent)
        except Exception:
            _remove_quietly(work)
            raise
        store = cls(path, store_id, data_key, table, slots[0])
        store.recovery_key = recovery_text
        return store

    @classmethod
    def open(cls, path: Path | None, secret: secrets.Secret) -> Store:
        """Unlock the store at `path` (default: `$MNEMO_HOME`) with `secret`."""
        path = store_path() if path is None else Path(path)
        header = store_header.read(path)
        table, notes = keyslot_files.read(path, header.store_id)
        data_key, slot = keyslots.unlock(table, secret)
        store = cls(path, header.store_id, data_key, table, slot)
        store.notes.extend(notes)
        store.head()  # HEAD must decrypt under this key: a wrong store or damaged anchor shows now
        return store

    def close(self) -> None:
        self._journal = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def journal(self) -> Journal:
        if self._journal is None:
            raise UsageError("the store is closed")
        return self._journal

    # -- records ----------------------------------------------------------------------------------

    def head(self) -> Head:
        return self.journal.read_head()

    def append(self, new: Sequence[Record], *, lock_wait: float | None = None) -> Head:
        """Commit `new` records, all or nothing, durably, before returning."""
        bodies = [record_codec.encode(r) for r in new]
        journal = self.journal
        head = journal.append(bodies, lock_wait=lock_wait)
        self.notes.extend(journal.notes)
        journal.notes.clear()
        return head

    def records(self, *, lock_wait: float | None = None) -> Iterator[Record]:
        """Every committed record, oldest first, authenticated and chain-checked."""
        for body in self.journal.replay(lock_wait=lock_wait):
            try:
                yield record_codec.decode(body)
            except RecordFormatError as e:
                raise IntegrityError(f"{self.path / layout.LOG_DIR}: {e}") from None

    @property
    def slots(self) -> tuple[KeySlot, ...]:
        return self._table.slots

    # -- checking ---------------------------------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Re-read everything: header, both key-slot copies, HEAD, every frame and the chain."""
        header = store_header.read(self.path)
        if header.store_id != self.store_id:
            raise IntegrityError(f"{self.path / layout.HEADER}: the store id changed while open")
        copies = {}
        for name in layout.KEYSLOTS:
            try:
                table = keyslots.decode_table(fileops.read_file(self.path / name))
                copies[name] = "ok" if table.store_id == self.store_id else "belongs to another store"
            except FileNotFoundError:
                copies[name] = "missing"
            except keyslots.KeySlotFormatError as e:
                copies[name] = f"damaged ({e})"
        if all(state != "ok" for state in copies.values()):
            raise IntegrityError(f"{self.path}: both key-slot copies are unusable")
        head = self.head()
        ops: dict[str, int] = {}
        for record in self.records():
            ops[record.op] = ops.get(record.op, 0) + 1
        log_file = layout.log_path(self.path, head.gen)
        size = log_file.stat().st_size
        report = VerifyReport(
            path=self.path,
            store_id=self.store_id.hex(),
            frames=head.frames,
            log_bytes=head.log_bytes,
            uncommitted_bytes=size - head.log_bytes,
            keyslot_copies=copies,
            ops=ops,
        )
        report.notes = [f"{name} is {state}; the other copy is used" for name, state in copies.items() if state != "ok"]
        if report.uncommitted_bytes:
            report.notes.append(
                f"{report.uncommitted_bytes} bytes after the last commit (an interrupted write; trimmed on next write)"
            )
        return report


def _check_free(path: Path) -> None:
    if not path.exists() and not path.is_symlink():
        return
    if (path / layout.HEADER).exists():
        raise StoreExists(f"a store already exists at {path}")
    if not path.is_dir() or any(path.iterdir()):
        raise StoreExists(f"{path} exists and is not an empty folder")


def _remove_quietly(work: Path) -> None:
    try:
        if work.exists():
            fileops.remove_tree(work)
    except Exception:  # the original error matters more than a leftover temporary folder
        pass
