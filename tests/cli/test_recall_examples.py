"""The three recall failures issue 15 opened with, as a user meets them: through the installed
`mnemo` (or the one-file binary under `make smoke`), in real processes.

- Nothing relevant: an unrelated question prints nothing (exit 0), so a pipe into an LLM sends no
  private memory; `--min-score 0` still shows everything.
- Time: "where did I go hiking last week?" puts last week's hike first; `--since yesterday` works;
  human output shows local time, JSON stays RFC 3339 UTC.
- Change of mind: after "my favourite tea is now lapsang", the older jasmine memory ranks below it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import from_template
from tests.conftest import BINARY, run_mnemo

pytestmark = pytest.mark.slow

PW = "recall examples passphrase"
NOW = "2026-03-11T12:00:00Z"  # a Wednesday
MEMORIES = [
    ("Went hiking up Mount Tam with Priya, great views", "2025-12-30T16:00:00Z"),  # ten weeks before
    ("Went hiking on the Dipsea trail, foggy but fun", "2026-03-04T17:00:00Z"),  # last week
    ("My favourite tea is jasmine", "2025-06-01T09:00:00Z"),
    ("My favourite tea is now lapsang, no longer jasmine", "2026-01-15T09:00:00Z"),
    ("Dana's phone number changed, she prefers Signal now", "2026-02-02T10:00:00Z"),
    ("Booked the dentist for the 20th, 9:30 in the morning", "2026-03-10T02:00:00Z"),  # 22:00 the 9th in New York
]

Runner = Callable[..., subprocess.CompletedProcess[str]]


def installed(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`.venv/bin/mnemo`, the command `make install` gives a user."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "mnemo"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


RUNNERS = {"module-or-binary": run_mnemo}
if not BINARY and (Path(sys.executable).parent / "mnemo").exists():
    RUNNERS["installed"] = installed


@pytest.fixture(params=sorted(RUNNERS))
def mnemo(request: pytest.FixtureRequest, template: Path, monkeypatch: pytest.MonkeyPatch) -> Runner:
    def build(env: dict[str, str]) -> None:
        for text, created in MEMORIES:
            done = run_mnemo("remember", text, "--created-at", created, env=env)
            assert done.returncode == 0, done.stderr

    from_template(template, PW, monkeypatch, build)
    return RUNNERS[request.param]


def ok(mnemo: Runner, *args: str, env: dict[str, str] | None = None) -> str:
    done = mnemo(*args, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def hits(mnemo: Runner, *args: str) -> list[dict[str, Any]]:
    found = json.loads(ok(mnemo, "recall", *args, "--now", NOW, "--json"))
    assert isinstance(found, list)
    return found


def test_nothing_relevant_prints_nothing(mnemo: Runner) -> None:
    query = "quantum chromodynamics lecture notes"
    assert ok(mnemo, "recall", query, "--format", "prompt") == ""
    assert ok(mnemo, "recall", query) == ""
    assert hits(mnemo, query) == []
    assert len(hits(mnemo, query, "--min-score", "0", "-k", "10")) == len(MEMORIES)


def test_last_week_prefers_last_weeks_hike(mnemo: Runner) -> None:
    found = hits(mnemo, "where did I go hiking last week?")
    assert found[0]["text"] == MEMORIES[1][0]
    assert MEMORIES[0][0] not in [hit["text"] for hit in found[:1]]
    assert hits(mnemo, "where did I go hiking?", "--min-score", "0")[0]["text"] in (MEMORIES[0][0], MEMORIES[1][0])
    since = hits(mnemo, "dentist", "--since", "yesterday", "--min-score", "0")
    assert [hit["text"] for hit in since] == [MEMORIES[5][0]]  # 02:00Z on the 10th: yesterday, in UTC


def test_dates_print_in_local_time_and_json_stays_utc(mnemo: Runner) -> None:
    new_york = {"TZ": "America/New_York"}
    text = ok(mnemo, "recall", "dentist appointment", "--now", NOW, env=new_york)
    assert "2026-03-09 22:00-04:00" in text  # the evening before, in New York (daylight saving began on the 8th)
    document = json.loads(ok(mnemo, "recall", "dentist appointment", "--now", NOW, "--json", env=new_york))
    assert document[0]["created_at"] == "2026-03-10T02:00:00Z"
    assert "(2026-03-09 22:00-04:00)" in ok(mnemo, "recall", "dentist", "--format", "prompt", env=new_york)


def test_a_change_of_mind_ranks_above_what_it_changed(mnemo: Runner) -> None:
    found = hits(mnemo, "what is my favourite tea?", "--min-score", "0")
    texts = [hit["text"] for hit in found]
    assert texts[0] == MEMORIES[3][0]
    assert texts.index(MEMORIES[2][0]) > 0
