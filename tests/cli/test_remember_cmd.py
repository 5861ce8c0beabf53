"""`mnemo remember` through real processes: text from an argument or stdin, every option, refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.conftest import from_template
from tests.conftest import mnemo
from tests.helpers import digest_tree

pytestmark = pytest.mark.slow

PW = "remember test passphrase"
MEMORY_KEYS = ["id", "text", "created_at", "tags", "meta", "source"]


@pytest.fixture
def store(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new, empty store (made with `init` once per module, copied for each test)."""
    return from_template(template, PW, monkeypatch)


def mnemo_ok(*args: str, input: str | None = None) -> str:
    done = mnemo(*args, input=input)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_remember_prints_the_new_id_and_stores_the_text(store: Path) -> None:
    out = mnemo_ok("remember", "Dana prefers email over phone calls")
    assert re.fullmatch(r"[0-9a-f]{32}\n", out)
    memory_id = out.strip()
    (listed,) = json.loads(mnemo_ok("list", "--json"))
    assert listed["id"] == memory_id
    assert listed["text"] == "Dana prefers email over phone calls"
    assert listed["tags"] == [] and listed["meta"] == {} and listed["source"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", listed["created_at"])  # now, in UTC


def test_every_option_and_json_output(store: Path) -> None:
    done = mnemo(
        "remember",
        "Quill kickoff: Dana leads the design review",
        "--tag",
        "work",
        "-t",
        "people",
        "--meta",
        "project=quill",
        "--meta",
        "formula=a=b",
        "--meta-json",
        '{"priority": 2, "nested": {"ok": true, "list": [1, null]}}',
        "--created-at",
        "2025-03-14T10:30:00+01:00",
        "--source",
        "meeting notes",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    document = json.loads(done.stdout)
    assert list(document) == ["schema_version", *MEMORY_KEYS]
    assert document["schema_version"] == 1
    assert re.fullmatch(r"[0-9a-f]{32}", document["id"])
    expected = {
        "text": "Quill kickoff: Dana leads the design review",
        "created_at": "2025-03-14T09:30:00Z",  # normalised to UTC
        "tags": ["work", "people"],
        "meta": {"project": "quill", "formula": "a=b", "priority": 2, "nested": {"ok": True, "list": [1, None]}},
        "source": "meeting notes",
    }
    assert {key: document[key] for key in expected} == expected
    shown = json.loads(mnemo_ok("show", document["id"][:8], "--json"))
    assert {key: shown[key] for key in MEMORY_KEYS} == {key: document[key] for key in MEMORY_KEYS}
    assert shown["links"] == {"out": [], "in": []}


def test_text_from_stdin_and_created_at_forms(store: Path) -> None:
    dash = mnemo_ok(
        "remember", "-", "--tag", "stdin", "--created-at", "2024-02-29", input="first line\n  second line\n\n"
    ).strip()
    piped = mnemo_ok("remember", "--created-at", "2024-02-29T08:15:00.5", input="piped without an argument\n").strip()
    memories = {m["id"]: m for m in json.loads(mnemo_ok("list", "--json"))}
    # One trailing newline is dropped; everything else is kept as typed.
    assert memories[dash]["text"] == "first line\n  second line\n"
    assert memories[piped]["text"] == "piped without an argument"
    assert memories[dash]["tags"] == ["stdin"]
    assert memories[dash]["created_at"] == "2024-02-29T00:00:00Z"  # a date is midnight UTC
    assert memories[piped]["created_at"] == "2024-02-29T08:15:00.500000Z"  # no offset: UTC
    assert list(memories) == [piped, dash]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["remember", ""], None, "mnemo: error: the text is empty"),
        (["remember", "  \t "], None, "mnemo: error: the text is empty"),
        (["remember", "-"], "\n", "mnemo: error: the text is empty"),
        (["remember"], "   \n", "mnemo: error: the text is empty"),
        (
            ["remember", "x", "--created-at", "yesterday"],
            None,
            "mnemo: error: bad --created-at 'yesterday': expected RFC 3339, e.g. 2026-03-04T10:00:00Z",
        ),
        (
            ["remember", "x", "--created-at", "2025-13-01"],
            None,
            "mnemo: error: bad --created-at '2025-13-01': expected RFC 3339, e.g. 2026-03-04T10:00:00Z",
        ),
        (["remember", "x", "--meta", "project"], None, "mnemo: error: --meta takes key=value, not 'project'"),
        (["remember", "x", "--meta", "=quill"], None, "mnemo: error: --meta takes key=value, not '=quill'"),
        (["remember", "x", "--meta-json", "[1, 2]"], None, "mnemo: error: --meta-json must be a JSON object"),
        (["remember", "x", "--meta-json", '"text"'], None, "mnemo: error: --meta-json must be a JSON object"),
        (
            ["remember", "x", "--meta-json", "{project: quill}"],
            None,
            "mnemo: error: --meta-json is not valid JSON: "
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (["remember", "x", "--tag", " "], None, "mnemo: error: a tag must be non-empty text, not ' '"),
    ],
    ids=[
        "empty",
        "whitespace",
        "empty-stdin-dash",
        "blank-piped",
        "bad-created-at",
        "bad-month",
        "meta-without-equals",
        "meta-without-key",
        "meta-json-array",
        "meta-json-string",
        "meta-json-not-json",
        "blank-tag",
    ],
)
def test_bad_input_exit_2_and_stores_nothing(store: Path, args: list[str], stdin: str | None, message: str) -> None:
    before = digest_tree(store)
    done = mnemo(*args, input=stdin)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == message + "\n"
    assert digest_tree(store) == before


def test_wrong_passphrase_exit_3_and_stores_nothing(store: Path) -> None:
    before = digest_tree(store)
    done = mnemo("remember", "a secret", env={"MNEMO_PASSPHRASE": "not the passphrase"})
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr == "mnemo: error: wrong passphrase (from MNEMO_PASSPHRASE): no key slot opens with it\n"
    assert digest_tree(store) == before


def test_no_store_exit_4(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    done = mnemo("remember", "lost", env={"MNEMO_HOME": str(missing), "MNEMO_PASSPHRASE": PW})
    assert done.returncode == 4
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"mnemo: error: no store at {missing}",
        "mnemo: hint: create one with `mnemo init`",
    ]
    assert not missing.exists()


def test_empty_folder_is_no_store_exit_4(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = mnemo("remember", "lost", env={"MNEMO_HOME": str(empty), "MNEMO_PASSPHRASE": PW})
    assert done.returncode == 4
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == f"mnemo: error: {empty} is not a mnemo store (no MNEMO file)"
    assert "Traceback" not in done.stderr
    assert list(empty.iterdir()) == []
