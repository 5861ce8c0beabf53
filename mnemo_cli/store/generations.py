"""Generations: rewriting the log as a new generation and switching the store to it.

`compact` (live memories and links only: forgotten text leaves the disk), `reindex` (every memory
re-embedded with another model) and `key_admin.rekey` (every record under a new data key) all end
in `switch_generation`: write the new generation, make HEAD name it (the commit point), record it
as seen, remove the files the new generation does not own (the old generation's log and snapshots,
leftovers), then bring the index up to it and snapshot it when due.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnemo_cli.embed.model_spec import EMBEDDED, ModelSpec
from mnemo_cli.errors import UsageError
from mnemo_cli.log.head import Head
from mnemo_cli.log.journal import Journal
from mnemo_cli.store import records as record_codec
from mnemo_cli.store import values
from mnemo_cli.store.live_records import live_records
from mnemo_cli.store.records import Record
from mnemo_cli.store.remembering import embed_batches
from mnemo_cli.store.state import IndexState

if TYPE_CHECKING:
    from mnemo_cli.store.store import Store


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


def switch_generation(
    store: Store,
    journal: Journal,
    bodies: Sequence[bytes],
    key_id: int,
    commit: int,
    *,
    on_switch: Callable[[Head], None] | None = None,
) -> tuple[Head, list[str]]:
    """Make `bodies` the store's log: write them as a new generation under `journal`'s key, switch
    HEAD to it (the commit point), call `on_switch(new HEAD)` (rekey: the store takes the new key),
    record it as seen, remove every file the new generation does not own (the old generation's log
    and snapshots, leftovers), then bring the index up to it, with a snapshot when the log is long
    enough. With the writers' lock held. Returns (new HEAD, files removed, relative to the store)."""
    new = journal.write_generation(bodies, key_id, commit)
    journal.switch_to(new)
    if on_switch is not None:
        on_switch(new)
    store._record_seen(new)
    removed = journal.remove_orphans(new)
    state = store._state
    if state is not None:
        state.load(locked=True)
    if store._snapshot_due(new.frames):
        if state is None:  # none under this key yet (rekey): built from the log, as a reader would
            state = IndexState(store.path, store.store_id, store._data_key, journal)
            state.load(locked=True, use_snapshots=False)
            store._state = state
        state.write_snapshot()
    return new, removed


def rewrite_generation(
    store: Store, state: IndexState, before: Head, model: ModelSpec, vectors: dict[str, Any] | None = None
) -> tuple[Head, int, int, list[str]]:
    """Write the live memories and links as a new generation and switch the store to it
    (`switch_generation`); with the writers' lock held and `state` (the store's) caught up.

    Each memory keeps its original `remember` body (its vector as float16 if the old log was of
    version 1), or, given `vectors` (reindex), gets its vector from there and `model`'s id.
    Returns (new HEAD, memories, links, files removed)."""
    import time

    journal = store.journal
    journal.refuse_if_rolled_back(before)
    _anchor, header, bodies = journal.read(locked=True)
    kept, memories, links = live_records(state.catalog, (b for b, _p in bodies), header.version, model, vectors)
    marker = Record("compacted", {"at": values.normalise_time(None), "at_epoch": int(time.time())})
    first = [record_codec.encode(marker)]
    if model != EMBEDDED:  # the vectors kept come from it: the new generation says so
        first.append(record_codec.encode(_model_record(model)))
    new, removed = switch_generation(store, journal, [*first, *kept], before.key_id, before.commit + 1)
    return new, memories, links, removed


def compact(store: Store, *, lock_wait: float | None = None) -> CompactReport:
    """Rewrite the live memories and links into a new log generation and delete the old one.

    The only way forgotten, pruned and superseded text leaves the disk. HEAD's switch to the
    new generation is the commit point: a crash before it leaves the old store, after it the
    new one; leftovers are removed by the next writer. Holds the writers' lock throughout.
    """
    state = store.state()  # loaded before the exclusive lock (loading takes the shared one)
    with store.journal.exclusive(lock_wait):
        state.refresh(locked=True)
        before = store.head()
        bytes_before = _disk_bytes(store.path)
        new, memories, links, removed = rewrite_generation(store, state, before, state.model)
    return CompactReport(
        memories=memories,
        links=links,
        frames_before=before.frames,
        frames_after=new.frames,
        bytes_before=bytes_before,
        bytes_after=_disk_bytes(store.path),
        orphans_removed=removed,
    )


def reindex(
    store: Store,
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

    state = store.state()
    previous = state.model
    if spec.id == previous.id:
        return ReindexReport(model=spec, previous=previous, memories=state.catalog.count(), changed=False)
    embedder = store.embedder_for(spec)
    started = time.perf_counter()
    memories = list(state.catalog.in_order())
    vectors = dict(zip((m.id for m in memories), embed_batches(embedder, memories, progress), strict=True))
    journal = store.journal
    with journal.exclusive(lock_wait):
        state.refresh(locked=True)
        if state.model.id != previous.id:
            raise UsageError(f"another process reindexed the store (now {state.model.id}) meanwhile")
        before = store.head()
        late = [m for m in state.catalog.in_order() if m.id not in vectors]
        vectors.update(zip((m.id for m in late), embed_batches(embedder, late, progress), strict=True))
        _new, count, _links, _removed = rewrite_generation(store, state, before, spec, vectors)
    return ReindexReport(
        model=spec, previous=previous, memories=count, changed=True, seconds=time.perf_counter() - started
    )


def _model_record(spec: ModelSpec) -> Record:
    return Record("model", {"spec": spec.to_json(), "at": values.normalise_time(None)})


def _disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
