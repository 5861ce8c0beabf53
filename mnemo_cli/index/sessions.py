"""The catalog's session queries: which memories share a session, and in what order.

A session's order is `(created_ts, key)`: when each memory happened, then the order it was
remembered in (keys only grow), so turns imported with equal dates keep their order. Queries here
see only memories recall can show: expired and superseded ones are skipped, as if absent. Mixed
into `Catalog` (index/catalog.py), whose `db` and `memories` table they read.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence


def visible(alias: str) -> tuple[str, float]:
    """The SQL condition (one `?`: now) that a row of `memories <alias>` can be recalled or listed."""
    return f"{alias}.superseded_by IS NULL AND ({alias}.expires_ts IS NULL OR {alias}.expires_ts > ?)", time.time()


class SessionQueries:
    db: sqlite3.Connection

    def session_neighbours(self, key: int, before: int, after: int) -> list[tuple[int, int]]:
        """The visible memories up to `before` places before and `after` places after memory `key`
        in its session, in session order, as (key, offset): offset -1 is the turn just before it.
        Empty when the memory has no session (or does not exist)."""
        row = self.db.execute("SELECT session, created_ts FROM memories WHERE key = ?", (key,)).fetchone()
        if row is None or row[0] is None:
            return []
        session, created_ts = row
        condition, now = visible("m")
        earlier = self.db.execute(
            f"SELECT key FROM memories m WHERE session = ? AND {condition}"
            " AND (created_ts < ? OR (created_ts = ? AND key < ?)) ORDER BY created_ts DESC, key DESC LIMIT ?",
            (session, now, created_ts, created_ts, key, before),
        ).fetchall()
        later = self.db.execute(
            f"SELECT key FROM memories m WHERE session = ? AND {condition}"
            " AND (created_ts > ? OR (created_ts = ? AND key > ?)) ORDER BY created_ts, key LIMIT ?",
            (session, now, created_ts, created_ts, key, after),
        ).fetchall()
        found = [(k, -i) for i, (k,) in enumerate(earlier, start=1)][::-1]
        return found + [(k, i) for i, (k,) in enumerate(later, start=1)]

    def session_keys(self, session: str) -> list[int]:
        """The visible memories of a session, in session order."""
        condition, now = visible("m")
        rows = self.db.execute(
            f"SELECT key FROM memories m WHERE session = ? AND {condition} ORDER BY created_ts, key", (session, now)
        )
        return [row[0] for row in rows]

    def sessions_of(self, keys: Sequence[int]) -> dict[int, str]:
        """The session of each of `keys` that has one (keys without a session, or unknown, are absent)."""
        found: dict[int, str] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT key, session FROM memories WHERE key IN ({marks}) AND session IS NOT NULL", chunk
            )
            found.update((key, session) for key, session in rows)
        return found
