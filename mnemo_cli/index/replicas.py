"""The catalog's rules for records that come from several devices (docs/sync.md, "Records and their order").

A store synced between devices folds every device's records in one order, the order of their
clock stamps (`store/stamps.py`), so every device that holds the same records holds the same
catalog. The rules here make that fold well defined whatever the records say about each other:

- a memory id is remembered once: a second `remember` of it (the same record pulled twice, or
  re-pushed by a copy of the store) changes nothing, nor does one of a forgotten id (its tombstone);
- `forget` leaves a tombstone per id (`forgotten`), kept through compaction of a synced store so a
  device's older files never bring a forgotten memory back;
- the versions of a memory (linked by `supersedes`) form a family whose latest version by stamp
  is current and the others hidden behind it, in its history: two devices that updated one memory
  concurrently keep both versions, the later one current; a forgotten version leaves the family
  as if it had never been;
- links and unlinks are kept between the ids their records name (never moved, so a later record
  cannot change what an earlier one did) and shown between the current versions of their ends;
  of a link and an unlink of one pair the later wins, and an unlink leaves a tombstone
  (`unlinked`) so an older link pulled later does not come back; a link to a forgotten memory is
  dropped (and forgetting one drops its links), one to a memory not held yet waits for it;
- `chains` holds, per device, the last remote file applied (or, for this device, pushed).

Mixed into `Catalog` (index/catalog.py), whose `db`, `memories` and `links` tables it uses.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

SCHEMA = """
CREATE TABLE forgotten(id TEXT PRIMARY KEY, stamp TEXT NOT NULL, origin TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE unlinked(
    src TEXT NOT NULL, dst TEXT NOT NULL, created_at TEXT NOT NULL, stamp TEXT NOT NULL, origin TEXT NOT NULL,
    PRIMARY KEY(src, dst)
) WITHOUT ROWID;
CREATE TABLE chains(
    device TEXT PRIMARY KEY, own INTEGER NOT NULL, seq INTEGER NOT NULL, tag TEXT NOT NULL, detail TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE folded(name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""
#: A family of versions longer than this is a loop (a damaged log), not history.
_MAX_VERSIONS = 100_000


@dataclass(frozen=True)
class ChainMark:
    """The last file of a device's remote chain this store applied (or, `own`, pushed)."""

    device: str
    own: bool
    seq: int
    tag: str
    #: JSON text: for this device's own chain, what the pushed files covered.
    detail: str


@dataclass(frozen=True)
class LinkRow:
    """A link or an unlink tombstone as the catalog holds it, with the stamp and origin of the
    record that set it (what compaction writes back)."""

    src: str
    dst: str
    rel: str | None  # None: an unlink
    created_at: str
    stamp: str
    origin: str


class ReplicaRules:
    db: sqlite3.Connection
    _link_seq: int

    # -- versions ---------------------------------------------------------------------------------

    def head_of(self, memory_id: str) -> str | None:
        """The current version of the memory `memory_id` (itself when never superseded); None when
        the memory is not held."""
        row = self.db.execute("SELECT superseded_by FROM memories WHERE id = ?", (memory_id,)).fetchone()
        if row is None:
            return None
        current, steps = memory_id, 0
        while row is not None and row[0] is not None and steps < _MAX_VERSIONS:
            current, steps = row[0], steps + 1
            row = self.db.execute("SELECT superseded_by FROM memories WHERE id = ?", (current,)).fetchone()
        return current if row is not None else None

    def settle(self, memory_ids: Iterable[str]) -> None:
        """Make the versions of each family touching `memory_ids` agree with the memories held: the
        family's latest version by stamp (then date, then id) is current, the others are hidden
        behind it, and their links move to it. A function of the memories held, whatever order
        they came in: forgetting a version leaves the family as if it had never existed."""
        done: set[str] = set()
        for memory_id in memory_ids:
            if memory_id in done:
                continue
            members = self._family_rows(memory_id)
            done.update(members)
            if not members:
                continue
            head = max(members, key=lambda m: (members[m][0], members[m][1], m))
            for member, (_stamp, _created, superseded_by) in members.items():
                wanted = None if member == head else head
                if superseded_by != wanted:
                    self.db.execute("UPDATE memories SET superseded_by = ? WHERE id = ?", (wanted, member))

    def _family_rows(self, memory_id: str) -> dict[str, tuple[str, str, str | None]]:
        """id → (stamp, created_at, superseded_by) of every held version linked to `memory_id` by
        `supersedes` (through held versions only)."""
        found: dict[str, tuple[str, str, str | None]] = {}
        todo = [memory_id]
        while todo and len(found) < _MAX_VERSIONS:
            current = todo.pop()
            if current in found:
                continue
            row = self.db.execute(
                "SELECT stamp, created_at, superseded_by, supersedes FROM memories WHERE id = ?", (current,)
            ).fetchone()
            if row is None:
                continue
            found[current] = (row[0], row[1], row[2])
            if row[3] is not None:
                todo.append(row[3])
            todo += [r[0] for r in self.db.execute("SELECT id FROM memories WHERE supersedes = ?", (current,))]
        return found

    def family(self, memory_id: str) -> list[str]:
        """The ids of every version of `memory_id`'s memory held (itself included), in the order
        they were remembered here."""
        found: dict[str, int] = {}
        todo = [memory_id]
        while todo and len(found) < _MAX_VERSIONS:
            current = todo.pop()
            row = self.db.execute(
                "SELECT key, supersedes, superseded_by FROM memories WHERE id = ?", (current,)
            ).fetchone()
            if row is None or current in found:
                continue
            found[current] = row[0]
            todo += [v for v in row[1:] if v is not None]
            todo += [
                r[0]
                for r in self.db.execute(
                    "SELECT id FROM memories WHERE supersedes = ? OR superseded_by = ?", (current, current)
                )
            ]
        return sorted(found, key=found.__getitem__)

    # -- tombstones -------------------------------------------------------------------------------

    def is_forgotten(self, memory_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM forgotten WHERE id = ?", (memory_id,)).fetchone() is not None

    def tombstone(self, memory_id: str, stamp: str, origin: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO forgotten(id, stamp, origin) VALUES (?, ?, ?)", (memory_id, stamp, origin)
        )

    def tombstones(self) -> list[tuple[str, str, str]]:
        """(id, stamp, origin) of every forgotten memory, in stamp order."""
        return self.db.execute("SELECT id, stamp, origin FROM forgotten ORDER BY stamp, id").fetchall()

    # -- links --------------------------------------------------------------------------------------

    def set_link(self, src: str, dst: str, rel: str, created_at: str, stamp: str, origin: str) -> bool:
        """Link `src` to `dst` as the record names them (False: an end was forgotten). A link is
        shown between the current versions of its ends (`Catalog.links_from`); one to a memory
        not held yet waits for it, hidden."""
        a, b = self._end(src), self._end(dst)
        if a is None or b is None or a == b:
            return False
        self.db.execute("DELETE FROM unlinked WHERE src = ? AND dst = ?", (a, b))
        self._link_seq += 1
        self.db.execute(
            "INSERT INTO links(src, dst, rel, created_at, seq, stamp, origin) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(src, dst) DO UPDATE SET rel = excluded.rel, created_at = excluded.created_at,"
            " stamp = excluded.stamp, origin = excluded.origin",
            (a, b, rel, created_at, self._link_seq, stamp, origin),
        )
        return True

    def _end(self, memory_id: str) -> str | None:
        return None if self.is_forgotten(memory_id) else memory_id

    def set_unlink(self, src: str, dst: str, created_at: str, stamp: str, origin: str) -> bool:
        """Remove the link `src` → `dst` as the record names it, leaving a tombstone."""
        a, b = self._end(src), self._end(dst)
        if a is None or b is None:
            return False
        removed = self.db.execute("DELETE FROM links WHERE src = ? AND dst = ?", (a, b)).rowcount > 0
        self.db.execute(
            "INSERT OR REPLACE INTO unlinked(src, dst, created_at, stamp, origin) VALUES (?, ?, ?, ?, ?)",
            (a, b, created_at, stamp, origin),
        )
        return removed

    def link_rows(self) -> Iterator[LinkRow]:
        """Every link, then every unlink tombstone, with the stamp and origin that set it."""
        for src, dst, rel, created_at, stamp, origin in self.db.execute(
            "SELECT src, dst, rel, created_at, stamp, origin FROM links ORDER BY seq"
        ):
            yield LinkRow(src, dst, rel, created_at, stamp, origin)
        for src, dst, created_at, stamp, origin in self.db.execute(
            "SELECT src, dst, created_at, stamp, origin FROM unlinked ORDER BY stamp, src, dst"
        ):
            yield LinkRow(src, dst, None, created_at, stamp, origin)

    # -- the fold and the remote chains ------------------------------------------------------------

    def fold_mark(self) -> str:
        """The order key of the latest stamped record folded in ("" before any)."""
        row = self.db.execute("SELECT value FROM folded WHERE name = 'mark'").fetchone()
        return row[0] if row else ""

    def set_fold_mark(self, mark: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO folded(name, value) VALUES ('mark', ?)", (mark,))

    def chain_marks(self) -> dict[str, ChainMark]:
        rows = self.db.execute("SELECT device, own, seq, tag, detail FROM chains ORDER BY device")
        return {row[0]: ChainMark(row[0], bool(row[1]), row[2], row[3], row[4]) for row in rows}

    def set_chain_mark(self, mark: ChainMark) -> None:
        """Record `mark` unless a later file of that device's chain is recorded already."""
        self.db.execute(
            "INSERT INTO chains(device, own, seq, tag, detail) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(device) DO UPDATE SET own = excluded.own, seq = excluded.seq, tag = excluded.tag,"
            " detail = excluded.detail WHERE excluded.seq >= chains.seq",
            (mark.device, int(mark.own), mark.seq, mark.tag, mark.detail),
        )
