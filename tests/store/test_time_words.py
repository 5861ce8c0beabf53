"""The time-words grammar: every form against a fixed now, daylight saving, and what must not match."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnemo_cli.store.time_hint import KEYWORDS, may_have_time
from mnemo_cli.store.time_words import CONTEXT, EARLIEST, find_time, local_zone, window

NY = ZoneInfo("America/New_York")
#: Wednesday 11 March 2026, 15:30 in New York: three days after the change to daylight saving time.
NOW = datetime(2026, 3, 11, 15, 30, tzinfo=NY)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NY)  # type: ignore[misc]


CASES = [
    ("today", at(2026, 3, 11), NOW),
    ("yesterday", at(2026, 3, 10), at(2026, 3, 11)),
    ("the day before yesterday", at(2026, 3, 9), at(2026, 3, 10)),
    ("tonight", at(2026, 3, 11, 18), at(2026, 3, 12)),
    ("this morning", at(2026, 3, 11, 5), at(2026, 3, 11, 12)),
    ("this afternoon", at(2026, 3, 11, 12), NOW),
    ("this evening", at(2026, 3, 11, 18), at(2026, 3, 12)),
    ("last night", at(2026, 3, 10, 18), at(2026, 3, 11, 5)),
    ("yesterday evening", at(2026, 3, 10, 18), at(2026, 3, 11)),
    ("3 days ago", at(2026, 3, 8), at(2026, 3, 9)),
    ("two weeks ago", at(2026, 2, 23), at(2026, 3, 2)),
    ("a month ago", at(2026, 2, 1), at(2026, 3, 1)),
    ("twelve months ago", at(2025, 3, 1), at(2025, 4, 1)),
    ("two years ago", at(2024, 1, 1), at(2025, 1, 1)),
    ("this week", at(2026, 3, 9), NOW),
    ("last week", at(2026, 3, 2), at(2026, 3, 9)),
    ("next week", at(2026, 3, 16), at(2026, 3, 23)),
    ("this month", at(2026, 3, 1), NOW),
    ("last month", at(2026, 2, 1), at(2026, 3, 1)),
    ("next month", at(2026, 4, 1), at(2026, 5, 1)),
    ("this year", at(2026, 1, 1), NOW),
    ("last year", at(2025, 1, 1), at(2026, 1, 1)),
    ("last weekend", at(2026, 3, 7), at(2026, 3, 9)),
    ("this weekend", at(2026, 3, 14), at(2026, 3, 16)),
    ("over the weekend", at(2026, 3, 7), at(2026, 3, 9)),
    ("last Monday", at(2026, 3, 9), at(2026, 3, 10)),
    ("on Wednesday", at(2026, 3, 4), at(2026, 3, 5)),
    ("last Thursday", at(2026, 3, 5), at(2026, 3, 6)),
    ("this Monday", at(2026, 3, 9), at(2026, 3, 10)),
    ("next Monday", at(2026, 3, 16), at(2026, 3, 17)),
    ("since Monday", at(2026, 3, 9), NOW),
    ("in March", at(2026, 3, 1), NOW),
    ("during April", at(2025, 4, 1), at(2025, 5, 1)),
    ("in March 2025", at(2025, 3, 1), at(2025, 4, 1)),
    ("May 2025", at(2025, 5, 1), at(2025, 6, 1)),
    ("last May", at(2025, 5, 1), at(2025, 6, 1)),
    ("last March", at(2025, 3, 1), at(2025, 4, 1)),
    ("May 3", at(2025, 5, 3), at(2025, 5, 4)),
    ("on 14 March 2025", at(2025, 3, 14), at(2025, 3, 15)),
    ("March 14, 2025", at(2025, 3, 14), at(2025, 3, 15)),
    ("on the 2nd of March", at(2026, 3, 2), at(2026, 3, 3)),
    ("2025-03-14", at(2025, 3, 14), at(2025, 3, 15)),
    ("last summer", at(2025, 6, 1), at(2025, 9, 1)),
    ("last winter", at(2025, 12, 1), at(2026, 3, 1)),
    ("this spring", at(2026, 3, 1), NOW),
    ("last fall", at(2025, 9, 1), at(2025, 12, 1)),
    ("in the fall", at(2025, 9, 1), at(2025, 12, 1)),
    ("fall 2024", at(2024, 9, 1), at(2024, 12, 1)),
    ("in the summer of 2025", at(2025, 6, 1), at(2025, 9, 1)),
    ("in the winter of 2024/2025", at(2024, 12, 1), at(2025, 3, 1)),
    ("winter 2025", at(2024, 12, 1), at(2025, 3, 1)),
    ("in early March", at(2026, 3, 1), at(2026, 3, 11)),
    ("in mid-March 2025", at(2025, 3, 11), at(2025, 3, 21)),
    ("late February 2025", at(2025, 2, 21), at(2025, 3, 1)),
    ("in the week of 14 May 2025", at(2025, 5, 12), at(2025, 5, 19)),
    ("in 2024", at(2024, 1, 1), at(2025, 1, 1)),
    ("the year 2020", at(2020, 1, 1), at(2021, 1, 1)),
    ("since March 2025", at(2025, 3, 1), NOW),
    ("before 2020", EARLIEST, at(2020, 1, 1)),
    ("until 2020", EARLIEST, at(2021, 1, 1)),
    ("after 2025", at(2026, 1, 1), NOW),
    ("between January and February", at(2026, 1, 1), at(2026, 3, 1)),
    ("between 1 March 2025 and 3 March 2025", at(2025, 3, 1), at(2025, 3, 4)),
    ("from 2023 to 2024", at(2023, 1, 1), at(2025, 1, 1)),
    ("recently", NOW - timedelta(days=30), NOW),
    ("lately", NOW - timedelta(days=30), NOW),
    ("over the past 3 days", NOW - timedelta(days=3), NOW),
    ("the past week", NOW - timedelta(days=7), NOW),
    ("in the last two weeks", NOW - timedelta(days=14), NOW),
]


@pytest.mark.parametrize(("text", "start", "end"), CASES)
def test_each_form_gives_its_window(text: str, start: datetime, end: datetime) -> None:
    found = find_time(f"what happened {text}?", NOW)
    assert found is not None
    assert (found.start, found.end) == (start, end)
    assert found.remainder == "what happened?"


def test_a_window_across_the_change_to_daylight_saving_starts_and_ends_at_local_midnight() -> None:
    found = find_time("hiking last week", NOW)  # 2 to 9 March 2026; clocks went forward on the 8th
    assert found is not None
    assert (found.start.utcoffset(), found.end.utcoffset()) == (timedelta(hours=-5), timedelta(hours=-4))
    assert found.start.astimezone(UTC) == datetime(2026, 3, 2, 5, tzinfo=UTC)
    assert found.end.astimezone(UTC) == datetime(2026, 3, 9, 4, tzinfo=UTC)
    assert found.end - found.start == timedelta(days=7)  # wall-clock difference
    assert found.end.timestamp() - found.start.timestamp() == 7 * 86400 - 3600


def test_a_day_across_the_change_back_to_standard_time_is_25_hours() -> None:
    found = find_time("yesterday", datetime(2026, 11, 2, 9, tzinfo=NY))  # clocks went back on 1 November
    assert found is not None
    assert (found.start, found.end) == (at(2026, 11, 1), at(2026, 11, 2))
    assert found.end.timestamp() - found.start.timestamp() == 25 * 3600


def test_the_expression_and_its_preposition_leave_the_query() -> None:
    found = find_time("where did I go hiking last week?", NOW)
    assert found is not None and found.remainder == "where did I go hiking?"
    found = find_time("what did I eat on Monday with Dana", NOW)
    assert found is not None and found.remainder == "what did I eat with Dana"
    assert found.span == (15, 24)


@pytest.mark.parametrize(
    "text",
    [
        "may I ask about the march on the capital",
        "the sun sat on a second chair now",
        "I had a fall while hiking",
        "spring cleaning and the fall of Rome",
        "I have 2024 tokens left",
        "call me at 14:30",
        "June said hello",
        "the Thursday pottery class",
        "pottery class Thursday",
        "the smell of spring and the colour of may",
    ],
)
def test_everyday_words_are_not_time(text: str) -> None:
    assert find_time(text, NOW) is None


def test_future_windows_are_not_cut_at_now_and_others_are() -> None:
    found = find_time("next week", NOW)
    assert found is not None and found.start > NOW
    found = find_time("before next week", NOW)
    assert found is not None and found.end == NOW
    found = find_time("after 2030", NOW)
    assert found is not None and found.start == at(2031, 1, 1) and found.end > NOW


def test_whole_values_for_since_and_until() -> None:
    assert window("march", NOW) == (at(2026, 3, 1), NOW)
    assert window("Monday", NOW) == (at(2026, 3, 9), at(2026, 3, 10))
    assert window("2025", NOW) == (at(2025, 1, 1), at(2026, 1, 1))
    assert window("7d", NOW) is None
    assert window("march madness", NOW) is None


def test_default_now_is_local_and_aware() -> None:
    found = find_time("today")
    assert found is not None and found.start.tzinfo is not None


def test_the_hint_sees_every_case() -> None:
    assert all(may_have_time(text) for text, _, _ in CASES)
    assert not may_have_time("what does Dana prefer?")


_WORD = st.text(alphabet=st.characters(categories=("L", "P", "Zs"), exclude_characters="\x00"), min_size=1, max_size=12)
_PLAIN = _WORD.filter(lambda w: not any(part.lower() in KEYWORDS for part in re.findall(r"\w+", w)))


@given(st.lists(_PLAIN, max_size=12))
def test_text_without_digits_or_keywords_has_no_time(words: list[str]) -> None:
    text = " ".join(words)
    assert find_time(text, NOW) is None


_VOCABULARY = sorted(
    KEYWORDS | CONTEXT | {"the", "of", "and", "to", "ago", "a", "two", "3", "14", "2025", "hiking", "Dana", "?", ","}
)


@given(st.lists(st.sampled_from(_VOCABULARY), min_size=1, max_size=10), st.datetimes(timezones=st.just(NY)))
def test_every_match_is_a_window_and_rebuilds_the_text(words: list[str], now: datetime) -> None:
    text = " ".join(words)
    found = find_time(text, now)
    if found is None:
        return
    assert found.start < found.end
    assert found.end <= now or found.start >= now  # a window that began never reaches past now
    assert may_have_time(text)
    begin, end = found.span
    pieces = [re.findall(r"\w+", part) for part in (text[:begin], text[begin:end], text[end:])]
    assert pieces[0] + pieces[1] + pieces[2] == re.findall(r"\w+", text)
    assert re.findall(r"\w+", found.remainder) == pieces[0] + pieces[2]


def test_the_local_zone_follows_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    assert local_zone() == NY
    monkeypatch.setenv("TZ", ":Europe/Paris")
    assert local_zone() == ZoneInfo("Europe/Paris")
    monkeypatch.setenv("TZ", "Not/A_Zone")  # unknown: the offset the C library settles on, never a failure
    assert datetime.now(local_zone()).utcoffset() is not None
