"""Where one mnemo process spends its time: named wall-clock phases, reported on stderr at exit.

A diagnostic, off by default. With `MNEMO_TIMINGS` unset, `phase(name)` hands back one shared
do-nothing context manager (a function call, no clock read, nothing stored). With it set, each
phase's wall time is added up per name, *excluding* phases nested inside it in the same thread, so
one thread's phases never count a moment twice. A phase timed in another thread than the main one
is reported as `bg:<name>`. `report()` (called once, by `main()` in `cli/app.py`) then writes one
line to stderr:

    mnemo: timings: {"unlock": 1.2, "open": 30.5, ..., "import": 60.1, "main": 512.3, "process": 590.0}

Besides the phases (ms): `import`, from this module's import (the first thing the command line
imports) to `main()`; `main`, from `main()` entry to the report; `process`, from the process start
to the report. The start is field 22 of /proc/<pid>/stat (clock ticks since boot, on the kernel's
CLOCK_BOOTTIME; resolution one tick, 10 ms on Linux), and in the one-file binary that of the
bootloader process that unpacked it, so `process - main` is the whole start-up. `bg:` phases
overlap the main thread's: only the main thread's phases add up to at most `main`.

Leaf module: imports nothing of mnemo and only cheap standard modules, so every layer may use it.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

ENV = "MNEMO_TIMINGS"

_imported = time.perf_counter()
_enabled = bool(os.environ.get(ENV))
_main_started: float | None = None
_totals: dict[str, float] = {}
_local: Any = None
_lock: Any = None
if _enabled:  # threading only when timing: a phase may be timed by a background thread
    import threading

    _local, _lock = threading.local(), threading.Lock()


class _Off:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_OFF = _Off()


class _Phase:
    __slots__ = ("name", "nested", "started")

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = 0.0
        self.nested = 0.0  # time spent in phases nested inside this one

    def __enter__(self) -> None:
        _stack().append(self)
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.started
        stack = _stack()
        stack.pop()
        if stack:
            stack[-1].nested += elapsed
        name = self.name if threading.current_thread() is threading.main_thread() else "bg:" + self.name
        with _lock:
            _totals[name] = _totals.get(name, 0.0) + elapsed - self.nested


def enabled() -> bool:
    return _enabled


def phase(name: str) -> Any:
    """A context manager timing the block as phase `name` (a no-op unless `MNEMO_TIMINGS` is set)."""
    if not _enabled:
        return _OFF
    return _Phase(name)


def begin(name: str) -> None:
    """Start phase `name` now and end it at `report()`: for what runs until `main()` returns."""
    if _enabled:
        _Phase(name).__enter__()


def add(name: str, seconds: float) -> None:
    """Count `seconds` measured elsewhere (e.g. by a background thread) as phase `name`."""
    if _enabled:
        with _lock:
            _totals[name] = _totals.get(name, 0.0) + seconds


def main_started() -> None:
    """Mark `main()`'s entry: `import` ends and `main` begins here."""
    global _main_started
    _main_started = time.perf_counter()


def snapshot() -> dict[str, float]:
    """The phases so far and `import`, `main`, `process`, in ms (rounded to 0.1 ms)."""
    now = time.perf_counter()
    result = {name: round(seconds * 1000, 1) for name, seconds in dict(_totals).items()}
    if _main_started is not None:
        result["import"] = round((_main_started - _imported) * 1000, 1)
        result["main"] = round((now - _main_started) * 1000, 1)
    started = process_started()
    if started is not None:
        result["process"] = round((time.clock_gettime(time.CLOCK_BOOTTIME) - started) * 1000, 1)
    return result


def report() -> None:
    """Write the timings line to stderr when `MNEMO_TIMINGS` is set; otherwise do nothing."""
    if not _enabled:
        return
    import json

    stack = _stack()
    while stack:  # phases begun and not yet ended (`begin`) end now
        stack[-1].__exit__(None, None, None)
    try:
        sys.stderr.write(f"mnemo: timings: {json.dumps(snapshot())}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed: a diagnostic is not worth a failure
        pass


def process_started() -> float | None:
    """When this process began, in CLOCK_BOOTTIME seconds (None where /proc cannot tell).

    In the one-file binary Python runs in a child of the bootloader (same executable), which
    unpacked the archive first: its start is the one a user waits from."""
    try:
        pid = os.getpid()
        if getattr(sys, "frozen", False):
            parent = os.getppid()
            if os.readlink(f"/proc/{parent}/exe") == os.readlink("/proc/self/exe"):
                pid = parent
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        # Fields after the command name (which may hold spaces) start at field 3; starttime is 22.
        ticks = int(stat[stat.rindex(b")") + 2 :].split()[19])
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _stack() -> list[_Phase]:
    stack: list[_Phase] | None = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack
