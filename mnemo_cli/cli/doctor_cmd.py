"""`mnemo doctor`: is this install able to work, offline? Model, hash, one embedding, versions, paths."""

from __future__ import annotations

from typing import Annotated

import typer

from mnemo_cli.cli import output


def doctor(
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as one JSON document.")] = False,
) -> None:
    """Check that mnemo can work here, offline.

    Verifies the embedded model's files against their sha256, loads the model, embeds one
    sentence, and prints the vector's dimension, the versions of the libraries mnemo runs on, which
    runtime it loaded them from (the venv, or the one-file binary's runtime unpacked in the user's
    cache: `cache`, `unpacked` by this run, or `temporary` when the cache is not writable) and
    where the store lives (MNEMO_HOME, else the user data folder). Every check runs; the first
    failure is then reported on stderr, after a warning for each key slot of the store weaker than
    the default KDF cost (fixed by `mnemo passwd`).

    Example: mnemo doctor --json

    Exit codes: 0 all checks passed; 1 the model is missing or cannot load; 5 a model file does not
    have the expected sha256.
    """
    from mnemo_cli.store.doctor import diagnose

    report = diagnose()
    if json_output:
        output.emit_json(
            {
                "ok": report.ok,
                "version": report.version,
                "python": report.python,
                "platform": report.platform,
                "frozen": report.frozen,
                "store": {"path": str(report.store_path), "exists": report.store_exists},
                "runtime": report.runtime,
                "model": report.model,
                "versions": report.versions,
                "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks],
                "notes": report.notes,
            }
        )
    elif output.stdout_is_terminal():
        _print_rich(report)
    else:
        output.emit_lines(_plain_lines(report))
    for note in report.notes:
        output.warn(note)
    if report.error is not None:
        raise report.error


def _plain_lines(report) -> list[str]:
    model = report.model
    frozen = ", frozen" if report.frozen else ""
    lines = [
        f"mnemo {report.version} (python {report.python}, {report.platform}{frozen})",
        f"store: {report.store_path} ({'exists' if report.store_exists else 'not created yet'})",
        f"model: {model['name']} [{model['id']}]",
    ]
    if report.runtime:
        where = report.runtime["path"]
        sha = f", sha256 {report.runtime['sha256'][:16]}…" if "sha256" in report.runtime else ""
        lines.insert(2, f"runtime: {where} ({report.runtime['source']}{sha})")
    if "path" in model:
        lines.append(f"model path: {model['path']}")
        lines.append(f"model sha256: {model['sha256']} (verified)")
    if "dimension" in model:
        lines.append(f"dimension: {model['dimension']}")
        lines.append(f"model load: {model['load_seconds']:.3f} s, one embedding: {model['embed_seconds']:.3f} s")
    lines.extend(f"{name}: {version}" for name, version in report.versions.items())
    lines.extend(f"check {c.name}: {'ok' if c.ok else 'FAILED'} ({c.detail})" for c in report.checks)
    return lines


def _print_rich(report) -> None:
    from rich.table import Table
    from rich.text import Text

    console = output.rich_console()
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for line in _plain_lines(report):
        key, _, value = line.partition(": ")
        style = ""
        if key.startswith("check "):
            style = "green" if value.startswith("ok") else "bold red"
        table.add_row(Text(key), Text(value, style=style))
    console.print(table)
