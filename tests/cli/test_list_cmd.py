"""`mnemo list` through real processes: newest first, filters, limits, formats, an empty store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import from_template, new_store
from tests.conftest import mnemo
from tests.helpers import digest_tree

pytestmark = pytest.mark.slow

PW = "list test passphrase"
ANSI = "\x1b["
OLDEST, SECOND, THIRD, NEWEST = (f"{n}" * 4 + "0" * 28 for n in (1, 2, 3, 4))
RECENT = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
# Imported in this order, which is not the order in time.
MEMORIES = [
    {"id": SECOND, "text": "Second oldest, tagged work", "created_at": "2025-02-01T00:00:00Z", "tags": ["work"]},
    {"id": NEWEST, "text": "The newest:\n  folded", "created_at": RECENT, "tags": ["work", "people"]},
    {"id": OLDEST, "text": "The oldest one", "created_at": "2024-12-31T23:59:59Z", "tags": []},
    {"id": THIRD, "text": "Third, about Dana", "created_at": "2025-06-15T12:00:00+02:00", "tags": ["people"]},
]


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new, empty store."""
    return new_store(PW, monkeypatch)


@pytest.fixture
def seeded(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store holding MEMORIES (made with `init` and `import` once per module, copied for each test)."""

    def build(env: dict[str, str]) -> None:
        lines = "".join(json.dumps({"type": "memory", **m}) + "\n" for m in MEMORIES)
        done = mnemo("import", "-", env=env, input=lines)
        assert done.stdout == "imported 4 memories (0 already present), 0 links\n", done.stderr

    return from_template(template, PW, monkeypatch, build)


def mnemo_ok(*args: str) -> str:
    done = mnemo(*args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def list_ids(*args: str) -> list[str]:
    return [memory["id"] for memory in json.loads(mnemo_ok("list", *args, "--json"))]


def stored(memory_id: str) -> dict[str, Any]:
    """The memory as list/show print it: created_at in UTC, no meta or source given."""
    entry = next(m for m in MEMORIES if m["id"] == memory_id)
    created = datetime.fromisoformat(entry["created_at"]).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": memory_id,
        "text": entry["text"],
        "created_at": created,
        "tags": entry["tags"],
        "meta": {},
        "source": None,
    }


def test_newest_first_in_every_format(seeded: Path) -> None:
    text = mnemo_ok("list")
    assert ANSI not in text
    assert text == "".join(
        line + "\n"
        for line in [
            f"{NEWEST[:12]}  {RECENT[:10]} {RECENT[11:16]}+00:00  #work #people  The newest: folded",
            f"{THIRD[:12]}  2025-06-15 10:00+00:00  #people  Third, about Dana",
            f"{SECOND[:12]}  2025-02-01 00:00+00:00  #work  Second oldest, tagged work",
            f"{OLDEST[:12]}  2024-12-31 23:59+00:00  The oldest one",
        ]
    )
    expected = [stored(memory_id) for memory_id in (NEWEST, THIRD, SECOND, OLDEST)]
    assert json.loads(mnemo_ok("list", "--json")) == expected
    assert json.loads(mnemo_ok("list", "--format", "json")) == expected
    assert [json.loads(line) for line in mnemo_ok("list", "-f", "jsonl").splitlines()] == expected


def test_limit_tag_since_until(seeded: Path) -> None:
    assert list_ids("--limit", "2") == [NEWEST, THIRD]
    assert list_ids("-n", "1") == [NEWEST]
    assert list_ids("--tag", "work") == [NEWEST, SECOND]
    assert list_ids("-t", "work", "-t", "people") == [NEWEST]  # all of them
    assert list_ids("--tag", "people", "--limit", "1") == [NEWEST]
    assert list_ids("--tag", "nope") == []
    assert list_ids("--since", "30d") == [NEWEST]
    assert list_ids("--since", "2025-01-01") == [NEWEST, THIRD, SECOND]
    assert list_ids("--since", "2025-06-15T10:00:00Z") == [NEWEST, THIRD]  # inclusive; 12:00+02:00 is 10:00Z
    assert list_ids("--until", "2025-06-15T09:59:59Z") == [SECOND, OLDEST]
    assert list_ids("--since", "2025-01-01T00:00:00+01:00", "--until", "1w") == [THIRD, SECOND, OLDEST]
    assert mnemo_ok("list", "--tag", "nope") == ""


def test_empty_store(store: Path) -> None:
    assert mnemo_ok("list") == ""
    assert mnemo_ok("list", "--json") == "[]\n"
    assert mnemo_ok("list", "--format", "jsonl") == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "0"], "mnemo: error: --limit must be between 1 and 1,000,000"),
        (["--format", "csv"], "mnemo: error: unknown format 'csv' (choose from: text, json, jsonl)"),
        (
            ["--since", "soon"],
            "mnemo: error: bad --since 'soon': expected RFC 3339 (2026-03-04T10:00:00Z), an age (7d, 12h, 2w) "
            "or time words (yesterday, last week, monday, march 2025)",
        ),
        (
            ["--until", "3x"],
            "mnemo: error: bad --until '3x': expected RFC 3339 (2026-03-04T10:00:00Z), an age (7d, 12h, 2w) "
            "or time words (yesterday, last week, monday, march 2025)",
        ),
    ],
    ids=["limit", "format", "since", "until"],
)
def test_bad_options_exit_2(seeded: Path, args: list[str], message: str) -> None:
    before = digest_tree(seeded)
    done = mnemo("list", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == message + "\n"
    assert digest_tree(seeded) == before


def test_wrong_passphrase_exit_3(seeded: Path) -> None:
    done = mnemo("list", env={"MNEMO_PASSPHRASE": "wrong"})
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr == "mnemo: error: wrong passphrase (from MNEMO_PASSPHRASE): no key slot opens with it\n"
