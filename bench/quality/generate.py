"""The retrieval-quality dataset: a seeded, dependency-free generator of long conversations with questions.

Owns the synthetic world of the quality benchmark (bench/quality/evaluate.py measures recall on it):
two friends, Maya and Tom, chat over 40 sessions spread across ~14 months (2025-01-06 onwards).
Their turns carry facts (jobs, family, pets, places, allergies), dated events (trips, courses,
concerts, doctor visits, hikes, purchases, races, weddings), preferences that change over time, and
news about 26 friends and relatives -- buried in small talk that deliberately reuses the same
vocabulary (several trips, courses, restaurants, dogs), so that matching words alone is ambiguous.

Every turn carries its session number (`Turn.session`). Every answerable question names the turn(s)
holding its answer (`evidence`). Seven kinds:

- `keyword`: shares distinctive words with its evidence turn;
- `paraphrase`: the same facts as the keyword questions, asked with synonyms ("canine" for "dog",
  "relocating" for "moving") so that few content words are shared;
- `temporal`: anchored in time ("in March 2025", "in the week of 10 March 2025"); the period is
  chosen so that exactly one event of that kind by that person falls in it;
- `temporal_relative`: the same, in words relative to a fixed now (`Question.now`, the morning after
  the last session): "yesterday", "since Monday", "two weeks ago", "last month", "in March", "last
  summer", "last year" ...;
- `multi_hop`: bridges two turns about the same friend ("the dog of the person who moved to Porto");
  evidence is both turns, identifying one first;
- `change_of_mind`: asks for the latest state of a preference that changed; evidence is the turn
  stating it, and `superseded` lists the earlier, now stale turns;
- `unanswerable`: about things never said (a friend's pet of another species, a trip nobody took):
  no evidence; `absent` lists the phrases that no memory states together.

The parts: dataset.py (types), vocabulary.py, topics.py and talk.py (the material), world.py (which
turn states what), conversation.py (the sessions' turns), questions.py, relative.py and unanswerable.py
(the questions); this module puts them together.

`generate(seed)` is pure: the same seed gives the same dataset, byte for byte once written.
`python -m bench.quality.generate --out DIR` writes turns.jsonl and questions.jsonl for inspection.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bench.quality.conversation import build_sessions, render_fact
from bench.quality.dataset import ASKED_AFTER_HOURS, DEFAULT_SEED, KINDS, SPEAKERS, Dataset, Question, Turn
from bench.quality.questions import SEASONS, build_questions, periods
from bench.quality.world import build_world, draw_session_dates

__all__ = ["DEFAULT_SEED", "KINDS", "SEASONS", "SPEAKERS", "Dataset", "Question", "Turn", "generate", "periods"]


def generate(seed: int = DEFAULT_SEED) -> Dataset:
    """The whole dataset for `seed`; pure and deterministic."""
    rng = random.Random(seed)
    dates = draw_session_dates(rng)
    world = build_world(rng, dates)
    for fact in world.facts:
        render_fact(fact, rng, dates)
    turns = build_sessions(rng, dates, world.facts)
    now = asked_at(dates[-1])
    assert now > datetime.fromisoformat(turns[-1].timestamp)
    questions = build_questions(rng, world, turns, now)
    return Dataset(seed, [d.isoformat() for d in dates], turns, questions, now.isoformat())


def asked_at(last_session: date) -> datetime:
    """The fixed "now" of the relative-time questions: the morning after the last session, UTC."""
    midnight = datetime.combine(last_session + timedelta(days=1), time(0), tzinfo=UTC)
    return midnight + timedelta(hours=ASKED_AFTER_HOURS)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")


def write_jsonl(path: Path, rows: Iterable[object]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(asdict(row), ensure_ascii=False, default=_json_default) + "\n")  # type: ignore[call-overload]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the retrieval-quality dataset as JSON lines.")
    parser.add_argument("--out", type=Path, required=True, help="folder for turns.jsonl and questions.jsonl")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    data = generate(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out / "turns.jsonl", data.turns)
    write_jsonl(args.out / "questions.jsonl", data.questions)
    kinds: dict[str, int] = {}
    for q in data.questions:
        kinds[q.kind] = kinds.get(q.kind, 0) + 1
    span = f"{data.session_dates[0]} .. {data.session_dates[-1]}"
    print(f"seed {data.seed}: {len(data.turns)} turns in {len(data.session_dates)} sessions ({span})")
    print(f"{len(data.questions)} questions: {kinds}")
    print(f"wrote {args.out / 'turns.jsonl'} and {args.out / 'questions.jsonl'}")


if __name__ == "__main__":
    main()
