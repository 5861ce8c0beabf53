"""Fixtures for the CLI tests: a store built once per module through the CLI, copied per test."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import mnemo


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where a module's seeded store is built, once; every test then works on its own copy."""
    return tmp_path_factory.mktemp("template") / "store"


def from_template(
    template: Path,
    passphrase: str,
    monkeypatch: pytest.MonkeyPatch,
    build: Callable[[dict[str, str]], None] | None = None,
) -> Path:
    """A store at this test's MNEMO_HOME, copied from `template`, which the first caller makes with
    `mnemo init` and then `build(env)` (its own CLI calls, env naming the store and passphrase)."""
    if not template.exists():
        work = template.with_name("work")  # renamed into place once complete
        shutil.rmtree(work, ignore_errors=True)
        # Its rollback record goes beside it, not into the state folder of the test that built it.
        state = str(template.with_name("state"))
        env = {"MNEMO_HOME": str(work), "MNEMO_PASSPHRASE": passphrase, "MNEMO_STATE_DIR": state}
        done = mnemo("init", env=env)
        assert done.returncode == 0, done.stderr
        if build is not None:
            build(env)
        work.rename(template)
    home = Path(os.environ["MNEMO_HOME"])
    shutil.copytree(template, home)
    monkeypatch.setenv("MNEMO_PASSPHRASE", passphrase)
    return home


def new_store(passphrase: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new, empty store at this test's MNEMO_HOME, with its passphrase set for later calls."""
    done = mnemo("init", env={"MNEMO_PASSPHRASE": passphrase})
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("MNEMO_PASSPHRASE", passphrase)
    return Path(os.environ["MNEMO_HOME"])


#: Sample memories and a link as `mnemo import` lines (export format), shared by the CLI and
#: server tests that need a small known store: each imports the ones it needs.
PHYSICIAN = "1111aaaa1111aaaa1111aaaa1111aaaa"
DANA = "2222bbbb2222bbbb2222bbbb2222bbbb"
QUOKKA = "3333cccc3333cccc3333cccc3333cccc"
PHYSICIAN_LINE = {
    "type": "memory",
    "id": PHYSICIAN,
    "text": "Physician confirmed blood pressure was normal",
    "created_at": "2025-01-10T09:00:00Z",
    "tags": ["medical"],
    "meta": {},
    "source": None,
}
DANA_LINE = {
    "type": "memory",
    "id": DANA,
    "text": "Dana prefers email over phone calls",
    "created_at": "2025-06-01T12:00:00Z",
    "tags": ["people", "work"],
    "meta": {"project": "quill"},
    "source": None,
}
QUOKKA_LINE = {
    "type": "memory",
    "id": QUOKKA,
    "text": "The quokka at the Perth zoo was adorable",
    "created_at": "2025-09-20T08:30:00Z",
    "tags": ["travel"],
    "meta": {},
    "source": "postcard",
}
LINK_LINE = {"type": "link", "src": QUOKKA, "dst": DANA, "rel": "caused", "created_at": "2025-09-21T00:00:00Z"}


def import_text(lines: list[dict]) -> str:
    """`lines` as `mnemo import -` reads them."""
    return "".join(json.dumps(line) + "\n" for line in lines)


def imported(template: Path, passphrase: str, monkeypatch: pytest.MonkeyPatch, lines: list[dict]) -> Path:
    """`from_template` whose template holds `lines`, imported with `mnemo import -`."""

    def build(env: dict[str, str]) -> None:
        done = mnemo("import", "-", env=env, input=import_text(lines))
        assert done.returncode == 0, done.stderr

    return from_template(template, passphrase, monkeypatch, build)
