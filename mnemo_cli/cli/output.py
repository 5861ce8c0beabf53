"""How commands write: data to stdout (Rich only on a terminal), messages to stderr.

`--json` output is one document carrying `schema_version`; adding a key keeps the version, renaming
or removing one bumps it (docs/cli.md lists the schemas).
"""

from __future__ import annotations

import json
import sys
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
