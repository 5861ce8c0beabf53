"""The speed goals of issue 17 ("Speed v2"): one row per goal, built from bench/results/*.json.

Every row shows its figure, the baseline measured in the same run (same file, same process or
round-robin), their ratio, the goal, whether it is met, and the figure at the start of issue 17
with a flag when the figure went the wrong way against it. This module measures nothing: the
benchmark that owns a figure writes it (scale.py: warm recall, disk per memory, open at 100k;
cold.py: cold recall and its peak memory against the floor; startup.py: the binary, and what any
binary must carry, the baseline of its size; serve.py: `mnemo serve`). `make bench` prints the
table (`python -m bench.goals --check`, which fails when a figure went the wrong way) and
bench/render.py writes it into docs/performance.md.

The start, bench/results/speed-v2-start.json, holds the figures of the code issue 17 started from.
It was made by `python -m bench.goals --record-start` from the bench/results/*.json committed at
8985b73 (main when the work on issue 17 began; those files were measured with that code, at
4234c74 and 51f9d58). Three ratios were not in those files, because bench/cold.py had no floor
yet: cold recall against the floor (venv and binary) and the peak memory of a cold recall. They
come from the issue's own text (`ISSUE_FIGURES`, the worse end of each range), and say so.

The start was not measured in the same run as today's figures, so the check against it is loose:
a figure goes the wrong way when the quantity its goal is about (the figure for a goal in ms, MB
or bytes; the ratio for a goal in × its baseline) is worse than at the start by more than the
row's tolerance: 10% for timings (run-to-run drift on this shared machine), 3% for peak memory,
1% for sizes. Warm recall compares its ratio to the query embedding alone even where the goal is
in ms: the embedding is a yardstick of the machine that the work on recall does not change, and an
absolute time from another run would mostly measure how busy the machine was then.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cold import FLOOR_CASE

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
START = RESULTS / "speed-v2-start.json"
#: The memories of the store a row is about; a smaller (toy) run leaves the row unmeasured.
TEN_K, HUNDRED_K = 10_000, 100_000
#: What the start's results lacked, from the text of issue 17: the worse end of each range.
ISSUE_FIGURES: dict[str, dict] = {
    "cold_venv": {"ratio": 1.8, "note": "issue 17: 0.51–0.58 s = 1.7–1.8× the floor"},
    "cold_binary": {"ratio": 3.0, "note": "issue 17: 0.87–0.96 s = 2.7–3.0× the floor"},
    "peak_memory": {"figure": 339.0, "baseline": 267.0, "note": "issue 17: 339 MB, the floor 267 MB"},
}

#: Written into the start file, so that it says where its figures come from.
ABOUT = (
    "The figures of the code issue 17 started from: bench/results/*.json as committed at 8985b73 (measured "
    "with that code at 4234c74 and 51f9d58), written by `python -m bench.goals --record-start`. The keys an "
    "entry lists in from_issue come from the issue's text (ISSUE_FIGURES in bench/goals.py): those results had no "
    "floor yet."
)

Results = dict[str, dict]


@dataclass(frozen=True)
class Measured:
    """A row's figure and its same-run baseline (None: not in this run)."""

    figure: float
    baseline: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.figure / self.baseline if self.baseline else None


@dataclass(frozen=True)
class Goal:
    """`on` ("figure" or "ratio") ≤ `limit`."""

    on: str
    limit: float


@dataclass(frozen=True)
class Row:
    """One goal of the issue: where its figure and baseline are in the results, and its limits."""

    key: str
    label: str
    unit: str
    baseline: str  # what the baseline is
    goals: tuple[Goal, ...]
    measure: Callable[[Results], Measured | None]
    tolerance: float = 0.10
    #: What is checked against the start; by default what the goals are about ("figure", "ratio").
    compare: tuple[str, ...] = ()

    def compared(self) -> tuple[str, ...]:
        return self.compare or tuple(dict.fromkeys(g.on for g in self.goals))


def _size(results: Results, memories: int) -> dict | None:
    return next((r for r in results.get("scale", {}).get("sizes", []) if r["memories"] == memories), None)


def _hybrid(memories: int) -> Callable[[Results], Measured | None]:
    def measure(results: Results) -> Measured | None:
        size = _size(results, memories)
        if size is None:
            return None
        recall = size["recall"]
        return Measured(recall["hybrid_with_embedding"]["p95"] * 1000, recall["query_embedding"]["p95"] * 1000)

    return measure


def _cold(case: str, figure: str, scale: float) -> Callable[[Results], Measured | None]:
    def measure(results: Results) -> Measured | None:
        cold = results.get("cold", {})
        cases = cold.get("cases", {})
        row = cases.get(case, {}).get("ms", {}).get(figure)
        if row is None or cold.get("memories") != TEN_K:
            return None
        floor = cases.get(FLOOR_CASE, {}).get("ms", {}).get(figure)
        return Measured(row["median"] * scale, floor["median"] * scale if floor else None)

    return measure


def _binary_size(results: Results) -> Measured | None:
    startup = results.get("startup", {})
    size, carried = startup.get("binary_bytes"), startup.get("carried_bytes")
    return Measured(size / 1e6, carried / 1e6 if carried else None) if size else None


def _version(results: Results) -> Measured | None:
    procs = results.get("startup", {}).get("processes", {})
    binary, venv = procs.get("binary: mnemo --version"), procs.get("venv: mnemo --version")
    return Measured(binary["median"] * 1000, venv["median"] * 1000) if binary and venv else None


def _disk(results: Results) -> Measured | None:
    size = _size(results, TEN_K)
    return Measured(size["disk"]["per_memory"], size["disk"]["raw_per_memory"]) if size else None


def _open(results: Results) -> Measured | None:
    for o in results.get("scale", {}).get("open", []):
        snapshot = next((t for t in o["tails"] if t["tail"] == 0), None)
        if o["memories"] == HUNDRED_K and snapshot:
            return Measured(snapshot["state"]["median"] * 1000, o["replay_all"]["median"] * 1000)
    return None


def _serve(results: Results) -> Measured | None:
    serve = results.get("serve", {})
    venv = serve.get("servers", {}).get("venv")
    if venv is None or serve.get("memories") != TEN_K:
        return None
    return Measured(venv["recall"]["p95"] * 1000, serve["in_process"]["p95"] * 1000)


ROWS = (
    Row("hybrid_10k", "warm hybrid recall p95, query embedding included, 10k", "ms",
        "the query embedding alone, p95", (Goal("figure", 6.0), Goal("ratio", 2.2)), _hybrid(TEN_K),
        compare=("ratio",)),
    Row("hybrid_100k", "warm hybrid recall p95, 100k", "ms",
        "the query embedding alone, p95", (Goal("figure", 15.0),), _hybrid(HUNDRED_K), compare=("ratio",)),
    Row("cold_venv", "cold `mnemo recall`, venv, 10k (median)", "s",
        "the floor", (Goal("ratio", 1.25),), _cold("venv: recall, keyfile", "wall", 1 / 1000)),
    Row("cold_binary", "cold `mnemo recall`, one-file binary, 10k (median)", "s",
        "the floor", (Goal("ratio", 1.5),), _cold("binary: recall, keyfile", "wall", 1 / 1000)),
    Row("binary_size", "one-file binary, size", "MB", "what it must carry: the model and onnxruntime's libraries",
        (Goal("figure", 100.0),), _binary_size, 0.01),
    Row("binary_version", "one-file binary, `mnemo --version` (median)", "ms",
        "the venv's `mnemo --version`", (Goal("ratio", 2.5),), _version),
    Row("disk_10k", "disk per memory at 10k", "B",
        "raw: text + 64 B + 384 × f32", (Goal("ratio", 1.3),), _disk, 0.01),
    Row("open_100k", "open at 100k (snapshot, no tail; median)", "ms",
        "replaying the whole log", (Goal("figure", 250.0),), _open),
    Row("peak_memory", "peak memory of a cold recall, venv, 10k (median)", "MiB",
        "the floor", (Goal("ratio", 1.15),), _cold("venv: recall, keyfile", "peak_rss", 1.0), 0.03),
    Row("serve_10k", "`mnemo serve` warm recall p95, 10k", "ms",
        "`Store.recall` in-process, p95", (Goal("figure", 8.0),), _serve),
)  # fmt: skip


@dataclass(frozen=True)
class Line:
    """One row evaluated: met is None when a quantity a goal needs is not in this run."""

    row: Row
    now: Measured | None
    start: dict | None
    met: bool | None
    wrong_way: tuple[str, ...]  # the quantities ("figure", "ratio") worse than at the start
    compared: bool  # whether any quantity a goal is about could be compared with the start


def _value(on: str, figure: float | None, ratio: float | None) -> float | None:
    return figure if on == "figure" else ratio


def evaluate(results: Results, start: dict[str, dict]) -> list[Line]:
    """Every row measured from `results`, judged against its goals and against `start` (key → figure, ratio)."""
    lines = []
    for row in ROWS:
        now, was = row.measure(results), start.get(row.key)
        met: bool | None = None
        wrong: list[str] = []
        compared = False
        if now is not None:
            values = [_value(g.on, now.figure, now.ratio) for g in row.goals]
            if all(v is not None for v in values):
                met = all(v is not None and v <= g.limit for v, g in zip(values, row.goals, strict=True))
            for on in row.compared():
                value = _value(on, now.figure, now.ratio)
                before = _value(on, was.get("figure"), was.get("ratio")) if was else None
                if value is not None and before is not None:
                    compared = True
                    if value > before * (1 + row.tolerance):
                        wrong.append(on)
        lines.append(Line(row, now, was, met, tuple(wrong), compared))
    return lines


def _number(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s"
    if unit in ("B", "MB", "MiB"):
        return f"{value:,.0f} {unit}"
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def _goal(goal: Goal, unit: str) -> str:
    return f"≤ {goal.limit:g}×" if goal.on == "ratio" else f"≤ {goal.limit:g} {unit}"


def _start_cell(was: dict, unit: str) -> str:
    """The start's figure and ratio, "(issue)" after what came from the issue's text."""
    shown = {"figure": _number(was["figure"], unit)} if "figure" in was else {}
    shown.update({"ratio": f"{was['ratio']:.2f}×"} if "ratio" in was else {})
    issue = set(was.get("from_issue", ()))
    if issue >= set(shown):
        return ", ".join(shown.values()) + " (issue)"
    return ", ".join(text + (" (issue)" if key in issue else "") for key, text in shown.items())


def goals_table(lines: list[Line]) -> str:
    """Markdown for docs/performance.md (`<!-- generated:goals -->`)."""
    rows = [
        "| goal (issue 17) | figure | baseline (same run) | ratio | goal | met | at the start of issue 17 | "
        "wrong way |",
        "| --- | ---: | --- | ---: | --- | :---: | ---: | :---: |",
    ]
    for line in lines:
        row, now, was = line.row, line.now, line.start
        figure = _number(now.figure, row.unit) if now else "not in this run"
        if now is not None and now.baseline is not None:
            baseline = f"{row.baseline}: {_number(now.baseline, row.unit)}"
        else:
            baseline = f"{row.baseline}: not in this run"
        ratio = f"{now.ratio:.2f}×" if now is not None and now.ratio is not None else "–"
        met = {True: "yes", False: "**no**", None: "–"}[line.met]
        start = _start_cell(was, row.unit) if was else "–"
        wrong = "**" + ", ".join(line.wrong_way) + "**" if line.wrong_way else ("no" if line.compared else "–")
        goal = " and ".join(_goal(g, row.unit) for g in row.goals)
        rows.append(f"| {row.label} | {figure} | {baseline} | {ratio} | {goal} | {met} | {start} | {wrong} |")
    met_count = sum(line.met is True for line in lines)
    wrong_rows = [line.row.label for line in lines if line.wrong_way]
    missing = [line.row.label for line in lines if line.met is None]
    rows += [
        "",
        f"Goals met: {met_count} of {len(lines)}. Went the wrong way against the start: "
        + ("; ".join(wrong_rows) if wrong_rows else "none")
        + "."
        + (f" Not measured in this run (figure or baseline missing): {'; '.join(missing)}." if missing else ""),
    ]
    return "\n".join(rows)


def load_results(folder: Path = RESULTS) -> Results:
    """Every benchmark's results in `folder`, by name (scale, cold, startup, serve…)."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def load_start(path: Path = START) -> dict[str, dict]:
    return json.loads(path.read_text(encoding="utf-8"))["rows"] if path.is_file() else {}


def goals_block(folder: Path = RESULTS, start: Path = START) -> str:
    """The generated block of docs/performance.md, from the results in `folder`."""
    return goals_table(evaluate(load_results(folder), load_start(start)))


def record_start(results: Results) -> dict:
    """The start file's content: each row's figure, baseline and ratio from `results`, and what they
    lack from `ISSUE_FIGURES`."""
    rows: dict[str, dict] = {}
    for row in ROWS:
        now = row.measure(results)
        found = {"figure": now.figure, "baseline": now.baseline, "ratio": now.ratio} if now else {}
        entry: dict[str, Any] = {key: value for key, value in found.items() if value is not None}
        issue = ISSUE_FIGURES.get(row.key)
        if issue and "ratio" not in entry:  # the ratio from the issue; its figures only if the results lack one
            taken = {"ratio": issue.get("ratio") or issue["figure"] / issue["baseline"]}
            if "figure" not in entry:
                taken.update({key: issue[key] for key in ("figure", "baseline") if key in issue})
            entry.update({**taken, "note": issue["note"], "from_issue": sorted(taken)})
        rows[row.key] = {**entry, "unit": row.unit}
    return {"about": ABOUT, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the benchmarks' *.json")
    parser.add_argument("--start", type=Path, default=START)
    parser.add_argument("--check", action="store_true", help="exit 1 when a figure went the wrong way")
    parser.add_argument("--record-start", action="store_true", help="write --start from --results (once)")
    args = parser.parse_args()
    if args.record_start:
        if args.start.exists():
            print(f"{args.start} exists: the start is recorded once (delete it to record it again)", file=sys.stderr)
            return 1
        args.start.write_text(json.dumps(record_start(load_results(args.results)), indent=2) + "\n", encoding="utf-8")
    lines = evaluate(load_results(args.results), load_start(args.start))
    print(goals_table(lines))
    return 1 if args.check and any(line.wrong_way for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
