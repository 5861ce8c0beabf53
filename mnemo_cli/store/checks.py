"""Checks: `stats` reports what a store holds (counts, positions, key slots, bytes on disk);
`verify` re-reads a whole store (header, key-slot copies, HEAD, every frame and the
chain, the newest index snapshot, leftovers) and, deep, compares the index with one rebuilt from
the log. Read-only: nothing here writes. Repair is elsewhere (`salvage.py`, `doctor.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnemo_cli.crypto import keyslots
from mnemo_cli.embed.model_spec import ModelSpec
from mnemo_cli.errors import IntegrityError, ModelError
from mnemo_cli.index import snapshot as payload_codec
from mnemo_cli.log import fileops, layout, leftovers, snapshot_file, store_header
from mnemo_cli.log.head import Head
from mnemo_cli.store import rollback, slot_strength, values
from mnemo_cli.store.state import IndexState

if TYPE_CHECKING:
    from mnemo_cli.store.store import Store


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


def verify(store: Store, *, deep: bool = False) -> VerifyReport:
    """Re-read everything: header, both key-slot copies, HEAD, every frame and the chain, and the
    newest index snapshot. `deep`: also rebuild the index from the log and compare it with the
    one loaded from the snapshot (every memory, link and vector). Never writes."""
    header = store_header.read(store.path)
    if header.store_id != store.store_id:
        raise IntegrityError(f"{store.path / layout.HEADER}: the store id changed while open")
    copies = {}
    for name in layout.KEYSLOTS:
        try:
            table = keyslots.decode_table(fileops.read_file(store.path / name))
            copies[name] = "ok" if table.store_id == store.store_id else "belongs to another store"
        except FileNotFoundError:
            copies[name] = "missing"
        except keyslots.KeySlotFormatError as e:
            copies[name] = f"damaged ({e})"
    if all(state != "ok" for state in copies.values()):
        raise IntegrityError(f"{store.path}: both key-slot copies are unusable")
    head = store.head()
    ops: dict[str, int] = {}
    for record in store._records():
        ops[record.op] = ops.get(record.op, 0) + 1
    rollback.check(store.journal, store.store_id, store.path, store._data_key, store._table.seq)
    log_file = layout.log_path(store.path, head.gen)
    size = log_file.stat().st_size
    report = VerifyReport(
        path=store.path,
        store_id=store.store_id.hex(),
        frames=head.frames,
        log_bytes=head.log_bytes,
        uncommitted_bytes=size - head.log_bytes,
        keyslot_copies=copies,
        ops=ops,
    )
    report.notes = [f"{name} is {state}; the other copy is used" for name, state in copies.items() if state != "ok"]
    report.notes.extend(slot_strength.weak_slot_notes(store._table.slots))
    if report.uncommitted_bytes:
        report.notes.append(
            f"{report.uncommitted_bytes} bytes after the last commit (an interrupted write; trimmed on next write)"
        )
    report.snapshot = _check_snapshot(store, head, report.notes)
    report.leftovers = leftovers.find(store.path, head.gen)
    if report.leftovers:
        report.notes.append(leftovers.describe(report.leftovers))
    if deep:
        _compare_with_rebuild(store)
        report.deep = True
    return report


def _check_snapshot(store: Store, head: Head, notes: list[str]) -> str:
    newest = snapshot_file.listing(store.path, head.gen)
    if not newest:
        return "none"
    frames, path = newest[0]
    try:
        snap = snapshot_file.read(path, store._data_key, store.store_id)
        ModelSpec.from_json(payload_codec.decode(snap.payload).model)
        if snap.gen != head.gen or snap.point.frames != frames or frames > head.frames:
            raise snapshot_file.BadSnapshot("it does not name a point of the current log")
    except (snapshot_file.BadSnapshot, payload_codec.BadPayload, ModelError) as e:
        notes.append(f"index snapshot {path.name} is unusable ({e}); it is rebuilt from the log on open")
        return f"damaged ({e})"
    return f"ok (covers {frames} of {head.frames} frames)"


def _compare_with_rebuild(store: Store) -> None:
    loaded = IndexState(store.path, store.store_id, store._data_key, store.journal)
    loaded.load()
    rebuilt = IndexState(store.path, store.store_id, store._data_key, store.journal)
    rebuilt.load(use_snapshots=False)
    if loaded.point != rebuilt.point:
        raise IntegrityError(f"{store.path / layout.INDEX_DIR}: the index and the log end at different points")
    mine, theirs = loaded.fingerprint(), rebuilt.fingerprint()
    if mine != theirs:
        differing = sorted(set(mine.items()) ^ set(theirs.items()))[:1]
        raise IntegrityError(
            f"{store.path / layout.INDEX_DIR}: the index snapshot differs from the log (first difference: "
            f"{differing[0][0] if differing else '?'}); delete index/ to rebuild it"
        )


def stats(store: Store) -> dict[str, Any]:
    """Counts, log and snapshot positions, key slots and bytes on disk (read-only)."""
    import time

    state = store.state()
    head = store.head()
    catalog = state.catalog
    expired = catalog.expired_count(time.time())
    files = {str(p.relative_to(store.path)): p.stat().st_size for p in sorted(store.path.rglob("*")) if p.is_file()}
    slots = [slot.describe() for slot in store.slots]
    return {
        "path": str(store.path),
        "store_id": store.store_id.hex(),
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


def _epoch_text(epoch: int) -> str | None:
    from datetime import UTC

    return values.format_time(datetime.fromtimestamp(epoch, UTC)) if epoch else None
