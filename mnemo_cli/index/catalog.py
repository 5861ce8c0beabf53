"""The catalog: memories' metadata, the FTS5 lexical index and the links, in an in-memory SQLite.

Never given a file: it lives in memory and travels only inside encrypted snapshots
(`serialize()` / `deserialize()`). Each memory has an integer `key` shared with the vector index.
FTS5 indexes three columns: the text, the tags, and the words of the date (`2025 march 14
friday`), so "what did she start in March?" can match lexically.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from mnemo_cli.index.coverage import coverage as term_coverage
from mnemo_cli.index.replicas import SCHEMA as REPLICA_SCHEMA
from mnemo_cli.index.replicas import ReplicaRules
from mnemo_cli.index.sessions import SessionQueries, visible
from mnemo_cli.index.terms import fts_query, query_terms
from mnemo_cli.memories import Link, Memory

#: FTS5's tokenizer for the lexical index (index/lexicon.py tokenizes with it too).
TOKENIZER = "porter unicode61 remove_diacritics 2"
SCHEMA = f"""
CREATE TABLE memories(
    key INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_ts REAL NOT NULL,
    tags TEXT NOT NULL,
    meta TEXT NOT NULL,
    source TEXT,
    dates TEXT NOT NULL,
    expires_at TEXT,
    expires_ts REAL,
    supersedes TEXT,
    superseded_by TEXT,
    text_key TEXT NOT NULL,
    session TEXT,
    stamp TEXT NOT NULL DEFAULT ''
);
CREATE INDEX memories_by_text_key ON memories(text_key);
CREATE INDEX memories_superseded ON memories(superseded_by) WHERE superseded_by IS NOT NULL;
CREATE INDEX memories_by_time ON memories(created_ts);
CREATE INDEX memories_by_expiry ON memories(expires_ts) WHERE expires_ts IS NOT NULL;
CREATE INDEX memories_by_session ON memories(session, created_ts, key) WHERE session IS NOT NULL;
CREATE TABLE memory_tags(tag TEXT NOT NULL, key INTEGER NOT NULL, PRIMARY KEY(tag, key)) WITHOUT ROWID;
CREATE TABLE links(
    src TEXT NOT NULL, dst TEXT NOT NULL, rel TEXT NOT NULL, created_at TEXT NOT NULL, seq INTEGER NOT NULL,
    stamp TEXT NOT NULL, origin TEXT NOT NULL, PRIMARY KEY(src, dst)
) WITHOUT ROWID;
CREATE INDEX links_by_dst ON links(dst);
CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE fts USING fts5(
    text, tags, dates, content='memories', content_rowid='key', tokenize='{TOKENIZER}'
);
{REPLICA_SCHEMA}"""
#: BM25 column weights: text, tags, date words.
BM25_WEIGHTS = (1.0, 0.5, 0.5)
_WORD = re.compile(r"\w+", re.UNICODE)
_HEX = re.compile(r"^[0-9a-f]+$")


class Catalog(SessionQueries, ReplicaRules):
    def __init__(self, connection: sqlite3.Connection | None = None) -> None:
        if connection is None:
            connection = sqlite3.connect(":memory:", check_same_thread=False)
            connection.executescript(SCHEMA)
        self.db = connection
        self._link_seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM links").fetchone()[0]

    # -- snapshots ------------------------------------------------------------------------------

    def serialize(self) -> bytes:
        return self.db.serialize()

    @classmethod
    def deserialize(cls, data: bytes | memoryview) -> Catalog:
        """A catalog from `serialize`'s bytes, which SQLite copies (a view of them is enough)."""
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        connection.deserialize(data)
        return cls(connection)

    # -- changes --------------------------------------------------------------------------------

    def next_key(self) -> int:
        """A key never used before in this catalog (a forgotten memory's key is not reused: the
        vector index keeps removed keys reserved)."""
        self.bump("keys")
        return self.counter("keys")

    def add(self, key: int, memory: Memory, text_key: str, stamp: str = "") -> None:
        """Insert a memory; `text_key` is a keyed hash of its text (exact-duplicate detection).
        A memory that supersedes another joins its family of versions (`ReplicaRules.settle`)."""
        tags_json = json.dumps(list(memory.tags), ensure_ascii=False)
        dates = date_words(memory.created_at)
        self.db.execute(
            "INSERT INTO memories(key, id, text, created_at, created_ts, tags, meta, source, dates,"
            " expires_at, expires_ts, supersedes, text_key, session, stamp)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                memory.id,
                memory.text,
                memory.created_at,
                _ts(memory.created_at),
                tags_json,
                json.dumps(dict(memory.meta), ensure_ascii=False, sort_keys=True),
                memory.source,
                dates,
                memory.expires_at,
                _ts(memory.expires_at) if memory.expires_at else None,
                memory.supersedes,
                text_key,
                memory.session,
                stamp,
            ),
        )
        if memory.supersedes:
            self.settle([memory.id])
        self.db.execute(
            "INSERT INTO fts(rowid, text, tags, dates) VALUES (?, ?, ?, ?)",
            (key, memory.text, _fts_tags(memory.tags), dates),
        )
        self.db.executemany("INSERT INTO memory_tags(tag, key) VALUES (?, ?)", [(tag, key) for tag in memory.tags])

    def remove(self, memory_id: str) -> int | None:
        """Delete a memory, its index entries and every link touching it; its key, or None."""
        row = self.db.execute(
            "SELECT key, text, tags, dates, supersedes FROM memories WHERE id = ?", (memory_id,)
        ).fetchone()
        if row is None:
            return None
        key, text, tags_json, dates, supersedes = row
        versions = [r[0] for r in self.db.execute("SELECT id FROM memories WHERE supersedes = ?", (memory_id,))]
        self.db.execute(
            "INSERT INTO fts(fts, rowid, text, tags, dates) VALUES ('delete', ?, ?, ?, ?)",
            (key, text, _fts_tags(json.loads(tags_json)), dates),
        )
        self.db.execute("DELETE FROM memories WHERE key = ?", (key,))
        self.db.execute("DELETE FROM memory_tags WHERE key = ?", (key,))
        self.db.execute("DELETE FROM links WHERE src = ? OR dst = ?", (memory_id, memory_id))
        self.db.execute("DELETE FROM unlinked WHERE src = ? OR dst = ?", (memory_id, memory_id))
        self.bump("forgotten")
        self.settle([*versions, *([supersedes] if supersedes else [])])  # as if it had never been
        return key

    def indexed_after(self, key: int) -> list[tuple[str, str, str]]:
        """The text, tags and date words FTS5 indexed for each memory whose key is above `key`."""
        rows = self.db.execute("SELECT text, tags, dates FROM memories WHERE key > ?", (key,))
        return [(text, _fts_tags(json.loads(tags)), dates) for text, tags, dates in rows]

    def bump(self, name: str, by: int = 1) -> None:
        self.db.execute(
            "INSERT INTO counters(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + ?",
            (name, by, by),
        )

    def counter(self, name: str) -> int:
        row = self.db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return row[0] if row else 0

    def select(
        self,
        *,
        words: str | None = None,
        tags: Sequence[str] = (),
        created_before: float | None = None,
        expired_at: float | None = None,
    ) -> list[Memory]:
        """Memories matching every given condition (expired ones included), oldest first.

        `words`: the text holds all of them. `created_before` and `expired_at` together select
        memories that are either old enough or expired."""
        clauses: list[str] = ["1"]
        args: list[Any] = []
        for tag in tags:
            clauses.append("EXISTS (SELECT 1 FROM memory_tags t WHERE t.tag = ? AND t.key = m.key)")
            args.append(tag)
        age: list[str] = []
        if created_before is not None:
            age.append("m.created_ts < ?")
            args.append(created_before)
        if expired_at is not None:
            age.append("(m.expires_ts IS NOT NULL AND m.expires_ts <= ?)")
            args.append(expired_at)
        if age:
            clauses.append("(" + " OR ".join(age) + ")")
        if words is not None:
            match = " AND ".join(f'"{word}"' for word in dict.fromkeys(_WORD.findall(words.lower())))
            if not match:
                return []
            clauses.append("m.key IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            args.append(match)
        sql = f"SELECT {_COLUMNS} FROM memories m WHERE {' AND '.join(clauses)} ORDER BY created_ts, key"
        return [_memory(row) for row in self.db.execute(sql, args)]

    def expired_count(self, now: float) -> int:
        row = self.db.execute("SELECT COUNT(*) FROM memories WHERE expires_ts IS NOT NULL AND expires_ts <= ?", (now,))
        return row.fetchone()[0]

    def hidden_keys(self, now: float) -> set[int]:
        """Memories kept but never recalled or listed: expired, or superseded by a newer version."""
        # Two queries on the two partial indexes: with OR, SQLite reads every row.
        rows = self.db.execute(
            "SELECT key FROM memories WHERE expires_ts IS NOT NULL AND expires_ts <= ?"
            " UNION ALL SELECT key FROM memories WHERE superseded_by IS NOT NULL",
            (now,),
        )
        return {row[0] for row in rows}

    def live_with_text_key(self, text_key: str) -> Memory | None:
        """A memory with exactly this text that recall can show (not superseded, not expired)."""
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM memories m WHERE text_key = ? AND superseded_by IS NULL"
            " AND (expires_ts IS NULL OR expires_ts > ?) ORDER BY key LIMIT 1",
            (text_key, time.time()),
        ).fetchone()
        return _memory(row) if row else None

    def superseded_by(self, memory_id: str) -> str | None:
        row = self.db.execute("SELECT superseded_by FROM memories WHERE id = ?", (memory_id,)).fetchone()
        return row[0] if row else None

    def history(self, memory_id: str) -> list[Memory]:
        """Every version of a memory held, oldest first: what it superseded, what superseded it, and
        versions other devices made of the same memory meanwhile (`ReplicaRules.family`)."""
        versions = [m for m in (self.get(i) for i in self.family(memory_id)) if m is not None]
        return sorted(versions, key=lambda m: _ts(m.created_at))

    def relation(self, src: str, dst: str) -> str | None:
        """The relation of the link shown from `src`'s current version to `dst`'s, if any."""
        target = self.head_of(dst)
        return next((link.rel for link in self.links_from(src) if link.dst == target), None)

    # -- reading --------------------------------------------------------------------------------

    def count(self) -> int:
        """Memories held, expired ones included (they stay until pruned)."""
        return self.db.execute("SELECT COUNT(*) FROM memories").fetchone()[0]

    def has(self, memory_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM memories WHERE id = ?", (memory_id,)).fetchone() is not None

    def ids_with_prefix(self, prefix: str, limit: int = 6) -> list[str]:
        if not _HEX.match(prefix):
            return []
        rows = self.db.execute(
            "SELECT id FROM memories WHERE id >= ? AND id < ? ORDER BY id LIMIT ?", (prefix, prefix + "g", limit)
        )
        return [row[0] for row in rows]

    def get(self, memory_id: str) -> Memory | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM memories WHERE id = ?", (memory_id,)).fetchone()
        return _memory(row) if row else None

    def by_keys(self, keys: Sequence[int]) -> dict[int, Memory]:
        found: dict[int, Memory] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(f"SELECT key, {_COLUMNS} FROM memories WHERE key IN ({marks})", chunk):
                found[row[0]] = _memory(row[1:])
        return found

    def texts(self, keys: Sequence[int]) -> dict[int, str]:
        """key → text of each of `keys`."""
        marks = ",".join("?" * len(keys))
        return dict(self.db.execute(f"SELECT key, text FROM memories WHERE key IN ({marks})", list(keys)).fetchall())

    def created_times(self, keys: Sequence[int]) -> dict[int, float]:
        """key → creation time (seconds since the epoch) of each of `keys`."""
        marks = ",".join("?" * len(keys))
        rows = self.db.execute(f"SELECT key, created_ts FROM memories WHERE key IN ({marks})", list(keys))
        return dict(rows.fetchall())

    def created_span(self) -> tuple[float, float] | None:
        """The creation times of the oldest and the newest memory (None: no memory)."""
        row = self.db.execute(
            "SELECT (SELECT MIN(created_ts) FROM memories), (SELECT MAX(created_ts) FROM memories)"
        ).fetchone()
        return None if row[0] is None else (row[0], row[1])

    def key_of(self, memory_id: str) -> int | None:
        row = self.db.execute("SELECT key FROM memories WHERE id = ?", (memory_id,)).fetchone()
        return row[0] if row else None

    def filtered_keys(
        self, tags: Sequence[str], since: float | None, until: float | None, session: str | None = None
    ) -> list[int]:
        where, args = _filters(tags, since, until, session)
        return [row[0] for row in self.db.execute(f"SELECT key FROM memories m WHERE {where}", args)]

    def newest(
        self,
        tags: Sequence[str],
        since: float | None,
        until: float | None,
        limit: int | None,
        session: str | None = None,
    ) -> list[Memory]:
        where, args = _filters(tags, since, until, session)
        sql = f"SELECT {_COLUMNS} FROM memories m WHERE {where} ORDER BY created_ts DESC, key DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [_memory(row) for row in self.db.execute(sql, args)]

    def in_order(self) -> Iterator[Memory]:
        """Every memory in the order it was remembered."""
        for row in self.db.execute(f"SELECT {_COLUMNS} FROM memories ORDER BY key"):
            yield _memory(row)

    def lexical(
        self,
        query: str,
        limit: int,
        tags: Sequence[str] = (),
        since: float | None = None,
        until: float | None = None,
        session: str | None = None,
    ) -> list[tuple[int, float]]:
        """(key, score) best first; score = s / (1 + s) for s = −BM25 (so in (0, 1)). Stop words
        do not count (`index/terms.py`)."""
        terms = query_terms(query)
        if not terms:
            return []
        match = fts_query(terms)
        where, args = _filters(tags, since, until, session)
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        rows = self.db.execute(
            f"SELECT m.key, bm25(fts, {weights}) AS rank FROM fts JOIN memories m ON m.key = fts.rowid"
            f" WHERE fts MATCH ? AND {where} ORDER BY rank, m.key LIMIT ?",
            [match, *args, limit],
        )
        return [(key, (-rank) / (1 - rank)) for key, rank in rows]

    def coverage(self, terms: Sequence[str], keys: Sequence[int]) -> dict[int, float]:
        """key → the idf-weighted share of `terms` each memory of `keys` contains (`index/coverage.py`)."""
        documents = self.db.execute("SELECT COUNT(*) FROM memories").fetchone()[0]
        return term_coverage(self.db, terms, keys, documents)

    def links_from(self, memory_id: str) -> list[Link]:
        """The links from the memory's current version, oldest first: those recorded from any of
        its versions, each to the current version of its other end."""
        family = self.family(memory_id)
        return self._shown(self._link_rows("src", family)) if family else []

    def links_to(self, memory_id: str) -> list[Link]:
        family = self.family(memory_id)
        return self._shown(self._link_rows("dst", family)) if family else []

    def all_links(self) -> list[Link]:
        return self._shown(
            self.db.execute(f"SELECT src, dst, rel, created_at, stamp FROM links WHERE {_HELD} ORDER BY seq")
        )

    def link_count(self) -> int:
        return len(self.all_links())

    def stored_links(self, src: str, dst: str) -> list[tuple[str, str]]:
        """The recorded pairs that show as the link from `src`'s current version to `dst`'s."""
        ends = set(self.family(dst))
        return [(row[0], row[1]) for row in self._link_rows("src", self.family(src)) if row[1] in ends]

    def _link_rows(self, column: str, ids: list[str]) -> list[tuple[str, str, str, str, str]]:
        marks = ",".join("?" * len(ids))
        sql = f"SELECT src, dst, rel, created_at, stamp FROM links WHERE {column} IN ({marks}) AND {_HELD} ORDER BY seq"
        return self.db.execute(sql, ids).fetchall()

    def _shown(self, rows: Iterable[tuple[str, str, str, str, str]]) -> list[Link]:
        """Recorded links as shown: between current versions, the later of two that meet."""
        heads: dict[str, str | None] = {}
        shown: dict[tuple[str, str], tuple[tuple[str, str, str], Link]] = {}
        for src, dst, rel, created_at, stamp in rows:
            a = heads[src] if src in heads else heads.setdefault(src, self.head_of(src))
            b = heads[dst] if dst in heads else heads.setdefault(dst, self.head_of(dst))
            if a is None or b is None or a == b:
                continue
            rank = (stamp, src, dst)
            if (a, b) not in shown or rank > shown[(a, b)][0]:
                shown[(a, b)] = (rank, Link(a, b, rel, created_at))
        return [link for _rank, link in shown.values()]


#: A link whose both ends are held (one pulled before its end waits, hidden).
_HELD = "EXISTS (SELECT 1 FROM memories WHERE id = links.src) AND EXISTS (SELECT 1 FROM memories WHERE id = links.dst)"


_COLUMNS = "id, text, created_at, tags, meta, source, expires_at, supersedes, session"


def _memory(row: Sequence[Any]) -> Memory:
    memory_id, text, created_at, tags, meta, source, expires_at, supersedes, session = row
    return Memory(
        memory_id, text, created_at, tuple(json.loads(tags)), json.loads(meta), source, expires_at, supersedes, session
    )


def _filters(
    tags: Sequence[str], since: float | None, until: float | None, session: str | None = None
) -> tuple[str, list[Any]]:
    """SQL conditions on `memories m`; expired and superseded memories never match."""
    hidden, now = visible("m")
    clauses: list[str] = [hidden]
    args: list[Any] = [now]
    if session is not None:
        clauses.append("m.session = ?")
        args.append(session)
    for tag in tags:
        clauses.append("EXISTS (SELECT 1 FROM memory_tags t WHERE t.tag = ? AND t.key = m.key)")
        args.append(tag)
    if since is not None:
        clauses.append("m.created_ts >= ?")
        args.append(since)
    if until is not None:
        clauses.append("m.created_ts <= ?")
        args.append(until)
    return " AND ".join(clauses), args


def _fts_tags(tags: Sequence[str]) -> str:
    """A memory's tags as FTS5's `tags` column holds them."""
    return " ".join(tags)


def date_words(created_at: str) -> str:
    moment = datetime.fromisoformat(created_at).astimezone(UTC)
    return f"{moment.year} {moment.strftime('%B').lower()} {moment.day} {moment.strftime('%A').lower()}"


def _ts(created_at: str) -> float:
    return datetime.fromisoformat(created_at).timestamp()
