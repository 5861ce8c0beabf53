"""Sessions on the command line: `remember/list/recall --session`, `recall --context/-C N` in every
output format, `show`, `import`, and the refusals (exit 2)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from mnemo_cli.cli.render import local_time
from tests.cli.conftest import from_template, import_text, new_store
from tests.conftest import BINARY, mnemo

pytestmark = pytest.mark.slow

PW = "sessions test passphrase"
TURNS = [
    ("5001" * 8, "Maya: I want to pick up a new hobby this spring"),
    ("5002" * 8, "Sam: what about pottery? the studio near you has evening classes"),
    ("5003" * 8, "Maya: I signed up for the Thursday pottery class"),
    ("5004" * 8, "Sam: great, tell me how the first lesson goes"),
    ("5005" * 8, "Maya: the teacher says I should wedge the clay longer"),
]
OTHER = ("6001" * 8, "Dana: the quarterly report is due Friday")
LONE = ("7001" * 8, "Pottery glazes need a second firing")


def line(memory_id: str, text: str, session: str | None) -> dict:
    entry = {"type": "memory", "id": memory_id, "text": text, "created_at": "2025-04-01T10:00:00Z"}
    entry.update({"tags": [], "meta": {}, "source": None})
    return entry if session is None else {**entry, "session": session}


@pytest.fixture
def chat(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Five turns of session chat-1 (same date: the order imported is their order), one memory of
    chat-2, one without a session."""
    lines = [line(i, t, "chat-1") for i, t in TURNS] + [line(*OTHER, "chat-2"), line(*LONE, None)]

    def build(env: dict[str, str]) -> None:
        done = mnemo("import", "-", env=env, input=import_text(lines))
        assert done.returncode == 0, done.stderr

    return from_template(template, PW, monkeypatch, build)


def ok(*args: str, input: str | None = None) -> str:
    done = mnemo(*args, input=input)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_remember_list_show_with_a_session(monkeypatch: pytest.MonkeyPatch) -> None:
    new_store(PW, monkeypatch)
    first = ok("remember", "--session", "thread ✓", "the first turn").strip()
    made = json.loads(ok("remember", "--session", "thread ✓", "the second turn", "--json"))
    ok("remember", "no session at all")
    assert made["session"] == "thread ✓"
    listed = json.loads(ok("list", "--session", "thread ✓", "--json"))
    assert [m["text"] for m in listed] == ["the second turn", "the first turn"]
    assert "session:    thread ✓" in ok("show", first)
    assert json.loads(ok("show", first, "--json"))["session"] == "thread ✓"
    assert "session" not in json.loads(ok("list", "--json"))[0]  # only when set, like expires_at


def test_recall_session_filter(chat: Path) -> None:
    for mode in ("hybrid", "vector", "lexical"):
        hits = json.loads(ok("recall", "pottery", "--session", "chat-1", "--mode", mode, "-k", "10", "--json"))
        assert hits and {h["session"] for h in hits} == {"chat-1"}, mode
    assert json.loads(ok("recall", "pottery", "--session", "nothing-here", "--json")) == []


def test_context_in_json_text_and_prompt(chat: Path) -> None:
    args = ["recall", "Thursday pottery class signed", "--mode", "lexical", "-k", "1", "-C", "1"]
    hits = json.loads(ok(*args, "--json"))
    assert [h["id"] for h in hits] == [TURNS[1][0], TURNS[2][0], TURNS[3][0]]
    assert [h["score"] is None for h in hits] == [True, False, True]
    assert hits[0]["via"] == {"context_of": TURNS[2][0], "offset": -1}
    assert hits[2]["via"] == {"context_of": TURNS[2][0], "offset": 1}
    assert "via" not in hits[1]
    jsonl = [json.loads(x) for x in ok(*args, "--format", "jsonl").splitlines()]
    assert jsonl == hits

    text = ok(*args).splitlines()
    score = f"{hits[1]['score']:.3f}"
    when = [local_time(hit["created_at"]) for hit in hits]  # the suite runs with TZ=UTC
    assert when[0].startswith("2025-04-01 ") and when[0].endswith("+00:00")
    assert text == [
        f"{TURNS[1][0][:12]}  {'-':>{len(score)}}  - {when[0]}  {TURNS[1][1]}",
        f"{TURNS[2][0][:12]}  {score}  : {when[1]}  {TURNS[2][1]}",
        f"{TURNS[3][0][:12]}  {'-':>{len(score)}}  - {when[2]}  {TURNS[3][1]}",
    ]
    assert ok(*args, "--format", "prompt") == (
        "Relevant memories (most relevant first):\n"
        "- Conversation chat-1, in order (> marks the relevant turn):\n"
        f"    ({when[0]}) {TURNS[1][1]}\n"
        f"  > ({when[1]}) {TURNS[2][1]}\n"
        f"    ({when[2]}) {TURNS[3][1]}\n"
    )


def test_context_groups_are_separated_and_never_repeat(chat: Path) -> None:
    args = ["recall", "pottery glazes teacher wedge clay", "--mode", "lexical", "-k", "2", "--context", "2"]
    hits = json.loads(ok(*args, "--json"))
    ids = [h["id"] for h in hits]
    assert len(ids) == len(set(ids))
    plain = json.loads(ok(*args[:-2], "--json"))
    assert [h["id"] for h in hits if h["score"] is not None] == [h["id"] for h in plain]
    text = ok(*args).splitlines()
    assert text.count("--") == 1  # two hits, two groups
    lone = next(i for i, x in enumerate(text) if LONE[1] in x)
    assert ": 2025-04-01" in text[lone]  # the memory without a session stands alone


def test_context_on_a_terminal_is_dimmed(chat: Path) -> None:
    from tests.cli.pty_session import run_with_terminal

    code, transcript = run_with_terminal(
        ["recall", "Thursday pottery signed", "--mode", "lexical", "-k", "1", "-C", "1"], []
    )
    assert code == 0, transcript
    assert "\x1b[2m" in transcript  # Rich's dim
    assert all(memory_id[:12] in transcript for memory_id, _ in TURNS[1:4])  # texts wrap on a narrow pty


def test_import_with_a_bad_session_names_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    new_store(PW, monkeypatch)
    content = import_text([{"text": "fine", "session": "s"}, {"text": "x", "session": 12}])
    done = mnemo("import", "-", input=content)
    assert done.returncode == 2
    assert (
        done.stderr.startswith("mnemo: error: -:2: 'session' must be a string")
        or "2: 'session' must be a string" in done.stderr
    )
    assert json.loads(ok("list", "--json")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["recall", "x", "--context", "21"], "--context must be from 0 to 20"),
        (["recall", "x", "-C", "-1"], "--context must be from 0 to 20"),
        (["recall", "x", "-C", "two"], "invalid value for '--context'"),
        (["recall", "x", "--session", ""], "the session is empty"),
        (["list", "--session", "a\tb"], "the session holds a control character"),
        (["list", "--session", "x" * 257], "the session is longer than 256 bytes"),
        (["remember", "--session", " ", "text"], "the session is empty"),
    ],
)
def test_bad_session_or_context_exit_2_before_the_secret(args: list[str], message: str, tmp_path: Path) -> None:
    done = mnemo(*args, env={"MNEMO_HOME": str(tmp_path / "none")})  # no store: checked first anyway
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(BINARY is not None, reason="the installed entry point, not the binary")
def test_remember_then_recall_with_context_through_the_installed_mnemo(monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end through `.venv/bin/mnemo`, the command a user types."""
    import subprocess

    mnemo = Path(sys.executable).parent / "mnemo"
    if not mnemo.exists():
        pytest.skip("no mnemo entry point beside this Python")
    new_store(PW, monkeypatch)

    def run(*args: str) -> str:
        done = subprocess.run([str(mnemo), *args], capture_output=True, text=True, env=dict(os.environ), timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    for turn in ("Maya: I want a new hobby", "Sam: try the pottery class on Thursday", "Maya: done, I signed up"):
        run("remember", "--session", "chat-9", "--created-at", "2025-04-01T10:00:00Z", turn)
    run("remember", "Unrelated: the boiler needs a service")
    hits = json.loads(run("recall", "pottery class Thursday", "-k", "1", "--context", "1", "--json"))
    assert [h["text"] for h in hits] == [
        "Maya: I want a new hobby",
        "Sam: try the pottery class on Thursday",
        "Maya: done, I signed up",
    ]
    assert [h["score"] is None for h in hits] == [True, False, True]
