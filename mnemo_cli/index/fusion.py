"""Rank fusion for hybrid recall: turn a vector ranking and a lexical ranking into one.

The rule and its constants were chosen by the retrieval benchmark (bench/quality/, figures in
docs/performance.md), not by taste. Scores come out in (0, 1]: 1 means first in every ranking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: Reciprocal-rank-fusion constant. The fusion study (bench/quality/evaluate.py, docs/performance.md)
#: found k from 1 to 10 beating the textbook 60 by +0.03 to +0.05 MRR on every seed tried, with
#: differences inside that range within noise; 5 is in the middle of it.
RRF_K = 5
#: Weight of each ranking in the fused score.
WEIGHTS = {"vector": 0.5, "lexical": 0.5}


def reciprocal_rank(
    rankings: Mapping[str, Sequence[int]], *, k: int = RRF_K, weights: Mapping[str, float] = WEIGHTS
) -> list[tuple[int, float]]:
    """Weighted RRF: score(d) = Σ w_r / (k + rank_r(d)), normalised so the best possible is 1."""
    scores: dict[int, float] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 1.0)
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    best = sum(weights.get(name, 1.0) for name in rankings) / (k + 1)
    fused = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [(key, score / best) for key, score in fused]
