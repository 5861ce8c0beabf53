"""`Store`: the library API over one encrypted store folder. The CLI and servers are adapters over it.

    store = Store.create(path, [secrets.passphrase("correct horse", "example")])
    store.append([Record("note", {"text": "hello"})])
    with Store.open(path, secret) as store:
        for record in store.records(): ...

    with Store.open(None, secret) as store:           # None: $MNEMO_HOME
        memory = store.remember("Dana prefers email", tags=["people"])
        for hit in store.recall("how do I reach Dana?", k=3):
            print(hit.score, hit.memory.text)

Writes go to the encrypted log (the source of truth); reads go through the derived index state
(`state.py`), loaded from a snapshot plus the log's tail and refreshed before every read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnemo_cli import timings
from mnemo_cli.crypto import aead, keyslots, secrets
from mnemo_cli.crypto.kdf import KdfParams, check_creatable, params_for_profile
from mnemo_cli.crypto.keyslots import KeySlot, KeySlotTable
from mnemo_cli.embed.model_spec import EMBEDDED, ModelSpec
from mnemo_cli.errors import AuthenticationError, IntegrityError, MemoryNotFound, ModelError, StoreExists, UsageError
from mnemo_cli.index import snapshot as payload_codec
from mnemo_cli.log import fileops, keyslot_files, layout, leftovers, snapshot_file, store_header
from mnemo_cli.log.head import Head, WrongKey
from mnemo_cli.log.journal import GenerationChanged, Journal
from mnemo_cli.memories import Hit, Link, Memory, NewMemory
from mnemo_cli.store import records as record_codec
from mnemo_cli.store import rollback, seen, slot_strength, values
from mnemo_cli.store.backup import BackupReport
from mnemo_cli.store.backup import backup as take_backup
from mnemo_cli.store.context import check_context, with_context
from mnemo_cli.store.location import store_path
from mnemo_cli.store.recall import Query, recall
from mnemo_cli.store.records import Record, RecordFormatError
from mnemo_cli.store.state import IndexState, vector_blob

if TYPE_CHECKING:
    from mnemo_cli.embed.embedder import Embedder, Preload

KEY_ID = 1
#: A writer refreshes the index snapshot once the log holds this many frames beyond it.
SNAPSHOT_EVERY = 256
#: Cosine similarity at and above which `remember` warns that a memory looks like a stored one.
#: bench/near_duplicates.py: on light rewrites vs. the nearest *different* memory of the quality
#: benchmark, 0.98 catches 43% of rewrites with 4.9% false warnings (0.95: 75% / 25%); MiniLM
#: separates the two poorly, so the warning stays rare rather than eager.
NEAR_DUPLICATE = 0.98
#: Memories embedded together, and committed together, by `remember_many`.
EMBED_BATCH = 64
COMMIT_BATCH = 256


@dataclass
class CompactReport:
    memories: int
    links: int
    frames_before: int
    frames_after: int
    bytes_before: int
    bytes_after: int
    orphans_removed: list[str] = field(default_factory=list)


@dataclass
class ReindexReport:
    model: ModelSpec
    previous: ModelSpec
    #: Memories re-embedded (or, unchanged, held).
    memories: int
    #: False when the store already used the model: nothing was written.
    changed: bool
    seconds: float = 0.0


@dataclass
class RekeyReport:
    #: The key slots of the new data key (the old ones are gone).
    slots: list[KeySlot]
    #: The new recovery key, to be shown to the user once (None when none was made).
    recovery_key: str | None
    #: Records re-encrypted.
    frames: int
    key_id: int


@dataclass
class RememberReport:
    added: list[Memory] = field(default_factory=list)
    #: Ids given with items (imports) that the store already had.
    skipped: list[str] = field(default_factory=list)
    #: Live memories whose text equalled an item's: nothing new was stored for those items.
    existing: list[Memory] = field(default_factory=list)
    #: (new memory, stored memory it closely resembles, cosine), when asked to look.
    similar: list[tuple[Memory, Memory, float]] = field(default_factory=list)
    links_added: int = 0


def new_memory(
    text: str,
    *,
    tags: Iterable[str] = (),
    meta: dict[str, Any] | None = None,
    created_at: str | datetime | None = None,
    source: str | None = None,
    ttl: str | None = None,
    supersedes: str | None = None,
    session: str | None = None,
) -> NewMemory:
    """A `NewMemory` from the values a user gives `remember` (`ttl` becomes `expires_at`)."""
    expires = None
    if ttl is not None:
        start = values.parse_time(created_at) if created_at is not None else values.now_utc()
        try:
            expires = start + values.parse_duration(ttl, what="--ttl")
        except OverflowError:
            raise UsageError("--ttl puts the expiry after the year 9999") from None
        created_at = start
    return NewMemory(
        text=text,
        created_at=created_at,
        tags=tags,
        meta=meta,
        source=source,
        expires_at=expires,
        supersedes=supersedes,
        session=None if session is None else values.check_session(session),
    )


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
    #: "none", "ok (covers N frames)", "damaged (...)": the newest index snapshot's state.
    snapshot: str = "none"
    #: With deep: True when the index rebuilt from the log equals the snapshot-based one.
    deep: bool = False
    #: Files the current generation does not own (left by an interrupted write), relative paths.
    leftovers: list[str] = field(default_factory=list)


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
        fileops.make_parents(path)
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
            fileops.discard_tree(work)
            raise
        store = cls(path, store_id, data_key, table, slots[0])
        store.recovery_key = recovery_text
        return store

    @classmethod
    def open(
        cls, path: Path | None, secret: secrets.Secret, *, embedder: Embedder | None = None, preload_model: bool = False
    ) -> Store:
        """Unlock the store at `path` (default: `$MNEMO_HOME`) with `secret`.

        `preload_model`: start loading the embedding model in a background thread now, while the
        key is derived and the index opens, for a caller about to embed (a cold `recall` or
        `remember`); `close` waits for the thread."""
        with timings.phase("unlock"):
            preload = None
            if preload_model and embedder is None:
                from mnemo_cli.embed.embedder import Preload

                preload = Preload()
            try:
                store = cls._unlock(store_path() if path is None else Path(path), secret, embedder)
            except BaseException:
                if preload is not None:
                    preload.cancel()
                raise
            store._preload = preload
            return store

    @classmethod
    def _unlock(cls, path: Path, secret: secrets.Secret, embedder: Embedder | None) -> Store:
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
            store.notes.extend(_stale_slots(table, slot))
            return store
        listed = ", ".join(str(s.slot_id) for s in retired)
        raise AuthenticationError(
            f"this {secret.kind} opens key slot(s) {listed}, whose data key the store no longer uses "
            "(replaced by `mnemo rekey --full`, or from one that was interrupted)",
            hint="unlock with a secret given to the newer key (or the older one, if the rekey did not finish)",
        )

    def recheck(self) -> list[str]:
        """`open`'s checks made again, without the key derivation, for a process that keeps the
        store open across requests (the agent); returns the notes `open` would give now.

        `AuthenticationError` when this unlock no longer speaks for the store: the key slot it was
        unlocked with is gone or changed (a secret removed or replaced, a full rekey), or the folder
        holds another store now."""
        header = store_header.read(self.path)
        if header.store_id != self.store_id:
            raise AuthenticationError(f"{self.path} holds another store now")
        table, notes = keyslot_files.read(self.path, self.store_id)
        if self.unlocked_with not in table.slots:
            raise AuthenticationError("the secret this store was unlocked with no longer opens it")
        seen_before = seen.read_raw(self.store_id, self.path)  # before HEAD, as in `open`
        try:
            head = self.head()
        except WrongKey:
            raise AuthenticationError("the store's data key changed (a full rekey)") from None
        self._table = table
        notes.extend(seen.observe(seen_before, self.store_id, self.path, self._data_key, head, table.seq))
        return notes + _stale_slots(table, self.unlocked_with)

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

    def append(self, new: Sequence[Record], *, lock_wait: float | None = None, expect_gen: bytes | None = None) -> Head:
        """Commit `new` records, all or nothing, durably, before returning.

        `expect_gen`: only into that log generation, else `GenerationChanged` and nothing written."""
        bodies = [record_codec.encode(r) for r in new]
        journal = self.journal
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

    # -- memories ---------------------------------------------------------------------------------

    @property
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
    def model(self) -> ModelSpec:
        """The model the store's vectors come from."""
        return self.state().model

    def state(self) -> IndexState:
        """The index state, loaded on first use and brought up to date with the log on every call."""
        if self._state is None:
            if self._preload is not None:
                with timings.phase("runtime"):  # the wait; the thread's own imports show as bg:runtime
                    self._preload.wait_imports()  # opening the index imports numpy: never in two threads
            with timings.phase("open"):
                state = IndexState(self.path, self.store_id, self._data_key, self.journal)
                state.load()
            self._state = state
            if self._preload is not None:
                self._preload.want(state.model)
        else:
            self._state.refresh()
        return self._state

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
        report = self.remember_many(
            [
                new_memory(
                    text,
                    tags=tags,
                    meta=meta,
                    created_at=created_at,
                    source=source,
                    ttl=ttl,
                    supersedes=supersedes,
                    session=session,
                )
            ],
            allow_duplicate=allow_duplicate,
        )
        return report.added[0] if report.added else report.existing[0]

    def update(
        self,
        ref: str,
        *,
        text: str | None = None,
        tags: Iterable[str] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Memory:
        """A new version of a memory (new id, now) that supersedes it: changed text, tags (replaced)
        or metadata (merged); the old version stays in `history`, hidden from recall."""
        old = self.get(ref)
        if text is None and tags is None and not meta:
            raise UsageError("nothing to update: give --text, --tag or --meta")
        item = NewMemory(
            text=old.text if text is None else text,
            tags=old.tags if tags is None else tuple(tags),
            meta={**old.meta, **(meta or {})},
            source=old.source,
            expires_at=old.expires_at,
            supersedes=old.id,
            session=old.session,
        )
        return self.remember_many([item], allow_duplicate=True).added[0]

    def history(self, ref: str) -> list[Memory]:
        """Every version of a memory, oldest first (only itself when it was never superseded)."""
        return self.state().catalog.history(self.resolve(ref))

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
        """Store many memories: embedded in batches, committed in batches (each all or nothing).

        Every item is checked before anything is written. Items carrying an `id` the store already
        has are skipped (re-importing an export); items without one whose text equals a live
        memory's are not stored either (`report.existing`) unless `allow_duplicate`. `links` are
        committed with the last batch; their ends must exist in the store or among `items`.
        `progress(n)` is told each batch. `find_similar`: also report stored memories whose
        embedding is at least `NEAR_DUPLICATE` similar to a new one's (costs a search per item).
        `report`, when given, is filled in as batches commit: a caller interrupted midway (Ctrl-C)
        knows from it what was stored.
        """
        report = RememberReport() if report is None else report
        prepared = self._prepare(items, report, allow_duplicate)
        link_records = self._prepare_links(links, {m.id for m in prepared})
        state = self.state()
        gen, embedder = state.gen, self.embedder_for(state.model)
        for start in range(0, max(len(prepared), 1), COMMIT_BATCH):
            batch = prepared[start : start + COMMIT_BATCH]
            vectors = _embed(embedder, batch, progress)
            if find_similar:
                report.similar += self._similar(batch, vectors)
            extra = link_records if start + COMMIT_BATCH >= len(prepared) else []
            while batch or extra:
                to_commit = [
                    self._remember_record(m, v, embedder.model_id) for m, v in zip(batch, vectors, strict=True)
                ]
                try:
                    head = self.append(to_commit + extra, expect_gen=gen)
                    break
                except GenerationChanged:  # compacted or reindexed meanwhile: vectors must match its model
                    state = self.state()
                    gen = state.gen
                    if state.model.id != embedder.model_id:
                        embedder = self.embedder_for(state.model)
                        vectors = _embed(embedder, batch, None)
            report.added.extend(batch)
        report.links_added = len(link_records)
        if prepared or link_records:
            self._maybe_snapshot(head)  # once at the end, not per batch: a snapshot rewrites the index
        return report

    def _prepare(self, items: Iterable[NewMemory], report: RememberReport, allow_duplicate: bool) -> list[Memory]:
        state = self.state()
        catalog = state.catalog
        prepared: list[Memory] = []
        seen: set[str] = set()
        batch_texts: dict[str, Memory] = {}
        replaced: set[str] = set()
        for item in items:
            memory_id = values.check_id(item.id) if item.id is not None else values.new_id()
            if item.id is not None and (memory_id in seen or catalog.has(memory_id)):
                report.skipped.append(memory_id)
                continue
            text = values.check_text(item.text)
            supersedes = None
            if item.supersedes is not None:
                supersedes = item.supersedes if item.supersedes in seen else self.resolve(item.supersedes)
                later = catalog.superseded_by(supersedes)
                if later or supersedes in replaced:
                    raise UsageError(f"memory {supersedes} was already superseded; supersede its newest version")
                replaced.add(supersedes)
            if item.id is None and supersedes is None and not allow_duplicate:
                key = state.text_key(text)
                existing = catalog.live_with_text_key(key) or batch_texts.get(key)
                if existing is not None:
                    report.existing.append(existing)
                    continue
            memory = Memory(
                id=memory_id,
                text=text,
                created_at=values.normalise_time(item.created_at),
                tags=values.check_tags(item.tags),
                meta=values.check_meta(item.meta),
                source=values.check_source(item.source),
                expires_at=values.normalise_time(item.expires_at, what="expires_at") if item.expires_at else None,
                supersedes=supersedes,
                session=None if item.session is None else values.check_session(item.session),
            )
            seen.add(memory_id)
            batch_texts.setdefault(state.text_key(text), memory)
            prepared.append(memory)
        return prepared

    def _prepare_links(self, links: Iterable[Link], new_ids: set[str]) -> list[Record]:
        records = []
        for link in links:
            catalog = self.state().catalog
            for end in (link.src, link.dst):
                if end not in new_ids and not catalog.has(end):
                    raise MemoryNotFound(f"no memory {end} (a link end)")
            if link.src == link.dst:
                raise UsageError("a memory cannot link to itself")
            if catalog.relation(link.src, link.dst) == link.rel:
                continue  # already there (re-importing an export): nothing to write
            records.append(Record("link", link.to_json()))
        return records

    def _similar(self, batch: list[Memory], vectors: list[Any]) -> list[tuple[Memory, Memory, float]]:
        import time

        state = self.state()
        if not state.catalog.count():
            return []
        hidden = state.catalog.hidden_keys(time.time())
        found = []
        for memory, vector in zip(batch, vectors, strict=True):
            for key, score in state.vectors.exact_all(vector, 3):
                if key not in hidden and score >= NEAR_DUPLICATE:
                    other = state.catalog.by_keys([key])[key]
                    found.append((memory, other, score))
                    break
        return found

    @staticmethod
    def _remember_record(memory: Memory, vector: Any, model_id: str) -> Record:
        fields = memory.to_json()
        fields["model"] = model_id
        return Record("remember", fields, vector_blob(vector))

    def _commit(self, new: list[Record]) -> None:
        head = self.append(new)
        self._maybe_snapshot(head)

    def _maybe_snapshot(self, head: Head) -> None:
        newest = snapshot_file.listing(self.path, head.gen)
        covered = newest[0][0] if newest else 0
        if head.frames - covered < SNAPSHOT_EVERY:
            return
        state = self.state()  # loading takes the shared lock: never while holding the exclusive one
        with self.journal.exclusive():
            state.refresh(locked=True)  # whatever was committed meanwhile
            state.write_snapshot()

    def resolve(self, ref: str) -> str:
        """The full id of the memory `ref` names (a full id or a unique prefix of at least 4 digits)."""
        ref = ref.strip().lower()
        if len(ref) < 4:
            raise UsageError(f"memory id {ref!r} is too short: give at least 4 hex digits")
        found = self.state().catalog.ids_with_prefix(ref)
        if not found:
            raise MemoryNotFound(f"no memory with id {ref}")
        if len(found) > 1:
            shown = ", ".join(found[:5])
            raise UsageError(f"memory id {ref} is ambiguous: {shown}{', ...' if len(found) > 5 else ''}")
        return found[0]

    def has(self, memory_id: str) -> bool:
        return self.state().catalog.has(memory_id)

    def get(self, ref: str) -> Memory:
        memory = self.state().catalog.get(self.resolve(ref))
        assert memory is not None
        return memory

    def links_of(self, ref: str) -> tuple[list[Link], list[Link]]:
        """(outgoing, incoming) links of a memory, oldest first."""
        memory_id = self.resolve(ref)
        catalog = self.state().catalog
        return catalog.links_from(memory_id), catalog.links_to(memory_id)

    def link(self, src: str, dst: str, rel: str = "related") -> Link:
        """Add (or retype) the directed link src → dst."""
        if not rel.strip():
            raise UsageError("the relation is empty")
        a, b = self.resolve(src), self.resolve(dst)
        link = Link(a, b, rel.strip(), values.normalise_time(None))
        records = self._prepare_links([link], set())
        if not records:  # the same link exists already: report it as stored
            return next(existing for existing in self.state().catalog.links_from(a) if existing.dst == b)
        self._commit(records)
        return link

    def unlink(self, src: str, dst: str) -> None:
        a, b = self.resolve(src), self.resolve(dst)
        if not any(link.dst == b for link in self.state().catalog.links_from(a)):
            raise MemoryNotFound(f"no link from {a[:12]} to {b[:12]}")
        self._commit([Record("unlink", {"src": a, "dst": b, "created_at": values.normalise_time(None)})])

    def forget(self, refs: Iterable[str]) -> list[Memory]:
        """Forget memories (hidden from everything at once; their text leaves the disk at `compact`)."""
        catalog = self.state().catalog
        ids = list(dict.fromkeys(self.resolve(ref) for ref in refs))
        forgotten = [memory for memory in (catalog.get(memory_id) for memory_id in ids) if memory is not None]
        if ids:
            now = values.normalise_time(None)
            self._commit([Record("forget", {"ids": ids[i : i + 1000], "at": now}) for i in range(0, len(ids), 1000)])
        return forgotten

    def select(
        self,
        *,
        words: str | None = None,
        tags: Iterable[str] = (),
        older_than: str | None = None,
        expired: bool = False,
    ) -> list[Memory]:
        """Memories to forget or prune, oldest first: all of `words` in the text, all `tags`, and
        (when given) created more than `older_than` ago (e.g. `90d`) or expired."""
        import time

        now = time.time()
        before = now - values.parse_duration(older_than, what="--older-than").total_seconds() if older_than else None
        if words is not None and not values.is_utf8(words):
            raise UsageError("--query is not valid UTF-8 text")
        return self.state().catalog.select(
            words=words, tags=values.check_tags(tags), created_before=before, expired_at=now if expired else None
        )

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
        """The memories that best answer `query`, best first (see docs/cli.md for the score scales).

        `session`: only memories of that session. `context`: after each hit, up to that many
        memories before and after it in its session, as context entries (`Hit.is_context`,
        `store/context.py`). Time words in `query`, `since` and `until` ("last week") are relative
        to `now` (default: the clock), in the user's time zone."""
        with timings.phase("search"):  # timings: what the phases nested in it (open, model, ...) leave
            moment = values.parse_time(now, what="--now") if now is not None else None
            request = Query(
                text=query,
                k=k,
                mode=mode,
                tags=tuple(tags),
                since=_moment(since, "--since", moment),
                until=_moment(until, "--until", moment, end=True),
                expand=expand,
                min_score=min_score,
                session=None if session is None else values.check_session(session),
                now=moment,
            )
            request.check()
            check_context(context)
            state = self.state()
            hits = recall(state, self.embedder_for(state.model), request)
            return with_context(state.catalog, hits, context) if context else hits

    def list_memories(
        self,
        *,
        tags: Iterable[str] = (),
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        limit: int | None = None,
        session: str | None = None,
    ) -> list[Memory]:
        """Memories newest first (by `created_at`), filtered like recall (`session`: only its memories)."""
        if limit is not None:
            values.check_count(limit, "--limit")
        start, end = _moment(since, "--since"), _moment(until, "--until", end=True)
        values.check_range(start, end)
        return self.state().catalog.newest(
            values.check_tags(tags),
            start.timestamp() if start else None,
            end.timestamp() if end else None,
            limit,
            None if session is None else values.check_session(session),
        )

    def memories(self) -> Iterable[Memory]:
        """Every memory in the order it was remembered (for export)."""
        return self.state().catalog.in_order()

    def all_links(self) -> list[Link]:
        return self.state().catalog.all_links()

    def _rewrite_generation(
        self, state: IndexState, before: Head, model: ModelSpec, vectors: dict[str, Any] | None = None
    ) -> tuple[Head, int, int, list[str]]:
        """Write the live memories and links as a new generation, switch HEAD to it (the commit
        point) and remove the old files; with the writers' lock held and `state` caught up.

        Each memory keeps its original `remember` body, or, given `vectors` (reindex), gets its
        vector from there and `model`'s id. Returns (new HEAD, memories, links, files removed)."""
        import time

        journal = self.journal
        journal.refuse_if_rolled_back(before)
        live = {memory.id for memory in state.catalog.in_order()}
        kept: list[bytes] = []
        _anchor, bodies = journal.read(locked=True)
        for body, _point in bodies:
            record = record_codec.decode(body)
            memory_id = record.fields.get("id")
            if record.op != "remember" or memory_id not in live:
                continue
            live.discard(memory_id)  # the first record of an id is the memory
            if vectors is not None:
                fields = {**record.fields, "model": model.id}
                body = record_codec.encode(Record("remember", fields, vector_blob(vectors[memory_id])))
            kept.append(body)
        memories = len(kept)
        links = state.catalog.all_links()
        kept += [record_codec.encode(Record("link", link.to_json())) for link in links]
        marker = Record("compacted", {"at": values.normalise_time(None), "at_epoch": int(time.time())})
        first = [record_codec.encode(marker)]
        if model != EMBEDDED:  # the vectors kept come from it: the new generation says so
            first.append(record_codec.encode(_model_record(model)))
        new = journal.write_generation([*first, *kept], before.key_id, before.commit + 1)
        journal.switch_to(new)
        self._record_seen(new)
        removed = journal.remove_orphans(new)
        state.load(locked=True)
        if new.frames >= SNAPSHOT_EVERY:  # below that, replaying the log is cheaper than a snapshot
            state.write_snapshot()
        return new, memories, len(links), removed

    def compact(self, *, lock_wait: float | None = None) -> CompactReport:
        """Rewrite the live memories and links into a new log generation and delete the old one.

        The only way forgotten, pruned and superseded text leaves the disk. HEAD's switch to the
        new generation is the commit point: a crash before it leaves the old store, after it the
        new one; leftovers are removed by the next writer. Holds the writers' lock throughout.
        """
        state = self.state()  # loaded before the exclusive lock (loading takes the shared one)
        with self.journal.exclusive(lock_wait):
            state.refresh(locked=True)
            before = self.head()
            bytes_before = _disk_bytes(self.path)
            new, memories, links, removed = self._rewrite_generation(state, before, state.model)
        return CompactReport(
            memories=memories,
            links=links,
            frames_before=before.frames,
            frames_after=new.frames,
            bytes_before=bytes_before,
            bytes_after=_disk_bytes(self.path),
            orphans_removed=removed,
        )

    def reindex(
        self,
        spec: ModelSpec,
        *,
        progress: Callable[[int], None] | None = None,
        lock_wait: float | None = None,
    ) -> ReindexReport:
        """Re-embed every memory with `spec`'s model and switch the store to it in one step.

        The memories are embedded first, while other writers go on; then, under the writers' lock,
        whatever arrived meanwhile is embedded too and a new log generation is written whose first
        records name the model (compacted like `compact`: forgotten text goes). HEAD's switch to it
        is the commit point: until then the old model's vectors serve, after it the new model's;
        recall never sees both. Nothing to do when the store already uses `spec`.
        """
        import time

        state = self.state()
        previous = state.model
        if spec.id == previous.id:
            return ReindexReport(model=spec, previous=previous, memories=state.catalog.count(), changed=False)
        embedder = self.embedder_for(spec)
        started = time.perf_counter()
        memories = list(state.catalog.in_order())
        vectors = dict(zip((m.id for m in memories), _embed(embedder, memories, progress), strict=True))
        journal = self.journal
        with journal.exclusive(lock_wait):
            state.refresh(locked=True)
            if state.model.id != previous.id:
                raise UsageError(f"another process reindexed the store (now {state.model.id}) meanwhile")
            before = self.head()
            late = [m for m in state.catalog.in_order() if m.id not in vectors]
            vectors.update(zip((m.id for m in late), _embed(embedder, late, progress), strict=True))
            _new, count, _links, _removed = self._rewrite_generation(state, before, spec, vectors)
        return ReindexReport(
            model=spec, previous=previous, memories=count, changed=True, seconds=time.perf_counter() - started
        )

    def stats(self) -> dict[str, Any]:
        """Counts, log and snapshot positions, key slots and bytes on disk (read-only)."""
        import time

        state = self.state()
        head = self.head()
        catalog = state.catalog
        expired = catalog.expired_count(time.time())
        files = {str(p.relative_to(self.path)): p.stat().st_size for p in sorted(self.path.rglob("*")) if p.is_file()}
        slots = [slot.describe() for slot in self.slots]
        return {
            "path": str(self.path),
            "store_id": self.store_id.hex(),
            "memories": {
                "live": catalog.count() - expired,
                "expired": expired,
                "forgotten": catalog.counter("forgotten"),
            },
            "links": catalog.link_count(),
            "log": {
                "generation": head.gen.hex(),
                "frames": head.frames,
                "bytes": head.log_bytes,
                "commits": head.commit,
            },
            "snapshot": {"frames": state.snapshot_frames, "tail_frames": state.tail_frames()},
            "last_compaction": _epoch_text(catalog.counter("last_compaction")),
            "compactions": catalog.counter("compactions"),
            "model": state.model.id,
            "model_spec": state.model.to_json(),
            "key_slots": slots,
            "disk": {"bytes": sum(files.values()), "files": files},
        }

    # -- backup -----------------------------------------------------------------------------------

    def backup(self, dest: Path, *, lock_wait: float | None = None) -> tuple[BackupReport, VerifyReport]:
        """Copy the store to `dest` (a new folder, or an earlier backup of it, updated in place),
        then verify the copy with this store's key. Writers wait while the copy is taken."""
        dest = Path(dest).expanduser().resolve()
        if dest == self.path.resolve() or self.path.resolve() in dest.parents:
            raise UsageError("the backup folder must be outside the store")
        report = take_backup(self.path, dest, self.store_id, self._data_key, lock_wait=lock_wait)
        table, _notes = keyslot_files.read(dest, self.store_id)
        copy = Store(dest, self.store_id, self._data_key, table, self.unlocked_with)
        try:
            checked = copy.verify()
        finally:
            copy.close()
        return report, checked

    # -- key slots --------------------------------------------------------------------------------

    @staticmethod
    def key_slots(path: Path | None = None) -> tuple[KeySlot, ...]:
        """The store's key slots, read without unlocking (their metadata is not secret)."""
        path = store_path() if path is None else Path(path)
        header = store_header.read(path)
        table, _notes = keyslot_files.read(path, header.store_id)
        return table.slots

    def add_key_slot(self, secret: secrets.Secret, *, kdf: str | KdfParams = "default") -> KeySlot:
        """Add a slot that opens this store with `secret` (a passphrase, keyfile or recovery key)."""
        params = params_for_profile(kdf) if isinstance(kdf, str) else kdf
        if secret.kind == "passphrase":
            check_creatable(params)
        with self.journal.exclusive():
            table, _notes = keyslot_files.read(self.path, self.store_id)
            slot = keyslots.make_slot(
                table.next_slot_id(),
                secret,
                self._data_key,
                self.unlocked_with.key_id,
                self.store_id,
                params if secret.kind == "passphrase" else None,
            )
            table = keyslots.with_slots(table, [*table.slots, slot])
            keyslot_files.write(self.path, table)
            self._table = table  # only once written: the rollback record must not name an unwritten seq
            self._record_seen(self.head())
        return slot

    def remove_key_slot(self, slot_id: int) -> KeySlot:
        """Remove a slot; never the last one."""
        with self.journal.exclusive():
            table, _notes = keyslot_files.read(self.path, self.store_id)
            found = [slot for slot in table.slots if slot.slot_id == slot_id]
            if not found:
                raise UsageError(f"there is no key slot {slot_id} (see `mnemo key list`)")
            key_id = self.unlocked_with.key_id
            if not any(slot.key_id == key_id and slot.slot_id != slot_id for slot in table.slots):
                raise UsageError("refusing to remove the last key slot: nothing could open the store")
            table = keyslots.with_slots(table, [slot for slot in table.slots if slot.slot_id != slot_id])
            keyslot_files.write(self.path, table)
            self._table = table
            self._record_seen(self.head())
        return found[0]

    def change_passphrase(self, new: secrets.Secret, *, kdf: str | KdfParams = "default") -> KeySlot:
        """Replace the passphrase slot (the one used to unlock, else the only one) with one for `new`.

        The new slot is written (both copies) before the old is removed: a crash in between leaves
        the old passphrase, the new one or both working, never neither."""
        passphrase_slots = [slot for slot in self._table.slots if slot.kind_name == "passphrase"]
        if self.unlocked_with.kind_name == "passphrase":
            old = self.unlocked_with
        elif len(passphrase_slots) == 1:
            old = passphrase_slots[0]
        elif not passphrase_slots:
            raise UsageError("this store has no passphrase slot to change; use `mnemo key add --passphrase`")
        else:
            raise UsageError("several passphrase slots: unlock with the one to change, or use `mnemo key remove`")
        added = self.add_key_slot(new, kdf=kdf)
        self.remove_key_slot(old.slot_id)
        return added

    def rekey(
        self,
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
        journal = self.journal
        with journal.exclusive(lock_wait):
            before = self.head()
            journal.refuse_if_rolled_back(before)
            # Every record is read (and authenticated) before anything is written: damage stops it here.
            _anchor, chain = journal.read(locked=True)
            bodies = [body for body, _point in chain]
            table, _notes = keyslot_files.read(self.path, self.store_id)
            current = [slot for slot in table.slots if slot.key_id == before.key_id]
            key_id = max(slot.key_id for slot in table.slots) + 1  # never reuse the id of a retired key
            new_key = aead.random_bytes(32)
            given = list(new_secrets)
            recovery_text = None
            if recovery:
                raw = secrets.new_recovery_key()
                recovery_text = secrets.format_recovery_key(raw)
                given.append(secrets.Secret("recovery", raw, "new recovery key"))
            first = max((slot.slot_id for slot in current), default=0) + 1
            added = [
                keyslots.make_slot(
                    first + i, secret, new_key, key_id, self.store_id, params if secret.kind == "passphrase" else None
                )
                for i, secret in enumerate(given)
            ]
            # Both keys open the store until HEAD moves: leftovers of an interrupted rekey go now.
            table = keyslots.with_slots(table, [*current, *added])
            keyslot_files.write(self.path, table)
            new_journal = self._guarded(Journal(self.path, self.store_id, new_key))
            new = new_journal.write_generation(bodies, key_id, before.commit + 1)
            new_journal.switch_to(new)
            table = keyslots.with_slots(table, added)
            keyslot_files.write(self.path, table)
            new_journal.remove_orphans(new)  # the old key's log and snapshots
            self._journal, self._data_key, self._table = new_journal, new_key, table
            self._record_seen(new)  # under the new key: the old key's record cannot be checked now
            self.unlocked_with = added[0]
            self._state = None
            if new.frames >= SNAPSHOT_EVERY:  # the old snapshot was sealed under the old key
                state = IndexState(self.path, self.store_id, new_key, new_journal)
                state.load(locked=True, use_snapshots=False)
                state.write_snapshot()
                self._state = state
        return RekeyReport(slots=added, recovery_key=recovery_text, frames=new.frames, key_id=key_id)

    # -- checking ---------------------------------------------------------------------------------

    def verify(self, *, deep: bool = False) -> VerifyReport:
        """Re-read everything: header, both key-slot copies, HEAD, every frame and the chain, and the
        newest index snapshot. `deep`: also rebuild the index from the log and compare it with the
        one loaded from the snapshot (every memory, link and vector). Never writes."""
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
        rollback.check(self.journal, self.store_id, self.path, self._data_key, self._table.seq)
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
        report.notes.extend(slot_strength.weak_slot_notes(self._table.slots))
        if report.uncommitted_bytes:
            report.notes.append(
                f"{report.uncommitted_bytes} bytes after the last commit (an interrupted write; trimmed on next write)"
            )
        report.snapshot = self._check_snapshot(head, report.notes)
        report.leftovers = leftovers.find(self.path, head.gen)
        if report.leftovers:
            report.notes.append(leftovers.describe(report.leftovers))
        if deep:
            self._compare_with_rebuild()
            report.deep = True
        return report

    def _check_snapshot(self, head: Head, notes: list[str]) -> str:
        newest = snapshot_file.listing(self.path, head.gen)
        if not newest:
            return "none"
        frames, path = newest[0]
        try:
            snap = snapshot_file.read(path, self._data_key, self.store_id)
            ModelSpec.from_json(payload_codec.decode(snap.payload).model)
            if snap.gen != head.gen or snap.point.frames != frames or frames > head.frames:
                raise snapshot_file.BadSnapshot("it does not name a point of the current log")
        except (snapshot_file.BadSnapshot, payload_codec.BadPayload, ModelError) as e:
            notes.append(f"index snapshot {path.name} is unusable ({e}); it is rebuilt from the log on open")
            return f"damaged ({e})"
        return f"ok (covers {frames} of {head.frames} frames)"

    def _compare_with_rebuild(self) -> None:
        loaded = IndexState(self.path, self.store_id, self._data_key, self.journal)
        loaded.load()
        rebuilt = IndexState(self.path, self.store_id, self._data_key, self.journal)
        rebuilt.load(use_snapshots=False)
        if loaded.point != rebuilt.point:
            raise IntegrityError(f"{self.path / layout.INDEX_DIR}: the index and the log end at different points")
        mine, theirs = loaded.fingerprint(), rebuilt.fingerprint()
        if mine != theirs:
            differing = sorted(set(mine.items()) ^ set(theirs.items()))[:1]
            raise IntegrityError(
                f"{self.path / layout.INDEX_DIR}: the index snapshot differs from the log (first difference: "
                f"{differing[0][0] if differing else '?'}); delete index/ to rebuild it"
            )


def _embed(embedder: Embedder, batch: Sequence[Memory], progress: Callable[[int], None] | None) -> list[Any]:
    vectors: list[Any] = []
    for first in range(0, len(batch), EMBED_BATCH):
        chunk = batch[first : first + EMBED_BATCH]
        vectors.extend(embedder.embed_documents([m.text for m in chunk]))
        if progress is not None:
            progress(len(chunk))
    return vectors


def _stale_slots(table: KeySlotTable, slot: KeySlot) -> list[str]:
    stale = [s.slot_id for s in table.slots if s.key_id != slot.key_id]
    if not stale:
        return []
    listed = ", ".join(map(str, stale))
    return [
        f"key slot(s) {listed} hold a data key the store no longer uses (an interrupted "
        f"`mnemo rekey --full`): run it again, or `mnemo key remove` them"
    ]


def _model_record(spec: ModelSpec) -> Record:
    return Record("model", {"spec": spec.to_json(), "at": values.normalise_time(None)})


def _disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _epoch_text(epoch: int) -> str | None:
    from datetime import UTC

    return values.format_time(datetime.fromtimestamp(epoch, UTC)) if epoch else None


def _moment(value: str | datetime | None, what: str, now: datetime | None = None, end: bool = False) -> datetime | None:
    """--since or --until (with `end`: time words give their window's end) as a time."""
    if value is None or isinstance(value, datetime):
        return values.parse_time(value, what=what) if value is not None else None
    return values.parse_since(value, what=what, now=now, end=end)


def _check_free(path: Path) -> None:
    if not path.exists() and not path.is_symlink():
        return
    if (path / layout.HEADER).exists():
        raise StoreExists(f"a store already exists at {path}")
    if not path.is_dir() or any(path.iterdir()):
        raise StoreExists(f"{path} exists and is not an empty folder")
