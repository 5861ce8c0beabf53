"""Memories are untrusted text: what a terminal would act on is shown escaped, JSON stays exact.

A memory holding an escape sequence, BEL, CR, DEL, a C1 CSI and bidi overrides is shown by
`recall`, `list`, `show` and `forget --dry-run` as plain text (piped), as `--format prompt`, and as
the Rich table on a real terminal (a pty): none of those characters reaches the output raw, each
appears as its escape (`\\x1b`). `--json`, `--format jsonl` and `export` give the text back exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import imported
from tests.conftest import mnemo

pytestmark = pytest.mark.slow

PW = "control characters test passphrase"
ID = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"
HOSTILE = "quokka \x1b[31mred\x1b[0m ring\x07 over\rwritten \u202eevil\u202c del\x7f csi\x9b2J \u2066iso\u2069"
TAG = "tag\x1b]0;title\x07"
RAW = ["\x1b", "\x07", "\r", "\x7f", "\x9b", "\u202e", "\u202c", "\u2066", "\u2069"]
SHOWN = ["\\x1b[31mred\\x1b[0m", "ring\\x07", "\\u202eevil\\u202c", "del\\x7f", "csi\\x9b2J", "\\u2066iso\\u2069"]
LINE = {
    "type": "memory",
    "id": ID,
    "text": HOSTILE,
    "created_at": "2025-05-05T05:05:05Z",
    "tags": [TAG],
    "meta": {"note": "meta\x1b[2J"},
    "source": "src\x1b[1m",
}


@pytest.fixture
def store(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return imported(template, PW, monkeypatch, [LINE])


def raw_in(text: str) -> list[str]:
    return [char for char in RAW if char in text]


@pytest.mark.parametrize(
    "args",
    [
        ["recall", "quokka", "--mode", "lexical"],
        ["recall", "quokka", "--mode", "lexical", "--format", "prompt"],
        ["list"],
        ["show", ID[:8]],
        ["show", ID[:8], "--history"],
        ["forget", ID[:8], "--dry-run"],
    ],
    ids=["recall", "prompt", "list", "show", "history", "forget-dry-run"],
)
def test_plain_text_shows_control_characters_escaped(store: Path, args: list[str]) -> None:
    done = mnemo(*args)
    assert done.returncode == 0, done.stderr
    assert raw_in(done.stdout) == []
    assert raw_in(done.stderr) == []
    assert "\\x1b[31mred" in done.stdout and "\\u202eevil" in done.stdout
    if args[0] == "show" and "--history" not in args:
        assert all(shown in done.stdout for shown in SHOWN), done.stdout
        assert "tag\\x1b]0;title\\x07" in done.stdout and "src\\x1b[1m" in done.stdout
        assert "over\\x0dwritten" in done.stdout  # a CR kept whole would hide what precedes it


def test_the_table_on_a_terminal_shows_them_escaped(store: Path) -> None:
    from tests.cli.pty_session import run_with_terminal

    for args in (["list"], ["recall", "quokka", "--mode", "lexical"]):
        code, transcript = run_with_terminal(args, [])
        assert code == 0, transcript
        # Rich's own colours are escape sequences, and the pty ends lines with CR LF: look for the rest.
        assert "\x1b[31m" not in transcript and "\x1b]0;" not in transcript and "\x1b[2J" not in transcript
        assert [char for char in raw_in(transcript) if char not in ("\x1b", "\r")] == []
        assert "\\x1b[31mred" in transcript and "\\u202eevil" in transcript


@pytest.mark.parametrize(
    ("args", "pick"),
    [
        (["list", "--json"], lambda out: json.loads(out)[0]),
        (["list", "--format", "jsonl"], lambda out: json.loads(out.splitlines()[0])),
        (["recall", "quokka", "--mode", "lexical", "--json"], lambda out: json.loads(out)[0]),
        (["show", ID[:8], "--json"], lambda out: json.loads(out)),
        (["export"], lambda out: json.loads(out.splitlines()[1])),
    ],
    ids=["list-json", "list-jsonl", "recall-json", "show-json", "export"],
)
def test_json_gives_the_text_back_exactly(store: Path, args: list[str], pick) -> None:  # type: ignore[no-untyped-def]
    done = mnemo(*args)
    assert done.returncode == 0, done.stderr
    memory = pick(done.stdout)
    assert (memory["text"], memory["tags"], memory["meta"], memory["source"]) == (
        HOSTILE,
        [TAG],
        LINE["meta"],
        LINE["source"],
    )


def test_messages_on_stderr_are_escaped_too(capsys: pytest.CaptureFixture) -> None:
    from mnemo_cli.cli import output

    output.warn(f"this looks like {ID} (similarity 0.99): {HOSTILE}")
    output.error(f"unknown key: {TAG}", hint="\u202eevil")
    err = capsys.readouterr().err
    assert raw_in(err.replace("\n", "")) == []
    assert "\\x1b[31mred" in err and "tag\\x1b]0;title\\x07" in err and "hint: \\u202eevil" in err
