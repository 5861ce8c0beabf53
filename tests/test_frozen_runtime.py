"""`frozen_runtime` in-process, on a small payload written by scripts/runtime_payload.py.

The real binary's runs are in tests/test_binary.py (`make smoke`); these check the same cases in
a second each: unpack then reuse, a changed folder, a damaged payload, an unwritable cache.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mnemo_cli import frozen_runtime
from scripts import runtime_payload


@pytest.fixture
def binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake executable (bytes, payload, trailer) whose payload holds a module `fakeheavy`."""
    src = tmp_path / "src"
    (src / "fakeheavy").mkdir(parents=True)
    (src / "fakeheavy" / "__init__.py").write_text("VALUE = 42\n")
    (src / "model.onnx").write_bytes(b"not really a model")
    payload = tmp_path / "payload.tar.xz"
    manifest = runtime_payload.write(
        payload,
        [("fakeheavy", str(src / "fakeheavy" / "__init__.py"), "PYMODULE")],
        [],
        [("mnemo_cli/embed/model/model.onnx", str(src / "model.onnx"), "DATA")],
    )
    exe = tmp_path / "mnemo"
    exe.write_bytes(b"light part" + payload.read_bytes() + b"\0" * manifest["trailer"])
    monkeypatch.setattr(sys, "executable", str(exe))
    monkeypatch.setattr(frozen_runtime, "_manifest", manifest)
    monkeypatch.setattr(frozen_runtime, "_runtime", None)
    monkeypatch.setattr(frozen_runtime, "_failure", None)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("MNEMO_CACHE_DIR", str(tmp_path / "cache"))
    return exe


def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frozen_runtime, "_runtime", None)
    monkeypatch.delitem(sys.modules, "fakeheavy", raising=False)


def test_unpacked_once_then_used_from_the_cache(binary: Path, tmp_path: Path, monkeypatch) -> None:
    runtime = frozen_runtime.activate()
    assert runtime.source == "unpacked" and runtime.path == tmp_path / "cache" / "runtime" / runtime.sha256
    assert runtime.path.stat().st_mode & 0o777 == 0o700
    assert str(runtime.path) in sys.path
    import fakeheavy  # type: ignore[import-not-found]

    assert fakeheavy.VALUE == 42 and fakeheavy.__file__.endswith("fakeheavy/__init__.pyc")
    assert frozen_runtime.model_dir() == runtime.path / "mnemo_cli" / "embed" / "model"
    fresh_process(monkeypatch)
    assert frozen_runtime.activate() == frozen_runtime.Runtime(runtime.path, runtime.sha256, "cache")
    assert sorted(p.name for p in runtime.path.parent.iterdir()) == [runtime.sha256]


def test_a_changed_folder_is_unpacked_again(binary: Path, monkeypatch, capsys) -> None:
    folder = frozen_runtime.activate().path
    model = folder / "mnemo_cli" / "embed" / "model" / "model.onnx"
    model.write_bytes(b"not really a mode!")  # same size, new mtime
    fresh_process(monkeypatch)
    assert frozen_runtime.activate().source == "unpacked"
    assert model.read_bytes() == b"not really a model"
    assert capsys.readouterr().err == f"mnemo: warning: the runtime in {folder} was changed; unpacking it again\n"


def test_a_damaged_payload_is_refused(binary: Path, tmp_path: Path) -> None:
    data = bytearray(binary.read_bytes())
    data[len(b"light part") + 100] ^= 0xFF
    binary.write_bytes(bytes(data))
    with pytest.raises(frozen_runtime.RuntimeUnavailable, match=f"^the runtime inside {binary} "):
        frozen_runtime.activate()
    with pytest.raises(frozen_runtime.RuntimeUnavailable):  # the same answer, without reading again
        frozen_runtime.activate()
    assert [p.name for p in (tmp_path / "cache" / "runtime").iterdir()] == []


def test_an_unwritable_cache_unpacks_into_a_temporary_folder(binary: Path, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("MNEMO_CACHE_DIR", str(tmp_path / "file"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    monkeypatch.setattr("tempfile.tempdir", None)
    runtime = frozen_runtime.activate()
    assert runtime.source == "temporary" and runtime.path.parent == tmp_path / "scratch"
    assert (runtime.path / "fakeheavy" / "__init__.pyc").is_file()


def test_outside_the_binary_nothing_is_armed() -> None:
    assert not frozen_runtime.active()
    assert frozen_runtime.model_dir() is None
    assert frozen_runtime.describe()["source"] == "venv"
