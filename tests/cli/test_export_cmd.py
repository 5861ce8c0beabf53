"""`mnemo export` through real processes: jsonl, json and markdown, to stdout or a file, refusals."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import from_template
from tests.conftest import mnemo
from tests.victims import FifoReader, full_device, snapshot

pytestmark = pytest.mark.slow

PW = "export test passphrase"
WARNING = "mnemo: warning: the export is unencrypted plaintext: keep it somewhere safe, or encrypt it\n"
FIRST = "e1e1e1e1000000000000000000000001"
SECOND = "e2e2e2e2000000000000000000000002"
THIRD = "e3e3e3e3000000000000000000000003"
MEMORIES: list[dict[str, Any]] = [
    {
        "id": SECOND,  # remembered first, though it happened later: exports keep the order of remembering
        "text": "Dana prefers email — not phone calls",
        "created_at": "2025-06-01T12:00:00Z",
        "tags": ["people", "work"],
        "meta": {"project": "quill", "weight": 0.5},
        "source": "slack",
    },
    {
        "id": FIRST,
        "text": "Kickoff notes\nline two",
        "created_at": "2025-01-10T09:00:00.125000Z",
        "tags": [],
        "meta": {},
        "source": None,
    },
    {
        "id": THIRD,
        "text": "Budget review moved to Thursday",
        "created_at": "2025-11-03T15:00:00Z",
        "tags": ["work"],
        "meta": {"nested": {"a": [1, None, True]}},
        "source": None,
    },
]
LINKS = [
    {"src": FIRST, "dst": SECOND, "rel": "caused", "created_at": "2025-06-02T08:00:00Z"},
    {"src": THIRD, "dst": FIRST, "rel": "see-also", "created_at": "2025-11-04T08:00:00Z"},
]


@pytest.fixture
def store(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store holding MEMORIES and LINKS (made with `init` and `import` once per module, copied for each test)."""

    def build(env: dict[str, str]) -> None:
        lines = [json.dumps({"type": "memory", **m}) for m in MEMORIES]
        lines += [json.dumps({"type": "link", **link}) for link in LINKS]
        done = mnemo("import", "-", env=env, input="\n".join(lines) + "\n")
        assert done.stdout == "imported 3 memories (0 already present), 2 links\n", done.stderr

    return from_template(template, PW, monkeypatch, build)


def jsonl_line(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True) + "\n"


EXPECTED_JSONL = (
    '{"type": "mnemo-export", "version": 1}\n'
    + "".join(jsonl_line({"type": "memory", **m}) for m in MEMORIES)
    + "".join(jsonl_line({"type": "link", **link}) for link in LINKS)
)


def export(*args: str) -> str:
    done = mnemo("export", *args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == WARNING
    return done.stdout


def test_jsonl_to_stdout(store: Path) -> None:
    out = export()
    assert out == EXPECTED_JSONL
    assert out.splitlines()[0] == '{"type": "mnemo-export", "version": 1}'
    assert out.splitlines()[1] == (
        '{"created_at": "2025-06-01T12:00:00Z", "id": "e2e2e2e2000000000000000000000002", '
        '"meta": {"project": "quill", "weight": 0.5}, "source": "slack", "tags": ["people", "work"], '
        '"text": "Dana prefers email — not phone calls", "type": "memory"}'
    )
    assert [json.loads(line)["type"] for line in out.splitlines()] == ["mnemo-export"] + ["memory"] * 3 + ["link"] * 2
    assert export("--format", "jsonl") == out


def test_json(store: Path) -> None:
    out = export("-f", "json")
    assert json.loads(out) == {"type": "mnemo-export", "version": 1, "memories": MEMORIES, "links": LINKS}
    assert out == json.dumps(json.loads(out), ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def test_markdown(store: Path) -> None:
    assert export("--format", "markdown") == (
        "# mnemo export\n\n3 memories, 2 links.\n"
        f"\n## 2025-06-01T12:00:00Z · {SECOND}\n\n"
        "Tags: people, work\n\n"
        "Source: slack\n\n"
        'Meta: `{"project": "quill", "weight": 0.5}`\n\n'
        "Dana prefers email — not phone calls\n"
        f"\n## 2025-01-10T09:00:00.125000Z · {FIRST}\n\n"
        "Kickoff notes\nline two\n"
        f"\n- caused → {SECOND}\n"
        f"\n## 2025-11-03T15:00:00Z · {THIRD}\n\n"
        "Tags: work\n\n"
        'Meta: `{"nested": {"a": [1, null, true]}}`\n\n'
        "Budget review moved to Thursday\n"
        f"\n- see-also → {FIRST}\n"
    )


def test_output_file_force_and_refusal(store: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "backup.jsonl"
    target.parent.mkdir()
    assert export("-o", str(target)) == ""
    assert target.read_text(encoding="utf-8") == EXPECTED_JSONL
    assert target.stat().st_mode & 0o777 == 0o600

    target.write_text("precious\n")
    before = target.stat()
    done = mnemo("export", "--output", str(target), "--format", "json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"mnemo: error: {target} exists; add --force to overwrite it\n"
    assert target.read_text() == "precious\n" and target.stat().st_mtime_ns == before.st_mtime_ns

    target.chmod(0o644)
    assert export("--output", str(target), "--format", "json", "--force") == ""
    assert json.loads(target.read_text(encoding="utf-8"))["memories"] == MEMORIES
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["backup.jsonl"]  # no temporary file left


def test_empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNEMO_PASSPHRASE", PW)
    assert mnemo("init").returncode == 0
    assert export() == '{"type": "mnemo-export", "version": 1}\n'
    assert json.loads(export("-f", "json")) == {"type": "mnemo-export", "version": 1, "memories": [], "links": []}


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (["--format", "csv"], {}, 2, "mnemo: error: unknown export format 'csv' (choose from: jsonl, json, markdown)"),
        (
            [],
            {"MNEMO_PASSPHRASE": "wrong"},
            3,
            "mnemo: error: wrong passphrase (from MNEMO_PASSPHRASE): no key slot opens with it",
        ),
    ],
    ids=["format", "passphrase"],
)
def test_refusals_write_no_file(
    store: Path, tmp_path: Path, args: list[str], env: dict[str, str], code: int, message: str
) -> None:
    target = tmp_path / "out.jsonl"
    for output in ([], ["-o", str(target)]):
        done = mnemo("export", *args, *output, env=env)
        assert done.returncode == code
        assert done.stdout == ""
        assert done.stderr == message + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_no_store_exit_4(tmp_path: Path) -> None:
    done = mnemo("export", env={"MNEMO_HOME": str(tmp_path / "none"), "MNEMO_PASSPHRASE": PW})
    assert done.returncode == 4
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"mnemo: error: no store at {tmp_path / 'none'}",
        "mnemo: hint: create one with `mnemo init`",
    ]


# -- what FILE is: only a regular file is ever replaced (issue 14, item 9) ---------------------------


def test_a_link_is_written_through_never_replaced(store: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.jsonl"
    target.write_text("old\n")
    link = tmp_path / "link.jsonl"
    os.symlink(target, link)
    done = mnemo("export", "-o", str(link))
    assert (done.returncode, done.stderr) == (2, f"mnemo: error: {link} exists; add --force to overwrite it\n")
    assert export("-o", str(link), "--force") == ""
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8") == EXPECTED_JSONL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.jsonl", "real.jsonl", "state", "store"]


@pytest.mark.parametrize("kind", ["dangling link", "folder", "link to a folder"])
def test_refused_targets_exit_2_and_stay(store: Path, tmp_path: Path, kind: str) -> None:
    target = tmp_path / "target"
    message = {
        "dangling link": f"{target} is a symbolic link to nothing",
        "folder": f"{target} is a folder; give the name of a file to write",
        "link to a folder": f"{target} is a folder; give the name of a file to write",
    }[kind]
    if kind == "dangling link":
        os.symlink(tmp_path / "nowhere", target)
    elif kind == "folder":
        target.mkdir()
    else:
        (tmp_path / "folder").mkdir()
        os.symlink(tmp_path / "folder", target)
    before = snapshot(tmp_path)
    for force in ([], ["--force"]):
        done = mnemo("export", "-o", str(target), *force)
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines()[0] == f"mnemo: error: {message}"
        assert done.stdout == ""
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_a_fifo_is_written_into_not_replaced(store: Path, tmp_path: Path, force: list[str]) -> None:
    reader = FifoReader(tmp_path / "pipe")
    done = mnemo("export", "-o", str(reader.path), *force, timeout=60)
    assert (done.returncode, done.stderr) == (0, WARNING)
    assert reader.result().decode() == EXPECTED_JSONL
    assert stat.S_ISFIFO(reader.path.lstat().st_mode)


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_a_full_device_is_exit_8_one_line_and_stays_a_device(store: Path, tmp_path: Path, force: list[str]) -> None:
    device = full_device(tmp_path)
    done = mnemo("export", "-o", str(device), *force)
    assert done.returncode == 8, done.stderr
    assert done.stderr == WARNING + f"mnemo: error: cannot write {device}: No space left on device\n"
    assert stat.S_ISCHR(device.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name not in ("state", "store")) == (
        [device.name] if device.parent == tmp_path else []
    )


def test_dev_null_needs_no_force(store: Path) -> None:
    assert export("-o", os.devnull) == ""
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)


def test_a_file_in_the_way_of_the_folder_is_exit_8(store: Path, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "out.jsonl"
    done = mnemo("export", "-o", str(target))
    assert done.returncode == 8  # found before the secret is asked for
    assert done.stderr == f"mnemo: error: cannot write {target}: {tmp_path / 'afile'} is not a folder\n"
