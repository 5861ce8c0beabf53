"""Evidence that a store was rolled back, for writers (never delete what it protects) and `verify`
(fail). docs/format.md, sections 11.3 and 17.

HEAD is the commit point, so frames beyond it are normally one commit that did not finish (a
crash between the append and HEAD's replacement), which the next writer trims. They are evidence
of a rollback instead, and kept, when:

- the rollback record of this store at this place names a later state than HEAD (a higher commit,
  or the same commit at another position, or a newer data key), or
- they cannot be one commit: a v1 commit is `remember… link…` (remember, import, update, link),
  `forget…` or one `unlink`; anything else beyond HEAD took several commits, whose HEAD was put back.

Frames carry no commit marker, so several commits of one shape beyond HEAD, with no rollback record
(another user, a lost state folder), still look like one unfinished commit.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from mnemo_cli.log import fileops, layout
from mnemo_cli.log.head import Head
from mnemo_cli.log.journal import Journal, RolledBack
from mnemo_cli.log.lock import StoreLock
from mnemo_cli.store import records as record_codec
from mnemo_cli.store import seen
from mnemo_cli.store.records import RecordFormatError

_COMMIT_OPS = {"remember", "link", "forget", "unlink"}


def one_commit(bodies: Sequence[bytes]) -> bool:
    """Whether `bodies` can be the frames of one commit as mnemo writes them (True when unsure)."""
    try:
        ops = [record_codec.decode(body).op for body in bodies]
    except RecordFormatError:
        return True
    if not ops or any(op not in _COMMIT_OPS for op in ops):
        return True
    if all(op == "forget" for op in ops) or ops == ["unlink"]:
        return True
    remembers = next((i for i, op in enumerate(ops) if op != "remember"), len(ops))
    return all(op == "link" for op in ops[remembers:])


def evidence(
    raw: bytes | None, store_id: bytes, location: Path, data_key: bytes, anchor: Head, tail: Sequence[bytes]
) -> str | None:
    """Why the frames beyond `anchor` (`tail`) were committed once, or None. `raw` is the rollback
    record, read before `anchor`."""
    warnings = seen.rollback_warnings(raw, store_id, location, data_key, anchor)
    if warnings:
        return warnings[0]
    if not one_commit(tail):
        return (
            f"the {len(tail)} authentic records beyond HEAD cannot be one unfinished commit: HEAD was put back "
            "to an earlier state"
        )
    return None


def check(journal: Journal, store_id: bytes, location: Path, data_key: bytes, table_seq: int) -> None:
    """`RolledBack` when there is evidence that the store was in a later state than its HEAD (what
    `verify` checks). HEAD and the tail are read under the shared lock, so no commit lands between."""
    raw = seen.read_raw(store_id, location)  # before HEAD: see `seen.read_raw`
    with StoreLock(location / layout.LOCK).acquire(exclusive=False):
        anchor = journal.read_head()
        path = layout.log_path(location, anchor.gen)
        try:
            fd = fileops.open_read(path)
        except FileNotFoundError:
            return  # the chain check reports it
    try:
        tail = journal.authentic_tail(fd, path, anchor)
    finally:
        os.close(fd)
    found = seen.rollback_warnings(raw, store_id, location, data_key, anchor, table_seq)
    why = found[0] if found else evidence(None, store_id, location, data_key, anchor, tail)
    if why is None:
        return
    if tail:
        raise RolledBack(
            f"{why}; {len(tail)} authentic records lie beyond HEAD, and writers refuse to delete them",
            hint="copy every record, those beyond HEAD included, with `mnemo salvage DEST`",
        )
    raise RolledBack(
        why, hint="if you restored a backup on purpose, the next write accepts it; else restore a newer one"
    )
