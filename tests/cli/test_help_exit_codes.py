"""Every command's `--help` lists the exit codes it really returns, each for the reason it returns it.

A table of invocations, each meant to trigger one failure of one command, runs once (in this
process through `app.run`, the one place errors become codes; `serve` and `agent` as real
processes). Then:

- for each invocation, the `--help` of its command lists the code it returned, with words naming
  the cause (`says`) in that code's entry: a code documented for another reason is a failure;
- for each command, every code its help lists was returned by some invocation, unless
  `UNTRIGGERED` says why that one cannot be caused here;
- every command has a help with an "Exit codes:" section, and invocations in the table.

Codes every command can return are not repeated in each help: `mnemo --help` and docs/cli.md
state them once (1 internal error, 2 a command line that does not parse, 8 stdout cannot be
written, 130 interrupted).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mnemo_cli.cli import app as app_module
from tests.conftest import mnemo

pytestmark = pytest.mark.slow

PW = "help exit codes passphrase"
ONE = "abcd1111abcd1111abcd1111abcd1111"
TWO = "abcd2222abcd2222abcd2222abcd2222"  # shares the prefix abcd with ONE: ambiguous
THREE = "0c0c0c0c333333333333333333333333"
MISSING = "0d0d0d0d444444444444444444444444"
SEED = [
    {"type": "memory", "id": ONE, "text": "seeded one quokka", "created_at": "2025-01-01T00:00:00Z", "tags": ["s"]},
    {"type": "memory", "id": TWO, "text": "seeded two", "created_at": "2025-01-02T00:00:00Z"},
    {"type": "memory", "id": THREE, "text": "seeded three", "created_at": "2025-01-03T00:00:00Z"},
    {"type": "link", "src": ONE, "dst": THREE, "rel": "caused", "created_at": "2025-01-04T00:00:00Z"},
]
#: Always implied, stated once in `mnemo --help`: not required in (nor checked against) each help.
UNIVERSAL = {1, 130}


@dataclass
class Case:
    command: str  # as typed: "key add"
    args: list[str]  # after the command; "{dir}" is this case's own folder, "{home}" its store
    says: str  # words the help gives for the code this returns
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None  # given the store folder, before the run
    process: bool = False  # run as a real process (serve, agent)
    input: str = ""

    @property
    def name(self) -> str:
        return f"{self.command}: {self.says}"


def damage_header(home: Path) -> None:
    header = home / "MNEMO"
    data = bytearray(header.read_bytes())
    data[0] ^= 1
    header.write_bytes(bytes(data))


def lock_is_a_folder(home: Path) -> None:
    (home / "lock").unlink()
    (home / "lock").mkdir()


def supersede_one(home: Path) -> None:
    done = mnemo("update", THREE[:8], "--tag", "newer", env={"MNEMO_HOME": str(home), "MNEMO_PASSPHRASE": PW})
    assert done.returncode == 0, done.stderr


def keyfile_only(home: Path) -> None:
    """Replace the store with one opened by a keyfile only (no passphrase slot)."""
    shutil.rmtree(home)
    env = {"MNEMO_HOME": str(home), "MNEMO_PASSPHRASE": ""}
    done = mnemo("init", "--keyfile", str(home.parent / "only.key"), env=env)
    assert done.returncode == 0, done.stderr


def one_keyfile_slot(home: Path) -> None:
    """A store whose only key slot is a keyfile's."""
    keyfile_only(home)
    env = {"MNEMO_HOME": str(home), "MNEMO_KEYFILE": str(home.parent / "only.key")}
    slots = json.loads(mnemo("key", "list", "--json", env=env).stdout)["slots"]
    for slot in slots:
        if slot["kind"] != "keyfile":
            done = mnemo("key", "remove", str(slot["slot"]), env=env)
            assert done.returncode == 0, done.stderr


def private_runtime_dir_not_private(home: Path) -> None:
    folder = home.parent / "run" / "mnemo"
    folder.mkdir(parents=True)
    folder.chmod(0o755)


#: Commands that open (and lock) the store, so fail the same way when it is missing, locked, ...
STORE_COMMANDS = {
    "remember": ["a new memory"],
    "recall": ["quokka", "--mode", "lexical"],
    "update": [ONE[:8], "--tag", "t"],
    "link": [THREE[:8], ONE[:8]],
    "unlink": [ONE[:8], THREE[:8]],
    "show": [ONE[:8]],
    "list": [],
    "export": [],
    "import": ["{dir}/seed.jsonl"],
    "forget": [ONE[:8]],
    "prune": ["--older-than", "1d"],
    "compact": [],
    "backup": ["{dir}/backup"],
    "passwd": [],
    "rekey": ["--full", "--no-passphrase", "--no-recovery", "--keyfile", "{dir}/new.key"],
    "reindex": ["--model", "embedded"],
    "stats": [],
    "verify": [],
    "key add": ["--recovery"],
    "key remove": ["2"],
    "salvage": ["{dir}/salvaged"],
}
STORE_FAILURES = [
    ("wrong or missing secret", {"MNEMO_PASSPHRASE": "wrong"}, None),
    ("no store", {"MNEMO_HOME": "{dir}/nowhere"}, None),
    ("integrity failure", {}, damage_header),
    ("store busy", {"MNEMO_LOCK_WAIT": "0.05"}, "hold the lock"),
    ("I/O error", {}, lock_is_a_folder),
]

CASES: list[Case] = [
    *[
        Case(command, args, says, env, setup if callable(setup) else None)
        if setup != "hold the lock"
        else Case(command, args, says, {**env, "MNEMO_TEST_HOLD_LOCK": "1"})
        for command, args in STORE_COMMANDS.items()
        for says, env, setup in STORE_FAILURES
    ],
    # init
    Case("init", ["--kdf", "bogus"], "bad option", {"MNEMO_HOME": "{dir}/new"}),
    Case("init", ["--keyfile", "{dir}/seed.jsonl"], "keyfile already exists", {"MNEMO_HOME": "{dir}/new"}),
    Case("init", [], "no secret given", {"MNEMO_HOME": "{dir}/new", "MNEMO_PASSPHRASE": ""}),
    Case("init", [], "a store already exists"),
    Case("init", [], "cannot be written", {"MNEMO_HOME": "/proc/mnemo-cannot-be-here"}),
    # remember
    Case("remember", [" "], "empty text"),
    Case("remember", ["x", "--created-at", "someday"], "bad date"),
    Case("remember", ["x", "--meta-json", "[1]"], "bad metadata"),
    # recall, list
    Case("recall", ["quokka", "--mode", "fuzzy"], "bad option"),
    Case("recall", ["quokka", "--min-score", "nan"], "bad option"),
    Case("list", ["--format", "xml"], "bad option"),
    # update, link, unlink, show
    Case("update", [ONE[:8]], "nothing to change"),
    Case("update", ["abcd", "--tag", "t"], "ambiguous id"),
    Case("update", [THREE[:8], "--tag", "again"], "already superseded", setup=supersede_one),
    Case("update", [MISSING, "--tag", "t"], "no such memory"),
    Case("link", ["abcd", THREE[:8]], "ambiguous id"),
    Case("link", [THREE[:8], THREE[:8]], "A = B"),
    Case("link", [MISSING, THREE[:8]], "no such memory"),
    Case("unlink", ["abcd", THREE[:8]], "ambiguous id"),
    Case("unlink", [MISSING, THREE[:8]], "no such memory"),
    Case("unlink", [THREE[:8], ONE[:8]], "no such link"),
    Case("show", ["abcd"], "ambiguous id"),
    Case("show", [MISSING], "no such memory"),
    # export, import
    Case("export", ["--format", "xml"], "bad format"),
    Case("export", ["-o", "{dir}/seed.jsonl"], "FILE exists without --force"),
    Case("export", ["-o", "{dir}/no/such/folder/out.jsonl"], "cannot write FILE"),
    Case("import", ["{dir}/nothing-here.jsonl"], "unreadable file"),
    Case("import", ["-"], "bad line", input='{"text": 42}\n'),
    Case(
        "import",
        ["-"],
        "a link names a memory",
        input=json.dumps({"type": "link", "src": ONE, "dst": MISSING, "rel": "r", "created_at": "2025-01-01T00:00:00Z"})
        + "\n",
    ),
    # forget, prune
    Case("forget", [], "no selection"),
    Case("forget", ["--tag", "s"], "without --yes"),
    Case("forget", [MISSING], "matches no memory"),
    Case("prune", [], "neither --older-than nor --expired"),
    Case("prune", ["--older-than", "soon"], "bad age"),
    # backup
    Case("backup", ["{home}/inside"], "DEST inside the store"),
    Case("backup", ["{dir}"], "DEST holds something else"),
    Case("backup", ["/proc/mnemo-backup"], "cannot write DEST"),
    # salvage
    Case("salvage", ["{home}/inside"], "DEST inside the store"),
    Case("salvage", ["{dir}"], "DEST exists"),
    # secrets
    Case("passwd", [], "no new passphrase", {"MNEMO_NEW_PASSPHRASE": ""}),
    Case("passwd", [], "no passphrase slot", {"MNEMO_KEYFILE": "{dir}/only.key", "MNEMO_PASSPHRASE": ""}, keyfile_only),
    Case("rekey", [], "--full missing"),
    Case("rekey", ["--full"], "no new passphrase", {"MNEMO_NEW_PASSPHRASE": ""}),
    Case("rekey", ["--full", "--keyfile", "{dir}/seed.jsonl"], "keyfile exists"),
    Case("key add", [], "not exactly one kind"),
    Case("key add", ["--keyfile", "{dir}/seed.jsonl"], "keyfile exists"),
    Case("key remove", ["9"], "no such slot"),
    Case(
        "key remove",
        ["1"],
        "the last one",
        {"MNEMO_KEYFILE": "{dir}/only.key", "MNEMO_PASSPHRASE": ""},
        one_keyfile_slot,
    ),
    Case("key list", [], "no store", {"MNEMO_HOME": "{dir}/nowhere"}),
    Case("key list", [], "integrity failure", setup=damage_header),
    # models
    Case("reindex", ["--model", "{dir}/no-such-model"], "no such model folder"),
    # serve and agent: real processes (stdin, sockets, detaching)
    Case(
        "serve", [], "bad option or secret source", {"MNEMO_PASSPHRASE": "", "MNEMO_PASSPHRASE_FD": "0"}, process=True
    ),
    Case("serve", [], "wrong or missing secret", {"MNEMO_PASSPHRASE": "wrong"}, process=True),
    Case("serve", [], "wrong or missing secret", {"MNEMO_PASSPHRASE": ""}, process=True),
    Case("serve", [], "no store", {"MNEMO_HOME": "{dir}/nowhere"}, process=True),
    Case("serve", [], "integrity failure", setup=damage_header, process=True),
    Case("agent start", ["--idle-timeout", "forever"], "bad option", process=True),
    Case("agent start", [], "wrong or missing secret", {"MNEMO_PASSPHRASE": "wrong"}, process=True),
    Case("agent start", [], "no store", {"MNEMO_HOME": "{dir}/nowhere"}, process=True),
    Case("agent start", [], "integrity failure", setup=damage_header, process=True),
    Case(
        "agent start",
        [],
        "not private to you",
        {"XDG_RUNTIME_DIR": "{dir}/run"},
        private_runtime_dir_not_private,
        process=True,
    ),
    Case("agent stop", [], "no agent is running", process=True),
    Case("agent status", [], "none is", process=True),
]

#: Codes a help lists that no invocation here causes, and why.
UNTRIGGERED = {
    ("agent status", 3): "an agent whose unlock a passwd revoked: "
    "tests/cli/test_agent_cmd.py::test_after_passwd_status_and_commands_say_the_unlock_is_no_longer_valid",
    ("reindex", 1): "a model that fails to load: tests/cli/test_reindex_cmd.py",
    ("doctor", 1): "the embedded model missing: tests/cli/test_doctor_cmd.py",
    ("doctor", 5): "a model file with the wrong sha256: tests/cli/test_doctor_cmd.py",
}


def commands() -> dict[str, str]:
    """Every command (`key add`, not the group `key`) and its help text."""
    import typer

    found: dict[str, str] = {}

    def walk(command: object, path: list[str]) -> None:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(None):  # type: ignore[attr-defined]
                walk(command.get_command(None, name), [*path, name])  # type: ignore[attr-defined]
        else:
            found[" ".join(path)] = command.help or ""  # type: ignore[attr-defined]

    walk(typer.main.get_command(app_module.app), [])
    return found


def exit_codes(help_text: str) -> dict[int, str]:
    """The "Exit codes:" section of a help text: code -> what the help says it means."""
    match = re.search(r"Exit codes:(.*)", help_text, re.S)
    if match is None:
        return {}
    section = " ".join(match.group(1).split())
    return {int(code): words.strip() for code, words in re.findall(r"(?:^|;\s*)(\d+)\s+([^;]*)", section)}


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[dict[str, tuple[int, str]]]:
    """Run every case once: its name -> (exit code, stderr)."""
    base = tmp_path_factory.mktemp("exit-codes")
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("MNEMO_")]:
            patch.delenv(name)
        patch.setenv("MNEMO_CACHE_DIR", str(model_cache))
        patch.setenv("MNEMO_STATE_DIR", str(base / "state"))
        patch.setenv("MNEMO_TESTONLY_WEAKEN_KDF", "1")
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("XDG_RUNTIME_DIR", str(base / "run"))
        template = base / "template"
        env = {"MNEMO_HOME": str(template), "MNEMO_PASSPHRASE": PW}
        assert mnemo("init", env=env).returncode == 0
        seed = "".join(json.dumps(line) + "\n" for line in SEED)
        done = mnemo("import", "-", env=env, input=seed)
        assert done.returncode == 0, done.stderr
        results = {}
        for number, case in enumerate(CASES):
            folder = base / f"case{number}"
            folder.mkdir()
            (folder / "seed.jsonl").write_text(seed)
            home = folder / "store"
            shutil.copytree(template, home)
            if case.setup is not None:
                case.setup(home)
            results[case.name + f" #{number}"] = _run(case, folder, home)
        yield results


def _run(case: Case, folder: Path, home: Path) -> tuple[int, str]:
    def fill(text: str) -> str:
        return text.replace("{dir}", str(folder)).replace("{home}", str(home))

    args = [*case.command.split(), *map(fill, case.args)]
    env = {
        "MNEMO_HOME": str(home),
        "MNEMO_STATE_DIR": str(folder / "state"),  # each case's copy is new to this user: no rollback warning
        "MNEMO_PASSPHRASE": PW,
        "MNEMO_NEW_PASSPHRASE": "a new passphrase",
        **{k: fill(v) for k, v in case.env.items()},
    }
    env = {k: v for k, v in env.items() if v != "" and k != "MNEMO_TEST_HOLD_LOCK"}
    holder = None
    if "MNEMO_TEST_HOLD_LOCK" in case.env:
        holder = os.open(home / "lock", os.O_RDWR)
        fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        if case.process:
            clean = {k: v for k, v in os.environ.items() if not k.startswith("MNEMO_PASS")}
            done = mnemo(*args, env={**clean, **env}, input=case.input)  # input: stdin closes (serve)
            return done.returncode, done.stderr
        with pytest.MonkeyPatch.context() as patch:
            for name in ("MNEMO_PASSPHRASE", "MNEMO_NEW_PASSPHRASE", "MNEMO_KEYFILE"):
                patch.delenv(name, raising=False)
            for name, value in env.items():
                patch.setenv(name, value)
            patch.setattr("sys.stdin", io.StringIO(case.input))
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = app_module.run(args)
            return code, err.getvalue()
    finally:
        if holder is not None:
            os.close(holder)


def case_ids() -> list[str]:
    return [case.name + f" #{number}" for number, case in enumerate(CASES)]


@pytest.mark.parametrize("key", case_ids())
def test_the_help_gives_the_reason_under_the_code_returned(key: str, observed: dict[str, tuple[int, str]]) -> None:
    case = CASES[int(key.rsplit("#", 1)[1])]
    code, err = observed[key]
    documented = exit_codes(commands()[case.command])
    assert code != 0 and code not in UNIVERSAL, f"mnemo {case.command} {case.args}: exit {code}\n{err}"
    assert code in documented, f"mnemo {case.command} exits {code} ({err.strip()}); its help: {documented}"
    assert case.says in documented[code], (
        f"mnemo {case.command} exits {code} for '{case.says}' ({err.strip()}), its help: {code} {documented[code]}"
    )


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_code_a_help_lists_is_returned(command: str, observed: dict[str, tuple[int, str]]) -> None:
    documented = exit_codes(commands()[command])
    assert documented, f"mnemo {command} --help has no 'Exit codes:' section"
    assert 0 in documented
    returned = {observed[key][0] for key, case in zip(case_ids(), CASES, strict=True) if case.command == command}
    listed = set(documented) - {0} - UNIVERSAL
    assert returned or all((command, code) in UNTRIGGERED for code in listed), f"no invocation of mnemo {command}"
    unexplained = {code for code in listed - returned if (command, code) not in UNTRIGGERED}
    assert unexplained == set(), f"mnemo {command} --help lists {sorted(unexplained)}, never returned here"


def test_the_codes_every_command_can_return_are_stated_once() -> None:
    said = " ".join(mnemo("--help").stdout.split())
    assert "Exit codes: every command can exit 0 success; 1 internal error;" in said, said
    assert "130 interrupted" in said and "--help lists its others" in said, said
