"""Rewrite the results table of docs/reliability.md from the reliability suite's report.

`make stress` runs tests/reliability with MNEMO_STRESS=1 and MNEMO_RELIABILITY_REPORT pointing at
bench/results/reliability.json, then runs this. The table sits between `<!-- generated:results -->`
and `<!-- /generated:results -->`; everything else in the page is written by hand.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "bench" / "results" / "reliability.json"
DOC = ROOT / "docs" / "reliability.md"


def _row_order(item: tuple[str, dict]) -> tuple[int, str]:
    """Rows in the order of the page's items: "10 · ..." after "9 · ...", not after "1 · ..."."""
    number = item[0].split(" ", 1)[0]
    return (int(number) if number.isdigit() else 1_000_000, item[0])


def table(report: dict) -> str:
    rows = [
        "Mode: `make stress` (long) unless a row says bounded; each row names the commit it ran at.",
        "",
        "| test | cases tried | failures | run at | command to rerun |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for name, row in sorted(report["rows"].items(), key=_row_order):
        stress = row.get("mode", report.get("mode")) == "stress"
        files = " ".join(row["files"])
        command = f"`{'MNEMO_STRESS=1 ' if stress else ''}.venv/bin/python -m pytest {files}`"
        run = f"{row.get('commit', 'unknown')}{'' if stress else ' (bounded)'}"
        rows.append(f"| {name} | {row['cases']:,} | {row['failures']} | {run} | {command} |")
    return "\n".join(rows)


def main() -> int:
    if not REPORT.exists():
        print(f"no report at {REPORT}: run `make stress`", file=sys.stderr)
        return 1
    report = json.loads(REPORT.read_text(encoding="utf-8"))
    text = DOC.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- generated:results -->\n).*?(\n<!-- /generated:results -->)", re.S)
    if not pattern.search(text):
        print(f"{DOC} has no generated:results block", file=sys.stderr)
        return 1
    DOC.write_text(pattern.sub(lambda m: m.group(1) + table(report) + m.group(2), text), encoding="utf-8")
    failures = sum(row["failures"] for row in report["rows"].values())
    print(f"rewrote {DOC.relative_to(ROOT)}: {len(report['rows'])} rows, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
