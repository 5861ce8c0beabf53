"""How commands write: data to stdout (Rich only on a terminal), messages to stderr.

`--json` output is one document carrying `schema_version`; adding a key keeps the version, renaming
or removing one bumps it (docs/cli.md lists the schemas).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

SCHEMA_VERSION = 1


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def emit_json(document: dict[str, Any]) -> None:
    """Write one JSON document to stdout, with `schema_version` first."""
    payload = {"schema_version": SCHEMA_VERSION, **document}
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")


def emit_lines(lines: list[str]) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))


def error(message: str, hint: str | None = None) -> None:
    """The one-line error format: `mnemo: error: ...`, then an optional `mnemo: hint: ...` line."""
    sys.stderr.write(f"mnemo: error: {message}\n")
    if hint:
        sys.stderr.write(f"mnemo: hint: {hint}\n")


def warn(message: str) -> None:
    sys.stderr.write(f"mnemo: warning: {message}\n")


def rich_console() -> Any:
    """A Rich console on stdout; call only when `stdout_is_terminal()` (Rich is imported here)."""
    from rich.console import Console

    return Console()


class progress_bar:
    """A Rich progress bar on stderr when stderr is a terminal; nothing otherwise."""

    def __init__(self, total: int, what: str) -> None:
        self.total = total
        self.what = what
        self._bar: Any = None

    def __enter__(self) -> Callable[[int], None] | None:
        if not sys.stderr.isatty() or self.total == 0:
            return None
        from rich.console import Console
        from rich.progress import Progress

        bar = Progress(console=Console(stderr=True), transient=True)
        bar.start()
        task = bar.add_task(self.what, total=self.total)
        self._bar = bar
        return lambda n: bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
