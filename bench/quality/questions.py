"""The quality dataset's questions: temporal periods and the final, numbered question list."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from bench.quality.dataset import KEYWORD_FACTS, KINDS, Question, Turn
from bench.quality.relative import relative_questions
from bench.quality.unanswerable import unanswerable_questions
from bench.quality.vocabulary import MONTHS, fill
from bench.quality.world import Event, Fact, World


def _months_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


SEASONS = [
    ("at the start of 2025", date(2025, 1, 1), date(2025, 2, 28)),
    ("in the spring of 2025", date(2025, 3, 1), date(2025, 5, 31)),
    ("in the summer of 2025", date(2025, 6, 1), date(2025, 8, 31)),
    ("in the autumn of 2025", date(2025, 9, 1), date(2025, 11, 30)),
    ("in the winter of 2025/26", date(2025, 12, 1), date(2026, 2, 28)),
    ("in the spring of 2026", date(2026, 3, 1), date(2026, 5, 31)),
]


def periods(start: date, end: date) -> list[tuple[str, str, date, date]]:
    """Every named period containing [start, end]: (granularity, phrase, first day, last day)."""
    out: list[tuple[str, str, date, date]] = []
    if (start.year, start.month) == (end.year, end.month):
        month, year = MONTHS[start.month - 1], start.year
        out.append(("month", f"in {month} {year}", start.replace(day=1), _months_end(year, start.month)))
        for name, lo, hi in (("early", 1, 10), ("mid-", 11, 20), ("late", 21, 31)):
            if lo <= start.day and end.day <= hi:
                phrase = f"in mid-{month} {year}" if name == "mid-" else f"in {name} {month} {year}"
                out.append(
                    (
                        "part",
                        phrase,
                        start.replace(day=lo),
                        min(start.replace(day=1) + timedelta(days=hi - 1), _months_end(year, start.month)),
                    )
                )
    for phrase, lo_day, hi_day in SEASONS:
        if lo_day <= start and end <= hi_day:
            out.append(("season", phrase, lo_day, hi_day))
    monday = start - timedelta(days=start.weekday())
    if end <= monday + timedelta(days=6):
        phrase = f"in the week of {monday.day} {MONTHS[monday.month - 1]} {monday.year}"
        out.append(("week", phrase, monday, monday + timedelta(days=6)))
    return out


PERIOD_WEIGHTS = {"month": 3, "part": 2, "season": 2, "week": 2}


def _temporal_questions(rng: random.Random, events: list[Event]) -> list[Question]:
    questions = []
    for ev in events:
        fact = ev.fact
        assert fact.start is not None and fact.end is not None
        rivals = [e.fact for e in events if e.person == ev.person and e.category == ev.category and e is not ev]
        options = []
        for granularity, phrase, lo, hi in periods(fact.start, fact.end):
            clash = any(r.start is not None and r.end is not None and r.start <= hi and r.end >= lo for r in rivals)
            if not clash:
                options.append((granularity, phrase))
        if not options:
            continue
        weights = [PERIOD_WEIGHTS[g] for g, _ in options]
        _, phrase = rng.choices(options, weights=weights)[0]
        text = fill(rng.choice(ev.temporal), P=ev.person, period=phrase)
        questions.append(Question("", "temporal", text, [fact.turn_id], ev.temporal_answer))
    return questions


def build_questions(rng: random.Random, world: World, turns: list[Turn], now: datetime) -> list[Question]:
    out: list[Question] = []
    # keyword and paraphrase: the same facts, asked two ways
    pool: list[tuple[Fact, tuple[str, str], tuple[str, str]]] = [
        (fact, (kq, answer), (pq, answer)) for fact, kq, pq, answer in world.static
    ]
    pool += [(ev.fact, ev.keyword, ev.paraphrase) for ev in world.events]
    pool += world.cast_facts
    chosen = sorted(rng.sample(range(len(pool)), min(KEYWORD_FACTS, len(pool))))
    for i in chosen:
        fact, (kq, ka), _ = pool[i]
        out.append(Question("", "keyword", kq, [fact.turn_id], ka))
    for i in chosen:
        fact, _, (pq, pa) = pool[i]
        out.append(Question("", "paraphrase", pq, [fact.turn_id], pa))
    out += _temporal_questions(rng, world.events)
    for question, facts, answer in world.multi_hop:
        out.append(Question("", "multi_hop", question, [f.turn_id for f in facts], answer))
    for question, fact, stale, answer in world.change_questions:
        out.append(Question("", "change_of_mind", question, [fact.turn_id], answer, [f.turn_id for f in stale]))
    out += relative_questions(rng, world, turns, now)
    out += unanswerable_questions(rng, turns)
    counters: dict[str, int] = {}
    ordered = sorted(out, key=lambda q: KINDS.index(q.kind))  # stable: creation order within a kind
    for q in ordered:
        counters[q.kind] = counters.get(q.kind, 0) + 1
        q.qid = f"{q.kind}-{counters[q.kind]:03d}"
    return ordered
