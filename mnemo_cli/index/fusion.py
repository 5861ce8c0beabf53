"""Score fusion for hybrid recall: a vector similarity and a lexical coverage → one relevance in [0, 1].

Reciprocal-rank fusion, used before, gave rank-only scores (0.500, 0.429, 0.375 for any query), so
no threshold could tell a relevant hit from the least bad of unrelated ones. Here both sides are put
on absolute scales first: the cosine similarity is mapped linearly from `COSINE_NONE` (what unrelated
texts score with the embedded model) to `COSINE_FULL` (what a text that answers the query scores),
and the lexical side is the idf-weighted coverage of the query's words (`index/coverage.py`). The
relevance combines them (`relevance`). The constants were chosen on the quality benchmark's dev seed
(bench/quality/, figures in docs/performance.md), not by taste.
"""

from __future__ import annotations

#: Cosine similarity that counts as "unrelated" (relevance 0 from the vector side).
COSINE_NONE = 0.1
#: Cosine similarity that counts as fully related (relevance 1 from the vector side).
COSINE_FULL = 0.7
#: The most the vector side alone can give (the lexical side can give 1). On the dev seed 0.35 lost
#: paraphrases (MRR 0.54 against 0.59) and 0.65 multi-hop questions (0.79 against 0.81); weighted
#: means of the two sides lost more of the multi-hop questions, whose evidence memories are each
#: strong on one side only (0.78).
VECTOR_SHARE = 0.5


def vector_relevance(cosine: float) -> float:
    """A cosine similarity on the [0, 1] relevance scale."""
    return min(1.0, max(0.0, (cosine - COSINE_NONE) / (COSINE_FULL - COSINE_NONE)))


def relevance(cosine: float, coverage: float) -> float:
    """The hybrid relevance of a memory with this cosine similarity and lexical coverage: either
    side can make it relevant (a probabilistic OR), both make it more so."""
    return 1.0 - (1.0 - VECTOR_SHARE * vector_relevance(cosine)) * (1.0 - coverage)
