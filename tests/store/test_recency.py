"""Newer beats older on the same subject: a change of mind outranks the statement it changed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnemo_cli.index.vectors import Vectors
from mnemo_cli.store import recency

DIMENSION = 8


def vectors_of(rows: dict[int, list[float]]) -> Vectors:
    vectors = Vectors(DIMENSION)
    vectors.add(list(rows), np.asarray(list(rows.values()), dtype=np.float32))
    return vectors


def axis(i: int, tilt: float = 0.0) -> list[float]:
    row = [0.0] * DIMENSION
    row[i] = 1.0
    row[(i + 1) % DIMENSION] = tilt
    return row


def test_a_newer_memory_on_the_same_subject_takes_the_older_ones_place() -> None:
    vectors = vectors_of({1: axis(0), 2: axis(0, 0.3), 3: axis(4)})
    created = {1: 100.0, 2: 200.0, 3: 50.0}
    scored = [(1, 0.80), (2, 0.75), (3, 0.70)]
    result = recency.prefer_newer(scored, vectors, created)
    assert [key for key, _ in result] == [2, 3, 1]
    assert dict(result)[1] == 0.80 - recency.PENALTY


def test_other_subjects_and_much_weaker_newer_memories_change_nothing() -> None:
    vectors = vectors_of({1: axis(0), 2: axis(3), 4: axis(0, 0.1)})
    created = {1: 100.0, 2: 200.0, 4: 300.0}
    scored = [(1, 0.9), (2, 0.85), (4, 0.9 - recency.MARGIN - 0.05)]
    assert recency.prefer_newer(scored, vectors, created) == scored


def test_the_older_memory_loses_whichever_ranked_first() -> None:
    vectors = vectors_of({1: axis(0), 2: axis(0, 0.2)})
    result = recency.prefer_newer([(1, 0.9), (2, 0.85)], vectors, {1: 300.0, 2: 100.0})
    assert [key for key, _ in result] == [1, 2]
    assert result[1][1] == pytest.approx(0.85 - recency.PENALTY)


def test_a_memory_the_query_repeats_keeps_its_place() -> None:
    vectors = vectors_of({1: axis(0), 2: axis(0, 0.2)})
    scored = [(1, 1.0), (2, 1.0)]
    assert recency.prefer_newer(scored, vectors, {1: 100.0, 2: 200.0}, {1: 0.999, 2: 0.97}) == scored
    assert recency.prefer_newer(scored, vectors, {1: 100.0, 2: 200.0})[0][0] == 2


def test_short_lists_pass_through() -> None:
    vectors = vectors_of({1: axis(0)})
    assert recency.prefer_newer([(1, 0.5)], vectors, {1: 1.0}) == [(1, 0.5)]
    assert recency.prefer_newer([], vectors, {}) == []


def one_by_one(
    scored: list[tuple[int, float]], vectors: Vectors, created: dict[int, float], asked: dict[int, float]
) -> list[tuple[int, float]]:
    """The rule written pair by pair, as it was before numpy took it over."""
    head = scored[: recency.DEPTH]
    matrix = vectors.get([key for key, _ in head])
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    similar = matrix @ matrix.T
    demoted = set()
    for i, (older, older_score) in enumerate(head):
        for j, (newer, newer_score) in enumerate(head):
            if (
                asked.get(older, 0.0) < recency.ASKED_FOR
                and created[newer] > created[older]
                and similar[i, j] >= recency.SAME_SUBJECT
                and newer_score >= older_score - recency.MARGIN
            ):
                demoted.add(older)
                break
    adjusted = [(key, max(0.0, s - recency.PENALTY) if key in demoted else s) for key, s in head]
    return sorted(adjusted + scored[recency.DEPTH :], key=lambda item: -item[1])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, DIMENSION - 1),
            st.floats(0, 1),
            st.floats(0, 1),
            st.integers(0, 5),
            st.sampled_from([0.0, 0.5, 0.99]),
        ),
        min_size=2,
        max_size=40,
    )
)
def test_the_rule_as_numpy_applies_it_is_the_rule_pair_by_pair(
    rows: list[tuple[int, float, float, int, float]],
) -> None:
    vectors = vectors_of({key: axis(i, tilt) for key, (i, tilt, _, _, _) in enumerate(rows)})
    scored = sorted(((key, row[2]) for key, row in enumerate(rows)), key=lambda item: -item[1])
    created = {key: float(row[3]) for key, row in enumerate(rows)}
    asked = {key: row[4] for key, row in enumerate(rows)}
    assert recency.prefer_newer(scored, vectors, created, asked) == one_by_one(scored, vectors, created, asked)
