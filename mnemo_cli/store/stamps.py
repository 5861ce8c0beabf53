"""Clock stamps on log records, and the one order every device folds records in (docs/sync.md).

Every `remember`, `forget`, `link` and `unlink` record a store writes carries `t`, the stamp of
its device's hybrid logical clock without the device (`<wall ms, 12 hex>.<counter, 4 hex>`:
`store/clock.py`), later than every stamp the store had folded in when it was written. A record
pulled from another device also carries `from`, that device's id, and is never pushed again.

The fold order of stamped records is their `order_key`: the stamp, then the operation and what
it names, so records of two devices stamped in the same millisecond still sort the same
everywhere. Records written before stamps existed (and markers such as `compacted`) have no
stamp: they sort before every stamped one, in log order. Appending to the fold is right as long
as each stamped record sorts after the fold's mark; one that does not (a concurrent record pulled
from another device) makes the state fold the whole log again in order (`store/state.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from mnemo_cli.store.clock import Clock, Stamp
from mnemo_cli.store.records import Record

#: The records that change what a store holds, and so carry a stamp.
STAMPED = frozenset({"remember", "forget", "link", "unlink"})
#: Stamps without their device (16 bytes of zeros in the clock).
_NO_DEVICE = bytes(16)
_SEPARATOR = "\x1f"


def stamp_text(stamp: Stamp) -> str:
    return stamp.text.rsplit(".", 1)[0]


def parse_stamp(text: str) -> Stamp:
    """The clock stamp of `t` (device zeros); ValueError if it is not one."""
    return Stamp.parse(f"{text}.{_NO_DEVICE.hex()}")


def order_key(record: Record) -> str | None:
    """The record's place in the fold order as a string that sorts as the order; None when the
    record has no stamp (it then keeps its place in the log)."""
    t = record.fields.get("t")
    if record.op not in STAMPED or not isinstance(t, str):
        return None
    f = record.fields
    if record.op == "remember":
        names = str(f.get("id"))
    elif record.op == "forget":
        names = ",".join(str(i) for i in f.get("ids", ()))
    else:
        names = f"{f.get('src')}>{f.get('dst')}"
    return _SEPARATOR.join((t, record.op, names))


def stamped(records: Sequence[Record], mark: str) -> list[Record]:
    """`records` with a stamp on each of this device's that needs one (a record pulled from another
    device stays as it was written there), every stamp later than the fold `mark` and than each other."""
    clock = Clock(_NO_DEVICE, parse_stamp(mark.split(_SEPARATOR, 1)[0]) if mark else None)
    out = []
    for record in records:
        if record.op in STAMPED and "t" not in record.fields and "from" not in record.fields:
            record = Record(record.op, {**record.fields, "t": stamp_text(clock.tick())}, record.blob)
        out.append(record)
    return out
