"""`mnemo export`: the whole store as plaintext, where the user asks for it."""

from __future__ import annotations

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
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it is an existing regular file.")] = False,
) -> None:
    """Export every memory and link, with ids, as UNENCRYPTED plaintext.

    jsonl and json exports are lossless: importing one into a new store and exporting again gives
    the same output. Embeddings are not included (import recomputes them). Only a regular file
    is ever replaced: a symbolic link is written through, a pipe or device written into.

    Example: mnemo export -o backup.jsonl && gpg -c backup.jsonl

    Exit codes: 0 exported; 2 bad format, FILE exists without --force, or FILE is a folder or a
    link to nothing; 3 wrong or missing secret; 4 no store; 5 integrity failure; 6 store busy; 8 I/O
    error, or cannot write FILE.
    """
    from mnemo_cli.errors import UsageError
    from mnemo_cli.store import export_file
    from mnemo_cli.store.transfer import FORMATS, export_lines

    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r} (choose from: {', '.join(FORMATS)})")
    if out is not None:
        export_file.check(out, force=force)  # refusals come before the secret is asked for
    with unlocked_store() as store:
        lines = export_lines(list(store.memories()), store.all_links(), fmt)
        output.warn("the export is unencrypted plaintext: keep it somewhere safe, or encrypt it")
        if out is None:
            sys.stdout.writelines(lines)
            return
        export_file.write(out, lines, force=force)
