"""`mnemo import` through real processes: simple lines, mnemo's own exports, repeats, bad input, round trips."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import from_template, new_store
from tests.conftest import mnemo
from tests.helpers import digest_tree

pytestmark = pytest.mark.slow

PW = "import test passphrase"
ONE = "0a0a0a0a111111111111111111111111"
TWO = "0b0b0b0b222222222222222222222222"
THREE = "0c0c0c0c333333333333333333333333"
MISSING = "0d0d0d0d444444444444444444444444"
SEED = [
    {"type": "memory", "id": ONE, "text": "seeded one", "created_at": "2025-01-01T00:00:00Z", "tags": ["seed"]},
    {"type": "memory", "id": TWO, "text": "seeded two", "created_at": "2025-01-02T00:00:00Z", "meta": {"n": 2}},
    {"type": "memory", "id": THREE, "text": "seeded three", "created_at": "2025-01-03T00:00:00Z", "source": "s"},
    {"type": "link", "src": ONE, "dst": TWO, "rel": "caused", "created_at": "2025-01-04T00:00:00Z"},
]


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new, empty store."""
    return new_store(PW, monkeypatch)


@pytest.fixture
def seeded(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store holding SEED (made with `init` and `import` once per module, copied for each test)."""

    def build(env: dict[str, str]) -> None:
        done = mnemo("import", "-", env=env, input=jsonl(SEED))
        assert done.stdout == "imported 3 memories (0 already present), 1 links\n", done.stderr

    return from_template(template, PW, monkeypatch, build)


def jsonl(entries: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries)


def mnemo_ok(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> str:
    done = mnemo(*args, input=input, env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def listed(env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    memories: list[dict[str, Any]] = json.loads(mnemo_ok("list", "--json", env=env))
    return memories


def test_simple_lines_from_a_file(store: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.jsonl"
    notes.write_text(
        '{"text": "only text is required"}\n'
        "\n"
        '{"text": "Dana — fully described", "tags": ["people", "work"], "meta": {"k": "v", "n": [1, 2]}, '
        '"created_at": "2025-03-14T10:00:00+01:00", "source": "notes"}\r\n'
        '{"text": "a date only", "created_at": "2024-02-29", "tags": []}\n',
        encoding="utf-8",
    )
    done = mnemo("import", str(notes))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "imported 3 memories (0 already present), 0 links\n"
    assert done.stderr == ""
    memories = {m["text"]: m for m in listed()}
    assert set(memories) == {"only text is required", "Dana — fully described", "a date only"}
    full = memories["Dana — fully described"]
    assert (full["tags"], full["meta"], full["created_at"], full["source"]) == (
        ["people", "work"],
        {"k": "v", "n": [1, 2]},
        "2025-03-14T09:00:00Z",
        "notes",
    )
    assert memories["a date only"]["created_at"] == "2024-02-29T00:00:00Z"
    bare = memories["only text is required"]
    assert (bare["tags"], bare["meta"], bare["source"]) == ([], {}, None)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", bare["created_at"])  # now
    assert all(re.fullmatch(r"[0-9a-f]{32}", m["id"]) for m in memories.values())


def test_stdin_with_json_counts(seeded: Path) -> None:
    lines = jsonl(
        [
            {"text": "from stdin"},
            {"type": "memory", "id": ONE, "text": "seeded one", "created_at": "2025-01-01T00:00:00Z"},
            {"type": "link", "src": THREE, "dst": ONE, "rel": "see-also", "created_at": "2025-02-01T00:00:00Z"},
        ]
    )
    out = mnemo_ok("import", "-", "--json", input=lines)
    assert json.loads(out) == {"schema_version": 1, "added": 1, "skipped": 1, "links": 1}
    assert list(json.loads(out)) == ["schema_version", "added", "skipped", "links"]
    assert "from stdin" in [m["text"] for m in listed()]
    shown = json.loads(mnemo_ok("show", THREE, "--json"))
    assert shown["links"]["out"] == [{"id": ONE, "rel": "see-also", "created_at": "2025-02-01T00:00:00Z"}]


def test_importing_an_export_again_adds_and_writes_nothing(seeded: Path, tmp_path: Path) -> None:
    for fmt in ("jsonl", "json"):
        path = tmp_path / f"export.{fmt}"
        mnemo_ok("export", "-o", str(path), "-f", fmt)
    before = digest_tree(seeded)
    assert mnemo_ok("import", str(tmp_path / "export.jsonl")) == "imported 0 memories (3 already present), 0 links\n"
    out = mnemo_ok("import", str(tmp_path / "export.json"), "--json")
    assert json.loads(out) == {"schema_version": 1, "added": 0, "skipped": 3, "links": 0}
    assert digest_tree(seeded) == before


def test_lossless_round_trip(store: Path, tmp_path: Path) -> None:
    first = mnemo_ok(
        "remember",
        "Dana prefers email — never phone calls",
        "--tag",
        "people",
        "-t",
        "work",
        "--meta",
        "project=quill",
        "--meta-json",
        '{"score": 0.25, "nested": {"list": [1, null, true], "ü": "ñ"}}',
        "--created-at",
        "2025-03-14T10:00:00.123456+01:00",
        "--source",
        "slack #general",
    ).strip()
    second = mnemo_ok("remember", "-", "--created-at", "2024-02-29", input="multi\n  line\ttext\n\n").strip()
    third = mnemo_ok("remember", "Budget review moved to Thursday", "--tag", "work").strip()
    mnemo_ok("link", first, second, "--rel", "caused")
    mnemo_ok("link", third, first)
    mnemo_ok("link", third, first, "--rel", "follow-up")  # retyped
    mnemo_ok("link", second, third, "--rel", "gone")
    mnemo_ok("unlink", second, third)
    exports = {fmt: mnemo_ok("export", "--format", fmt) for fmt in ("jsonl", "json")}
    assert len(exports["jsonl"].splitlines()) == 1 + 3 + 2
    (tmp_path / "export.jsonl").write_text(exports["jsonl"], encoding="utf-8")

    for fmt, name in [("jsonl", "second"), ("json", "third")]:
        env = {"MNEMO_HOME": str(tmp_path / name)}
        mnemo_ok("init", env=env)
        if fmt == "jsonl":
            counts = mnemo_ok("import", str(tmp_path / "export.jsonl"), env=env)
        else:
            counts = mnemo_ok("import", "-", env=env, input=exports["json"])
        assert counts == "imported 3 memories (0 already present), 2 links\n"
        for again in ("jsonl", "json"):
            assert mnemo_ok("export", "--format", again, env=env) == exports[again]  # byte-identical


BAD_LINES = [
    ('{"text": "trailing comma",}', "not JSON (Expecting property name enclosed in double quotes)"),
    ('{"text": ""}', "the text is empty"),
    ('{"text": 42}', "the text must be a string, not a number"),
    ('{"text": null}', "the text must be a string, not null"),
    ('{"text": ["a"]}', "the text must be a string, not a list"),
    ('{"text": {"a": "b"}}', "the text must be a string, not an object"),
    ('{"text": true}', "the text must be a string, not a boolean"),
    ('{"text": "x", "tags": null}', "'tags' must be a list of strings"),
    ('{"text": "x", "meta": "k=v"}', "metadata must be a JSON object"),
    ('{"text": "x", "meta": 3}', "metadata must be a JSON object"),
    ('{"text": "x", "created_at": ["2025-01-01T00:00:00Z"]}', "'created_at' must be an RFC 3339 string"),
    ('{"text": "x", "source": ["s"]}', "'source' must be a string"),
    ('{"tags": ["no", "text"]}', "'text' is missing"),
    (
        '{"text": "x", "created_at": "last tuesday"}',
        "bad created_at 'last tuesday': expected RFC 3339, e.g. 2026-03-04T10:00:00Z",
    ),
    ('{"text": "x", "created_at": 1700000000}', "'created_at' must be an RFC 3339 string"),
    ('{"text": "x", "colour": "red"}', "unknown key: colour"),
    ('{"text": "x", "tags": "work"}', "'tags' must be a list of strings"),
    ('{"text": "x", "tags": ["ok", 3]}', "a tag must be non-empty text, not 3"),
    ('{"text": "x", "meta": ["a"]}', "metadata must be a JSON object"),
    ('{"text": "x", "source": 7}', "'source' must be a string"),
    ('["text", "x"]', "expected a JSON object"),
    ('{"type": "note", "text": "x"}', "unknown entry type 'note'"),
    (
        '{"type": "memory", "id": "0A0A", "text": "x"}',
        "not a memory id: '0A0A' (expected 32 lowercase hex digits)",
    ),
    ('{"type": "mnemo-export", "version": 2}', "export version 2 (this mnemo reads 1)"),
]


@pytest.mark.parametrize(
    ("bad", "message"),
    BAD_LINES,
    ids=[
        "not-json",
        "empty-text",
        "text-number",
        "text-null",
        "text-list",
        "text-object",
        "text-boolean",
        "tags-null",
        "meta-text",
        "meta-number",
        "created-at-list",
        "source-list",
        "no-text",
        "bad-created-at",
        "created-at-not-text",
        "unknown-key",
        "tags-not-a-list",
        "tag-not-text",
        "meta-not-object",
        "source-not-text",
        "not-an-object",
        "unknown-type",
        "bad-id",
        "export-version",
    ],
)
def test_a_bad_line_fails_the_whole_import(seeded: Path, tmp_path: Path, bad: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "good line before"}\n\n' + bad + '\n{"text": "good line after"}\n', encoding="utf-8")
    before = digest_tree(seeded)
    done = mnemo("import", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"mnemo: error: {path}:3: {message}\n"  # line numbers count blank lines
    assert [m["id"] for m in listed()] == [THREE, TWO, ONE]  # not even the good lines
    assert digest_tree(seeded) == before


def test_bad_line_on_stdin_and_in_a_json_export(seeded: Path) -> None:
    before = digest_tree(seeded)
    done = mnemo("import", "-", input='{"text": "fine"}\n{"text": 5}\n')
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "mnemo: error: stdin:2: the text must be a string, not a number\n",
    )
    document = {
        "type": "mnemo-export",
        "version": 1,
        "memories": [
            {"id": MISSING, "text": "fine", "created_at": "2025-01-01T00:00:00Z", "tags": [], "meta": {}},
            {"id": "0e" * 16, "text": "", "created_at": "2025-01-01T00:00:00Z", "tags": [], "meta": {}},
        ],
        "links": [],
    }
    done = mnemo("import", "-", input=json.dumps(document, indent=2))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "mnemo: error: stdin: memory 2: the text is empty\n"
    assert digest_tree(seeded) == before


def test_a_link_to_a_memory_nowhere_exit_7(seeded: Path, tmp_path: Path) -> None:
    path = tmp_path / "links.jsonl"
    path.write_text(
        jsonl(
            [
                {"type": "memory", "id": MISSING[:-1] + "5", "text": "new", "created_at": "2025-05-01T00:00:00Z"},
                {"type": "link", "src": ONE, "dst": MISSING, "rel": "r", "created_at": "2025-05-01T00:00:00Z"},
            ]
        ),
        encoding="utf-8",
    )
    before = digest_tree(seeded)
    done = mnemo("import", str(path))
    assert done.returncode == 7
    assert done.stdout == ""
    assert done.stderr == f"mnemo: error: {path}:2: link end {MISSING} is neither in the file nor in the store\n"
    assert digest_tree(seeded) == before


def test_a_link_to_a_memory_nowhere_in_a_json_export(seeded: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    link = {"src": ONE, "dst": MISSING, "rel": "r", "created_at": "2025-05-01T00:00:00Z"}
    path.write_text(
        json.dumps({"type": "mnemo-export", "version": 1, "memories": [], "links": [link]}, indent=2),
        encoding="utf-8",
    )
    before = digest_tree(seeded)
    done = mnemo("import", str(path))
    assert done.returncode == 7
    assert done.stderr == f"mnemo: error: {path}: link 1: link end {MISSING} is neither in the file nor in the store\n"
    assert digest_tree(seeded) == before


def test_a_self_link_line_names_its_line(seeded: Path, tmp_path: Path) -> None:
    path = tmp_path / "self.jsonl"
    path.write_text(
        jsonl([{"type": "link", "src": ONE, "dst": ONE, "rel": "r", "created_at": "2025-05-01T00:00:00Z"}]),
        encoding="utf-8",
    )
    before = digest_tree(seeded)
    done = mnemo("import", str(path))
    assert done.returncode == 2
    assert done.stderr == f"mnemo: error: {path}:1: a memory cannot link to itself\n"
    assert digest_tree(seeded) == before


def test_a_blank_relation_is_a_bad_line(seeded: Path, tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text(
        jsonl([{"type": "link", "src": ONE, "dst": THREE, "rel": "  ", "created_at": "2025-05-01T00:00:00Z"}]),
        encoding="utf-8",
    )
    before = digest_tree(seeded)
    done = mnemo("import", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"mnemo: error: {path}:1: ")
    assert len(done.stderr.splitlines()) == 1
    assert digest_tree(seeded) == before


@pytest.mark.parametrize("kind", ["missing", "folder", "not-utf8"])
def test_unreadable_file_exit_2(seeded: Path, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "input.jsonl"
    if kind == "folder":
        path.mkdir()
    elif kind == "not-utf8":
        path.write_bytes(b'{"text": "caf\xe9"}\n')
    expected = {
        "missing": f"mnemo: error: cannot read {path}: No such file or directory\n",
        "folder": f"mnemo: error: cannot read {path}: Is a directory\n",
        "not-utf8": f"mnemo: error: {path} is not UTF-8 text\n",
    }[kind]
    before = digest_tree(seeded)
    done = mnemo("import", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == expected
    assert digest_tree(seeded) == before


def test_wrong_passphrase_exit_3(seeded: Path) -> None:
    before = digest_tree(seeded)
    done = mnemo("import", "-", input='{"text": "x"}\n', env={"MNEMO_PASSPHRASE": "wrong"})
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr == "mnemo: error: wrong passphrase (from MNEMO_PASSPHRASE): no key slot opens with it\n"
    assert digest_tree(seeded) == before
