"""The `mnemo serve` benchmark at toy scale: a server answers the calls it is timed on, the
baseline runs in the same run, and the result renders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.serve import serve_tables
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_toy_run_times_the_server_and_the_baseline_and_renders(tmp_path: Path) -> None:
    out = tmp_path / "serve.json"
    argv = ["--memories", "300", "--calls", "10", "--starts", "1", "--binary", str(tmp_path / "none")]
    done = subprocess.run(
        [sys.executable, "-m", "bench.serve", *argv, "--output", str(out)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert list(result["servers"]) == ["venv"]
    server = result["servers"]["venv"]
    assert server["recall"]["n"] == result["in_process"]["n"] == 10
    assert 0 < server["handshake"]["median"] < server["model_ready"]["median"]
    table = serve_tables(result)
    assert "`mnemo serve` (venv), MCP `recall` tool call" in table and "baseline: `Store.recall`" in table
    assert "Budget" not in table  # stated only for the 10k store it is about
