"""Newer beats older on the same subject: a change of mind outranks what it changed.

"My favourite tea is now lapsang, no longer jasmine" and the older "my favourite tea is jasmine"
score alike for "what is my favourite tea?", and the old one often a little higher (it is shorter and
closer to the question's words). `remember --supersedes` hides a replaced memory outright; this is
the rule for the far more common case where nobody said so. Among the best hits, when two memories
are about the same thing (their own vectors are at least `SAME_SUBJECT` similar) and the newer one
is nearly as relevant (within `MARGIN`), the older one loses `PENALTY`. Constants chosen on the
quality benchmark's dev seed (change-of-mind questions), see docs/performance.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mnemo_cli.index.vectors import Vectors

#: How many of the best hits are compared pairwise.
DEPTH = 30
#: Cosine similarity between two memories' vectors above which they are about the same thing.
SAME_SUBJECT = 0.7
#: How much less relevant than the older memory the newer one may be and still take its place.
MARGIN = 0.1
#: What the older memory loses.
PENALTY = 0.2
#: Cosine with the query from which a memory is the query itself (the near-duplicate threshold).
ASKED_FOR = 0.98


def prefer_newer(
    scored: Sequence[tuple[int, float]],
    vectors: Vectors,
    created: Mapping[int, float],
    asked: Mapping[int, float] | None = None,
) -> list[tuple[int, float]]:
    """`scored` (key, relevance) best first → the same, older same-subject memories demoted, re-sorted;
    `created` maps each key to its creation time (seconds); `asked` to its cosine with the query: a
    memory the query repeats word for word (`ASKED_FOR`) is what was asked for, and keeps its place."""
    import numpy as np

    head = list(scored[:DEPTH])
    if len(head) < 2:
        return list(scored)
    keys = [key for key, _ in head]
    matrix = vectors.get(keys)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    similar = matrix @ matrix.T
    # demoted: an older memory with a newer one on its subject (row i against every column j), nearly
    # as relevant, unless the query repeats the older one word for word.
    created_at = np.array([created[key] for key in keys])
    scores = np.array([score for _, score in head])
    repeated = np.array([(asked or {}).get(key, 0.0) >= ASKED_FOR for key in keys])
    newer_on_subject = (
        (created_at[None, :] > created_at[:, None])
        & (similar >= SAME_SUBJECT)
        & (scores[None, :] >= scores[:, None] - MARGIN)
    )
    demoted = {key for key, hit in zip(keys, newer_on_subject.any(axis=1) & ~repeated, strict=True) if hit}
    adjusted = [(key, max(0.0, score - PENALTY) if key in demoted else score) for key, score in head]
    return sorted(adjusted + list(scored[DEPTH:]), key=lambda item: -item[1])  # stable: ties keep their order
