"""Hybrid logical clocks: every stamp a device gives is later than all it gave or saw, whatever its
wall clock does; the text form sorts as the stamps do."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnemo_cli.store.clock import COUNTER_LIMIT, MAX_AHEAD_MS, Clock, ClockAhead, Stamp

DEVICE, OTHER = bytes(range(16)), bytes(range(1, 17))
START = 1_800_000_000_000
devices = st.binary(min_size=16, max_size=16)
stamps = st.builds(
    Stamp,
    st.integers(min_value=0, max_value=16**12 - 1),
    st.integers(min_value=0, max_value=COUNTER_LIMIT - 1),
    devices,
)


class FakeWall:
    def __init__(self, at: int) -> None:
        self.at = at

    def __call__(self) -> int:
        return self.at


# Each step: ("tick", wall clock moved by ms) or ("observe", a stamp at this many ms from the wall, its counter).
steps = st.lists(
    st.one_of(
        st.tuples(st.just("tick"), st.integers(min_value=-5000, max_value=5000)),
        st.tuples(
            st.just("observe"),
            st.integers(min_value=-10_000, max_value=MAX_AHEAD_MS),
            st.integers(min_value=0, max_value=COUNTER_LIMIT - 1),
        ),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(steps=steps)
def test_every_tick_is_later_than_everything_given_or_seen(steps: list[tuple]) -> None:
    wall = FakeWall(START)
    clock = Clock(DEVICE, now=wall)
    latest: Stamp | None = None
    for step in steps:
        if step[0] == "tick":
            wall.at += step[1]
            stamp = clock.tick()
            assert latest is None or stamp > latest
            assert stamp.device == DEVICE and stamp.wall_ms >= wall.at  # never behind the wall clock
            latest = stamp
        else:
            seen = Stamp(max(0, wall.at + step[1]), step[2], OTHER)
            clock.observe(seen)
            latest = max(latest, seen) if latest is not None else seen
            assert clock.tick() > seen
            latest = max(latest, clock.last)


def test_a_restarted_clock_goes_on_from_its_last_stamp_when_the_wall_clock_went_back() -> None:
    first = Clock(DEVICE, now=FakeWall(START))
    given_before = [first.tick() for _ in range(3)]
    restarted = Clock(DEVICE, last=first.last, now=FakeWall(START - 60_000))
    assert restarted.tick() > given_before[-1]


def test_the_counter_borrows_the_next_millisecond_when_full() -> None:
    clock = Clock(DEVICE, last=Stamp(START, COUNTER_LIMIT - 1, DEVICE), now=FakeWall(START))
    after = clock.tick()
    assert (after.wall_ms, after.counter) == (START + 1, 0)


def test_a_stamp_far_in_the_future_is_refused_and_changes_nothing() -> None:
    clock = Clock(DEVICE, now=FakeWall(START))
    before = clock.tick()
    with pytest.raises(ClockAhead, match="in the future"):
        clock.observe(Stamp(START + MAX_AHEAD_MS + 1, 0, OTHER))
    assert clock.last == before
    clock.observe(Stamp(START + MAX_AHEAD_MS, 0, OTHER))  # at the limit: taken in


@settings(max_examples=200, deadline=None)
@given(a=stamps, b=stamps)
def test_text_round_trips_and_sorts_as_the_stamps(a: Stamp, b: Stamp) -> None:
    assert Stamp.parse(a.text) == a
    assert (a.text < b.text) == (a < b)


@pytest.mark.parametrize(
    "text", ["", "x", "000000000000.0000", "00000000000g.0000." + "0" * 32, "0" * 12 + ".0000." + "0" * 31, "A" * 50]
)
def test_text_that_is_not_a_stamp_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Stamp.parse(text)


def test_impossible_stamps_are_refused() -> None:
    for wall, counter, device in ((-1, 0, DEVICE), (0, COUNTER_LIMIT, DEVICE), (0, 0, b"short")):
        with pytest.raises(ValueError):
            Stamp(wall, counter, device)
