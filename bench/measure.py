"""What every benchmark here shares: the summary of a list of timings, and timing one process."""

from __future__ import annotations

import statistics
import subprocess
import time


def summary(samples: list[float]) -> dict:
    """Median, p95 (nearest rank) and the raw samples, so a reader can recompute anything."""
    ordered = sorted(samples)
    return {
        "median": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "n": len(ordered),
        "samples": samples,
    }


def time_process(argv: list[str], env: dict[str, str]) -> float:
    """Wall-clock seconds of one run of `argv`; a failing command stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace').strip()}")
    return elapsed
