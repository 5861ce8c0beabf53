"""A model folder is proven unchanged before it is loaded: hashed, or its files' identities stamped."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mnemo_cli.embed import folder_model, model_files
from mnemo_cli.embed.model_spec import ModelSpec, resolve
from mnemo_cli.errors import IntegrityError, ModelError, ModelIntegrityError
from tests.embed.tiny_model import build_tiny_model


@pytest.fixture
def folder(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A copy of the tiny model that a test may change."""
    return shutil.copytree(tiny_model_dir, tmp_path / "model")


def check(spec: ModelSpec) -> Path:
    return folder_model.check(spec.location, spec.model_file, spec.sha256, spec.files_sha256)


def test_an_unchanged_folder_passes_without_hashing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = resolve(str(folder))

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"hashed {path} although nothing changed")

    monkeypatch.setattr(model_files, "sha256_of", no_hashing)
    assert check(spec) == folder.resolve()


def test_without_a_stamp_the_files_are_hashed(
    folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hashed: list[str]
) -> None:
    spec = resolve(str(folder))
    hashed.clear()
    monkeypatch.setenv("MNEMO_CACHE_DIR", str(tmp_path / "fresh-cache"))
    assert check(spec) == folder.resolve()
    assert "model.onnx" in hashed and "tokenizer.json" in hashed
    hashed.clear()
    assert check(spec) == folder.resolve()  # stamped now
    assert hashed == []


def test_changed_weights_are_an_integrity_error(folder: Path) -> None:
    spec = resolve(str(folder))
    build_tiny_model(folder, seed=7)
    with pytest.raises(ModelIntegrityError) as raised:
        check(spec)
    assert str(raised.value) == (
        f"model folder {spec.location} changed since the store was indexed; "
        f"run `mnemo reindex --model {spec.location}` again"
    )
    assert isinstance(raised.value, IntegrityError)


def test_a_changed_tokenizer_is_an_integrity_error(folder: Path) -> None:
    spec = resolve(str(folder))
    config = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**config, "do_lower_case": False}))
    with pytest.raises(ModelIntegrityError, match="changed since the store was indexed"):
        check(spec)


def test_an_added_optional_file_is_a_change(folder: Path) -> None:
    (folder / "special_tokens_map.json").unlink()
    spec = resolve(str(folder))
    shutil.copyfile(model_files.packaged_dir() / "special_tokens_map.json", folder / "special_tokens_map.json")
    with pytest.raises(ModelIntegrityError):
        check(spec)


def test_a_touched_but_equal_file_is_hashed_again_and_passes(folder: Path) -> None:
    spec = resolve(str(folder))
    st = (folder / "model.onnx").stat()
    os.utime(folder / "model.onnx", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert check(spec) == folder.resolve()


def test_a_removed_model_is_a_model_error_not_an_integrity_error(folder: Path) -> None:
    spec = resolve(str(folder))
    (folder / "model.onnx").unlink()
    with pytest.raises(ModelError, match=r"has no model\.onnx any more") as raised:
        check(spec)
    assert not isinstance(raised.value, IntegrityError)


def test_an_unwritable_cache_only_costs_a_hash(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MNEMO_CACHE_DIR", str(blocker / "cache"))
    spec = resolve(str(folder))
    assert check(spec) == folder.resolve()
