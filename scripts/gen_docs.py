"""Regenerate the parts of docs/ that are derived from the code; `--check` fails when they drift.

Blocks between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` in docs/cli.md are rewritten:
`exit-codes` from `mnemo_cli.cli.exit_codes`, `help` from each command's real `--help` output.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["COLUMNS"] = "80"  # help text wraps to the terminal: make the docs independent of it

from mnemo_cli.cli import exit_codes  # noqa: E402
from mnemo_cli.cli.app import app, run  # noqa: E402

CLI_DOC = ROOT / "docs" / "cli.md"


def exit_code_table() -> str:
    kinds: dict[int, list[str]] = {}
    for kind, code in exit_codes.EXIT_CODES:
        kinds.setdefault(code, []).append(f"`{kind.__name__}`")
    rows = ["| code | meaning | raised as |", "| --- | --- | --- |"]
    for code, meaning in sorted(exit_codes.MEANINGS.items()):
        rows.append(f"| {code} | {meaning} | {', '.join(kinds.get(code, [])) or '—'} |")
    return "\n".join(rows)


def help_text(args: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run([*args, "--help"])
    assert code == 0, f"mnemo {' '.join(args)} --help exited {code}"
    return out.getvalue().rstrip()


def command_helps() -> str:
    import typer

    group = typer.main.get_command(app)
    names = sorted(group.list_commands(None))  # type: ignore[attr-defined, arg-type]
    parts = [f"### `mnemo --help`\n\n```text\n{help_text([])}\n```"]
    parts += [f"### `mnemo {name}`\n\n```text\n{help_text([name])}\n```" for name in names]
    return "\n\n".join(parts)


def render(text: str) -> str:
    blocks = {"exit-codes": exit_code_table(), "help": command_helps()}
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"docs/cli.md has no generated:{name} block")
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail instead of rewriting")
    args = parser.parse_args()
    current = CLI_DOC.read_text(encoding="utf-8")
    wanted = render(current)
    if wanted == current:
        return 0
    if args.check:
        print("docs/cli.md is out of date with the code: run `make docs`", file=sys.stderr)
        return 1
    CLI_DOC.write_text(wanted, encoding="utf-8")
    print("rewrote docs/cli.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
