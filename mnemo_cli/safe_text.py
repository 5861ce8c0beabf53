"""Untrusted text made safe to show: the escaping every message and human line goes through.

A leaf module (it imports nothing of mnemo) so that the command line (`cli/output.py`) and the MCP
server (`server/mcp_tools.py`), which may not import each other, escape messages the same way: a
memory, an id or a path a user typed can hold control characters or a newline, and a message that
quotes it must stay one line that a terminal shows rather than acts on. `error_lines` and
`warning_line` are the message format both print (`mnemo: error: ...`, `mnemo: hint: ...`).
"""

from __future__ import annotations

import re

#: What a terminal would act on rather than show: C0 controls but tab and newline (ESC starts colour,
#: cursor and title sequences; CR overwrites; BEL rings), DEL, C1 controls (U+009B is a one-character
#: CSI), and the bidirectional embeddings, overrides and isolates that reorder what follows them.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with every `UNSAFE` character written as its Python escape (`\\x1b`, `\\u202e`)."""
    return UNSAFE.sub(_escape, text)


def one_line(text: str) -> str:
    """`text` made `visible`, its newlines too: a message line stays one line whatever it quotes
    (an id or a path a user typed can hold a newline)."""
    return visible(text).replace("\n", "\\n")


def error_lines(message: str, hint: str | None = None) -> list[str]:
    """The one-line error format: `mnemo: error: ...`, then an optional `mnemo: hint: ...` line."""
    lines = [f"mnemo: error: {one_line(message)}"]
    if hint:
        lines.append(f"mnemo: hint: {one_line(hint)}")
    return lines


def warning_line(message: str) -> str:
    return f"mnemo: warning: {one_line(message)}"


def first_line(text: str) -> str:
    """The first non-blank line of `text`, stripped (an exception's message can run to many)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "unknown error"


def internal_error(error: BaseException) -> str:
    """The message for a failure nobody expected: `internal error: <class>: <first line>`."""
    return f"internal error: {type(error).__name__}: {first_line(str(error))}"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
