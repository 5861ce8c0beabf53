"""Graph expansion for recall: from the hits, follow links (both directions) up to N hops.

A memory reached this way scores `score of the hit it hangs from × DECAY^hops` and records how it
was reached. When several paths lead to one memory, the best-scoring path wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

DECAY = 0.5

#: neighbours(id) → (other id, rel, "out" | "in")
Neighbours = Callable[[str], Iterable[tuple[str, str, str]]]


def expand(
    seeds: list[tuple[str, float]], neighbours: Neighbours, hops: int, *, limit: int
) -> list[tuple[str, float, dict[str, Any]]]:
    """Memories within `hops` links of the seeds (seeds excluded), best first, at most `limit`."""
    best: dict[str, tuple[float, dict[str, Any]]] = {}
    seen = {memory_id for memory_id, _ in seeds}
    frontier = list(seeds)
    for hop in range(1, hops + 1):
        reached: dict[str, tuple[float, dict[str, Any]]] = {}
        for memory_id, score in frontier:
            for other, rel, direction in neighbours(memory_id):
                if other in seen:
                    continue
                candidate = score * DECAY
                if other not in reached or candidate > reached[other][0]:
                    via = {"from": memory_id, "rel": rel, "direction": direction, "hops": hop}
                    reached[other] = (candidate, via)
        seen.update(reached)
        best.update(reached)
        frontier = [(memory_id, score) for memory_id, (score, _via) in reached.items()]
        if not frontier:
            break
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    return [(memory_id, score, via) for memory_id, (score, via) in ranked[:limit]]
