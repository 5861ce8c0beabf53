"""`Store`: the library API over one encrypted store folder. The CLI and servers are adapters over it.

    Store.create(path, [secrets.passphrase("correct horse", "example")]).close()
    with Store.open(path, secret) as store:           # None for path: $MNEMO_HOME
        memory = store.remember("Dana prefers email", tags=["people"])
        for hit in store.recall("how do I reach Dana?", k=3):
            print(hit.score, hit.memory.text)

Writes go to the encrypted log (the source of truth); reads go through the derived index state
(`state.py`), loaded from a snapshot plus the log's tail and refreshed before every read. The raw
record API (`_append`, `_records`) is private: it skips every check `remember`, `link` and `forget`
make, so only this package and the tests use it.
This module is the core (open, lifecycle, records, state, reads); each other job is a module of
functions taking the store, which `Store` delegates to: `creating`, `unlocking`, `remembering`,
`queries`, `forgetting`, `generations` (compact, reindex), `key_admin` (slots, rekey), `checks` (verify).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnemo_cli import timings
from mnemo_cli.crypto import secrets
from mnemo_cli.crypto.kdf import KdfParams
from mnemo_cli.crypto.keyslots import KeySlot, KeySlotTable
from mnemo_cli.embed.model_spec import ModelSpec
from mnemo_cli.errors import IntegrityError, UsageError
from mnemo_cli.log import layout, snapshot_file, store_header
from mnemo_cli.log.head import Head
from mnemo_cli.log.journal import Journal
from mnemo_cli.memories import Hit, Link, Memory, NewMemory
from mnemo_cli.store import checks, creating, generations, key_admin, queries, remembering, rollback, seen, unlocking
from mnemo_cli.store import records as record_codec
from mnemo_cli.store.backup import BackupReport, backup_and_verify
from mnemo_cli.store.checks import VerifyReport
from mnemo_cli.store.forgetting import ForgetRequest, PruneRequest, carry_out
from mnemo_cli.store.generations import CompactReport, ReindexReport
from mnemo_cli.store.key_admin import RekeyReport
from mnemo_cli.store.location import store_path
from mnemo_cli.store.operation import operation
from mnemo_cli.store.records import Record, RecordFormatError
from mnemo_cli.store.remembering import COMMIT_BATCH, RememberReport, new_memory
from mnemo_cli.store.stamps import stamped
from mnemo_cli.store.state import IndexState

if TYPE_CHECKING:
    from mnemo_cli.embed.embedder import Embedder, Preload

#: A writer refreshes the index snapshot once the log holds this many frames beyond it.
SNAPSHOT_EVERY = 256

__all__ = ["COMMIT_BATCH", "SNAPSHOT_EVERY", "CompactReport", "NewMemory", "ReindexReport", "RekeyReport"]
__all__ += ["RememberReport", "Store", "VerifyReport", "new_memory"]


class Store:
    """An unlocked store. Open with `Store.open`, create with `Store.create`; close when done."""

    def __init__(self, path: Path, store_id: bytes, data_key: bytes, table: KeySlotTable, slot: KeySlot) -> None:
        self.path = path
        self.store_id = store_id
        self._table = table
        self.unlocked_with = slot
        self._journal: Journal | None = self._guarded(Journal(path, store_id, data_key))
        #: Set by `create` only: the recovery key, to be shown to the user once.
        self.recovery_key: str | None = None
        #: Things the user should hear about (a damaged key-slot copy, a trimmed tail).
        self.notes: list[str] = []
        self._data_key = data_key
        self._state: IndexState | None = None
        self._embedder: Embedder | None = None
        self._preload: Preload | None = None
        #: Inside a public operation (`operation`), and whether the state was refreshed during it.
        self._in_operation = False
        self._fresh = False

    # -- lifecycle --------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path | None,
        secret_list: Sequence[secrets.Secret],
        *,
        kdf: str | KdfParams = "default",
        recovery: bool = True,
    ) -> Store:
        """Create a store with one key slot per secret (passphrase or keyfile), plus a recovery key
        (`creating.create`: a crash leaves either no store or a complete one)."""
        return creating.create(cls, path, secret_list, kdf=kdf, recovery=recovery)

    @staticmethod
    def check_exists(path: Path | None = None) -> Path:
        """The store's path, or `StoreNotFound` (before anyone is asked for a secret)."""
        path = store_path() if path is None else Path(path)
        store_header.read(path)
        return path

    @classmethod
    def open(
        cls, path: Path | None, secret: secrets.Secret, *, embedder: Embedder | None = None, preload_model: bool = False
    ) -> Store:
        """Unlock the store at `path` (default: `$MNEMO_HOME`) with `secret`.

        `preload_model`: load the embedding model in a background thread from now on, for a caller
        about to embed (a cold `recall` or `remember`); `close` waits for the thread."""
        return unlocking.open_store(cls, store_path() if path is None else Path(path), secret, embedder, preload_model)

    def recheck(self) -> list[str]:
        """`open`'s checks made again without the key derivation, for a process that keeps the store
        open (the agent): the notes `open` would give now, or `AuthenticationError` (`unlocking.recheck`)."""
        return unlocking.recheck(self)

    def close(self) -> None:
        if self._preload is not None:
            self._preload.cancel()
            self._preload = None
        self._journal = None
        self._state = None
        self._data_key = b""

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

    def _append(
        self, new: Sequence[Record], *, lock_wait: float | None = None, expect_gen: bytes | None = None
    ) -> Head:
        """Commit `new` records (stamped: `store/stamps.py`), all or nothing, durably, before returning.
        `expect_gen`: only into that log generation, else `GenerationChanged` and nothing written."""
        mark = self._state.catalog.fold_mark() if self._state is not None else ""
        bodies = [record_codec.encode(r) for r in stamped(new, mark)]
        journal = self.journal
        self._fresh = False  # the next read sees this commit, or the generation that refused it
        head = journal.append(bodies, lock_wait=lock_wait, expect_gen=expect_gen)
        if bodies:  # a write accepts the store as it is: a rollback warning stops here
            self._record_seen(head)
        self.notes.extend(journal.notes)
        journal.notes.clear()
        return head

    def _record_seen(self, head: Head) -> None:
        """Remember, outside the store, the newest state this user has seen (rollback detection)."""
        seen.record(self.store_id, self.path, self._data_key, head, self._table.seq)

    def _guarded(self, journal: Journal) -> Journal:
        """`journal`, whose writers keep frames beyond HEAD when the store was rolled back."""
        journal.rollback_evidence = lambda anchor, tail: rollback.evidence(
            seen.read_raw(self.store_id, self.path), self.store_id, self.path, self._data_key, anchor, tail
        )  # read under the writers' lock, after HEAD: only a commit made before it can be recorded
        return journal

    def _records(self, *, lock_wait: float | None = None) -> Iterator[Record]:
        """Every committed record, oldest first, authenticated and chain-checked."""
        for body in self.journal.replay(lock_wait=lock_wait):
            try:
                yield record_codec.decode(body)
            except RecordFormatError as e:
                raise IntegrityError(f"{self.path / layout.LOG_DIR}: {e}") from None

    @property
    def slots(self) -> tuple[KeySlot, ...]:
        return self._table.slots

    # -- memories ---------------------------------------------------------------------------------

    @property
    @operation
    def embedder(self) -> Embedder:
        """The embedder of the model the store's vectors come from (`reindex` changes it)."""
        return self.embedder_for(self.state().model)

    def embedder_for(self, spec: ModelSpec) -> Embedder:
        if self._embedder is not None and self._embedder.model_id == spec.id:
            return self._embedder  # the one given to `open` (tests, benchmarks, servers)
        from mnemo_cli.embed.embedder import shared

        if self._preload is not None:
            self._preload.want(spec)  # its `load` then waits for a load under way there, not repeat it
        return shared(spec)

    @property
    @operation
    def model(self) -> ModelSpec:
        """The model the store's vectors come from."""
        return self.state().model

    def state(self) -> IndexState:
        """The index state, loaded on first use and brought up to date with the log: on every call
        outside an operation, once per public operation (`operation`) inside one."""
        if self._state is None:
            if self._preload is not None:
                with timings.phase("runtime"):  # the wait; the thread's own imports show as bg:runtime
                    self._preload.wait_imports()  # opening the index imports numpy: never in two threads
            with timings.phase("open"):
                state = IndexState(self.path, self.store_id, self._data_key, self.journal)
                state.load()
            self._state = state
            self.notes.extend(state.notes)  # an older mnemo's snapshot, rebuilt
            if self._preload is not None:
                self._preload.want(state.model)
        elif not self._fresh:
            self._state.refresh()
        self._fresh = self._in_operation
        return self._state

    @operation
    def remember(
        self,
        text: str,
        *,
        tags: Iterable[str] = (),
        meta: dict[str, Any] | None = None,
        created_at: str | datetime | None = None,
        source: str | None = None,
        ttl: str | None = None,
        supersedes: str | None = None,
        allow_duplicate: bool = False,
        session: str | None = None,
    ) -> Memory:
        """Store one memory (embedded now, committed durably before returning) and return it.

        `ttl` (e.g. `30d`): the memory expires that long after `created_at` and stops appearing
        in recall and list (`prune --expired` then removes it). `supersedes`: the id of a memory
        this one replaces (hidden from recall and list from now on; `history` keeps it).
        `session`: the conversation or thread it belongs to (`recall(context=n)` shows its turns).
        Remembering a text identical to a live memory returns that memory and stores nothing,
        unless `allow_duplicate` (`remember_many` tells the two cases apart)."""
        item = new_memory(
            text,
            tags=tags,
            meta=meta,
            created_at=created_at,
            source=source,
            ttl=ttl,
            supersedes=supersedes,
            session=session,
        )
        return self.remember_many([item], allow_duplicate=allow_duplicate).memory

    @operation
    def update(
        self,
        ref: str,
        *,
        text: str | None = None,
        tags: Iterable[str] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Memory:
        """A new version of a memory that supersedes it (`remembering.update`)."""
        return remembering.update(self, ref, text=text, tags=tags, meta=meta)

    @operation
    def history(self, ref: str) -> list[Memory]:
        """Every version of a memory, oldest first (only itself when it was never superseded)."""
        return self.state().catalog.history(self.resolve(ref))

    @operation
    def remember_many(
        self,
        items: Iterable[NewMemory],
        *,
        links: Iterable[Link] = (),
        progress: Callable[[int], None] | None = None,
        allow_duplicate: bool = False,
        find_similar: bool = False,
        report: RememberReport | None = None,
    ) -> RememberReport:
        """Store many memories, embedded and committed in batches (`remembering.remember_many`)."""
        return remembering.remember_many(
            self,
            items,
            links=links,
            progress=progress,
            allow_duplicate=allow_duplicate,
            find_similar=find_similar,
            report=report,
        )

    def _commit(self, new: list[Record]) -> None:
        head = self._append(new)
        self._maybe_snapshot(head)

    @staticmethod
    def _snapshot_due(frames_beyond: int) -> bool:
        """Whether a log this many frames beyond the newest snapshot deserves a new one."""
        return frames_beyond >= SNAPSHOT_EVERY  # below that, replaying the log is cheaper

    def _maybe_snapshot(self, head: Head) -> None:
        newest = snapshot_file.listing(self.path, head.gen)  # one this state could not use covers nothing
        covered = min(newest[0][0] if newest else 0, self._state.snapshot_frames if self._state else head.frames)
        if not self._snapshot_due(head.frames - covered):
            return
        state = self.state()  # loading takes the shared lock: never while holding the exclusive one
        with self.journal.exclusive():
            state.refresh(locked=True)  # whatever was committed meanwhile
            state.write_snapshot()

    @operation
    def resolve(self, ref: str) -> str:
        """The full id of the memory `ref` names (a full id or a unique prefix of at least 4 digits)."""
        return queries.resolve(self, ref)

    @operation
    def has(self, memory_id: str) -> bool:
        return self.state().catalog.has(memory_id)

    @operation
    def get(self, ref: str) -> Memory:
        memory = self.state().catalog.get(self.resolve(ref))
        assert memory is not None
        return memory

    @operation
    def links_of(self, ref: str) -> tuple[list[Link], list[Link]]:
        """(outgoing, incoming) links of a memory, oldest first."""
        memory_id, catalog = self.resolve(ref), self.state().catalog
        return catalog.links_from(memory_id), catalog.links_to(memory_id)

    @operation
    def link(self, src: str, dst: str, rel: str = "related") -> Link:
        """Add (or retype) the directed link src → dst."""
        return remembering.link(self, src, dst, rel)

    @operation
    def unlink(self, src: str, dst: str) -> None:
        remembering.unlink(self, src, dst)

    @operation
    def forget(self, refs: Iterable[str]) -> list[Memory]:
        """Forget memories (hidden from everything at once; their text leaves the disk at `compact`)."""
        return remembering.forget(self, refs)

    @operation
    def select(
        self,
        *,
        words: str | None = None,
        tags: Iterable[str] = (),
        older_than: str | None = None,
        expired: bool = False,
    ) -> list[Memory]:
        """Memories to forget or prune, oldest first (`queries.select`)."""
        return queries.select(self, words=words, tags=tags, older_than=older_than, expired=expired)

    @operation
    def forget_request(self, request: ForgetRequest | PruneRequest) -> list[Memory]:
        """Forget (or with `dry_run` only list) what a forget or prune request names (`forgetting`)."""
        return carry_out(self, request)

    @operation
    def recall(
        self,
        query: str,
        *,
        k: int = 5,
        mode: str = "hybrid",
        tags: Iterable[str] = (),
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        expand: int = 0,
        min_score: float | None = None,
        session: str | None = None,
        context: int = 0,
        now: str | datetime | None = None,
    ) -> list[Hit]:
        """The memories that best answer `query`, best first (`queries.recall`; docs/cli.md has the scores)."""
        return queries.recall(
            self,
            query,
            k=k,
            mode=mode,
            tags=tags,
            since=since,
            until=until,
            expand=expand,
            min_score=min_score,
            session=session,
            context=context,
            now=now,
        )

    @operation
    def list_memories(
        self,
        *,
        tags: Iterable[str] = (),
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        limit: int | None = None,
        session: str | None = None,
    ) -> list[Memory]:
        """Memories newest first (by `created_at`), filtered like recall (`queries.list_memories`)."""
        return queries.list_memories(self, tags=tags, since=since, until=until, limit=limit, session=session)

    @operation
    def memories(self) -> Iterable[Memory]:
        """Every memory in the order it was remembered (for export)."""
        return self.state().catalog.in_order()

    @operation
    def all_links(self) -> list[Link]:
        return self.state().catalog.all_links()

    @operation
    def compact(self, *, lock_wait: float | None = None) -> CompactReport:
        """Rewrite the live memories and links into a new log generation (`generations.compact`)."""
        return generations.compact(self, lock_wait=lock_wait)

    @operation
    def reindex(
        self,
        spec: ModelSpec,
        *,
        progress: Callable[[int], None] | None = None,
        lock_wait: float | None = None,
    ) -> ReindexReport:
        """Re-embed every memory with `spec`'s model and switch to it in one step (`generations.reindex`)."""
        return generations.reindex(self, spec, progress=progress, lock_wait=lock_wait)

    @operation
    def stats(self) -> dict[str, Any]:
        """Counts, log and snapshot positions, key slots and bytes on disk (read-only; `checks.stats`)."""
        return checks.stats(self)

    # -- backup -----------------------------------------------------------------------------------

    def backup(self, dest: Path, *, lock_wait: float | None = None) -> tuple[BackupReport, VerifyReport]:
        """Copy the store to `dest` (a new folder, or an earlier backup of it, updated in place),
        then verify the copy with this store's key. Writers wait while the copy is taken."""
        return backup_and_verify(self, dest, lock_wait=lock_wait)

    # -- key slots --------------------------------------------------------------------------------

    @staticmethod
    def key_slots(path: Path | None = None) -> tuple[KeySlot, ...]:
        """The store's key slots, read without unlocking (their metadata is not secret)."""
        return key_admin.slots_at(store_path() if path is None else Path(path))

    @operation
    def add_key_slot(self, secret: secrets.Secret, *, kdf: str | KdfParams = "default") -> KeySlot:
        """Add a slot that opens this store with `secret` (a passphrase, keyfile or recovery key)."""
        return key_admin.add_key_slot(self, secret, kdf=kdf)

    @operation
    def remove_key_slot(self, slot_id: int) -> KeySlot:
        """Remove a slot; never the last one."""
        return key_admin.remove_key_slot(self, slot_id)

    @operation
    def change_passphrase(self, new: secrets.Secret, *, kdf: str | KdfParams = "default") -> KeySlot:
        """Replace the passphrase slot (the one used to unlock, else the only one) with one for `new`."""
        return key_admin.change_passphrase(self, new, kdf=kdf)

    @operation
    def rekey(
        self,
        new_secrets: Sequence[secrets.Secret],
        *,
        kdf: str | KdfParams = "default",
        recovery: bool = True,
        lock_wait: float | None = None,
    ) -> RekeyReport:
        """Replace the data key, re-encrypting every record (`key_admin.rekey`)."""
        return key_admin.rekey(self, new_secrets, kdf=kdf, recovery=recovery, lock_wait=lock_wait)

    # -- checking ---------------------------------------------------------------------------------

    @operation
    def verify(self, *, deep: bool = False) -> VerifyReport:
        """Re-read everything; `deep`: also compare the index with a rebuild (`checks.verify`)."""
        return checks.verify(self, deep=deep)
