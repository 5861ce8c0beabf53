"""mnemo_cli/timings.py: silent and free when off; one line of valid JSON with every phase when on."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from types import ModuleType

import pytest

from mnemo_cli import timings


@pytest.fixture
def module(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The module re-read with MNEMO_TIMINGS as each test sets it, restored (off) afterwards."""
    yield timings
    monkeypatch.delenv(timings.ENV, raising=False)
    importlib.reload(timings)


def load(monkeypatch: pytest.MonkeyPatch, value: str | None) -> ModuleType:
    if value is None:
        monkeypatch.delenv(timings.ENV, raising=False)
    else:
        monkeypatch.setenv(timings.ENV, value)
    return importlib.reload(timings)


def report_lines(capsys: pytest.CaptureFixture[str], t: ModuleType) -> list[str]:
    t.report()
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err.splitlines()


def test_off_records_and_prints_nothing(
    module: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    t = load(monkeypatch, None)
    t.main_started()
    with t.phase("unlock"):
        time.sleep(0.001)
    t.begin("render")
    t.add("model", 1.0)
    assert t.phase("open") is t.phase("search")  # one shared do-nothing object: no allocation
    assert report_lines(capsys, t) == []
    assert "unlock" not in t.snapshot()


def test_off_reads_no_clock_and_stores_nothing(module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    # What makes a phase cheap when off (a timing here would be a flaky unit test: `make bench` times).
    t = load(monkeypatch, None)

    def no_clock() -> float:
        raise AssertionError("a phase read the clock with MNEMO_TIMINGS unset")

    with monkeypatch.context() as patched:
        patched.setattr(t.time, "perf_counter", no_clock)
        for _ in range(3):
            with t.phase("search"):
                pass
    assert "search" not in t.snapshot()


def test_on_reports_one_json_line_with_exclusive_phases(
    module: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    t = load(monkeypatch, "1")
    t.main_started()
    started = time.perf_counter()
    with t.phase("search"):
        time.sleep(0.02)
        with t.phase("model"):
            time.sleep(0.05)
    with t.phase("search"):  # a name seen twice adds up
        time.sleep(0.02)
    both = (time.perf_counter() - started) * 1000
    t.begin("render")
    time.sleep(0.01)
    lines = report_lines(capsys, t)
    assert len(lines) == 1 and lines[0].startswith("mnemo: timings: {")
    result = json.loads(lines[0].removeprefix("mnemo: timings: "))
    assert list(result)[:3] == ["model", "search", "render"]  # in the order phases ended
    assert result["model"] >= 50 and result["search"] >= 40 and result["render"] >= 10  # render: ended by the report
    assert abs(result["model"] + result["search"] - both) < 1  # the nested model phase is not counted twice
    assert result["main"] >= result["model"] + result["search"] + result["render"] - 0.05  # each rounded to 0.1 ms
    assert result["import"] >= 0
    assert result["process"] >= result["main"]


def test_a_background_thread_keeps_its_own_nesting(module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    t = load(monkeypatch, "1")

    def background() -> None:
        with t.phase("model"):
            time.sleep(0.05)

    with t.phase("unlock"):
        worker = threading.Thread(target=background)
        worker.start()
        time.sleep(0.01)
        worker.join()
    result = t.snapshot()
    assert result["bg:model"] >= 50 and "model" not in result  # named for the thread it ran in
    assert result["unlock"] >= 50  # waited for the thread; its phase is not subtracted from this one


def test_process_time_counts_from_the_process_start() -> None:
    probe = "from mnemo_cli import timings; import time; time.sleep(0.2); print(timings.snapshot()['process'])"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    wall = (time.perf_counter() - started) * 1000
    assert done.returncode == 0, done.stderr
    process = float(done.stdout)
    assert 200 <= process <= wall + 10  # one clock tick (10 ms) of resolution
