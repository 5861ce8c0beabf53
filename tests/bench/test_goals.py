"""The goals table of issue 17 (bench/goals.py): each row's figure against its same-run baseline,
met only when every goal of the row is, flagged when the quantity its goal is about went the wrong
way against the start beyond the tolerance, and left unmeasured rather than guessed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import goals
from bench.cold import FLOOR_CASE
from tests.conftest import REPO


def results(
    *,
    hybrid_10k: tuple[float, float] = (0.019, 0.0055),
    cold_memories: int = 10_000,
    cold_venv: float = 600.0,
    floor: bool = True,
    open_100k: float = 0.672,
) -> goals.Results:
    """The least of every results file the goals read, with figures like the committed ones."""

    def size(memories: int, hybrid: tuple[float, float]) -> dict:
        recall = {"hybrid_with_embedding": {"p95": hybrid[0]}, "query_embedding": {"p95": hybrid[1]}}
        return {"memories": memories, "recall": recall, "disk": {"per_memory": 3271.0, "raw_per_memory": 1675.0}}

    cases = {
        "venv: recall, keyfile": {"ms": {"wall": {"median": cold_venv}, "peak_rss": {"median": 339.0}}},
        "binary: recall, keyfile": {"ms": {"wall": {"median": 900.0}, "peak_rss": {"median": 310.0}}},
    }
    if floor:
        cases[FLOOR_CASE] = {"ms": {"wall": {"median": 300.0}, "peak_rss": {"median": 267.0}}}
    return {
        "scale": {
            "sizes": [size(10_000, hybrid_10k), size(100_000, (0.121, 0.0061))],
            "open": [
                {
                    "memories": 100_000,
                    "tails": [{"tail": 0, "state": {"median": open_100k}}],
                    "replay_all": {"median": 7.15},
                }
            ],
        },
        "cold": {"memories": cold_memories, "cases": cases},
        "startup": {
            "binary_bytes": 220_546_976,
            "carried_bytes": 94_846_684,
            "processes": {"binary: mnemo --version": {"median": 0.36}, "venv: mnemo --version": {"median": 0.08}},
        },
        "serve": {"memories": 10_000, "servers": {"venv": {"recall": {"p95": 0.030}}}, "in_process": {"p95": 0.027}},
    }


def lines_by_key(found: goals.Results, start: dict | None = None) -> dict[str, goals.Line]:
    return {line.row.key: line for line in goals.evaluate(found, start or {})}


def test_every_row_has_its_figure_and_same_run_baseline() -> None:
    lines = lines_by_key(results())
    assert list(lines) == [row.key for row in goals.ROWS] and len(lines) == 10
    assert all(line.now is not None for line in lines.values())
    cold = lines["cold_venv"].now
    assert cold is not None and cold.figure == pytest.approx(0.6) and cold.ratio == pytest.approx(2.0)
    assert lines["peak_memory"].now.ratio == pytest.approx(339 / 267)  # type: ignore[union-attr]
    assert lines["binary_version"].now.ratio == pytest.approx(4.5)  # type: ignore[union-attr]
    assert lines["binary_size"].now.ratio == pytest.approx(2.325, abs=1e-3)  # type: ignore[union-attr]
    assert lines["binary_size"].met is False  # the goal is on the size: ≤ 100 MB
    assert not any(line.met for line in lines.values())  # today's figures meet no goal


@pytest.mark.parametrize(
    ("hybrid", "met"),
    [((0.0050, 0.0030), True), ((0.0050, 0.0020), False), ((0.0070, 0.0040), False), ((0.0060, 0.0030), True)],
)
def test_a_row_is_met_only_when_every_goal_is(hybrid: tuple[float, float], met: bool) -> None:
    assert lines_by_key(results(hybrid_10k=hybrid))["hybrid_10k"].met is met  # ≤ 6 ms and ≤ 2.2×


def test_wrong_way_on_the_goals_quantity_beyond_the_tolerance() -> None:
    start = {"cold_venv": {"figure": 0.5, "ratio": 1.8}, "open_100k": {"figure": 672.0, "ratio": 0.01}}
    # Ratio goal: 1.95× is within 10% of 1.8×, 2.0× is not; the figure (0.6 s > 0.5 s) is not the goal.
    assert lines_by_key(results(cold_venv=585.0), start)["cold_venv"].wrong_way == ()
    assert lines_by_key(results(cold_venv=600.0), start)["cold_venv"].wrong_way == ("ratio",)
    # Figure goal: its ratio to the replay (0.09× > 0.01×) is not the goal.
    assert lines_by_key(results(open_100k=0.700), start)["open_100k"].wrong_way == ()
    line = lines_by_key(results(open_100k=0.800), start)["open_100k"]
    assert line.wrong_way == ("figure",) and line.compared
    # Warm recall: by its ratio to the embedding alone (a yardstick of the machine), not in ms.
    hybrid = {"hybrid_10k": {"figure": 10.0, "ratio": 2.0}, "hybrid_100k": {"figure": 200.0, "ratio": 17.0}}
    lines = lines_by_key(results(), hybrid)
    assert lines["hybrid_10k"].wrong_way == ("ratio",) and lines["hybrid_100k"].wrong_way == ("ratio",)
    slower_machine = {"hybrid_100k": {"figure": 100.0, "ratio": 19.8}}  # 121 ms now, the same ratio
    assert lines_by_key(results(), slower_machine)["hybrid_100k"].wrong_way == ()
    # Peak memory: 3%, not 10%.
    assert lines_by_key(results(), {"peak_memory": {"ratio": 1.22}})["peak_memory"].wrong_way == ("ratio",)
    assert lines_by_key(results(), {"peak_memory": {"ratio": 1.25}})["peak_memory"].wrong_way == ()


def test_a_toy_run_or_a_missing_floor_leaves_rows_unmeasured() -> None:
    toy = lines_by_key(results(cold_memories=200))
    assert toy["cold_venv"].now is None and toy["peak_memory"].met is None
    no_floor = lines_by_key(results(floor=False), {"cold_venv": {"ratio": 1.8}})
    line = no_floor["cold_venv"]
    assert line.now is not None and line.now.ratio is None and line.met is None
    assert not line.compared and line.wrong_way == ()
    table = goals.goals_table(list(no_floor.values()))
    assert "| the floor: not in this run | – | ≤ 1.25× | – | 1.80× | – |" in table
    assert "Not measured in this run (figure or baseline missing): cold `mnemo recall`, venv" in table


def test_the_table_has_every_column_and_flags() -> None:
    start = {"serve_10k": {"figure": 20.0, "ratio": 1.0, "from_issue": ["figure"]}}
    table = goals.goals_table(goals.evaluate(results(), start))
    assert table.startswith("| goal (issue 17) | figure | baseline (same run) | ratio | goal | met | at the start")
    row = next(line for line in table.splitlines() if "`mnemo serve`" in line)
    assert row == (
        "| `mnemo serve` warm recall p95, 10k | 30.0 ms | `Store.recall` in-process, p95: 27.0 ms | 1.11× "
        "| ≤ 8 ms | **no** | 20.0 ms (issue), 1.00× | **figure** |"
    )
    assert "Goals met: 0 of 10. Went the wrong way against the start: `mnemo serve` warm recall p95, 10k." in table


def test_the_start_takes_what_the_results_lack_from_the_issue() -> None:
    start = goals.record_start(results(floor=False))["rows"]
    cold, peak, hybrid = start["cold_venv"], start["peak_memory"], start["hybrid_10k"]
    assert cold["figure"] == pytest.approx(0.6) and cold["ratio"] == 1.8 and cold["from_issue"] == ["ratio"]
    assert peak["figure"] == 339.0 and peak["from_issue"] == ["ratio"] and "baseline" not in peak
    assert hybrid["ratio"] == pytest.approx(0.019 / 0.0055) and "from_issue" not in hybrid
    assert set(start) == {row.key for row in goals.ROWS}
    without_cold = results()
    del without_cold["cold"]
    peak = goals.record_start(without_cold)["rows"]["peak_memory"]
    assert peak["from_issue"] == ["baseline", "figure", "ratio"] and peak["ratio"] == pytest.approx(339 / 267)
    assert goals.record_start(results())["rows"]["cold_venv"]["ratio"] == 2.0  # measured: nothing from the issue


def test_the_recorded_start_has_every_row() -> None:
    start = goals.load_start()
    assert set(start) == {row.key for row in goals.ROWS}
    assert all(entry.get("ratio") or entry["unit"] == "MB" for entry in start.values())


def test_the_command_prints_the_table_and_check_fails_on_a_wrong_way(tmp_path: Path) -> None:
    for name, content in results().items():
        (tmp_path / f"{name}.json").write_text(json.dumps(content), encoding="utf-8")
    start = tmp_path / "start.json"
    start.write_text(json.dumps({"rows": {"disk_10k": {"figure": 1600.0, "ratio": 1.0}}}), encoding="utf-8")
    argv = [sys.executable, "-m", "bench.goals", "--results", str(tmp_path), "--start", str(start)]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "| disk per memory at 10k | 3,271 B |" in done.stdout
    checked = subprocess.run([*argv, "--check"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 1 and checked.stdout == done.stdout
    again = subprocess.run([*argv, "--record-start"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "recorded once" in again.stderr
