"""`mnemo link` and `mnemo unlink` through real processes: id prefixes, relations, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import from_template
from tests.conftest import mnemo
from tests.helpers import digest_tree

pytestmark = pytest.mark.slow

PW = "link test passphrase"
A = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
B = "b0c1d2e3f4a5b6c7d8e9f00112233445"
C = "c9d8e7f6a5b4c3d2e1f0ffeeddccbbaa"
# Two ids that share their first 6 hex digits: "0f0f0f" is ambiguous, "0f0f0f1" is not.
TWIN_1 = "0f0f0f11111111111111111111111111"
TWIN_2 = "0f0f0f22222222222222222222222222"
MEMORIES = [
    (A, "The deploy script skipped the migrations", "2025-04-01T10:00:00Z"),
    (B, "The outage on Tuesday lasted two hours", "2025-04-02T10:00:00Z"),
    (C, "We added a migration check to CI", "2025-04-03T10:00:00Z"),
    (TWIN_1, "first twin", "2025-04-04T10:00:00Z"),
    (TWIN_2, "second twin", "2025-04-05T10:00:00Z"),
]


@pytest.fixture
def store(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store holding MEMORIES (made with `init` and `import` once per module, copied for each test)."""

    def build(env: dict[str, str]) -> None:
        lines = "".join(
            json.dumps({"type": "memory", "id": i, "text": t, "created_at": c, "tags": [], "meta": {}, "source": None})
            + "\n"
            for i, t, c in MEMORIES
        )
        done = mnemo("import", "-", env=env, input=lines)
        assert done.stdout == "imported 5 memories (0 already present), 0 links\n", done.stderr

    return from_template(template, PW, monkeypatch, build)


def mnemo_ok(*args: str, input: str | None = None) -> str:
    done = mnemo(*args, input=input)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def links(ref: str) -> dict[str, list[tuple[str, str]]]:
    """`show --json` links of a memory as {"out": [(id, rel)], "in": [(id, rel)]}."""
    shown: dict[str, Any] = json.loads(mnemo_ok("show", ref, "--json"))
    return {way: [(link["id"], link["rel"]) for link in shown["links"][way]] for way in ("out", "in")}


def test_link_relink_and_unlink(store: Path) -> None:
    assert mnemo_ok("link", A[:4], B[:8], "--rel", "caused") == f"{A[:12]} → {B[:12]} (caused)\n"
    assert links(A) == {"out": [(B, "caused")], "in": []}
    assert links(B) == {"out": [], "in": [(A, "caused")]}

    # Linking again changes the relation (still one link); --json prints the link.
    made = json.loads(mnemo_ok("link", A, B.upper(), "--rel", "led-to", "--json"))
    assert list(made) == ["schema_version", "src", "dst", "rel", "created_at"]
    assert made["schema_version"] == 1
    assert (made["src"], made["dst"], made["rel"]) == (A, B, "led-to")
    shown = json.loads(mnemo_ok("show", B, "--json"))
    assert shown["links"] == {"out": [], "in": [{"id": A, "rel": "led-to", "created_at": made["created_at"]}]}

    # Without --rel, the relation is "related".
    assert mnemo_ok("link", C[:5], A[:5]) == f"{C[:12]} → {A[:12]} (related)\n"
    assert links(A) == {"out": [(B, "led-to")], "in": [(C, "related")]}

    assert mnemo_ok("unlink", A[:4], B[:4]) == ""
    assert links(A) == {"out": [], "in": [(C, "related")]}
    assert links(B) == {"out": [], "in": []}


def test_the_unambiguous_part_of_a_shared_prefix_is_enough(store: Path) -> None:
    assert mnemo_ok("link", "0f0f0f1", "0f0f0f2") == f"{TWIN_1[:12]} → {TWIN_2[:12]} (related)\n"
    assert links(TWIN_2) == {"out": [], "in": [(TWIN_1, "related")]}


def test_linking_again_with_the_same_relation_reports_the_stored_link(store: Path) -> None:
    first = json.loads(mnemo_ok("link", A, B, "--rel", "caused", "--json"))
    before = digest_tree(store)
    again = json.loads(mnemo_ok("link", A, B, "--rel", "caused", "--json"))
    assert digest_tree(store) == before  # nothing new to write
    assert again == first
    assert json.loads(mnemo_ok("show", A, "--json"))["links"]["out"][0]["created_at"] == again["created_at"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["link", "ffff", B], 7, "mnemo: error: no memory with id ffff"),
        (["link", A, "deadbeef"], 7, "mnemo: error: no memory with id deadbeef"),
        (
            ["link", "0f0f0f", A],
            2,
            f"mnemo: error: memory id 0f0f0f is ambiguous: {TWIN_1}, {TWIN_2}",
        ),
        (
            ["link", A, "0f0f"],
            2,
            f"mnemo: error: memory id 0f0f is ambiguous: {TWIN_1}, {TWIN_2}",
        ),
        (["link", A[:4], A], 2, "mnemo: error: a memory cannot link to itself"),
        (["link", "a1b", B], 2, "mnemo: error: memory id 'a1b' is too short: give at least 4 hex digits"),
        (["link", A, B, "--rel", " "], 2, "mnemo: error: the relation is empty"),
        (["unlink", A, B], 7, f"mnemo: error: no link from {A[:12]} to {B[:12]}"),
        (["unlink", "ffff", B], 7, "mnemo: error: no memory with id ffff"),
        (
            ["unlink", "0f0f0f", A],
            2,
            f"mnemo: error: memory id 0f0f0f is ambiguous: {TWIN_1}, {TWIN_2}",
        ),
        (["unlink", A, "b0c"], 2, "mnemo: error: memory id 'b0c' is too short: give at least 4 hex digits"),
    ],
    ids=[
        "unknown-a",
        "unknown-b",
        "ambiguous-a",
        "ambiguous-b",
        "itself",
        "too-short",
        "empty-rel",
        "unlink-no-such-link",
        "unlink-unknown",
        "unlink-ambiguous",
        "unlink-too-short",
    ],
)
def test_refusals_write_nothing(store: Path, args: list[str], code: int, message: str) -> None:
    before = digest_tree(store)
    done = mnemo(*args)
    assert done.returncode == code
    assert done.stdout == ""
    assert done.stderr == message + "\n"
    assert digest_tree(store) == before


def test_wrong_passphrase_exit_3(store: Path) -> None:
    before = digest_tree(store)
    done = mnemo("link", A, B, env={"MNEMO_PASSPHRASE": "wrong"})
    assert done.returncode == 3
    assert done.stderr == "mnemo: error: wrong passphrase (from MNEMO_PASSPHRASE): no key slot opens with it\n"
    assert digest_tree(store) == before
