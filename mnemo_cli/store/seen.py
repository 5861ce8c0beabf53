"""The rollback record: the newest state of each store this user has seen, kept outside the store.

The format alone cannot notice a whole store (or HEAD alone) put back to an earlier copy of itself:
an older HEAD describes a valid prefix of the log (docs/format.md, section 14). So each user keeps,
per store id *and place* (the store folder's real path), one small file under their state folder
(`$MNEMO_STATE_DIR`, else the platform's per-user state folder, e.g. `~/.local/state/mnemo`)
holding the store's commit counter, position and key-slot table sequence as last seen there,
authenticated with a subkey of the data key (docs/format.md, section 17). A backup is the same
store in another place, older by design: it has a record of its own and is never compared with
the original's. `Store.open` compares HEAD with the record and warns; `verify` fails, and no
writer deletes frames beyond HEAD while the record shows a later commit (`rollback_warnings`).
A whole store restored on purpose is accepted by the next write (`Store.append` records whatever
it committed).

This module owns the record's bytes, its place and the comparison. It never writes into the store
and never fails a command: an unreadable, damaged or foreign record counts as absent, and an
unwritable state folder means the record is silently not kept.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import time
from dataclasses import dataclass, replace
from pathlib import Path

from mnemo_cli.crypto.kdf import keyed_hash, subkey
from mnemo_cli.log import fileops
from mnemo_cli.log.head import Head

MAGIC = b"MNSEEN\r\n"
VERSION = 1
_BODY = struct.Struct("<8sHH16sIQ16sQQQ16sQ")
MAC_BYTES = 32
SIZE = _BODY.size + MAC_BYTES  # 136
_MAC_PERSON = b"mnemo-seenrec-v1"
_PLACE_PERSON = b"mnemo-seenplace"


@dataclass(frozen=True)
class Seen:
    """One store's state as seen: its HEAD position and its key-slot table's sequence number."""

    store_id: bytes
    key_id: int
    table_seq: int
    gen: bytes
    commit: int
    frames: int
    log_bytes: int
    last_tag: bytes
    #: When it was recorded (Unix seconds); only for messages.
    seen_at: int = 0

    @classmethod
    def of(cls, store_id: bytes, head: Head, table_seq: int) -> Seen:
        return cls(store_id, head.key_id, table_seq, head.gen, head.commit, head.frames, head.log_bytes, head.last_tag)

    def position(self) -> tuple[bytes, int, int, bytes]:
        return (self.gen, self.frames, self.log_bytes, self.last_tag)

    def describe(self) -> str:
        return f"commit {self.commit} ({self.frames} log records, generation {self.gen.hex()[:8]})"

    def when(self) -> str:
        return _when(self.seen_at)


def _when(seen_at: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seen_at)) if seen_at else "an earlier run"


def state_dir() -> Path:
    """Where mnemo keeps per-user state that must not live in the store: `MNEMO_STATE_DIR`, else the
    platform's per-user state folder."""
    configured = os.environ.get("MNEMO_STATE_DIR")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("mnemo", appauthor=False))


def record_path(store_id: bytes, location: Path) -> Path:
    """`<state>/seen/<store id>-<place>` (`state_file`)."""
    return state_file("seen", store_id, location)


def state_file(folder: str, store_id: bytes, location: Path) -> Path:
    """`<state>/<folder>/<store id>-<place>`: `place` is 16 hex digits of BLAKE2b over the store
    folder's real path, so a copy of the store elsewhere (a backup) has a file of its own."""
    where = os.fsencode(os.path.realpath(location))
    place = hashlib.blake2b(where, digest_size=8, person=_PLACE_PERSON).hexdigest()
    return state_dir() / folder / f"{store_id.hex()}-{place}"


def encode(seen: Seen, data_key: bytes) -> bytes:
    body = _BODY.pack(
        MAGIC,
        VERSION,
        0,
        seen.store_id,
        seen.key_id,
        seen.table_seq,
        seen.gen,
        seen.commit,
        seen.frames,
        seen.log_bytes,
        seen.last_tag,
        seen.seen_at,
    )
    return body + _mac(data_key, body)


def _mac(data_key: bytes, body: bytes) -> bytes:
    return keyed_hash(subkey(data_key, "seen"), _MAC_PERSON, body, size=MAC_BYTES)


class BadRecord(Exception):
    """The record is unreadable, damaged, foreign or does not authenticate. `claimed_key_id` is the
    key id it says it was written under when it parses and names this store (unauthenticated)."""

    def __init__(self, reason: str, claimed_key_id: int | None = None, seen_at: int = 0) -> None:
        super().__init__(reason)
        self.claimed_key_id = claimed_key_id
        self.seen_at = seen_at


def decode(data: bytes, store_id: bytes, data_key: bytes) -> Seen:
    if len(data) != SIZE:
        raise BadRecord(f"{len(data)} bytes instead of {SIZE}")
    body, mac = data[: _BODY.size], data[_BODY.size :]
    fields = _BODY.unpack(body)
    magic, version, reserved, record_store = fields[:4]
    if magic != MAGIC or version != VERSION or reserved != 0:
        raise BadRecord("not a version 1 rollback record")
    if record_store != store_id:
        raise BadRecord("it names another store")
    if not hmac.compare_digest(mac, _mac(data_key, body)):
        raise BadRecord("it does not authenticate under this store's key", claimed_key_id=fields[4], seen_at=fields[11])
    return Seen(*fields[3:])


def read_raw(store_id: bytes, location: Path) -> bytes | None:
    """The record's bytes (None: none, or unreadable). Read it *before* HEAD: writers record a commit
    only after making it, so a record read first is never ahead of the HEAD read after it."""
    try:
        with open(record_path(store_id, location), "rb") as f:
            return f.read(SIZE + 1)
    except OSError:
        return None


def record(store_id: bytes, location: Path, data_key: bytes, head: Head, table_seq: int) -> None:
    """Remember `head` as the newest state of the store (after a commit, or on open when newer).

    Atomic (a unique temporary file renamed over the record) but not fsynced: the record only
    serves to warn. A crash can at worst lose the last update (then an older record: no false
    warning) or leave a torn file (then a damaged record, counted as absent), and a commit already
    pays for its own fsyncs. An unwritable state folder is skipped silently: never fail a command."""
    seen = replace(Seen.of(store_id, head, table_seq), seen_at=int(time.time()))
    target = record_path(store_id, location)
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fileops.write_outside(target, [encode(seen, data_key)], sync=False)
    except OSError:
        pass


_ACCEPT = "if you restored a backup on purpose, ignore this: the next write accepts the store as it is"


def observe(
    raw: bytes | None, store_id: bytes, location: Path, data_key: bytes, head: Head, table_seq: int
) -> list[str]:
    """Compare the store as opened with the record read before it (`read_raw`); return warnings.

    With no warning, the record is brought up to date when the store is newer (or the record was
    absent or unusable). With one, the record is left alone, so the warning repeats until a write
    accepts the current state."""
    if raw is None:
        record(store_id, location, data_key, head, table_seq)
        return []
    try:
        before = decode(raw, store_id, data_key)
    except BadRecord as e:
        if e.claimed_key_id is not None and e.claimed_key_id > head.key_id:
            # Kept (not replaced) so that this repeats until a write, like the warnings below.
            return [f"{_rekeyed(e, head, store_id, location)}; {_ACCEPT}"]
        record(store_id, location, data_key, head, table_seq)
        if e.claimed_key_id is not None and e.claimed_key_id < head.key_id:
            return []  # written under this store's older data key (a copy from before a rekey): superseded
        return [f"ignored the rollback record {record_path(store_id, location)} ({e}); a new one is kept from now on"]
    warnings = _compare(before, Seen.of(store_id, head, table_seq))
    now = Seen.of(store_id, head, table_seq)
    if not warnings and (now.commit > before.commit or now.table_seq > before.table_seq):
        record(store_id, location, data_key, head, table_seq)
    return [f"{w}; {_ACCEPT}" + (", else run `mnemo rekey --full`" if "key-slot table" in w else "") for w in warnings]


def rollback_warnings(
    raw: bytes | None, store_id: bytes, location: Path, data_key: bytes, head: Head, table_seq: int | None = None
) -> list[str]:
    """What `observe` warns about, as evidence (nothing is written): the record shows this store,
    at this place, in a later state than `head` (and than `table_seq`, when given)."""
    if raw is None:
        return []
    try:
        before = decode(raw, store_id, data_key)
    except BadRecord as e:
        if e.claimed_key_id is not None and e.claimed_key_id > head.key_id:
            return [_rekeyed(e, head, store_id, location)]
        return []
    now = Seen.of(store_id, head, before.table_seq if table_seq is None else table_seq)
    return _compare(before, now)


def _rekeyed(e: BadRecord, head: Head, store_id: bytes, location: Path) -> str:
    return (
        f"the rollback record {record_path(store_id, location)} does not authenticate under this store's key and "
        f"names data key {e.claimed_key_id} (seen on {_when(e.seen_at)}), but the store uses key "
        f"{head.key_id}: the store may have been rolled back to before a full rekey, or the record was "
        f"tampered with"
    )


def _compare(before: Seen, now: Seen) -> list[str]:
    warnings = []
    if now.commit < before.commit:
        warnings.append(
            f"this store looks rolled back to an earlier state: it is at {now.describe()}, but this user saw "
            f"{before.describe()} on {before.when()}; memories written since may be missing"
        )
    elif now.commit == before.commit and now.position() != before.position():
        warnings.append(
            f"this store differs from the one seen before: it is at {now.describe()}, but this user saw "
            f"{before.describe()} on {before.when()} (rolled back and written to again, or replaced by another "
            f"copy)"
        )
    if now.table_seq < before.table_seq:
        warnings.append(
            f"this store's key-slot table looks rolled back: it is at change {now.table_seq}, but this user saw "
            f"change {before.table_seq} on {before.when()}, so secrets removed since may open it again"
        )
    return warnings
