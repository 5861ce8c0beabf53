"""Time words through real processes: in queries (a soft preference), in --since/--until (a filter),
--now, refusals, and times shown in the user's time zone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import imported
from tests.conftest import mnemo

pytestmark = pytest.mark.slow

PW = "time words test passphrase"
#: Wednesday 11 March 2026, 15:30 in New York (19:30Z); "last week" there is 2 to 9 March.
NOW = "2026-03-11T15:30:00-04:00"
OLD_HIKE = "1111aaaa1111aaaa1111aaaa1111aaaa"
NEW_HIKE = "2222bbbb2222bbbb2222bbbb2222bbbb"
TEA = "3333cccc3333cccc3333cccc3333cccc"
LATE = "4444dddd4444dddd4444dddd4444dddd"
LATER = "5555eeee5555eeee5555eeee5555eeee"
NOTES = "6666ffff6666ffff6666ffff6666ffff"
MEMORIES = [
    (OLD_HIKE, "Went hiking at Mount Tam: a long hiking day, the best hiking trail", "2025-12-30T17:00:00Z"),
    (NEW_HIKE, "Went hiking at Point Reyes with Sam", "2026-03-05T18:00:00Z"),
    (TEA, "Tried a new tea shop downtown", "2026-03-10T14:00:00Z"),
    # 22:30 on Monday 9 March in New York, already Tuesday in UTC.
    (LATE, "Late call with the Tokyo office", "2026-03-10T02:30:00Z"),
    (LATER, "A note written after now", "2026-03-20T12:00:00Z"),
    (NOTES, "Notes: a note on the note pad, note to self", "2025-06-10T12:00:00Z"),
]


@pytest.fixture
def store(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TZ", "America/New_York")
    lines = [
        {"type": "memory", "id": i, "text": t, "created_at": c, "tags": [], "meta": {}, "source": None}
        for i, t, c in MEMORIES
    ]
    return imported(template, PW, monkeypatch, lines)


def mnemo_ok(*args: str) -> str:
    done = mnemo(*args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def recall_ids(*args: str) -> list[str]:
    return [hit["id"] for hit in recall(*args)]


def recall(*args: str) -> list[dict[str, Any]]:
    return json.loads(mnemo_ok("recall", *args, "--now", NOW, "--json"))


def test_a_time_in_the_query_prefers_that_window(store: Path) -> None:
    assert recall_ids("where did I go hiking?", "-k", "2", "--mode", "lexical") == [OLD_HIKE, NEW_HIKE]
    assert recall_ids("where did I go hiking last week?", "-k", "2", "--mode", "lexical") == [NEW_HIKE, OLD_HIKE]
    assert recall_ids("where did I go hiking?", "-k", "1", "--mode", "lexical") == [OLD_HIKE]
    assert recall_ids("where did I go hiking last week?", "-k", "1", "--mode", "lexical") == [NEW_HIKE]
    hits = recall("where did I go hiking last week?", "-k", "2", "--min-score", "0")  # the model sees no "last week"
    assert [hit["id"] for hit in hits] == [NEW_HIKE, OLD_HIKE]
    assert hits[1]["score"] < hits[0]["score"] / 2  # outside the window: a third of its relevance
    assert recall_ids("where did I go hiking last week?") == [NEW_HIKE]  # the old hike falls below the floor
    # A preference, not a filter: the old hike is still there, and memories after now gain nothing.
    assert OLD_HIKE in recall_ids("hiking in December", "--mode", "lexical")
    assert recall_ids("hiking in December", "--mode", "lexical")[0] == OLD_HIKE


def test_memories_created_after_now_gain_nothing(store: Path) -> None:
    assert recall_ids("note", "--mode", "lexical") == [NOTES, LATER]
    assert recall_ids("note next week", "--mode", "lexical") == [NOTES, LATER]  # LATER is in it, but after now
    later_now = ["--now", "2026-03-25T12:00:00Z"]  # the same window, now in the past: it counts
    hits = json.loads(mnemo_ok("recall", "note last week", "--mode", "lexical", *later_now, "--json"))
    assert [hit["id"] for hit in hits] == [LATER, NOTES]


def test_a_query_that_is_only_a_time_lists_that_window_newest_first(store: Path) -> None:
    assert recall_ids("last week") == [NEW_HIKE]
    assert recall_ids("yesterday") == [TEA]
    assert recall_ids("since Monday") == [TEA, LATE]  # in New York, the late call was on Monday
    assert recall_ids("what happened on Monday?")[0] == LATE  # words left: ranked, the window first
    assert recall_ids("in 2024") == []


def test_since_and_until_take_time_words(store: Path) -> None:
    def listed(*args: str) -> list[str]:
        return [m["id"] for m in json.loads(mnemo_ok("list", *args, "--json"))]

    assert listed("--since", "march 2026") == [LATER, TEA, LATE, NEW_HIKE]  # from its start
    assert listed("--until", "december 2025") == [OLD_HIKE, NOTES]  # to its end
    assert listed("--since", "2025", "--until", "2025") == [OLD_HIKE, NOTES]
    assert listed("--since", "the week of 2 March 2026", "--until", "march 5, 2026") == [NEW_HIKE]
    assert recall_ids("hiking", "--since", "monday", "--mode", "lexical") == []
    assert recall_ids("hiking", "--until", "last week", "--mode", "lexical") == [OLD_HIKE, NEW_HIKE]
    assert recall_ids("tea", "--since", "yesterday", "--mode", "lexical") == [TEA]


@pytest.mark.parametrize("command", [["list"], ["recall", "tea"]])
def test_an_inverted_range_is_a_usage_error(store: Path, command: list[str]) -> None:
    done = mnemo(*command, "--since", "yesterday", "--until", "last week")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("mnemo: error: --since (") and "is after --until" in done.stderr
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("command", [["list"], ["recall", "tea"]])
def test_unknown_words_name_the_accepted_forms(store: Path, command: list[str]) -> None:
    done = mnemo(*command, "--since", "the other day")
    assert done.returncode == 2
    assert done.stderr == (
        "mnemo: error: bad --since 'the other day': expected RFC 3339 (2026-03-04T10:00:00Z), an age "
        "(7d, 12h, 2w) or time words (yesterday, last week, monday, march 2025)\n"
    )


def test_a_bad_now_is_a_usage_error(store: Path) -> None:
    done = mnemo("recall", "tea", "--now", "teatime")
    assert done.returncode == 2
    assert done.stderr.startswith("mnemo: error: bad --now 'teatime'")


def test_people_see_local_times_and_json_keeps_utc(store: Path) -> None:
    text = mnemo_ok("list", "--until", "2026-03-10T03:00:00Z")
    assert f"{LATE[:12]}  2026-03-09 22:30-04:00  Late call with the Tokyo office\n" in text
    assert f"{OLD_HIKE[:12]}  2025-12-30 12:00-05:00  Went hiking" in text  # standard time then
    shown = mnemo_ok("show", LATE)
    assert "created_at: 2026-03-09 22:30:00-04:00\n" in shown
    prompt = mnemo_ok("recall", "Tokyo office call", "-k", "1", "--format", "prompt", "--mode", "lexical")
    assert "- (2026-03-09 22:30-04:00) Late call with the Tokyo office" in prompt
    listed = json.loads(mnemo_ok("list", "--json"))
    assert {m["id"]: m["created_at"] for m in listed}[LATE] == "2026-03-10T02:30:00Z"
    assert recall("Tokyo office call", "-k", "1", "--mode", "lexical")[0]["created_at"] == "2026-03-10T02:30:00Z"


PROBE = """
import json, sys
from mnemo_cli.cli.app import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "grammar": "mnemo_cli.store.time_words" in sys.modules}))
"""


@pytest.mark.parametrize(("query", "grammar"), [("tea shop", False), ("tea shop yesterday", True)])
def test_a_query_without_time_words_does_not_import_the_grammar(store: Path, query: str, grammar: bool) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "recall", query, "--mode", "lexical", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"code": 0, "grammar": grammar}
