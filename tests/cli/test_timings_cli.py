"""`MNEMO_TIMINGS=1 mnemo recall`: one timings line on stderr, stdout untouched; nothing when unset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import from_template
from tests.conftest import mnemo

pytestmark = pytest.mark.slow

PW = "timings test passphrase"
PREFIX = "mnemo: timings: "


@pytest.fixture
def store(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    def build(env: dict[str, str]) -> None:
        for text in ("Dana prefers email over phone calls", "The quokka at the Perth zoo was adorable"):
            done = mnemo("remember", text, env=env)
            assert done.returncode == 0, done.stderr

    return from_template(template, PW, monkeypatch, build)


def test_recall_reports_every_phase_on_stderr_only(store: Path) -> None:
    done = mnemo("recall", "how do I reach Dana?", "--json", env={"MNEMO_TIMINGS": "1"})
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)  # stdout is still exactly the data
    assert hits[0]["text"] == "Dana prefers email over phone calls"
    lines = [line for line in done.stderr.splitlines() if line.startswith(PREFIX)]
    assert len(lines) == 1 and done.stderr == lines[0] + "\n"
    result = json.loads(lines[0].removeprefix(PREFIX))
    for name in ("imports", "unlock", "open", "embed", "vectors", "search", "render", "bg:runtime", "bg:model"):
        assert result[name] >= 0, name
    assert result["bg:model"] > 0  # loaded in the background (`model`, if there, is the wait for it)
    assert result["process"] >= result["main"] > result.get("model", 0)
    assert result["import"] > 0


def test_nothing_is_reported_without_the_variable(store: Path) -> None:
    done = mnemo("recall", "how do I reach Dana?", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_a_failing_command_still_reports(tmp_path: Path) -> None:
    done = mnemo("recall", "anything", env={"MNEMO_TIMINGS": "1", "MNEMO_HOME": str(tmp_path / "none")})
    assert done.returncode == 4
    assert done.stderr.splitlines()[0].startswith("mnemo: error: no store")
    assert done.stderr.splitlines()[-1].startswith(PREFIX)
