"""FTS5's bm25 ranking and the lexical coverage, computed over numpy postings for processes that
recall more than once.

FTS5 scores a query row by row: for each row that holds any query word it reads the row's sizes and
its positions, then sorts. Query words are often common (a name, "trip": a tenth of a store each),
so at 100k memories one recall walks tens of thousands of rows (docs/performance.md). This index
keeps, per term asked about, the rows holding it with the term's weighted frequency as numpy
arrays, and every row's length, and ranks with FTS5's own bm25 (fts5_aux.c: k1 = 1.2, b = 0.75, the
column weights summed into one frequency per phrase, the row's tokens over the average, idf floored
at 1e-6), phrase by phrase in FTS5's order, so its scores are FTS5's to the last bit and the
rankings equal (tests/index/test_lexicon.py compares the two on random stores).

Tokens come from FTS5 itself: a term's rows from the `fts5vocab` instance table over the catalog's
index, and the tokens of query words and new memories from a scratch FTS5 table with the same
tokenizer, so stemming and diacritics are FTS5's. A query word FTS5 splits into several tokens (a
phrase, such as "foo_bar") is left to FTS5 (`Unsupported`).

The catalog stays the record. This index follows it through two counters the catalog changes in
the same transactions as its rows (keys handed out, memories forgotten): new memories are read
when the keys counter moved, removed ones when the forgotten counter did, and neither is read
while nothing was written on the connection since. It is never asked inside a transaction
(`store/lexical.py`), so what it read cannot be rolled back under it. Postings are read per term,
when a query first needs the term, and dropped when a new memory holds it or when the least
recently used terms exceed `POSTING_BUDGET` entries.
"""

from __future__ import annotations

import contextlib
import math
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from mnemo_cli.index.catalog import BM25_WEIGHTS, TOKENIZER, Catalog
from mnemo_cli.index.coverage import Matches

if TYPE_CHECKING:
    import numpy as np

#: FTS5's bm25 constants (fts5_aux.c).
K1 = 1.2
B = 0.75
#: Column bits of a posting: the text, the tags, the date words.
TEXT, TAGS, DATES = 1, 2, 4
#: Query words whose tokens are remembered; beyond, the memo starts afresh.
WORD_MEMO = 10_000
#: Posting entries (a term in a memory: 13 bytes) kept for the terms used most recently; a term
#: beyond is read from FTS5 again when next asked for. ~26 MB: a few hundred common terms at 100k.
POSTING_BUDGET = 2_000_000

_SCRATCH = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS temp.lexicon_scratch USING fts5(text, tags, dates, tokenize='{TOKENIZER}');
CREATE VIRTUAL TABLE IF NOT EXISTS temp.lexicon_scratch_tokens USING fts5vocab(temp, lexicon_scratch, instance);
CREATE VIRTUAL TABLE IF NOT EXISTS temp.lexicon_tokens USING fts5vocab(main, fts, instance);
"""


class Unsupported(Exception):
    """A query word FTS5 reads as a phrase of several tokens (or none): rank with FTS5."""


class Lexicon:
    def __init__(self, catalog: Catalog) -> None:
        import numpy as np

        self.catalog = catalog
        self._db = catalog.db
        self._db.executescript(_SCRATCH)
        self._token_of: dict[str, str | None] = {}
        #: token → (rows, weighted frequency, column bits) of the rows holding it, dead rows included.
        self._postings: OrderedDict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
        self._posting_entries = 0
        self._keys = np.zeros(0, dtype=np.int64)  # ascending: keys only grow
        self._length = np.zeros(0, dtype=np.float64)
        self._alive = np.zeros(0, dtype=bool)
        self._rows = 0
        self._documents = 0
        self._tokens = 0
        self._keys_seen = -1
        self._forgotten_seen = catalog.counter("forgotten")
        self._add_rows(0)
        self._keys_seen = catalog.counter("keys")
        #: The connection's change count when the counters were last read (the scratch table's own
        #: writes do not count: `_scratch`).
        self._changes_seen = self._db.total_changes

    # -- following the catalog ----------------------------------------------------------------------

    def _sync(self) -> None:
        if self._db.total_changes == self._changes_seen:  # nothing written since: the counters stand
            return
        keys, forgotten = self.catalog.counter("keys"), self.catalog.counter("forgotten")
        if forgotten != self._forgotten_seen:
            self._mark_removed()
            self._forgotten_seen = forgotten
        if keys != self._keys_seen:
            first = int(self._keys[self._rows - 1]) if self._rows else 0
            self._drop_postings_of_new(first)
            self._add_rows(first)
            self._keys_seen = keys
        self._changes_seen = self._db.total_changes

    def _add_rows(self, after_key: int) -> None:
        """Rows for the memories whose key is above `after_key`, with their lengths (FTS5's
        docsize: one varint per column)."""
        import numpy as np

        found = self._db.execute("SELECT id, sz FROM fts_docsize WHERE id > ? ORDER BY id", (after_key,)).fetchall()
        if not found:
            return
        keys = np.fromiter((key for key, _ in found), dtype=np.int64, count=len(found))
        lengths = np.fromiter((_size(blob) for _, blob in found), dtype=np.float64, count=len(found))
        end = self._rows + len(found)
        if end > len(self._keys):
            capacity = max(end, 2 * len(self._keys), 1024)
            self._keys = np.resize(self._keys, capacity)
            self._length = np.resize(self._length, capacity)
            self._alive = np.resize(self._alive, capacity)
        self._keys[self._rows : end] = keys
        self._length[self._rows : end] = lengths
        self._alive[self._rows : end] = True
        self._rows = end
        self._documents += len(found)
        self._tokens += int(lengths.sum())

    def _mark_removed(self) -> None:
        import numpy as np

        live = np.fromiter((row[0] for row in self._db.execute("SELECT key FROM memories")), dtype=np.int64)
        rows = np.arange(self._rows)
        gone = rows[self._alive[: self._rows] & ~np.isin(self._keys[: self._rows], live)]
        self._alive[gone] = False
        self._documents -= len(gone)
        self._tokens -= int(self._length[gone].sum())

    def _drop_postings_of_new(self, after_key: int) -> None:
        """Forget the cached rows of every token a memory newer than `after_key` holds."""
        if not self._postings:
            return
        for token in self._tokens_of_rows(self.catalog.indexed_after(after_key)):
            self._forget_posting(token)

    # -- tokens ---------------------------------------------------------------------------------------

    def _tokens_of_rows(self, rows: Sequence[tuple[str, str, str]]) -> set[str]:
        if not rows:
            return set()
        with self._scratch():
            self._db.executemany("INSERT INTO temp.lexicon_scratch(text, tags, dates) VALUES (?, ?, ?)", rows)
            tokens = {term for (term,) in self._db.execute("SELECT DISTINCT term FROM temp.lexicon_scratch_tokens")}
            self._db.execute("DELETE FROM temp.lexicon_scratch")
        return tokens

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[None]:
        """A transaction on the scratch table, whose writes leave the catalog as it was: when the
        counters were current before, they still are after."""
        current = self._db.total_changes == self._changes_seen
        with self._db:
            yield
        if current:
            self._changes_seen = self._db.total_changes

    def token(self, word: str) -> str:
        """The one token FTS5 makes of `word`; `Unsupported` if it makes several or none."""
        if word not in self._token_of:
            if len(self._token_of) >= WORD_MEMO:
                self._token_of.clear()
            with self._scratch():
                self._db.execute("INSERT INTO temp.lexicon_scratch(rowid, text) VALUES (1, ?)", (word,))
                found = self._db.execute("SELECT term FROM temp.lexicon_scratch_tokens").fetchall()
                self._db.execute("DELETE FROM temp.lexicon_scratch")
            self._token_of[word] = found[0][0] if len(found) == 1 else None
        token = self._token_of[word]
        if token is None:
            raise Unsupported(word)
        return token

    def _posting(self, token: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, weighted frequency, column bits) of the live rows holding `token`."""
        import numpy as np

        if token not in self._postings:
            found = self._db.execute(
                "SELECT doc, CASE col WHEN 'text' THEN 1 WHEN 'tags' THEN 2 ELSE 4 END"
                " FROM temp.lexicon_tokens WHERE term = ?",
                (token,),
            ).fetchall()
            pairs = np.array(found, dtype=np.int64).reshape(-1, 2)
            docs, bits = pairs[:, 0], pairs[:, 1]
            weights = np.array([0.0, BM25_WEIGHTS[0], BM25_WEIGHTS[1], 0.0, BM25_WEIGHTS[2]])[bits]
            starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]]) if len(docs) else np.zeros(0, dtype=np.int64)
            keys = docs[starts]
            rows = np.searchsorted(self._keys[: self._rows], keys)
            if len(rows) and (rows.max() >= self._rows or not np.array_equal(self._keys[rows], keys)):
                raise RuntimeError("the lexicon lost track of the catalog")  # a bug, not a user's error
            frequency = np.add.reduceat(weights, starts) if len(starts) else np.zeros(0)
            column_bits = (
                np.bitwise_or.reduceat(bits, starts).astype(np.uint8) if len(starts) else np.zeros(0, np.uint8)
            )
            self._postings[token] = (rows.astype(np.int32), frequency, column_bits)
            self._posting_entries += len(rows)
            while self._posting_entries > POSTING_BUDGET and len(self._postings) > 1:
                self._forget_posting(next(iter(self._postings)))
        self._postings.move_to_end(token)
        rows, frequency, column_bits = self._postings[token]
        live = self._alive[rows]
        if live.all():
            return rows, frequency, column_bits
        return rows[live], frequency[live], column_bits[live]

    def _forget_posting(self, token: str) -> None:
        dropped = self._postings.pop(token, None)
        if dropped is not None:
            self._posting_entries -= len(dropped[0])

    # -- ranking --------------------------------------------------------------------------------------

    def rank(
        self, terms: Sequence[str], limit: int, allowed: Callable[[], Sequence[int]] | None, hidden: set[int]
    ) -> list[tuple[int, float]]:
        """(key, s / (1 + s)) best first for s = FTS5's bm25 score of an OR of `terms` (query
        words), ties by key: the rows of `allowed()` keys when given, else every row not `hidden`."""
        import numpy as np

        tokens = [self.token(term) for term in terms]
        self._sync()
        if not tokens or not self._documents or limit <= 0:
            return []
        scores = np.zeros(self._rows, dtype=np.float64)
        matched = np.zeros(self._rows, dtype=bool)
        average = self._tokens / self._documents
        for token in tokens:  # FTS5's phrase order: the same sums in the same order
            rows, frequency, _ = self._posting(token)
            hits = len(rows)
            idf = math.log((self._documents - hits + 0.5) / (hits + 0.5))
            if idf <= 0.0:
                idf = 1e-6
            length = self._length[rows]
            scores[rows] += idf * ((frequency * (K1 + 1.0)) / (frequency + K1 * (1 - B + B * length / average)))
            matched[rows] = True
        if allowed is not None:
            keep = np.zeros(self._rows, dtype=bool)
            keep[self._rows_of(allowed())] = True
            matched &= keep
        elif hidden:
            matched[self._rows_of(list(hidden))] = False
        rows = np.flatnonzero(matched)
        if len(rows) > limit:  # the best `limit`, and every row tied with the last of them
            cut = np.partition(-scores[rows], limit - 1)[limit - 1]
            rows = rows[-scores[rows] <= cut]
        order = np.lexsort((self._keys[rows], -scores[rows]))[:limit]
        best = rows[order]
        return [(int(key), float(s / (1 + s))) for key, s in zip(self._keys[best], scores[best], strict=True)]

    def matcher(self, keys: Sequence[int]) -> tuple[int, Callable[[str], Matches]]:
        """For the coverage of `keys` (`index/coverage.py:weighted`): the number of memories, and
        for a query word how many memories hold it in their text or tags, how many among their date
        words, and which of `keys` hold it there."""
        import numpy as np

        self._sync()
        wanted = self._rows_of(keys)
        present = np.zeros(self._rows, dtype=bool)

        def matches(word: str) -> Matches:
            rows, _, column_bits = self._posting(self.token(word))
            in_text = rows[(column_bits & (TEXT | TAGS)) != 0]
            in_dates = rows[(column_bits & DATES) != 0]
            found = []
            for holding in (in_text, in_dates):
                present[holding] = True
                found.append({int(key) for key in self._keys[wanted[present[wanted]]]})
                present[holding] = False
            return len(in_text), len(in_dates), found[0], found[1]

        return self._documents, matches

    def _rows_of(self, keys: Sequence[int]) -> np.ndarray:
        """The live rows of those of `keys` this index holds."""
        import numpy as np

        wanted = np.asarray(keys, dtype=np.int64)
        rows = np.searchsorted(self._keys[: self._rows], wanted)
        inside = rows < self._rows
        rows, wanted = rows[inside], wanted[inside]
        return rows[(self._keys[rows] == wanted) & self._alive[rows]]


def _size(blob: bytes) -> int:
    """The sum of FTS5's docsize varints (the tokens of each column; SQLite's varints: seven bits
    a byte, most significant first, the high bit set on every byte but the last)."""
    total, value = 0, 0
    for byte in blob:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            total, value = total + value, 0
    return total
