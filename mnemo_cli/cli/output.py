"""How commands write: data to stdout (Rich only on a terminal), messages to stderr.

`--json` output is one document carrying `schema_version`, built by `mnemo_cli/documents.py`, which
the MCP server shares (docs/cli.md lists the schemas). Text for people (plain lines, tables,
messages) passes through `visible` first: memories are untrusted text, and a terminal must not
act on control characters or reorder a line because one of them says so. JSON stays exact.

`GuardedStdout` is what `sys.stdout` is while a command runs (`app.run` installs it), so every
write to stdout, whoever makes it (our renderers, Rich, Click's help), fails in known ways only.
When the reader went away (EPIPE: `mnemo export | head -1`), the rest of the output is dropped and
the command goes on as if it had been read: it exits as it would have (0, or its own failure).
Any other failure (`> /dev/full`) is a `StorageIOError`, exit 8. Either way, file descriptor 1 is
then pointed at the null device, so output still buffered, flushed later or at interpreter exit,
fails no more (the remedy Python's documentation gives for SIGPIPE).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from mnemo_cli.documents import SCHEMA_VERSION, json_text
from mnemo_cli.errors import StorageIOError
from mnemo_cli.safe_text import error_lines, visible, warning_line

__all__ = ["SCHEMA_VERSION", "emit_json", "emit_lines", "error", "warn"]


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def emit_json(document: dict[str, Any]) -> None:
    """Write one JSON document to stdout, with `schema_version` first."""
    sys.stdout.write(json_text(document) + "\n")


def emit_lines(lines: list[str]) -> None:
    """Plain text for people (and `--format prompt`): lines, with control characters made `visible`."""
    sys.stdout.write("".join(visible(line) + "\n" for line in lines))


def error(message: str, hint: str | None = None) -> None:
    """The one-line error format (`safe_text.error_lines`) on stderr."""
    sys.stderr.write("".join(line + "\n" for line in error_lines(message, hint)))


def warn(message: str) -> None:
    sys.stderr.write(warning_line(message) + "\n")


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


def interrupted(detail: str = "") -> None:
    """The one line for Ctrl-C: `mnemo: interrupted`, with what was done when it says something."""
    sys.stderr.write(f"mnemo: interrupted: {visible(detail)}\n" if detail else "mnemo: interrupted\n")


class GuardedStdout:
    """`sys.stdout` as commands see it: the real stream, whose write failures become ours."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._failure: Exception | None = None  # once writing failed, every later call fails the same way

    def write(self, text: str) -> int:
        return self._guard(lambda: self._stream.write(text))

    def writelines(self, lines: Iterable[str]) -> None:
        self._guard(lambda: self._stream.writelines(lines))

    def flush(self) -> None:
        self._guard(self._stream.flush)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, buffer, ...
        return getattr(self._stream, name)

    def _guard(self, call: Callable[[], Any]) -> Any:
        if self._failure is not None:  # a caller that swallowed it (Click probes with write("")) learns again
            raise self._failure
        try:
            return call()
        except BrokenPipeError:
            silence(self._stream)  # from now on, what is written goes nowhere, successfully
            return call()
        except OSError as e:
            silence(self._stream)
            self._failure = StorageIOError(f"cannot write to standard output: {e.strerror or e}")
            raise self._failure from None


def silence(stream: TextIO) -> None:
    """Point `stream`'s file descriptor at the null device: what is buffered and written later is
    dropped instead of failing again (at the latest when the interpreter flushes it at exit)."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # not a file (a test's capture): nothing will flush it to a device
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
