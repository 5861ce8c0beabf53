"""Start-up budget: commands that do not embed must not import the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: pydantic: Typer 0.29 built a pydantic adapter per option on every call (~70 ms of a cold recall);
#: only the MCP server needs it.
HEAVY = ("numpy", "onnxruntime", "fastembed", "usearch", "tokenizers", "huggingface_hub", "jsonschema", "pydantic")

PROBE = """
import json, sys
from mnemo_cli.cli.app import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "heavy": sorted(m for m in sys.modules if m.split(".")[0] in %r)}))
"""


def loaded_after(args: list[str], setup: str = "") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", setup + PROBE % (HEAVY,), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["doctor", "--help"],
        ["recall", "--help"],
        ["list", "-k", "x"],
        [],
        ["no-such-command"],
    ],
    ids=["help", "version", "doctor-help", "recall-help", "bad-option", "no-args", "bad-command"],
)
def test_light_commands_import_no_heavy_library(args: list[str]) -> None:
    result = loaded_after(args)
    assert result["code"] in (0, 2)
    assert result["heavy"] == []


def test_the_probe_sees_a_heavy_import() -> None:
    # The check above would pass vacuously if the probe could not see imports at all.
    result = loaded_after(["--version"], setup="import numpy\n")
    assert "numpy" in result["heavy"]
