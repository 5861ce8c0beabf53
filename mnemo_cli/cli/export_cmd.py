"""`mnemo export`: the whole store as plaintext, where the user asks for it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from mnemo_cli.cli import output
from mnemo_cli.cli._common import unlocked_store


def export(
    out: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE (mode 0600) instead of stdout.", metavar="FILE")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="jsonl (default; lossless), json (lossless) or markdown.")
    ] = "jsonl",
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Export every memory and link, with ids, as UNENCRYPTED plaintext.

    jsonl and json exports are lossless: importing one into a new store and exporting again gives
    the same output. Embeddings are not included (import recomputes them).

    Example: mnemo export -o backup.jsonl && gpg -c backup.jsonl

    Exit codes: 0 exported; 2 bad format, or FILE exists without --force; 3 wrong or missing secret;
    4 no store; 5 integrity failure; 6 store busy; 8 I/O error, or cannot write FILE.
    """
    from mnemo_cli.errors import StorageIOError, UsageError
    from mnemo_cli.store.transfer import FORMATS, export_lines

    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r} (choose from: {', '.join(FORMATS)})")
    if out is not None and out.exists() and not force:
        raise UsageError(f"{out} exists; add --force to overwrite it")
    with unlocked_store() as store:
        lines = export_lines(list(store.memories()), store.all_links(), fmt)
        output.warn("the export is unencrypted plaintext: keep it somewhere safe, or encrypt it")
        if out is None:
            sys.stdout.writelines(lines)
            return
        tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.writelines(lines)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, out)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise StorageIOError(f"cannot write {out}: {e.strerror}") from None
