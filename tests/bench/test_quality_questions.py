"""The quality dataset's newer question kinds (issue 15): relative-time questions asked at a fixed now,
unanswerable questions, and the change-of-mind minimum. The windows of the time words are worked out
here again, independently of bench/quality/relative.py. Fast, and needs neither the model nor the network."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import pytest

from bench.quality.conversation import build_sessions, render_fact
from bench.quality.dataset import Dataset, Turn
from bench.quality.generate import generate
from bench.quality.relative import _items
from bench.quality.unanswerable import _families
from bench.quality.world import World, build_world, draw_session_dates

SEEDS = (7, 1729)
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "winter": (12, 2)}


@pytest.fixture(scope="module", params=SEEDS)
def data(request: pytest.FixtureRequest) -> Dataset:
    return generate(request.param)


@pytest.fixture(scope="module")
def worlds() -> dict[int, tuple[World, list[Turn]]]:
    """The world behind each seed's dataset, rebuilt the way `generate` builds it."""
    out = {}
    for seed in SEEDS:
        rng = random.Random(seed)
        dates = draw_session_dates(rng)
        world = build_world(rng, dates)
        for fact in world.facts:
            render_fact(fact, rng, dates)
        out[seed] = (world, build_sessions(rng, dates, world.facts))
    return out


def test_each_seed_is_deterministic_and_seeds_differ(data: Dataset) -> None:
    again = generate(data.seed)
    assert json.dumps(asdict(again), default=str) == json.dumps(asdict(data), default=str)
    other = generate(data.seed + 1)
    assert [q.question for q in other.questions] != [q.question for q in data.questions]


def test_minimum_counts(data: Dataset) -> None:
    kinds = {kind: sum(q.kind == kind for q in data.questions) for kind in ("temporal_relative", "unanswerable")}
    assert kinds["temporal_relative"] >= 100 and kinds["unanswerable"] >= 100, kinds
    assert sum(q.kind == "change_of_mind" for q in data.questions) >= 120


def test_turns_carry_their_session(data: Dataset) -> None:
    for turn in data.turns:
        assert isinstance(turn.session, int) and turn.id.startswith(f"s{turn.session:02d}-")


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def window(phrase: str, today: date) -> tuple[date, date]:
    """The days a relative time phrase names, seen from `today`."""
    monday = today - timedelta(days=today.weekday())
    if phrase == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if m := re.fullmatch(r"on (\w+)", phrase):
        back = (today.weekday() - WEEKDAYS.index(m[1])) % 7 or 7
        return today - timedelta(days=back), today - timedelta(days=back)
    if m := re.fullmatch(r"(\w+) days ago", phrase):
        day = today - timedelta(days=NUMBERS[m[1]])
        return day, day
    if phrase in ("since Monday", "this week"):
        return monday, today
    if phrase == "last week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if m := re.fullmatch(r"(\w+) weeks ago", phrase):
        first = monday - timedelta(days=7 * NUMBERS[m[1]])
        return first, first + timedelta(days=6)
    if phrase in ("this month", "earlier this month"):
        return today.replace(day=1), today
    back = {"last month": 1, "two months ago": 2, "three months ago": 3}.get(phrase)
    if m := re.fullmatch(r"in (\w+)", phrase):
        back = (today.month - 1 - MONTHS.index(m[1])) % 12 or 12
    if back is not None:
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        return date(year, month + 1, 1), _month_end(year, month + 1)
    if m := re.fullmatch(r"last (spring|summer|autumn|winter)", phrase):
        lo, hi = SEASONS[m[1]]
        year = today.year
        while _month_end(year, hi) >= today:
            year -= 1
        return date(year - 1 if lo > hi else year, lo, 1), _month_end(year, hi)
    if phrase == "last year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if phrase in ("earlier this year", "this year"):
        return date(today.year, 1, 1), today
    raise AssertionError(f"unknown time phrase {phrase!r}")


PHRASE = re.compile(
    r"(yesterday|on \w+day|\w+ days ago|since Monday|this week|last week|\w+ weeks ago|this month|"
    r"earlier this month|last month|\w+ months ago|in [A-Z][a-z]+|last (?:spring|summer|autumn|winter)|"
    r"last year|earlier this year|this year)\?$"
)


def test_relative_questions_have_one_event_in_their_window(
    data: Dataset, worlds: dict[int, tuple[World, list[Turn]]]
) -> None:
    world, turns = worlds[data.seed]
    assert [t.id for t in turns] == [t.id for t in data.turns]
    items = _items(world, turns)
    by_turn = {item.turn_id: item for item in items}
    told = {t.id: datetime.fromisoformat(t.timestamp) for t in data.turns}
    phrases = set()
    for q in data.questions:
        if q.kind != "temporal_relative":
            assert q.now is None
            continue
        assert q.now is not None and q.now.tzinfo is not None
        assert q.now.isoformat() == data.now
        assert q.now > max(told.values())  # asked after the last session...
        assert q.now - max(told.values()) < timedelta(days=2)  # ...shortly after
        m = PHRASE.search(q.question)
        assert m, q.question
        phrases.add(m[1])
        first, last = window(m[1], q.now.astimezone(UTC).date())
        (evidence,) = q.evidence
        item = by_turn[evidence]
        assert first <= told[evidence].date() <= last, (q, told[evidence])
        assert first <= item.first and item.last <= last, (q, item)
        for other in items:
            if other is not item and (other.person, other.category) == (item.person, item.category):
                overlaps = other.first <= last and other.last >= first
                assert not overlaps and not first <= other.told <= last, (q, other)
    assert len(phrases) >= 12, phrases  # many different time words


def _said(group: list[str], text: str) -> bool:
    return all(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text, re.IGNORECASE) for p in group)


def test_unanswerable_questions_ask_about_things_never_said(data: Dataset) -> None:
    texts = [f"{t.speaker}: {t.text}" for t in data.turns]
    questions = [q for q in data.questions if q.kind == "unanswerable"]
    assert len({q.question for q in questions}) == len(questions)
    people = re.compile(
        r"\b(Maya|Tom|Clara|Rafael|Priya|Owen|Hannah|Marcus|Ingrid|Felix|Zara|Declan|Leonie|Samir|"
        r"Beatrix|Callum|Noor|Jasper|Eleni|Tobias|Freya|Kwame|Rosalind|Ezra|Mirela|Hugo|Aoife|Nikhil)\b"
    )
    for q in questions:
        assert q.evidence == [] and q.answer is None and not q.superseded
        assert q.question.endswith("?") and people.search(q.question), q  # about the same people
        assert q.absent and all(q.absent), q
        for group in q.absent:
            assert not any(_said(group, text) for text in texts), (q, group)
    # the groups do detect what is said: a stated fact of the same shape is found
    keyword = next(q for q in data.questions if q.kind == "keyword" and q.answer)
    evidence = next(t for t in data.turns if t.id == keyword.evidence[0])
    assert _said([keyword.answer], f"{evidence.speaker}: {evidence.text}")


def test_unanswerable_questions_mix_their_families(data: Dataset) -> None:
    """Drawn round-robin from the template families: no family dominates, most are well represented."""
    family_of = {question: i for i, family in enumerate(_families()) for question, _ in family}
    counts = Counter(family_of[q.question] for q in data.questions if q.kind == "unanswerable")
    total = sum(counts.values())
    assert max(counts.values()) <= 0.2 * total, counts
    assert sum(n >= 10 for n in counts.values()) >= 6, counts
