"""The derived state of one open store: catalog and vectors as of a point of the log's chain.

Loading takes the newest usable snapshot of the current generation and replays only the frames
after it; a missing, stale, corrupt or foreign snapshot means replaying the whole log instead
(never an error, never data loss). `refresh` catches up with frames other processes committed.
"""

from __future__ import annotations

import json
from pathlib import Path

from mnemo_cli.embed.model_spec import EMBEDDED, ModelSpec
from mnemo_cli.errors import IntegrityError, ModelError, UnsupportedFormat
from mnemo_cli.index import snapshot as payload_codec
from mnemo_cli.index.catalog import Catalog
from mnemo_cli.index.lexicon import Lexicon
from mnemo_cli.index.replicas import ChainMark
from mnemo_cli.index.vectors import Vectors
from mnemo_cli.log import fileops, snapshot_file
from mnemo_cli.log.frames import LOG_VERSION, ChainPoint
from mnemo_cli.log.journal import GenerationChanged, Journal
from mnemo_cli.memories import Memory
from mnemo_cli.store import records as record_codec
from mnemo_cli.store import vector_blobs
from mnemo_cli.store.records import Record, RecordFormatError
from mnemo_cli.store.stamps import order_key

#: Said when the index had to be rebuilt because its snapshot is an older mnemo's: until a new one
#: is saved (the next change does it, `compact` at once), every start replays the whole log.
OLDER_SNAPSHOT_NOTE = (
    "the index snapshot is from an older mnemo, so the index was rebuilt from the log (slow on a large "
    "store, at every start until the next change saves a new one; `mnemo compact` saves one now)"
)
#: Below this many frames a rebuild costs little: no note.
REBUILD_NOTE_FRAMES = 256


class _OutOfOrder(Exception):
    """A stamped record sorts before records already folded in."""


class IndexState:
    def __init__(self, path: Path, store_id: bytes, data_key: bytes, journal: Journal) -> None:
        self.path = path
        self._store_id = store_id
        self._data_key = data_key
        self._journal = journal
        #: The model every vector comes from: the built-in one unless the generation starts with a
        #: `model` record (`reindex`). One generation never mixes two.
        self.model: ModelSpec = EMBEDDED
        #: Set by `load` (an empty catalog's schema costs ~5 ms, a snapshot's replaces it anyway).
        self.catalog: Catalog
        self._vectors: Vectors | None = None
        #: The vector index as snapshot bytes, and vectors replayed since, not yet in `_vectors`:
        #: commands that never search (list, show, export) never load usearch or numpy.
        self._vector_bytes: bytes | memoryview | None = None
        self._pending_keys: list[int] = []
        self._pending_blobs: list[bytes] = []
        self._pending_removals: list[int] = []
        self._id_key: bytes | None = None
        self.gen: bytes | None = None
        self.point: ChainPoint | None = None
        #: The version of `gen`'s log, which says how its `remember` records encode vectors.
        self.log_version = LOG_VERSION
        #: Frames covered by the newest snapshot on disk (0: none).
        self.snapshot_frames = 0
        #: What the last load has to tell the user (`OLDER_SNAPSHOT_NOTE`).
        self.notes: list[str] = []
        #: How the last load went, for stats and tests: "snapshot" or "rebuilt".
        self.loaded_from = ""
        #: Recalls answered from this state: from the second on, the lexical side runs in memory
        #: (`store/lexical.py`).
        self.recalls = 0
        #: Set by a server that will answer many recalls: the lexical side runs in memory from the
        #: first one.
        self.many_recalls = False
        self._lexicon: Lexicon | None = None

    # -- loading ----------------------------------------------------------------------------------

    def load(self, *, locked: bool = False, use_snapshots: bool = True) -> None:
        """`locked`: the caller holds the exclusive lock (so do not take the shared one).
        `use_snapshots=False`: replay the whole log (what `verify --deep` compares against)."""
        head = self._journal.read_head()
        self.loaded_from = ""
        self.notes, older = [], False  # older: a snapshot this mnemo skipped as an older one's
        for frames, path in snapshot_file.listing(self.path, head.gen) if use_snapshots else []:
            if frames > head.frames:
                continue
            try:
                snap = snapshot_file.read(path, self._data_key, self._store_id)
                if snap.gen != head.gen or snap.point.frames != frames:
                    continue
                payload = payload_codec.decode(snap.payload)
                fileops.keep_only(payload.vectors)  # the rest of the plaintext is SQLite's now, or padding
                model = ModelSpec.from_json(payload.model)
                if payload.dimension != model.dimension:
                    continue
            except payload_codec.OlderPayload:
                older = True
                continue
            except (snapshot_file.BadSnapshot, payload_codec.BadPayload, ModelError):
                continue  # rebuilt from the log, which says the same (or explains what is wrong)
            self._reset(payload.catalog, payload.vectors, model)
            self.gen, self.point = snap.gen, snap.point
            try:
                self._catch_up(locked=locked)
            except (IntegrityError, GenerationChanged):
                continue  # the snapshot is not a point of this chain: try an older one, or rebuild
            if self.loaded_from == "folded":  # the tail held a record from before the snapshot's
                return
            self.snapshot_frames = frames
            self.loaded_from = "snapshot"
            return
        self._reset(Catalog(), None, EMBEDDED)
        self.gen, self.point = head.gen, None
        self.snapshot_frames = 0
        self._catch_up(locked=locked)
        self.loaded_from = self.loaded_from or "rebuilt"
        if older and head.frames >= REBUILD_NOTE_FRAMES:
            self.notes.append(OLDER_SNAPSHOT_NOTE)

    def _reset(self, catalog: Catalog, vector_bytes: bytes | memoryview | None, model: ModelSpec) -> None:
        self.catalog = catalog
        self.model = model
        self._vectors = None
        self._vector_bytes = vector_bytes
        self._pending_keys, self._pending_blobs, self._pending_removals = [], [], []

    @property
    def vectors(self) -> Vectors:
        """The vector index, loaded (and caught up with replayed memories) on first use."""
        if self._vectors is None:
            dimension = self.model.dimension
            try:
                self._vectors = (
                    Vectors.deserialize(self._vector_bytes, dimension) if self._vector_bytes else Vectors(dimension)
                )
            except ValueError as e:
                raise IntegrityError(f"{self.path}: the index snapshot's vectors: {e}") from None
            self._vector_bytes = None
            expected = self.catalog.count() + len(self._pending_removals) - len(self._pending_keys)
            if len(self._vectors) != expected:
                raise IntegrityError(f"{self.path}: the index snapshot's vectors do not match its catalog")
        if self._pending_removals:
            self._vectors.remove(self._pending_removals)
            self._pending_removals = []
        if self._pending_keys:
            matrix = vector_blobs.decode(self._pending_blobs, self.log_version, self.model.dimension)
            self._vectors.add(self._pending_keys, matrix)
            self._pending_keys, self._pending_blobs = [], []
        return self._vectors

    def lexicon(self) -> Lexicon:
        """The in-memory lexical index of the current catalog, built on first use."""
        if self._lexicon is None or self._lexicon.catalog is not self.catalog:
            self._lexicon = Lexicon(self.catalog)
        return self._lexicon

    def refresh(self, *, locked: bool = False) -> None:
        """Apply what other processes committed since this state was loaded."""
        head = self._journal.read_head()
        if head.gen != self.gen:
            self.load(locked=locked)
        elif self.point is None or head.frames != self.point.frames:
            try:
                self._catch_up(locked=locked)
            except GenerationChanged:  # compacted between the two HEAD reads
                self.load(locked=locked)

    def _catch_up(self, *, locked: bool = False) -> None:
        expect = self.gen if self.point is not None else None
        head, header, bodies = self._journal.read(self.point, locked=locked, expect_gen=expect)
        self.log_version = header.version  # one per generation: pending blobs never mix two
        try:
            with self.catalog.db:
                mark = self.catalog.fold_mark()
                for body, point in bodies:
                    record = self._decode(body, point)
                    key = order_key(record)
                    if key is not None:
                        if key < mark:
                            raise _OutOfOrder()
                        mark = key
                    self._fold_in(record)
                    self.point = point
                self.catalog.set_fold_mark(mark)
        except _OutOfOrder:
            self._fold_all(locked=locked)
            return
        self.gen = head.gen
        if self.point is None:  # an empty log: the state stands at its beginning
            self.point = ChainPoint(head.frames, head.log_bytes, head.last_tag)

    def _fold_all(self, *, locked: bool) -> None:
        """Fold the whole log in the records' order (`store/stamps.py`): what a record pulled from
        another device, stamped before records already folded in, needs."""
        head, header, bodies = self._journal.read(None, locked=locked)
        self._reset(Catalog(), None, EMBEDDED)
        self.log_version = header.version
        self.gen, self.point = head.gen, ChainPoint(head.frames, head.log_bytes, head.last_tag)
        entries = []
        for position, (body, point) in enumerate(bodies):
            record = self._decode(body, point)
            key = order_key(record)
            entries.append(((key is not None, key or "", position), record))
        entries.sort(key=lambda entry: entry[0])
        with self.catalog.db:
            for _order, record in entries:
                self._fold_in(record)
            self.catalog.set_fold_mark(max((e[0][1] for e in entries if e[0][0]), default=""))
        self.snapshot_frames = 0  # what is on disk is of another fold: the next writer saves this one
        self.loaded_from = "folded"

    def _decode(self, body: bytes, point: ChainPoint) -> Record:
        try:
            return record_codec.decode(body)
        except RecordFormatError as e:
            raise IntegrityError(f"{self.path}: log frame {point.frames - 1}: {e}") from None

    def _fold_in(self, record: Record) -> None:
        key = self._apply(record)
        if key is not None:
            self._pending_keys.append(key)
            self._pending_blobs.append(record.blob)

    def _apply(self, record: Record) -> int | None:
        """Fold `record` in (`index/replicas.py` has the rules); the key of a memory it adds."""
        f = record.fields
        stamp, origin = f.get("t", ""), f.get("from", "")
        if record.op == "remember":
            if self.catalog.has(f["id"]) or self.catalog.is_forgotten(f["id"]):
                return None  # pulled twice, or forgotten by another device meanwhile
            if (
                len(record.blob) != self.model.dimension * vector_blobs.width(self.log_version)
                or f.get("model") != self.model.id
            ):
                raise IntegrityError(f"{self.path}: memory {f.get('id')} has no {self.model.id} vector")
            key = self.catalog.next_key()
            memory = Memory(
                f["id"],
                f["text"],
                f["created_at"],
                tuple(f.get("tags", ())),
                f.get("meta", {}),
                f.get("source"),
                f.get("expires_at"),
                f.get("supersedes"),
                f.get("session"),  # absent from records written before sessions existed
            )
            self.catalog.add(key, memory, self.text_key(memory.text), stamp)
            return key
        if record.op == "model":
            if self.catalog.count() or self.catalog.counter("forgotten"):
                raise IntegrityError(f"{self.path}: a model record after memories (the log mixes two models)")
            self._reset(self.catalog, None, ModelSpec.from_json(f["spec"]))
            return None
        if record.op == "compacted":
            self.catalog.bump("compactions")
            self.catalog.bump("last_compaction", int(f["at_epoch"]) - self.catalog.counter("last_compaction"))
            return None
        if record.op == "forget":
            for memory_id in f["ids"]:
                self.catalog.tombstone(memory_id, stamp, origin)
                self._drop_vector(self.catalog.remove(memory_id))
            return None
        if record.op == "link":
            self.catalog.set_link(f["src"], f["dst"], f["rel"], f["created_at"], stamp, origin)
            return None
        if record.op == "unlink":
            self.catalog.set_unlink(f["src"], f["dst"], f.get("created_at", ""), stamp, origin)
            return None
        if record.op == "chain":
            detail = json.dumps(f.get("detail", {}), sort_keys=True)
            self.catalog.set_chain_mark(ChainMark(f["device"], bool(f.get("own")), f["seq"], f["tag"], detail))
            return None
        raise UnsupportedFormat(f"{self.path}: unknown record '{record.op}' (written by a newer mnemo?)")

    def text_key(self, text: str) -> str:
        """A keyed hash of a memory's text: equal texts collide, and without the data key the value
        says nothing about the text (it lives only inside encrypted snapshots anyway)."""
        from mnemo_cli.crypto.kdf import keyed_hash, subkey

        if self._id_key is None:
            self._id_key = subkey(self._data_key, "id")
        return keyed_hash(self._id_key, b"mnemo-text-v1", text.encode("utf-8"), size=16).hex()

    def _drop_vector(self, key: int | None) -> None:
        if key is None:
            return
        if key in self._pending_keys:
            at = self._pending_keys.index(key)
            del self._pending_keys[at], self._pending_blobs[at]
        elif self._vectors is not None:
            self._vectors.remove([key])
        else:
            self._pending_removals.append(key)

    def fingerprint(self) -> dict[str, str]:
        """A digest per memory (fields and vector) and per link, keyed by id: equal states have
        equal fingerprints whatever their internal keys."""
        import hashlib

        import numpy as np

        vectors = self.vectors
        result = {}
        for memory in self.catalog.in_order():
            key = self.catalog.key_of(memory.id)
            assert key is not None
            vector = vectors.get([key]).astype(np.float16)
            digest = hashlib.sha256(repr(memory.to_json()).encode() + vector.tobytes()).hexdigest()
            result[f"memory {memory.id}"] = digest
        for link in self.catalog.all_links():
            result[f"link {link.src}->{link.dst}"] = link.rel
        return result

    # -- snapshots --------------------------------------------------------------------------------

    def tail_frames(self) -> int:
        """Frames this state holds beyond the newest snapshot on disk."""
        return (self.point.frames if self.point else 0) - self.snapshot_frames

    def write_snapshot(self) -> None:
        assert self.gen is not None and self.point is not None
        payload = payload_codec.encode(self.catalog, self.vectors, self.model.to_json())
        snapshot_file.write(
            self.path, self._data_key, self._store_id, snapshot_file.Snapshot(self.gen, self.point, payload)
        )
        self.snapshot_frames = self.point.frames
