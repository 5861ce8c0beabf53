"""The reliability and security suite (docs/reliability.md): bounded in `make test`, long in `make stress`.

Every test here carries `@pytest.mark.reliability("row")`, the row of docs/reliability.md's table it
counts towards, and tells the `tally` fixture how many cases it tried. `scaled(bounded, stress)`
picks a case count: the bounded one in `make test`, the long one when `MNEMO_STRESS=1`. With
`MNEMO_RELIABILITY_REPORT=PATH`, the session writes per row the cases tried, the tests that failed
and the command to rerun to PATH (JSON); `scripts/render_reliability.py` turns that into the table.
"""

from __future__ import annotations

import json
import os
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
    document = {"mode": "stress" if STRESS else "bounded", "rows": dict(sorted(_rows.items()))}
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
