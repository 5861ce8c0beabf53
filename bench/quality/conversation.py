"""The quality dataset's sessions: dates and wording of the facts, and the turns of each session (facts with
reactions, buried in small talk and distractors), timestamped in order."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from bench.quality.dataset import SPEAKERS, Turn
from bench.quality.talk import (
    CLOSER_REPLIES,
    CLOSERS,
    DISCOURSE_MARKERS,
    DISTRACTORS,
    FOLLOW_UPS,
    INTERJECTIONS,
    OPENER_REPLIES,
    OPENERS,
    REACTIONS,
    SLOTS,
    SMALL_TALK,
    TAGS,
)
from bench.quality.topics import CHAIN_VALUES, RESTAURANTS
from bench.quality.vocabulary import (
    CAST,
    CONCERT_VENUES,
    CONCERTS,
    COURSES,
    HIKES,
    HOBBIES,
    JOBS,
    MOVE_CITIES,
    NUMBER_WORDS,
    PET_NAMES,
    RACES,
    SPECIES,
    TRIPS,
    WEDDINGS,
    WEEKDAYS,
    article,
    cap,
    fill,
    other_speaker,
)
from bench.quality.world import Fact


def render_fact(fact: Fact, rng: random.Random, dates: list[date]) -> None:
    day = dates[fact.session - 1]
    gap = (day - dates[fact.session - 2]).days if fact.session > 1 else 7
    if fact.timing == "trip":
        days = max(2, min(fact.days, gap - 2))
        fact.end = day - timedelta(days=1)
        fact.start = fact.end - timedelta(days=days - 1)
        fact.text = fill(fact.template, days=NUMBER_WORDS[days])
    elif fact.timing == "point":
        offset = rng.randint(1 if fact.night else 0, min(3, gap - 1))
        fact.start = fact.end = day - timedelta(days=offset)
        if offset == 0:
            when = rng.choice(["this evening", "earlier tonight"] if fact.night else ["today", "this morning"])
        elif offset == 1:
            when = "last night" if fact.night else "yesterday"
        else:
            when = "on " + WEEKDAYS[fact.start.weekday()]
        fact.text = fill(fact.template, when=when)
    else:
        fact.text = fact.template
    fact.text = cap(fact.text)


def _entity_slots(rng: random.Random) -> dict[str, str]:
    return {
        "city": rng.choice(MOVE_CITIES + [t[0] for t in TRIPS]),
        "dest": rng.choice([t[0] for t in TRIPS]),
        "restaurant": rng.choice(RESTAURANTS),
        "course": rng.choice(COURSES)[0],
        "species": rng.choice(sorted(SPECIES)),
        "band": rng.choice([c[0] for c in CONCERTS] + CHAIN_VALUES["band"]),
        "cast": rng.choice(CAST)[0],
        "venue": rng.choice(CONCERT_VENUES),
        "peak": rng.choice(HIKES),
        "phone": rng.choice(CHAIN_VALUES["phone"]),
        "author": rng.choice(CHAIN_VALUES["author"]),
        "a_job": article(rng.choice(JOBS)[0]),
        "a_course": article(rng.choice(COURSES)[0]),
        "petname": rng.choice(PET_NAMES),
        "race": rng.choice(RACES)[0],
        "wvenue": rng.choice(WEDDINGS)[1],
        "hobby": rng.choice(HOBBIES)[0],
        **{k: rng.choice(v) for k, v in SLOTS.items()},
    }


def _vary(rng: random.Random, line: str) -> str:
    """A small-talk line as people type it: sometimes with a discourse marker in front or a tag at the end
    (so that chit-chat is not a handful of identical sentences repeated). Applied to templates, before
    their slots are filled, so that a name in front keeps its capital."""
    if rng.random() < 0.35 and not line.startswith(("{", *INTERJECTIONS)):
        keep = line.startswith(("I ", "I'", "OK"))
        line = rng.choice(DISCOURSE_MARKERS) + (line if keep else line[:1].lower() + line[1:])
    if rng.random() < 0.2 and line[-1:] in ".!" and line.count(" ") >= 3:
        line = line[:-1] + rng.choice(TAGS) + line[-1]
    return line


def _exchange(rng: random.Random, first: str, lines: list[str], day: date) -> list[tuple[str, str, Fact | None]]:
    slots = _entity_slots(rng)
    slots["today"] = WEEKDAYS[day.weekday()]
    # Alternatives are written aligned (the i-th reply answers the i-th opening), so one index serves all lines.
    variant = rng.randrange(max(line.count("|") + 1 for line in lines))
    speaker, out = first, []
    for line in lines:
        options = line.split("|")
        chosen = options[variant] if variant < len(options) else rng.choice(options)
        out.append((speaker, cap(fill(_vary(rng, chosen), **slots)), None))
        speaker = other_speaker(speaker)
    return out


def _fact_block(rng: random.Random, fact: Fact) -> list[tuple[str, str, Fact | None]]:
    block: list[tuple[str, str, Fact | None]] = [(fact.owner, fact.text, fact)]
    block.append((other_speaker(fact.owner), cap(_vary(rng, rng.choice(REACTIONS[fact.reaction]))), None))
    if rng.random() < 0.4:
        block.append((fact.owner, cap(_vary(rng, rng.choice(FOLLOW_UPS))), None))
    return block


def build_sessions(rng: random.Random, dates: list[date], facts: list[Fact]) -> list[Turn]:
    by_session: dict[int, list[Fact]] = {}
    for fact in facts:
        by_session.setdefault(fact.session, []).append(fact)
    turns: list[Turn] = []
    for number, day in enumerate(dates, start=1):
        blocks = [_fact_block(rng, fact) for fact in by_session.get(number, [])]
        target = rng.randint(84, 100)
        size = sum(len(b) for b in blocks) + 4
        used: set[tuple[str, int]] = set()  # no exchange twice in one session
        while size < target:
            name, pool = ("distractor", DISTRACTORS) if rng.random() < 0.35 else ("small talk", SMALL_TALK)
            fresh = [i for i in range(len(pool)) if (name, i) not in used] or list(range(len(pool)))
            pick = rng.choice(fresh)
            used.add((name, pick))
            block = _exchange(rng, rng.choice(SPEAKERS), pool[pick], day)
            blocks.append(block)
            size += len(block)
        rng.shuffle(blocks)
        first = rng.choice(SPEAKERS)
        lines = [(first, fill(rng.choice(OPENERS), other=other_speaker(first)), None),
                 (other_speaker(first), rng.choice(OPENER_REPLIES), None)]  # fmt: skip
        for block in blocks:
            lines += block
        last = rng.choice(SPEAKERS)
        lines += [(last, rng.choice(CLOSERS), None), (other_speaker(last), rng.choice(CLOSER_REPLIES), None)]

        weekend = day.weekday() >= 5
        start_minute = rng.randint(10 * 60, 14 * 60) if weekend else rng.randint(18 * 60, 20 * 60 + 30)
        moment = datetime(day.year, day.month, day.day) + timedelta(minutes=start_minute)
        for index, (speaker, text, fact) in enumerate(lines, start=1):
            turn_id = f"s{number:02d}-t{index:03d}"
            turns.append(Turn(turn_id, number, speaker, moment.strftime("%Y-%m-%dT%H:%M:%SZ"), text))
            if fact is not None:
                fact.turn_id = turn_id
            moment += timedelta(seconds=rng.randint(20, 110))
    return turns
