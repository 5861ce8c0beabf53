"""Conversations in the ranking: a turn gains from its neighbours and its session, others do not move."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnemo_cli.store import conversation
from mnemo_cli.store.conversation import with_conversation

ORDER = {"chat": [1, 2, 3, 4]}  # session order of the turns


def neighbours(key: int) -> list[int]:
    turns = ORDER["chat"]
    i = turns.index(key)
    return turns[max(0, i - 1) : i] + turns[i + 1 : i + 2]


def test_a_turn_next_to_a_relevant_one_passes_an_equal_lone_memory() -> None:
    scored = [(2, 0.6), (9, 0.5), (3, 0.5)]  # 9 has no session; 3 follows the relevant turn 2
    sessions = {1: "chat", 2: "chat", 3: "chat", 4: "chat"}
    result = with_conversation(scored, sessions, neighbours, lambda keys: {key: 0.0 for key in keys})
    assert [key for key, _ in result] == [2, 3, 9]
    raised = dict(result)
    assert raised[9] == 0.5
    expected = 1 - (1 - 0.5) * (1 - conversation.NEIGHBOUR_WEIGHT * 0.6) * (1 - conversation.SESSION_WEIGHT * 0.6)
    assert raised[3] == pytest.approx(expected)


def test_neighbours_outside_the_candidates_are_scored_on_demand() -> None:
    asked: list[list[int]] = []

    def relevance_of(keys: list[int]) -> dict[int, float]:
        asked.append(keys)
        return {key: 0.9 if key == 4 else 0.0 for key in keys}

    result = dict(with_conversation([(3, 0.4)], {3: "chat"}, neighbours, relevance_of))
    assert asked == [[2, 4]]
    assert result[3] > 0.4


def test_without_sessions_nothing_changes() -> None:
    scored = [(5, 0.7), (6, 0.2)]
    assert with_conversation(scored, {}, neighbours, lambda keys: {}) == scored


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=4))
def test_scores_stay_in_the_unit_interval_and_never_fall(scores: list[float]) -> None:
    scored = sorted(zip([1, 2, 3, 4], scores, strict=False), key=lambda item: -item[1])
    sessions = dict.fromkeys(ORDER["chat"], "chat")
    result = dict(with_conversation(scored, sessions, neighbours, lambda keys: dict.fromkeys(keys, 1.0)))
    for key, score in scored:
        assert score - 1e-12 <= result[key] <= 1.0  # (1 - (1 - r) may round a tiny r to 0)
