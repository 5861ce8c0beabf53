"""Query words for the lexical side of recall: which words of a query count, and how they are matched.

Stop words and question words ("what", "did", "the", "my") say nothing about which memory answers a
question; left in, they drive BM25 towards whatever memory repeats them and make FTS5 walk the
posting lists of the most common words (nearly every row of a large store). They are dropped, unless
a query has nothing else ("the who" still searches for something).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)

#: English function words and question words, lower case. Kept short on purpose: a word that can
#: carry meaning in a memory ("home", "work", "new", "first") is not a stop word.
_STOP_WORDS = """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each either else ever few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me might more most must my myself no nor not of off on once only or other ought our
    ours ourselves out over own same shall she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up upon very was we were
    what whatever when whenever where whereas wherever whether which while who whom whose why will
    with within without would you your yours yourself yourselves
    s t d ll m re ve don didn doesn isn wasn weren aren haven hasn hadn won wouldn couldn shouldn
    tell told know let us please ok okay yes yeah also really happen happens happened happening
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


def words(text: str) -> list[str]:
    """The words of `text`, lower case, in order (FTS5's unicode61 splits the same way)."""
    return _WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    """The words of `text` that are not stop words, in order."""
    return [word for word in words(text) if word not in STOP_WORDS]


def query_terms(text: str) -> list[str]:
    """The distinct words of a query that should count, in order: its stop words dropped, unless
    nothing else is left."""
    distinct = list(dict.fromkeys(words(text)))
    content = [word for word in distinct if word not in STOP_WORDS]
    return content or distinct


_SPEAKER = re.compile(r"^\s*[\w .'-]{1,40}:\s")
#: Content words from which a memory counts as fully informative (`informativeness`).
INFORMATIVE_WORDS = 8


def informativeness(text: str) -> float:
    """How much a turn of a conversation can answer, as a factor on its relevance (recall applies it
    to memories of a session only: a note someone chose to remember is informative by choice, while
    many turns of a chat are "ok", "ha, sure!"). From 0.5 (no content word) to 1 (at least
    `INFORMATIVE_WORDS` words that are not stop words). A leading speaker label ("Maya: ") is not
    content."""
    content = [word for word in words(_SPEAKER.sub("", text, count=1)) if word not in STOP_WORDS]
    return 0.5 + 0.5 * min(1.0, len(content) / INFORMATIVE_WORDS)


def fts_query(terms: list[str]) -> str:
    """Terms → an FTS5 query: every term quoted (no operators from users), OR-ed (BM25 ranks)."""
    return " OR ".join(f'"{term}"' for term in terms)
