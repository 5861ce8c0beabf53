"""Pulling: the other devices' new files fetched from a sync remote, checked and applied (docs/sync.md).

For each other device, the files after the last one this store applied (from its newest
checkpoint when that is later) are fetched and opened (`log/remote_files.py`: a modified,
swapped, foreign or truncated file raises `IntegrityError` naming it, before anything is applied).
A file is applied only if it continues the device's chain from the last one applied, and
preferably once this store has applied as much of every other device's chain as the file's
writer had (its `seen`), so records seldom arrive before those they build on (which would make
the state fold the whole log again: `store/stamps.py`). Each file is one commit: its records
(marked `from` its device) and a `chain` record of its place. What cannot be applied yet or at
all (a gap, a replaced file, a device using another model, a clock far ahead) is reported, never
fatal: the next sync tries again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mnemo_cli.errors import IntegrityError, UnsupportedFormat
from mnemo_cli.index.replicas import ChainMark
from mnemo_cli.log import remote_files
from mnemo_cli.log.remote_files import CHECKPOINT, RemoteFile
from mnemo_cli.log.remotes import Remote
from mnemo_cli.store import records as record_codec
from mnemo_cli.store import segments, vector_blobs
from mnemo_cli.store.clock import MAX_AHEAD_MS, wall_ms
from mnemo_cli.store.records import Record, RecordFormatError
from mnemo_cli.store.stamps import STAMPED, parse_stamp

if TYPE_CHECKING:
    from mnemo_cli.store.store import Store


@dataclass(frozen=True)
class Listed:
    """A file of a device's chain as the remote lists it."""

    device: str
    seq: int
    kind: int
    name: str
    size: int


@dataclass
class Pulled:
    files: int = 0
    records: int = 0
    bytes: int = 0
    #: Memories two devices updated concurrently: {"memory", "versions", "current"}.
    conflicts: list[dict[str, object]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def chains(listing: dict[str, int]) -> dict[str, list[Listed]]:
    """The devices' chain files on a remote listing, each device's in chain order."""
    found: dict[str, list[Listed]] = {}
    for name, size in listing.items():
        parts = name.split("/")
        if len(parts) != 3 or parts[0] != "devices" or "." not in parts[2]:
            continue
        stem, suffix = parts[2].rsplit(".", 1)
        kind = {"seg": remote_files.SEGMENT, "ckpt": CHECKPOINT}.get(suffix)
        if kind is None or len(stem) != 16 or len(parts[1]) != 32:
            continue
        try:
            seq = int(stem, 16)
        except ValueError:
            continue
        if remote_files.name_of(kind, bytes.fromhex(parts[1]), seq) == name:
            found.setdefault(parts[1], []).append(Listed(parts[1], seq, kind, name, size))
    return {device: sorted(files, key=lambda f: f.seq) for device, files in found.items()}


def wanted(files: Sequence[Listed], mark: ChainMark | None) -> list[Listed]:
    """The files of one device's chain this store still needs, given the last one it applied."""
    have = mark.seq if mark else 0
    checkpoints = [f.seq for f in files if f.kind == CHECKPOINT and f.seq > have]
    start = checkpoints[-1] if checkpoints else have + 1
    return [f for f in files if f.seq >= start and (f.kind != CHECKPOINT or f.seq == start)]


def pull(store: Store, remote: Remote, found: dict[str, list[Listed]], me: str, staging: Path) -> Pulled:
    """Fetch, check and apply the other devices' new files (`found`: the remote's chains)."""
    state = store.state()
    marks = state.catalog.chain_marks()
    report = Pulled()
    queues: dict[str, deque[tuple[RemoteFile, segments.Segment]]] = {}
    todo = {d: wanted(files, marks.get(d)) for d, files in found.items() if d != me}
    names = [f.name for files in todo.values() for f in files]
    missing = set(remote.fetch(names, staging)) if names else set()
    for device, files in sorted(todo.items()):
        mark = marks.get(device)
        queue: deque[tuple[RemoteFile, segments.Segment]] = deque()
        if mark is not None and found[device][-1].seq < mark.seq:
            report.problems.append(
                f"device {device[:12]}: its files on the remote end at {found[device][-1].seq}, "
                f"but this store applied up to {mark.seq} (files withheld or rolled back?)"
            )
        previous = (mark.seq, bytes.fromhex(mark.tag)) if mark else (0, remote_files.NO_TAG)
        for listed in files:
            if listed.name in missing:
                report.problems.append(f"device {device[:12]}: {listed.name} vanished from the remote")
                break
            data = (staging / listed.name).read_bytes()
            opened = remote_files.open_file(store._data_key, store.store_id, listed.name, data)
            follows = opened.seq == previous[0] + 1 and opened.prev == previous[1]
            if opened.kind != CHECKPOINT and not follows:
                report.problems.append(
                    f"device {device[:12]}: {listed.name} does not follow the file applied before it "
                    "(files missing, replaced or rolled back?)"
                )
                break
            try:
                segment = segments.decode(opened.body)
            except segments.BadSegment as e:
                raise IntegrityError(f"remote file {listed.name}: {e}") from None
            queue.append((opened, segment))
            report.bytes += len(data)
            previous = (opened.seq, opened.tag)
        queues[device] = queue
    applied = {d: m.seq for d, m in marks.items()}
    while any(queues.values()):
        ready = [
            device
            for device, queue in sorted(queues.items())
            if queue and all(applied.get(d, 0) >= seq for d, seq in queue[0][1].seen.items() if d not in (me, device))
        ]
        # None ready: a checkpoint stands for files others built on and builds on theirs. Any
        # order folds to the same state (store/stamps.py); this one only costs a fold of the log.
        device = ready[0] if ready else next(d for d, q in sorted(queues.items()) if q)
        opened, segment = queues[device].popleft()
        problem = _apply(store, device, opened, segment, report)
        if problem:
            report.problems.append(problem)
            queues[device].clear()
        applied[device] = opened.seq
    return report


def _apply(store: Store, device: str, opened: RemoteFile, segment: segments.Segment, report: Pulled) -> str | None:
    """Apply one file's records in one commit; a problem that stops the device's chain, or None."""
    state = store.state()
    if segment.model != state.model.id:
        return f"device {device[:12]} embeds with {segment.model}, this store with {state.model.id}: not applied"
    if segment.key_id != store.head().key_id:
        return f"device {device[:12]} wrote under another data key (a full rekey): clone the store again"
    records: list[Record] = []
    batch_heads: dict[str, str] = {}
    catalog = state.catalog
    for body in segment.records:
        try:
            record = record_codec.decode(body)
        except RecordFormatError as e:
            raise IntegrityError(f"remote file {opened.name}: {e}") from None
        if record.op not in STAMPED:
            raise UnsupportedFormat(f"remote file {opened.name}: a '{record.op}' record (written by a newer mnemo?)")
        t = record.fields.get("t")
        if isinstance(t, str) and parse_stamp(t).wall_ms > wall_ms() + MAX_AHEAD_MS:
            return f"device {device[:12]}: {opened.name} is stamped more than a day ahead of this clock: not applied"
        parent = record.fields.get("supersedes") if record.op == "remember" else None
        if isinstance(parent, str):
            head = batch_heads.get(parent) or catalog.head_of(parent)
            if head is not None and head != parent and not catalog.has(record.fields["id"]):
                report.conflicts.append({"memory": parent, "versions": [head, record.fields["id"]]})
            batch_heads[parent] = record.fields["id"]
        fields = {**record.fields, "from": device}
        records.append(
            Record(record.op, fields, _blob_for(record.blob, record.op, state.log_version, state.model.dimension))
        )
    mark = {"device": device, "own": False, "seq": opened.seq, "tag": opened.tag.hex(), "detail": {}}
    store._append([*records, Record("chain", mark)])
    report.files += 1
    report.records += len(records)
    return None


def _blob_for(blob: bytes, op: str, log_version: int, dimension: int) -> bytes:
    """A pulled vector (float16, as files hold them) as this store's log holds them."""
    if op != "remember" or log_version == vector_blobs.LOG_VERSION:
        return blob
    return vector_blobs.encode(vector_blobs.decode([blob], vector_blobs.LOG_VERSION, dimension)[0], log_version)
