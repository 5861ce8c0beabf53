"""The cold-recall benchmark at toy scale: every case runs, every run's timings line is parsed into
the phases the table shows, and the figures derived from a run add up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import cold
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_a_run_splits_into_start_up_parsing_and_phases() -> None:
    run = {
        "wall": 1.0,
        "timings": {
            "unlock": 100.0,
            "model": 400.0,
            "bg:model": 350.0,
            "import": 50.0,
            "main": 800.0,
            "process": 900.0,
        },
    }
    figures = cold.derived(run)
    assert figures["startup"] == 100.0  # process - main
    assert figures["parsing"] == 300.0  # main - the main thread's phases (the background one overlaps)
    assert figures["exit"] == 100.0  # wall - process
    assert figures["bg:model"] == 350.0 and figures["wall"] == 1000.0


def test_the_floor_has_wall_time_and_memory_and_no_phases() -> None:
    figures = cold.derived({"wall": 0.5, "maxrss_kib": 300 * 1024, "timings": {}})
    assert figures == {"wall": 500.0, "peak_rss": 300.0}


def test_toy_run_writes_every_case_and_renders(tmp_path: Path) -> None:
    out = tmp_path / "cold.json"
    env = {k: v for k, v in os.environ.items() if k != "MNEMO_TESTONLY_WEAKEN_KDF"}
    argv = ["--memories", "20", "--runs", "1", "--binary", str(tmp_path / "none"), "--output", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.cold", *argv],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert list(result["cases"]) == [
        cold.FLOOR_CASE,
        "venv: mnemo --version",
        "venv: recall, keyfile",
        "venv: recall, passphrase",
        "venv: recall, keyfile, no preload",
        "venv: recall, agent",
    ]
    assert "agent" in result["cases"]["venv: recall, agent"]["ms"]  # answered by the agent, not cold
    assert "bg:model" in result["cases"]["venv: recall, keyfile"]["ms"]
    assert "bg:model" not in result["cases"]["venv: recall, keyfile, no preload"]["ms"]
    keyfile, passphrase = result["cases"]["venv: recall, keyfile"], result["cases"]["venv: recall, passphrase"]
    for phase in cold.PHASES:
        assert keyfile["ms"][phase]["n"] == 1, phase
    # Argon2id at the default parameters against a keyfile: the unlock split must show it.
    assert passphrase["ms"]["unlock"]["median"] > 10 * keyfile["ms"]["unlock"]["median"]
    table = cold.cold_tables(result)
    assert table == done.stdout.split("\n", 1)[1].rstrip("\n")  # printed after the build line
    assert "| unlock |" in table and "| model |" in table and "not found" in done.stderr
    assert "background thread saves" in table
    # The floor (issue 17): timed and measured like the recalls, a model's worth of memory.
    floor = result["cases"][cold.FLOOR_CASE]["ms"]
    assert set(floor) == {"wall", "peak_rss"} and floor["wall"]["n"] == 1
    assert floor["peak_rss"]["median"] > 100  # MiB: onnxruntime and the model, not the launcher's ~10
    assert keyfile["ms"]["peak_rss"]["median"] > floor["peak_rss"]["median"] / 2
    assert "| baseline: the floor (wall) |" in table and "| peak RSS × the floor (medians) |" in table
