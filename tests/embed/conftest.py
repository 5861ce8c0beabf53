"""Fixtures for the embedding tests: a tiny model folder built once per session, never downloaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnemo_cli.embed import model_files
from tests.embed.tiny_model import build_tiny_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny 32-d model folder (see tests/embed/tiny_model.py); tests must not change it."""
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files `model_files.sha256_of` hashes during the test, in order."""
    names: list[str] = []
    real = model_files.sha256_of

    def counting(path: Path) -> str:
        names.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(model_files, "sha256_of", counting)
    return names
