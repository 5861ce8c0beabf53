"""Render the tables of docs/performance.md from bench/results/*.json: no figure in the docs that
no script produces. Rewrites the blocks between `<!-- generated:NAME -->` markers."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"


def startup_tables(result: dict) -> str:
    rows = [
        f"Measured on {result['machine']['platform']}, {result['machine']['cpus']} CPUs, "
        f"{result['runs']} runs per command, round-robin.",
        "",
        "| command | median | p95 | × baseline |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, row in result["processes"].items():
        rows.append(
            f"| `{name}` | {row['median'] * 1000:.0f} ms | {row['p95'] * 1000:.0f} ms | "
            f"{row['ratio_to_baseline']:.2f} |"
        )
    procs = result["processes"]
    if "binary: mnemo --version" in procs:
        rows += [
            "",
            "| binary against venv (medians) | ratio |",
            "| --- | ---: |",
        ]
        for what in ("--version", "--help", "doctor"):
            ratio = procs[f"binary: mnemo {what}"]["median"] / procs[f"venv: mnemo {what}"]["median"]
            rows.append(f"| `mnemo {what}` | {ratio:.2f} |")
    if result.get("binary_bytes"):
        rows += [
            "",
            f"One-file binary `dist/mnemo`: {result['binary_bytes'] / 1e6:.0f} MB "
            "(archive stored uncompressed).",
        ]
    rows += ["", "| model check, in-process | median | share of one model load |", "| --- | ---: | ---: |"]
    for name, row in result["model_check"].items():
        if name != "samples":
            rows.append(f"| {name} | {row['median'] * 1000:.2f} ms | {row['ratio_to_load'] * 100:.1f}% |")
    return "\n".join(rows)


def main() -> int:
    source = ROOT / "bench" / "results" / "startup.json"
    if not source.is_file():
        print("no bench/results/startup.json: run `make bench`", file=sys.stderr)
        return 1
    blocks = {"startup": startup_tables(json.loads(source.read_text(encoding="utf-8")))}
    text = DOC.read_text(encoding="utf-8")
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    DOC.write_text(text, encoding="utf-8")
    print("rewrote docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
