"""The records a rewritten generation keeps (`compact`, `reindex`): what the store holds, no more.

Kept: the `remember` record of every memory held (superseded versions too: they are history),
each link with the stamp and origin of the record that set it, and in a store that syncs
(docs/sync.md) the tombstones of forgotten memories and removed links, which stop another
device's older files from bringing them back, and the position reached in each device's remote
chain. Gone: forgotten memories' text, and every record a later one overrode. The records are
written in the fold order (`store/stamps.py`), so folding the new log in its order gives the
state the old one gave.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from mnemo_cli.embed.model_spec import ModelSpec
from mnemo_cli.index.catalog import Catalog
from mnemo_cli.store import records as record_codec
from mnemo_cli.store import values, vector_blobs
from mnemo_cli.store.records import Record
from mnemo_cli.store.stamps import order_key


def live_records(
    catalog: Catalog,
    bodies: Iterable[bytes],
    log_version: int,
    model: ModelSpec,
    vectors: dict[str, Any] | None = None,
) -> tuple[list[bytes], int, int]:
    """(bodies in fold order, memories, links) of the generation that replaces the one whose
    `bodies` (of log version `log_version`) `catalog` was folded from. With `vectors` (reindex),
    each memory's vector comes from there and its model is `model`."""
    live = {memory.id for memory in catalog.in_order()}
    kept: list[tuple[Record, bytes]] = []
    for body in bodies:
        record = record_codec.decode(body)
        memory_id = record.fields.get("id")
        if record.op != "remember" or memory_id not in live:
            continue
        live.discard(memory_id)  # the first record of an id is the memory
        if vectors is not None:
            fields = {**record.fields, "model": model.id}
            body = record_codec.encode(Record("remember", fields, vector_blobs.encode(vectors[memory_id])))
        else:  # the new generation's log is of the current version: a version 1 vector becomes float16
            body = vector_blobs.upgraded(body, log_version)
        kept.append((record, body))
    memories = len(kept)
    syncs = bool(catalog.chain_marks())
    links = 0
    for row in catalog.link_rows():
        if row.rel is None and not syncs:
            continue
        links += row.rel is not None
        fields = {"src": row.src, "dst": row.dst, "created_at": row.created_at}
        fields.update(_origin(row.stamp, row.origin))
        kept.append(_record(Record("link", {**fields, "rel": row.rel}) if row.rel else Record("unlink", fields)))
    if syncs:
        groups: dict[tuple[str, str], list[str]] = {}
        for memory_id, stamp, origin in catalog.tombstones():
            groups.setdefault((stamp, origin), []).append(memory_id)
        now = values.normalise_time(None)
        for (stamp, origin), ids in groups.items():
            kept.append(_record(Record("forget", {"ids": ids, "at": now, **_origin(stamp, origin)})))
        for mark in catalog.chain_marks().values():
            detail = json.loads(mark.detail)
            fields = {"device": mark.device, "own": mark.own, "seq": mark.seq, "tag": mark.tag, "detail": detail}
            kept.append(_record(Record("chain", fields)))
    order = sorted(range(len(kept)), key=lambda i: _place(kept[i][0], i))
    return [kept[i][1] for i in order], memories, links


def _origin(stamp: str, origin: str) -> dict[str, str]:
    return {**({"t": stamp} if stamp else {}), **({"from": origin} if origin else {})}


def _record(record: Record) -> tuple[Record, bytes]:
    return record, record_codec.encode(record)


def _place(record: Record, position: int) -> tuple[bool, str, int]:
    key = order_key(record)
    return (key is not None, key or "", position)
