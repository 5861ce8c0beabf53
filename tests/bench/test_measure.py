"""`bench.measure.run_measured`: a child's peak memory is its own, not that of the benchmark that
spawned it (Linux counts the parent's resident size in a forked child's `ru_maxrss`)."""

from __future__ import annotations

import os
import sys

from bench.measure import run_measured


def test_peak_memory_is_the_childs_not_the_parents() -> None:
    ballast = bytearray(200 * 1024 * 1024)  # this process: over 200 MiB resident
    ballast[::4096] = b"\1" * len(ballast[::4096])
    small = run_measured([sys.executable, "-c", "pass"], dict(os.environ))
    big = run_measured([sys.executable, "-c", "b = bytearray(120 * 1024 * 1024); b[::4096] = b'1' * len(b[::4096])"],
                       dict(os.environ))  # fmt: skip
    assert len(ballast) and small[2] == big[2] == 0
    assert small[1] < 60 * 1024  # KiB: a bare interpreter, nowhere near the parent's 200 MiB
    assert 120 * 1024 < big[1] < 200 * 1024
    assert 0 < small[0] < 10


def test_exit_code_and_stderr_come_back() -> None:
    wall, _, code, stderr = run_measured([sys.executable, "-c", "import sys; sys.exit('no')"], dict(os.environ))
    assert code == 1 and stderr.strip() == "no" and wall > 0
