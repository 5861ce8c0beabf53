"""The quality dataset's relative-time questions: "what did Maya start last month?", asked at a fixed now.

Owns the windows that relative time words name (relative to the day the question is asked: "yesterday",
"on Saturday", "since Monday", "last week", "two weeks ago", "last month", "in March", "last summer",
"last year" ...) and the `temporal_relative` questions built on them. An event matches a window when the
days it happened on and the day it was told (its turn's date) all lie inside; a question is asked only
when exactly one event of that person and category touches the window (by either date), so the window
alone picks the evidence. Windows are whole days in UTC, as the turns' timestamps are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bench.quality.dataset import Question, Turn
from bench.quality.vocabulary import MONTHS, NUMBER_WORDS, WEEKDAYS, fill
from bench.quality.world import World

#: At most this many questions per event (each with another window), so that no event dominates.
PER_EVENT = 2
#: Finer windows first when an event has several: they are the rarer ones.
GRANULARITY_ORDER = ("day", "week", "month", "season", "year")

#: Questions about the news Maya and Tom pass on (told on a date; the news is about one of their people).
NEWS_TEMPLATES = {
    "job": ["Which of {P}'s friends or family got a new job {period}?", "Who did {P} say had landed a job {period}?"],
    "move": ["Who did {P} say was moving away {period}?", "Which of {P}'s people announced a move {period}?"],
    "hobby": ["Who did {P} say had taken up a new hobby {period}?"],
    "pet": ["Whose pet did {P} have a funny story about {period}?", "Which friend's pet did {P} talk about {period}?"],
}  # fmt: skip

SEASON_MONTHS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "winter": (12, 2)}


@dataclass(frozen=True)
class Window:
    granularity: str  # day, week, month, season, year
    phrases: tuple[str, ...]  # ways of saying it; one is picked per question
    first: date
    last: date


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _months_back(today: date, n: int) -> tuple[date, date]:
    index = today.year * 12 + today.month - 1 - n
    year, month = divmod(index, 12)
    return date(year, month + 1, 1), _month_end(year, month + 1)


def _last_season(today: date, name: str) -> tuple[date, date]:
    """The most recent complete season called `name` before `today` (winter spans the new year)."""
    lo, hi = SEASON_MONTHS[name]
    for year in (today.year, today.year - 1, today.year - 2):
        first = date(year - 1 if lo > hi else year, lo, 1)
        last = _month_end(year, hi)
        if last < today:
            return first, last
    raise AssertionError("unreachable")


def windows(now: datetime) -> list[Window]:
    """The windows relative time words name, seen from `now` (its date in UTC)."""
    today = now.date()
    out = [Window("day", ("yesterday",), today - timedelta(days=1), today - timedelta(days=1))]
    for back in range(2, 7):
        day = today - timedelta(days=back)
        out.append(Window("day", (f"on {WEEKDAYS[day.weekday()]}", f"{NUMBER_WORDS[back]} days ago"), day, day))
    monday = today - timedelta(days=today.weekday())
    if monday < today - timedelta(days=1):
        out.append(Window("week", ("since Monday", "this week"), monday, today))
    for back, phrases in ((1, ("last week",)), (2, ("two weeks ago",)), (3, ("three weeks ago",))):
        first = monday - timedelta(days=7 * back)
        out.append(Window("week", phrases, first, first + timedelta(days=6)))
    if today.day > 7:
        out.append(Window("month", ("this month", "earlier this month"), today.replace(day=1), today))
    spoken = {1: "last month", 2: "two months ago", 3: "three months ago"}
    for back in range(1, 12):
        first, last = _months_back(today, back)
        month = f"in {MONTHS[first.month - 1]}"
        out.append(Window("month", (spoken[back], month) if back in spoken else (month,), first, last))
    for name, (lo, hi) in SEASON_MONTHS.items():
        if today.month in ((lo, 1, 2) if lo > hi else range(lo, hi + 1)):
            continue  # "last winter" said in February: this winter or the one before? Not asked.
        first, last = _last_season(today, name)
        out.append(Window("season", (f"last {name}",), first, last))
    out.append(Window("year", ("last year",), date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)))
    if today.month > 2:
        out.append(Window("year", ("earlier this year", "this year"), date(today.year, 1, 1), today))
    return out


@dataclass(frozen=True)
class _Item:
    person: str
    category: str
    templates: tuple[str, ...]
    answer: str
    turn_id: str
    first: date  # first day it happened
    last: date
    told: date


def _items(world: World, turns: list[Turn]) -> list[_Item]:
    told = {t.id: date.fromisoformat(t.timestamp[:10]) for t in turns}
    items = []
    for ev in world.events:
        fact = ev.fact
        assert fact.start is not None and fact.end is not None
        day = told[fact.turn_id]
        items.append(_Item(ev.person, ev.category, tuple(ev.temporal), ev.temporal_answer, fact.turn_id,
                           fact.start, fact.end, day))  # fmt: skip
    for teller, category, fact, who in world.news:
        day = told[fact.turn_id]
        items.append(
            _Item(teller, f"news_{category}", tuple(NEWS_TEMPLATES[category]), who, fact.turn_id, day, day, day)
        )
    return items


def _inside(item: _Item, w: Window) -> bool:
    return w.first <= item.first and item.last <= w.last and w.first <= item.told <= w.last


def _touches(item: _Item, w: Window) -> bool:
    return (item.first <= w.last and item.last >= w.first) or w.first <= item.told <= w.last


def relative_questions(rng: random.Random, world: World, turns: list[Turn], now: datetime) -> list[Question]:
    """`temporal_relative` questions asked at `now`: each window holds exactly one event of its kind."""
    items = _items(world, turns)
    spans = windows(now)
    out = []
    for item in items:
        rivals = [o for o in items if o is not item and (o.person, o.category) == (item.person, item.category)]
        fitting = [w for w in spans if _inside(item, w) and not any(_touches(r, w) for r in rivals)]
        rng.shuffle(fitting)
        fitting.sort(key=lambda w: GRANULARITY_ORDER.index(w.granularity))
        chosen: list[Window] = []
        for w in fitting:  # one window per granularity, finest first
            if len(chosen) < PER_EVENT and all(c.granularity != w.granularity for c in chosen):
                chosen.append(w)
        for w in chosen:
            text = fill(rng.choice(item.templates), P=item.person, period=rng.choice(w.phrases))
            out.append(Question("", "temporal_relative", text, [item.turn_id], item.answer, now=now))
    return out
