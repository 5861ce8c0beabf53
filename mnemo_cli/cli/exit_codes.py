"""The one table from error kind to process exit code; `app.py` applies it, docs/cli.md shows it.

Scripts depend on these numbers: never renumber, only add. Any other non-zero code means failure.
"""

from __future__ import annotations

from mnemo_cli import errors

OK = 0
INTERNAL = 1
USAGE = 2
INTERRUPTED = 130

#: Checked in order: the first class the error is an instance of gives the code.
EXIT_CODES: tuple[tuple[type[errors.MnemoError], int], ...] = (
    (errors.UsageError, 2),
    (errors.AuthenticationError, 3),
    (errors.StoreNotFound, 4),
    (errors.StoreExists, 4),
    (errors.IntegrityError, 5),
    (errors.StoreBusy, 6),
    (errors.MemoryNotFound, 7),
    (errors.StorageIOError, 8),
    (errors.ModelError, 1),
    (errors.AgentNotRunning, 9),
    (errors.Interrupted, 130),
)

#: What each code means, for the docs table and `--help` texts.
MEANINGS: dict[int, str] = {
    0: "success",
    1: "internal error, or the embedded model is missing or cannot load",
    2: "usage error: bad option, argument or input value",
    3: "authentication failed, or no secret was given",
    4: "store missing (or, for init, already exists)",
    5: "integrity failure: a checksum or authentication tag did not match",
    6: "store busy: another process held the lock past the wait limit",
    7: "memory not found",
    8: "I/O error: disk full, permission denied, ...",
    9: "no agent is running for the store (`agent status`, `agent stop`)",
    130: "interrupted (Ctrl-C)",
}


def exit_code_for(error: errors.MnemoError) -> int:
    for kind, code in EXIT_CODES:
        if isinstance(error, kind):
            return code
    return INTERNAL
