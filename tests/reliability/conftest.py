"""The reliability and security suite (docs/reliability.md): bounded in `make test`, long in `make stress`.

Every test here carries `@pytest.mark.reliability("row")`, the row of docs/reliability.md's table it
counts towards, and tells the `tally` fixture how many cases it tried. `scaled(bounded, stress)`
picks a case count: the bounded one in `make test`, the long one when `MNEMO_STRESS=1`. With
`MNEMO_RELIABILITY_REPORT=PATH`, the session writes per row the cases tried, the tests that failed
and the command to rerun to PATH (JSON); `scripts/render_reliability.py` turns that into the table.
Each row also records the commit it ran at. With `MNEMO_RELIABILITY_MERGE=1` (`make stress
STRESS_TESTS=...`, a rerun of some files), the rows of the files that ran replace theirs in the
report at PATH and the other rows stay as their own run left them.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

STRESS = os.environ.get("MNEMO_STRESS") == "1"

_rows: dict[str, dict[str, Any]] = {}


def scaled(bounded: int, stress: int) -> int:
    """How many cases to try: `stress` under `make stress`, else `bounded`."""
    return stress if STRESS else bounded


def _row(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("reliability")
    return str(marker.args[0]) if marker is not None else None


def _entry(row: str) -> dict[str, Any]:
    return _rows.setdefault(row, {"cases": 0, "tests": 0, "failures": 0, "files": []})


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Callable[[int], None]:
    """`tally(n)`: this test tried n more cases for its row."""
    row = _row(request.node)
    if row is None:
        raise RuntimeError(f"{request.node.nodeid} uses tally without @pytest.mark.reliability")

    def record(cases: int) -> None:
        _entry(row)["cases"] += cases

    return record


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.failed and report.when == "setup"):
        return
    row = _ROW_OF.get(report.nodeid)
    if row is None:
        return
    entry = _entry(row)
    entry["tests"] += 1
    entry["failures"] += int(report.failed)
    path = report.nodeid.split("::")[0]
    if path not in entry["files"]:
        entry["files"].append(path)


_ROW_OF: dict[str, str] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        row = _row(item)
        if row is not None:
            _ROW_OF[item.nodeid] = row


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("MNEMO_RELIABILITY_REPORT")
    if not target or not _rows:
        return
    mode = "stress" if STRESS else "bounded"
    commit = _commit()
    rows = {name: {**row, "mode": mode, "commit": commit} for name, row in _rows.items()}
    path = Path(target)
    if os.environ.get("MNEMO_RELIABILITY_MERGE") == "1" and path.exists():
        rows = {**_rows_not_rerun(json.loads(path.read_text(encoding="utf-8")), rows), **rows}
    document = {"rows": dict(sorted(rows.items()))}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _rows_not_rerun(old: dict[str, Any], new: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The earlier report's rows whose test files did not run this time (a row of a file that ran
    is replaced, or gone if that file no longer has it)."""
    ran = {file for row in new.values() for file in row["files"]}
    kept = {}
    for name, row in old.get("rows", {}).items():
        if not set(row["files"]) & ran:
            kept[name] = {"mode": old.get("mode"), **row}
    return kept


def _commit() -> str:
    """The short commit the suite ran at, with `+changes` when the work tree differed from it."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True)
    except OSError:
        return "unknown"
    if head.returncode != 0:
        return "unknown"
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
