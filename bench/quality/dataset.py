"""The quality dataset's types and fixed shape: turns, questions, kinds, speakers, the calendar's start.

Owns the data model that bench/quality/generate.py produces and bench/quality/evaluate.py consumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

DEFAULT_SEED = 7
SPEAKERS = ("Maya", "Tom")
FIRST_SESSION = date(2025, 1, 6)
N_SESSIONS = 40
#: Facts shared by the keyword and the paraphrase questions (the same facts, asked two ways).
KEYWORD_FACTS = 120
#: Relative-time questions ("last month") are asked this long after the start of the day after the last session.
ASKED_AFTER_HOURS = 9.5
KINDS = (
    "keyword",
    "paraphrase",
    "temporal",
    "temporal_relative",
    "multi_hop",
    "change_of_mind",
    "unanswerable",
)
#: Kinds whose questions have evidence (the ranking metrics); the others are asked about things never said.
ANSWERABLE = tuple(kind for kind in KINDS if kind != "unanswerable")


# -- the dataset --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    id: str  # "s07-t013"
    session: int
    speaker: str
    timestamp: str  # RFC 3339 UTC, "2025-03-14T18:02:00Z"
    text: str


@dataclass
class Question:
    qid: str
    kind: str
    question: str
    evidence: list[str]
    answer: str | None = None
    #: change_of_mind only: turns stating an earlier, replaced state (wrong answers now).
    superseded: list[str] = field(default_factory=list)
    #: temporal_relative only: the moment the question is asked (aware); its time words are relative to it.
    now: datetime | None = None
    #: unanswerable only: groups of phrases that never occur together in one memory ("Speaker: text"), as
    #: whole words, case-insensitive -- the facts the question asks about, never said.
    absent: list[list[str]] = field(default_factory=list)


@dataclass
class Dataset:
    seed: int
    session_dates: list[str]  # index i holds the date of session i + 1
    turns: list[Turn]
    questions: list[Question]
    #: when the relative-time questions are asked (RFC 3339)
    now: str = ""
