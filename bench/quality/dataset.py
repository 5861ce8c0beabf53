"""The quality dataset's types and fixed shape: turns, questions, kinds, speakers, the calendar's start.

Owns the data model that bench/quality/generate.py produces and bench/quality/evaluate.py consumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

DEFAULT_SEED = 7
SPEAKERS = ("Maya", "Tom")
FIRST_SESSION = date(2025, 1, 6)
N_SESSIONS = 40
#: Facts shared by the keyword and the paraphrase questions (the same facts, asked two ways).
KEYWORD_FACTS = 120
KINDS = ("keyword", "paraphrase", "temporal", "multi_hop", "change_of_mind")


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


@dataclass
class Dataset:
    seed: int
    session_dates: list[str]  # index i holds the date of session i + 1
    turns: list[Turn]
    questions: list[Question]
