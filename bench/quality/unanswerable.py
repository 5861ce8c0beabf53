"""The quality dataset's unanswerable questions: plausible, in the same style, about the same people, but
about things never said -- a friend's pet of another species, a trip nobody took, a course nobody took.

Owns the candidate questions and the check that makes them unanswerable: each names groups of phrases
(`Question.absent`) that never occur together, as whole words, in any memory ("Speaker: text"); a
candidate whose facts do occur somewhere (the trip was taken after all) is dropped, never asked.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from bench.quality.dataset import SPEAKERS, Question, Turn
from bench.quality.vocabulary import (
    CAST,
    COURSES,
    DOCTOR_VISITS,
    HIKE_DETAILS,
    JOBS,
    PURCHASES,
    SPECIES,
    TRIPS,
    article,
    fill,
)

#: Unanswerable questions per dataset (fewer only if fewer candidates survive the check).
COUNT = 130

#: Things Maya and Tom never say about themselves: (question with {P}, absent phrase groups with {P}).
NEVER_SAID: list[tuple[str, list[list[str]]]] = [
    ("What is {P}'s middle name?", [["middle name"]]),
    ("Which football team does {P} support?", [["football team"]]),
    ("What is {P}'s blood type?", [["blood type"]]),
    ("How many siblings does {P} have?", [["siblings"]]),
    ("What is {P}'s shoe size?", [["shoe size"]]),
    ("Where did {P} learn to ski?", [["ski"], ["skiing"]]),
    ("What tattoo does {P} have?", [["tattoo"]]),
    ("What was the name of {P}'s first boss?", [["first boss"]]),
    ("Which university did {P} graduate from?", [["graduate"], ["graduated"]]),
    ("What is the name of {P}'s goldfish?", [["goldfish"]]),
    ("Which instrument did {P} play in the school orchestra?", [["orchestra"]]),
    ("What was {P}'s first car?", [["first car"]]),
    ("Which country was {P} born in?", [["born in"]]),
    ("What is {P}'s favourite ice cream flavour?", [["ice cream"]]),
    ("Where did {P} go on the stag or hen do?", [["stag"], ["hen do"]]),
]  # fmt: skip

#: Things never said about one of the cast: (question with {N}, absent phrase groups with {N}).
CAST_NEVER_SAID: list[tuple[str, list[list[str]]]] = [
    ("When is {N}'s birthday?", [["{N}", "birthday"]]),
    ("What car does {N} drive?", [["{N}", "car"], ["{N}", "drives"]]),
    ("Where did {N} go on honeymoon?", [["{N}", "honeymoon"]]),
    ("What is {N}'s partner called?", [["{N}", "partner"]]),
    ("Which school did {N} go to?", [["{N}", "school"]]),
]  # fmt: skip


def _pattern(phrase: str) -> re.Pattern[str]:
    head = r"\b" if phrase[:1].isalnum() else ""
    tail = r"\b" if phrase[-1:].isalnum() else ""
    return re.compile(head + re.escape(phrase) + tail, re.IGNORECASE)


def said_together(group: Sequence[str], text: str) -> bool:
    """Whether every phrase of `group` occurs in `text` as whole words (case-insensitive)."""
    return all(_pattern(phrase).search(text) for phrase in group)


def memory_text(turn: Turn) -> str:
    """The text a turn is stored as (what recall can see)."""
    return f"{turn.speaker}: {turn.text}"


Candidate = tuple[str, list[list[str]]]  # question, absent phrase groups


def _families() -> list[list[Candidate]]:
    """The candidates by template family (so that a draw mixes the families)."""
    never, trips, courses, doctors, purchases, hikes, pets, jobs, cast = ([] for _ in range(9))
    for person in SPEAKERS:
        for question, groups in NEVER_SAID:
            never.append((fill(question, P=person), [[fill(p, P=person) for p in g] for g in groups]))
        for _, highlight, _ in TRIPS:
            trips.append((f"Where was {person} {highlight}?", [[highlight]]))
        for course, _, venue in COURSES:
            courses.append((f"Where is {person} taking the {course} course?", [[venue]]))
        for complaint, _, doc, _, _ in DOCTOR_VISITS:
            doctors.append((f"What did the {doc} say about {person}'s {complaint}?", [[complaint]]))
        for item, desc, _ in PURCHASES:
            purchases.append((f"Which {item} did {person} finally buy?", [[desc]]))
        for detail, _ in HIKE_DETAILS:
            hikes.append((f"Which hill did {person} hike up when {detail}?", [[detail]]))
    for name, _ in CAST:
        for species in sorted(SPECIES):
            pets.append((f"What is the name of {name}'s {species}?", [[name, species]]))
        for job, _, _ in JOBS:
            jobs.append((f"Where is {name} going to work as {article(job)}?", [[name, job]]))
        for question, groups in CAST_NEVER_SAID:
            cast.append((fill(question, N=name), [[fill(p, N=name) for p in g] for g in groups]))
    return [never, trips, courses, doctors, purchases, hikes, pets, jobs, cast]


def unanswerable_questions(rng: random.Random, turns: Sequence[Turn]) -> list[Question]:
    """`COUNT` questions whose facts no memory states (`evidence` empty, `answer` None), drawn round-robin
    from the template families; a candidate whose facts some memory does state is skipped."""
    texts = [memory_text(t) for t in turns]
    lowered = [text.lower() for text in texts]

    def never_said(groups: list[list[str]]) -> bool:
        for group in groups:
            for low, text in zip(lowered, texts, strict=True):
                if all(p.lower() in low for p in group) and said_together(group, text):
                    return False
        return True

    families = _families()
    for family in families:
        rng.shuffle(family)
    picked: list[Candidate] = []
    while len(picked) < COUNT and any(families):
        for family in families:
            while family and len(picked) < COUNT:
                candidate = family.pop()
                if never_said(candidate[1]):
                    picked.append(candidate)
                    break
    return [Question("", "unanswerable", q, [], None, absent=groups) for q, groups in picked]
