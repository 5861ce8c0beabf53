"""What every benchmark here shares: the summary of a list of timings, and timing one process (its
wall time, and with `run_measured` its peak memory too)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time

#: Run as `python -S -c LAUNCHER '["argv", ...]'`: spawns the argv with stdout on /dev/null and
#: stderr inherited, reaps it, and prints [wall seconds, ru_maxrss KiB, exit code].
LAUNCHER = (
    "import json, os, sys, time\n"
    "argv = json.loads(sys.argv[1])\n"
    "started = time.perf_counter()\n"
    "pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, "
    "os.O_WRONLY, 0)])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "print(json.dumps([time.perf_counter() - started, usage.ru_maxrss, os.waitstatus_to_exitcode(status)]))\n"
)


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


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, int, int, str]:
    """Run `argv`: its wall time (s), peak resident memory (KiB, `ru_maxrss`), exit code and stderr.

    Spawned through a small launcher (`LAUNCHER`, ~10 MiB) rather than from this process: Linux
    reports as a child's `ru_maxrss` at least the resident size of the process it was forked or
    vforked from, and a benchmark that built a store holds hundreds of MiB. The launcher times from
    the spawn to the reaping, so its own start-up is not counted. For a PyInstaller one-file binary
    the figure is the larger of the bootloader and the Python process it starts (not their sum).
    """
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: nothing to drain while waiting
        done = subprocess.run(
            [sys.executable, "-S", "-c", LAUNCHER, json.dumps(argv)], env=env, stdout=subprocess.PIPE, stderr=err
        )
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if done.returncode != 0:
        raise SystemExit(f"cannot launch {argv[0]}: {stderr.strip()}")
    wall, maxrss, code = json.loads(done.stdout)
    return wall, maxrss, code, stderr
