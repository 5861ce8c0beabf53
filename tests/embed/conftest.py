"""Fixtures for the embedding tests: a tiny model folder built once per session, never downloaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.embed.tiny_model import build_tiny_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny 32-d model folder (see tests/embed/tiny_model.py); tests must not change it."""
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny")
