"""Conversations in the ranking: a turn is read with its neighbours and its session.

A turn of a conversation rarely answers a question alone: "what about pottery?" is answered by the
next turn, "I signed up for the Thursday class". So a memory of a session gains from the relevance
of the turns just before and after it (`NEIGHBOUR_WEIGHT`) and from the best other turn of its
session (`SESSION_WEIGHT`): relevance r becomes 1 − (1 − r)(1 − a·n)(1 − b·s), which stays in
[0, 1] and leaves memories without a session as they are. It applies to the best `DEPTH` hits.
Weights chosen on the quality benchmark's dev seed (docs/performance.md): small, because most
questions there are answered by one turn; they helped paraphrases most.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

#: How many of the best hits are read with their neighbours.
DEPTH = 30
#: Weight of the more relevant of the turns just before and after a hit.
NEIGHBOUR_WEIGHT = 0.1
#: Weight of the most relevant other turn of the hit's session.
SESSION_WEIGHT = 0.1


def with_conversation(
    scored: Sequence[tuple[int, float]],
    sessions: Mapping[int, str],
    neighbours: Callable[[int], list[int]],
    relevance_of: Callable[[list[int]], dict[int, float]],
) -> list[tuple[int, float]]:
    """`scored` (key, relevance), best first → the same with the session memories among the best
    `DEPTH` raised by their neighbours and their session, best first again. `sessions` maps the keys
    that have a session to it; `neighbours(key)` gives the keys just before and after; `relevance_of`
    scores keys that are not among `scored`."""
    score_of = dict(scored)
    head = [key for key, _ in scored[:DEPTH] if key in sessions]
    if not head:
        return list(scored)
    around = {key: neighbours(key) for key in head}
    unknown = sorted({key for keys in around.values() for key in keys if key not in score_of})
    if unknown:
        score_of.update(relevance_of(unknown))
    best: dict[str, list[float]] = {}
    for key, score in scored:
        if key in sessions:
            best.setdefault(sessions[key], []).append(score)
    raised = []
    for key, score in scored:
        if key in around:
            near = max((score_of.get(other, 0.0) for other in around[key]), default=0.0)
            rest = sorted(best[sessions[key]], reverse=True)
            rest.remove(score)
            session = rest[0] if rest else 0.0
            score = 1.0 - (1.0 - score) * (1.0 - NEIGHBOUR_WEIGHT * near) * (1.0 - SESSION_WEIGHT * session)
        raised.append((key, score))
    return sorted(raised, key=lambda item: -item[1])  # stable: ties keep their order
