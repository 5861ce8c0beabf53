"""Pushing: this device's new records put on a sync remote as the next file of its chain (docs/sync.md).

The records are this device's own (not pulled: no `from`) committed after the log position its
last pushed file reached (`upto`, kept in its `chain` record). After a compaction (a new
generation) the device pushes a checkpoint instead: every record of its own the new generation
keeps, standing for all its earlier files, which it then deletes from the remote, so forgotten
text leaves it. A crash between putting a file and recording it is found at the next sync (the
remote holds a file of this device beyond its record), and the record is made from the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mnemo_cli.index.replicas import ChainMark
from mnemo_cli.log import fileops, remote_files
from mnemo_cli.log.frames import ChainPoint
from mnemo_cli.log.remote_files import CHECKPOINT, SEGMENT
from mnemo_cli.log.remotes import Remote
from mnemo_cli.store import records as record_codec
from mnemo_cli.store import segments, vector_blobs
from mnemo_cli.store.records import Record
from mnemo_cli.store.stamps import STAMPED
from mnemo_cli.store.sync_pull import Listed

if TYPE_CHECKING:
    from mnemo_cli.store.store import Store


@dataclass
class Pushed:
    files: list[str] = field(default_factory=list)
    records: int = 0
    bytes: int = 0
    #: This device's earlier files, replaced on the remote by a checkpoint.
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def push(store: Store, remote: Remote, own: list[Listed], device: bytes, staging: Path) -> Pushed:
    report = Pushed()
    me = device.hex()
    mark = store.state().catalog.chain_marks().get(me)
    top = own[-1].seq if own else 0
    if top > (mark.seq if mark else 0):
        mark = _recover(store, remote, own[-1], staging)
    restart = mark is not None and top < mark.seq  # the remote lost this device's newest files
    if restart:
        report.problems.append(
            f"this device's files on the remote end at {top}, but it pushed up to {mark.seq if mark else 0}: "
            "pushing a checkpoint of all its records"
        )
    head = store.head()
    detail = json.loads(mark.detail) if mark else {}
    checkpoint = mark is not None and (restart or detail.get("gen") != head.gen.hex())
    start = None
    if mark is not None and not checkpoint and detail.get("frames"):
        start = ChainPoint(detail["frames"], detail["offset"], bytes.fromhex(detail["tag"]))
    anchor, header, bodies = store.journal.read(start)
    point = start
    records = []
    for body, point in bodies:  # noqa: B007 (the last point is the one kept)
        record = record_codec.decode(body)
        if record.op in STAMPED and "from" not in record.fields:
            records.append(vector_blobs.upgraded(body, header.version))
    if point is None:
        point = ChainPoint(anchor.frames, anchor.log_bytes, anchor.last_tag)
    if records or checkpoint:
        kind = CHECKPOINT if checkpoint else SEGMENT
        _put(store, remote, device, mark, kind, records, (anchor.gen, point), staging, report)
        if checkpoint:
            own = [*own, Listed(me, (mark.seq if mark else 0) + 1, CHECKPOINT, report.files[-1], 0)]
    checkpoints = [f.seq for f in own if f.kind == CHECKPOINT]
    report.removed = [f.name for f in own if checkpoints and f.seq < checkpoints[-1]]
    if report.removed:  # what a checkpoint stands for (also after a crash that left them)
        remote.remove(report.removed)
    return report


def _put(
    store: Store,
    remote: Remote,
    device: bytes,
    mark: ChainMark | None,
    kind: int,
    records: list[bytes],
    reach: tuple[bytes, ChainPoint],
    staging: Path,
    report: Pushed,
) -> None:
    """Seal `records` as this device's next file, put it on the remote, then record it."""
    state = store.state()
    head = store.head()
    gen, point = reach  # the log position the records reach
    upto = {"gen": gen.hex(), "frames": point.frames, "offset": point.offset, "tag": point.tag.hex()}
    upto["key_id"] = head.key_id
    seen = {d: m.seq for d, m in state.catalog.chain_marks().items() if not m.own}
    body = segments.encode(segments.Segment(seen, upto, state.model.id, head.key_id, records))
    seq = (mark.seq if mark else 0) + 1
    prev = bytes.fromhex(mark.tag) if mark else remote_files.NO_TAG
    name, sealed = remote_files.seal(store._data_key, store.store_id, kind, device, seq, prev, body)
    target = staging / name
    fileops.make_parents(target)
    fileops.write_outside(target, [sealed], sync=False)
    remote.push(staging, [name])
    tag = remote_files.open_file(store._data_key, store.store_id, name, sealed).tag
    new = {"device": device.hex(), "own": True, "seq": seq, "tag": tag.hex(), "detail": upto}
    store._append([Record("chain", new)])
    report.files.append(name)
    report.records += len(records)
    report.bytes += len(sealed)


def _recover(store: Store, remote: Remote, newest: Listed, staging: Path) -> ChainMark:
    """Record this device's newest file on the remote, put there by a sync that crashed before it
    recorded it: its records are this store's already."""
    missing = remote.fetch([newest.name], staging)
    if missing:
        raise FileNotFoundError(newest.name)
    opened = remote_files.open_file(store._data_key, store.store_id, newest.name, (staging / newest.name).read_bytes())
    upto = segments.decode(opened.body).upto
    mark = {"device": newest.device, "own": True, "seq": opened.seq, "tag": opened.tag.hex(), "detail": upto}
    store._append([Record("chain", mark)])
    return ChainMark(newest.device, True, opened.seq, opened.tag.hex(), json.dumps(upto, sort_keys=True))
