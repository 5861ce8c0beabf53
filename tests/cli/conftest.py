"""Fixtures for the CLI tests: a store built once per module through the CLI, copied per test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_mnemo


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
        env = {"MNEMO_HOME": str(work), "MNEMO_PASSPHRASE": passphrase}
        done = run_mnemo("init", env=env)
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
    done = run_mnemo("init", env={"MNEMO_PASSPHRASE": passphrase})
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("MNEMO_PASSPHRASE", passphrase)
    return Path(os.environ["MNEMO_HOME"])
