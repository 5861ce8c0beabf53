"""`mnemo show` through real processes: one memory in full, as text and JSON, with its links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import from_template
from tests.conftest import mnemo
from tests.helpers import digest_tree

pytestmark = pytest.mark.slow

PW = "show test passphrase"
CAUSE = "5e5e0000aaaa1111bbbb2222cccc3333"
MAIN = "5e5e1111dddd2222eeee3333ffff4444"
FIX = "f1f1f1f1000011112222333344445555"
MEMORIES = [
    {
        "type": "memory",
        "id": CAUSE,
        "text": "The deploy script skipped the migrations",
        "created_at": "2025-04-01T10:00:00Z",
        "tags": ["ops"],
        "meta": {},
        "source": None,
    },
    {
        "type": "memory",
        "id": MAIN,
        "text": "Outage on Tuesday:\n  two hours\tdown",
        "created_at": "2025-04-02T10:30:00.250000Z",
        "tags": ["ops", "incident"],
        "meta": {"severity": 2, "team": "infra", "ack": {"by": "dana", "ok": True}},
        "source": "pager",
    },
    {
        "type": "memory",
        "id": FIX,
        "text": "Added a migration check to CI",
        "created_at": "2025-04-03T10:00:00Z",
        "tags": [],
        "meta": {},
        "source": None,
    },
]


@pytest.fixture
def store(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store holding MEMORIES with CAUSE → MAIN (caused) and MAIN → FIX (fixed-by), copied for each test."""

    def build(env: dict[str, str]) -> None:
        done = mnemo("import", "-", env=env, input="".join(json.dumps(m) + "\n" for m in MEMORIES))
        assert done.stdout == "imported 3 memories (0 already present), 0 links\n", done.stderr
        assert mnemo("link", CAUSE, MAIN, "--rel", "caused", env=env).returncode == 0
        assert mnemo("link", MAIN, FIX, "--rel", "fixed-by", env=env).returncode == 0

    return from_template(template, PW, monkeypatch, build)


def mnemo_ok(*args: str) -> str:
    done = mnemo(*args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_text(store: Path) -> None:
    assert (
        mnemo_ok("show", "5e5e1")
        == "\n".join(
            [
                f"id:         {MAIN}",
                "created_at: 2025-04-02 10:30:00.250000+00:00",
                "tags:       ops, incident",
                "source:     pager",
                'meta:       {"ack": {"by": "dana", "ok": true}, "severity": 2, "team": "infra"}',
                "",
                "Outage on Tuesday:\n  two hours\tdown",  # the full text, as remembered
                "",
                f"→ fixed-by: {FIX[:12]}  2025-04-03 10:00+00:00  Added a migration check to CI",
                f"← caused: {CAUSE[:12]}  2025-04-01 10:00+00:00  #ops  The deploy script skipped the migrations",
                "",
            ]
        )
    )


def test_text_without_tags_meta_or_source(store: Path) -> None:
    assert mnemo_ok("unlink", MAIN, FIX) == ""
    assert mnemo_ok("show", FIX.upper()) == "\n".join(
        [
            f"id:         {FIX}",
            "created_at: 2025-04-03 10:00:00+00:00",
            "tags:       -",
            "",
            "Added a migration check to CI",
            "",
        ]
    )


def test_json(store: Path) -> None:
    shown = json.loads(mnemo_ok("show", MAIN, "--json"))
    assert list(shown) == ["schema_version", "id", "text", "created_at", "tags", "meta", "source", "links"]
    assert shown["schema_version"] == 1
    assert {key: shown[key] for key in ("id", "text", "created_at", "tags", "meta", "source")} == {
        key: MEMORIES[1][key] for key in ("id", "text", "created_at", "tags", "meta", "source")
    }
    assert [(link["id"], link["rel"]) for link in shown["links"]["out"]] == [(FIX, "fixed-by")]
    assert [(link["id"], link["rel"]) for link in shown["links"]["in"]] == [(CAUSE, "caused")]
    for link in shown["links"]["out"] + shown["links"]["in"]:
        assert list(link) == ["id", "rel", "created_at"] and link["created_at"].endswith("Z")
    cause = json.loads(mnemo_ok("show", CAUSE[:6], "--json"))
    caused_at = shown["links"]["in"][0]["created_at"]
    assert cause["links"] == {"out": [{"id": MAIN, "rel": "caused", "created_at": caused_at}], "in": []}


@pytest.mark.parametrize(
    ("ref", "code", "message"),
    [
        ("abcd", 7, "mnemo: error: no memory with id abcd"),
        (FIX[:-1] + "0", 7, f"mnemo: error: no memory with id {FIX[:-1]}0"),
        ("5e5e", 2, f"mnemo: error: memory id 5e5e is ambiguous: {CAUSE}, {MAIN}"),
        ("5e5", 2, "mnemo: error: memory id '5e5' is too short: give at least 4 hex digits"),
    ],
    ids=["unknown-prefix", "unknown-full-id", "ambiguous", "too-short"],
)
def test_refusals(store: Path, ref: str, code: int, message: str) -> None:
    before = digest_tree(store)
    done = mnemo("show", ref, "--json")
    assert done.returncode == code
    assert done.stdout == ""
    assert done.stderr == message + "\n"
    assert digest_tree(store) == before


def test_no_store_exit_4(tmp_path: Path) -> None:
    done = mnemo("show", "abcd", env={"MNEMO_HOME": str(tmp_path / "none"), "MNEMO_PASSPHRASE": PW})
    assert done.returncode == 4
    assert done.stderr.splitlines() == [
        f"mnemo: error: no store at {tmp_path / 'none'}",
        "mnemo: hint: create one with `mnemo init`",
    ]
