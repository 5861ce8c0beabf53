"""Lexical relevance on an absolute scale: how much of a query's information a memory contains.

BM25 scores have no fixed scale (they grow with the query's length and the words' rarity), so they
cannot say "relevant" on their own. Coverage can: the share of the query's words a memory contains,
each word weighted by the square of its inverse document frequency (BM25's idf), so matching "pottery" counts for
much more than matching "weekend". It is 1 when every word occurs, 0 when none does, and words no
memory contains still weigh in the denominator: a query about something never said scores low
everywhere.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Collection, Sequence

#: Rarer words count for more than idf alone says: with idf² the one rare word that names what is
#: asked about (a pet's name, a city) outweighs the question's generic words (dev seed: MRR +0.02).
IDF_POWER = 2.0
#: The share of a word's weight a match among a memory's date words earns (BM25 weighs that column
#: half, too).
DATE_CREDIT = 0.5


def idf(documents: int, frequency: int) -> float:
    """BM25's inverse document frequency, always > 0."""
    return math.log(1.0 + (documents - frequency + 0.5) / (frequency + 0.5))


def coverage(
    db: sqlite3.Connection, terms: Sequence[str], candidates: Collection[int], documents: int
) -> dict[int, float]:
    """key → idf-weighted share of `terms` the memory's indexed text (words, tags, date words)
    contains, for each of `candidates`; `documents` is the number of indexed memories. Asks FTS5
    (`index/lexicon.py` answers the same `Matches` from memory)."""
    wanted = set(candidates)

    def matches(term: str) -> Matches:
        in_text = _rows(db, "{text tags}", term)
        in_dates = _rows(db, "dates", term)
        return len(in_text), len(in_dates), wanted.intersection(in_text), wanted.intersection(in_dates)

    return weighted(terms, candidates, documents, matches)


#: For one term: how many memories hold it in their text or tags, how many among their date words,
#: and which of the candidates hold it there.
Matches = tuple[int, int, set[int], set[int]]


def weighted(
    terms: Sequence[str], candidates: Collection[int], documents: int, matches: Callable[[str], Matches]
) -> dict[int, float]:
    """The coverage of each of `candidates`, from each term's `matches`.

    A word found only among a memory's date words counts `DATE_CREDIT` of its weight, and a word's
    rarity is that among texts and tags where it occurs there at all: on the 5th of a month every
    memory's date words hold "5", which must not make "case 5" as well matched by "case 29".
    """
    if not terms or not candidates:
        return {key: 0.0 for key in candidates}
    gained = dict.fromkeys(candidates, 0.0)
    total = 0.0
    for term in terms:
        text_count, date_count, in_text, in_dates = matches(term)
        weight = idf(documents, text_count or date_count) ** IDF_POWER
        total += weight
        for key in in_text:
            gained[key] += weight
        for key in in_dates - in_text:
            gained[key] += DATE_CREDIT * weight
    return {key: value / total for key, value in gained.items()}


def _rows(db: sqlite3.Connection, columns: str, term: str) -> set[int]:
    return {row[0] for row in db.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (f'{columns} : "{term}"',))}
