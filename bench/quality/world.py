"""The quality dataset's facts: which turn states what, in which session, and the question material
for each (keyword, paraphrase, temporal, multi-hop, change of mind, news told on a date)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bench.quality.dataset import FIRST_SESSION, N_SESSIONS, SPEAKERS
from bench.quality.topics import (
    BIRTHDAYS,
    CHAIN_TOPICS,
    EVENT_COUNTS,
    MILESTONES,
    STATIC_FACTS,
    TEMPORAL_TEMPLATES,
)
from bench.quality.vocabulary import (
    CAST,
    CAST_SPECIES,
    CONCERT_VENUES,
    CONCERTS,
    COURSE_DETAILS,
    COURSES,
    DOCTOR_VISITS,
    HIKE_DETAILS,
    HIKES,
    HOBBIES,
    JOBS,
    MOVE_CITIES,
    MOVE_REASONS,
    PET_DETAILS,
    PET_NAMES,
    PRONOUNS,
    PURCHASE_DETAILS,
    PURCHASES,
    RACES,
    RELATIONS,
    SPECIES,
    TRIPS,
    WEDDING_DETAILS,
    WEDDINGS,
    article,
    cap,
    fill,
)


@dataclass(eq=False)
class Fact:
    """One turn that states something a question asks about."""

    owner: str
    template: str  # may still hold {when} and {days}
    reaction: str
    session: int
    timing: str | None = None  # None, "point" (happened on one day) or "trip" (the days before the session)
    night: bool = False  # a point event in the evening ("last night")
    days: int = 0
    text: str = ""
    turn_id: str = ""
    start: date | None = None
    end: date | None = None


@dataclass(eq=False)
class Event:
    """A dated event of Maya's or Tom's: one fact plus its question material."""

    person: str
    category: str  # temporal category: events of one category by one person never share a period
    fact: Fact
    keyword: tuple[str, str]  # (question, answer)
    paraphrase: tuple[str, str]
    temporal: list[str]  # templates with {period}
    temporal_answer: str


class Planner:
    """Chooses sessions for facts, keeping the sessions roughly evenly loaded."""

    def __init__(self, rng: random.Random, dates: Sequence[date]) -> None:
        self.rng = rng
        self.dates = dates
        self.load = [0] * (len(dates) + 1)

    def sessions(self, count: int, *, window: tuple[date, date] | None = None, min_gap: int = 1) -> list[int]:
        """`count` distinct sessions in increasing order, `min_gap` apart when possible, least loaded first."""
        candidates = [i + 1 for i, d in enumerate(self.dates) if window is None or window[0] <= d <= window[1]]
        if len(candidates) < count:
            raise ValueError("not enough sessions in the window")
        best: list[int] | None = None
        best_cost = None
        for _ in range(24):
            picked = sorted(self.rng.sample(candidates, count))
            gaps_ok = all(b - a >= min_gap for a, b in itertools.pairwise(picked))
            cost = sum(self.load[s] for s in picked) + (0 if gaps_ok else 1000)
            if best_cost is None or cost < best_cost:
                best, best_cost = picked, cost
        assert best is not None
        for s in best:
            self.load[s] += 1
        return best


def draw_session_dates(rng: random.Random) -> list[date]:
    dates = [FIRST_SESSION]
    while len(dates) < N_SESSIONS:
        dates.append(dates[-1] + timedelta(days=rng.randint(6, 16)))
    return dates


# -- the world's facts ------------------------------------------------------------------------------


@dataclass
class World:
    facts: list[Fact] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    static: list[tuple[Fact, str, str, str]] = field(default_factory=list)  # fact, keyword q, paraphrase q, answer
    cast_facts: list[tuple[Fact, tuple[str, str], tuple[str, str]]] = field(default_factory=list)
    multi_hop: list[tuple[str, list[Fact], str]] = field(default_factory=list)  # question, evidence, answer
    change_questions: list[tuple[str, Fact, list[Fact], str]] = field(default_factory=list)
    news: list[tuple[str, str, Fact, str]] = field(default_factory=list)  # teller, category, fact, who

    def add(self, fact: Fact) -> Fact:
        self.facts.append(fact)
        return fact


def build_world(rng: random.Random, dates: list[date]) -> World:
    world = World()
    plan = Planner(rng, dates)
    _add_static(world, plan, rng)
    _add_cast(world, plan, rng)
    _add_events(world, plan, rng)
    _add_chains(world, plan, rng, dates)
    return world


def _add_static(world: World, plan: Planner, rng: random.Random) -> None:
    early = (FIRST_SESSION, FIRST_SESSION + timedelta(days=200))
    for owner, text, kq, pq, answer in STATIC_FACTS:
        (session,) = plan.sessions(1, window=early)
        fact = world.add(Fact(owner, text, "static", session))
        world.static.append((fact, kq, pq, answer))


def _add_cast(world: World, plan: Planner, rng: random.Random) -> None:
    cities = rng.sample(MOVE_CITIES, len(CAST))
    species = rng.sample(CAST_SPECIES, len(CAST))
    pets = rng.sample(PET_NAMES, len(CAST))
    jobs = rng.sample(JOBS, len(CAST))
    hobbies = rng.sample(HOBBIES, len(CAST))
    for i, (name, gender) in enumerate(CAST):
        owner = SPEAKERS[i % 2]
        subj, obj, pos = PRONOUNS[gender]
        rel = rng.choice(RELATIONS[gender])
        city, kind, pet = cities[i], species[i], pets[i]
        job, job_para, employer = jobs[i]
        hobby, hobby_para = hobbies[i]
        reason = fill(rng.choice(MOVE_REASONS), pos=pos)
        s_move, s_pet, s_job, s_hobby = rng.sample(plan.sessions(4, min_gap=2), 4)

        move = world.add(Fact(owner, rng.choice([
            f"My {rel} {name} is moving to {city} {reason}, the removal van is booked for next month.",
            f"Big news from {name}, my {rel}: {subj} is moving to {city} {reason}.",
            f"{name} is packing up and moving to {city} {reason}, I'm going to miss {obj} so much.",
        ]), "move", s_move))  # fmt: skip
        detail = rng.choice(PET_DETAILS)
        pet_fact = world.add(Fact(owner, rng.choice([
            f"{name}'s {kind} {pet} {detail}.",
            f"{name} sent me a photo of {pos} {kind} {pet}, who {detail}.",
            f"Apparently {pet}, {name}'s {kind}, {detail}.",
        ]), "pet", s_pet))  # fmt: skip
        job_fact = world.add(Fact(owner, rng.choice([
            f"{name} got the job! {cap(subj)} starts as {article(job)} at {employer} in a couple of weeks.",
            f"My {rel} {name} just accepted an offer to work as {article(job)} at {employer}.",
            f"{name} is going to be {article(job)} at {employer}, {subj} signed the contract yesterday.",
        ]), "job", s_job))  # fmt: skip
        hobby_fact = world.add(Fact(owner, rng.choice([
            f"{name} has got really into {hobby}, {subj} does it three evenings a week now.",
            f"Apparently {name} has taken up {hobby}, which I did not see coming.",
            f"My {rel} {name} is obsessed with {hobby}, {subj} talks about nothing else.",
        ]), "hobby", s_hobby))  # fmt: skip

        world.news += [(owner, "move", move, name), (owner, "job", job_fact, name), (owner, "hobby", hobby_fact, name),
                       (owner, "pet", pet_fact, name)]  # fmt: skip
        para_kind = rng.choice(SPECIES[kind])
        world.cast_facts += [
            (move, (f"Which city is {name} moving to {reason}?", city),
             (rng.choice([f"Where is {name} relocating?", f"Where will {name} live after the relocation?"]), city)),
            (pet_fact, (f"What is the name of {name}'s {kind}?", pet), (f"What is {name}'s {para_kind} called?", pet)),
            (job_fact, (f"Where is {name} going to work as {article(job)}?", employer),
             (f"Which organisation has hired {name} as {article(job_para)}?", employer)),
            (hobby_fact, (f"Which of {owner}'s friends or family is into {hobby}?", name),
             (f"Who in {owner}'s circle has a new pastime of {hobby_para}?", name)),
        ]  # fmt: skip

        # Two hops: identify the person by one fact, ask for another.
        ident = {
            "move": (move, f"the person who moved to {city}"),
            "pet": (pet_fact, f"the person whose {kind} is called {pet}"),
            "job": (job_fact, f"the person who works as {article(job)}"),
            "hobby": (hobby_fact, f"the person who took up {hobby}"),
        }
        target = {
            "move": (move, "Which city did {ident} move to?", city),
            "pet": (pet_fact, f"What is the name of the {kind} owned by {{ident}}?", pet),
            "job": (job_fact, "What job does {ident} have?", job),
            "hobby": (hobby_fact, "What hobby did {ident} take up?", hobby),
        }
        targets = rng.sample(sorted(target), 3)
        for t in targets:
            source = rng.choice([k for k in sorted(ident) if k != t])
            id_fact, id_phrase = ident[source]
            t_fact, t_question, answer = target[t]
            world.multi_hop.append((fill(t_question, ident=id_phrase), [id_fact, t_fact], answer))


def _add_events(world: World, plan: Planner, rng: random.Random) -> None:
    trips = rng.sample(TRIPS, 2 * EVENT_COUNTS["trip"])
    courses = rng.sample(COURSES, 2 * EVENT_COUNTS["course"])
    concerts = rng.sample(CONCERTS, 2 * EVENT_COUNTS["concert"])
    visits = rng.sample(DOCTOR_VISITS, 2 * EVENT_COUNTS["doctor"])
    hikes = rng.sample(HIKES, 2 * EVENT_COUNTS["hike"])
    purchases = rng.sample(PURCHASES, 2 * EVENT_COUNTS["purchase"])
    races = rng.sample(RACES, 2 * EVENT_COUNTS["race"])
    weddings = rng.sample(WEDDINGS, 2 * EVENT_COUNTS["wedding"])
    for p, P in enumerate(SPEAKERS):

        def take(pool: list, category: str, p: int = p) -> list:
            n = EVENT_COUNTS[category]
            return pool[p * n : (p + 1) * n]

        def event(template: str, reaction: str, session: int, *, timing: str = "point", night: bool = False,
                  days: int = 0, P: str = P) -> Fact:  # fmt: skip
            return world.add(Fact(P, template, reaction, session, timing=timing, night=night, days=days))

        def sessions(category: str, *, skip_first: bool = False) -> list[int]:
            # a trip happens in the days before the session that reports it, so never before session 1
            start = plan.dates[1] if skip_first else FIRST_SESSION
            return plan.sessions(EVENT_COUNTS[category], window=(start, date(2100, 1, 1)), min_gap=2)

        for (dest, highlight, para), s in zip(take(trips, "trip"), sessions("trip", skip_first=True), strict=True):
            fact = event(rng.choice([
                f"Just got back from {{days}} days in {dest}, {highlight} was the best part.",
                f"Back from {dest} yesterday! {cap(highlight)} made the whole trip.",
                f"{cap(dest)} was wonderful, {{days}} days wasn't nearly enough. {cap(highlight)} was unforgettable.",
            ]), "trip", s, timing="trip", days=rng.randint(3, 7))  # fmt: skip
            world.events.append(Event(P, "trip", fact, (f"Where was {P} {highlight}?", dest),
                                       (f"On which vacation did {P} enjoy {para}?", dest),
                                       TEMPORAL_TEMPLATES["trip"], dest))  # fmt: skip
            if rng.random() < 0.6 and s > 2:  # an earlier turn announcing the trip: a stale-sounding distractor
                before = rng.randint(max(1, s - 4), s - 1)
                plan.load[before] += 1
                world.add(Fact(P, rng.choice([
                    f"I'm off to {dest} soon, can't wait.",
                    f"Booked a few days in {dest}, first proper break in ages.",
                ]), "trip_plan", before))  # fmt: skip
        for (course, para, venue), s in zip(take(courses, "course"), sessions("course"), strict=True):
            detail = rng.choice(COURSE_DETAILS)
            fact = event(rng.choice([
                f"I started {article(course)} course at {venue} {{when}}, {detail}.",
                f"First {course} class at {venue} was {{when}}, {detail}.",
                f"Signed up for {course} at {venue} and the first session was {{when}}, {detail}.",
            ]), "course", s)  # fmt: skip
            world.events.append(
                Event(
                    P,
                    "course",
                    fact,
                    (f"Where is {P} taking the {course} course?", venue),
                    (f"Where is {P} studying {para}?", venue),
                    TEMPORAL_TEMPLATES["course"],
                    course,
                )
            )
        venues = rng.sample(CONCERT_VENUES, EVENT_COUNTS["concert"])
        for (band, genre, para), venue, s in zip(take(concerts, "concert"), venues, sessions("concert"), strict=True):
            fact = event(rng.choice([
                f"Saw {band} at {venue} {{when}}, best {genre} gig I've been to in ages.",
                f"{band} at {venue} {{when}} was incredible, I didn't know {genre} could be that much fun live.",
                f"We went to see {band} play {venue} {{when}}, proper {genre} heaven.",
            ]), "concert", s, night=True)  # fmt: skip
            world.events.append(Event(P, "concert", fact, (f"Which band did {P} see at {venue}?", band),
                                       (f"Which {para} act did {P} watch perform?", band),
                                       TEMPORAL_TEMPLATES["concert"], band))  # fmt: skip
        for visit, s in zip(take(visits, "doctor"), sessions("doctor"), strict=True):
            complaint, c_para, doc, d_para, diagnosis = visit
            fact = event(rng.choice([
                f"Saw the {doc} about my {complaint} {{when}}, turns out it's {diagnosis}.",
                f"Went to the {doc} {{when}} about my {complaint}, they said it's {diagnosis}.",
            ]), "doctor", s)  # fmt: skip
            world.events.append(Event(P, "doctor", fact,
                                       (f"What did the {doc} say about {P}'s {complaint}?", diagnosis),
                                       (f"What was {P}'s diagnosis from the {d_para} for the {c_para}?", diagnosis),
                                       TEMPORAL_TEMPLATES["doctor"], complaint))  # fmt: skip
        details = rng.sample(HIKE_DETAILS, EVENT_COUNTS["hike"])
        for peak, (detail, d_para), s in zip(take(hikes, "hike"), details, sessions("hike"), strict=True):
            fact = event(rng.choice([
                f"We hiked up {peak} {{when}} and {detail}.",
                f"Did {peak} {{when}}, {detail}, but the views were worth it.",
            ]), "hike", s)  # fmt: skip
            world.events.append(Event(P, "hike", fact, (f"Which hill did {P} hike up when {detail}?", peak),
                                       (f"Which summit did {P} walk up when {d_para}?", peak),
                                       TEMPORAL_TEMPLATES["hike"], peak))  # fmt: skip
        for (item, desc, para), s in zip(take(purchases, "purchase"), sessions("purchase"), strict=True):
            fact = event(f"I finally bought {desc} {{when}}, {rng.choice(PURCHASE_DETAILS)}.", "purchase", s)
            world.events.append(
                Event(
                    P,
                    "purchase",
                    fact,
                    (f"Which {item} did {P} finally buy?", desc),
                    (f"What {para} did {P} purchase?", desc),
                    TEMPORAL_TEMPLATES["purchase"],
                    desc,
                )
            )
        for (race, para, time), s in zip(take(races, "race"), sessions("race"), strict=True):
            fact = event(rng.choice([
                f"Ran {race} {{when}} in {time}, my legs are still complaining.",
                f"Finished {race} {{when}}, {time}, which I'm really happy with.",
            ]), "race", s)  # fmt: skip
            world.events.append(Event(P, "race", fact, (f"What was {P}'s time in {race}?", time),
                                       (f"How long did it take {P} to finish the {para}?", time),
                                       TEMPORAL_TEMPLATES["race"], race))  # fmt: skip
        for (couple, venue), s in zip(take(weddings, "wedding"), sessions("wedding"), strict=True):
            detail = rng.choice(WEDDING_DETAILS)
            fact = event(f"{couple}'s wedding at {venue} was {{when}}, {detail}.", "wedding", s, night=True)
            world.events.append(Event(P, "wedding", fact, (f"Where was {couple}'s wedding?", venue),
                                       (f"At what location did {couple} get married?", venue),
                                       TEMPORAL_TEMPLATES["wedding"], couple))  # fmt: skip
    for owner, category, text, kq, pq, answer, tq, t_answer in MILESTONES:
        (s,) = plan.sessions(1, window=(FIRST_SESSION + timedelta(days=60), date(2100, 1, 1)))
        fact = world.add(Fact(owner, text, "milestone", s, timing="point"))
        world.events.append(Event(owner, category, fact, (kq, answer), (pq, answer), [tq], t_answer))


def _add_chains(world: World, plan: Planner, rng: random.Random, dates: list[date]) -> None:
    for _key, who, values, first, change, now_q, replaced_q, window in CHAIN_TOPICS:
        people = SPEAKERS if who == "both" else (who,)
        picks = rng.sample(values, 3 * len(people))
        for i, person in enumerate(people):
            if window == "birthday":
                day = BIRTHDAYS[person]
                span = (day - timedelta(days=75), day - timedelta(days=1))
                states = 2
            elif window is not None:
                span = (date.fromisoformat(window[0]), date.fromisoformat(window[1]))
                states = 2
            else:
                span = None
                states = 3 if rng.random() < 0.9 else 2
            chosen = picks[3 * i : 3 * i + states]
            sessions = plan.sessions(states, window=span, min_gap=3 if span is None else 1)
            facts: list[Fact] = []
            for n, (value, session) in enumerate(zip(chosen, sessions, strict=True)):
                if n == 0:
                    text = fill(rng.choice(first), a=value, A=cap(value))
                else:
                    old = chosen[n - 1]
                    text = fill(rng.choice(change), a=old, A=cap(old), b=value, B=cap(value))
                facts.append(world.add(Fact(person, text, "chain" if n else "chain_first", session)))
            world.change_questions.append((fill(now_q, P=person), facts[-1], facts[:-1], chosen[-1]))
            if states == 3:
                world.change_questions.append((fill(replaced_q, P=person, a=chosen[0]), facts[1], facts[:1], chosen[1]))
