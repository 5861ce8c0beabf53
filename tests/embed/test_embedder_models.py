"""Embedder(spec) with models other than the embedded one: a folder, and fastembed names, offline."""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import numpy as np
import pytest

from mnemo_cli.embed.embedder import Embedder, shared
from mnemo_cli.embed.model_spec import EMBEDDED, ModelSpec, resolve
from mnemo_cli.errors import ModelError, ModelIntegrityError
from tests.embed.tiny_model import TINY_DIMENSION, build_tiny_model, fake_fastembed_cache

TEXTS = ["first memory", "a second, longer memory about the garden", "ü ñ 漢字 🙂", "first memory"]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection attempt fails as it does offline, and HF_HUB_OFFLINE is not set."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    # huggingface_hub reads HF_HUB_OFFLINE once, at import, and conftest sets it for every test.
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache dir of this test's own, so fastembed's cache holds only what the test puts there."""
    monkeypatch.setenv("MNEMO_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def tiny(tiny_model_dir: Path) -> Embedder:
    return Embedder(resolve(str(tiny_model_dir)))


def test_a_folder_model_gives_unit_rows_of_its_dimension(tiny: Embedder, tiny_model_dir: Path) -> None:
    assert (tiny.dimension, tiny.model_id) == (TINY_DIMENSION, tiny.spec.id)
    matrix = tiny.embed_documents(TEXTS)
    assert matrix.shape == (4, TINY_DIMENSION)
    assert matrix.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    query = tiny.embed_query("first memory")
    assert query.shape == (TINY_DIMENSION,)
    assert tiny.model_dir == tiny_model_dir.resolve()


def test_a_folder_model_is_deterministic(tiny: Embedder, tiny_model_dir: Path) -> None:
    matrix = tiny.embed_documents(TEXTS)
    np.testing.assert_array_equal(matrix[0], matrix[3])
    assert float(matrix[0] @ matrix[1]) < 0.99 and float(matrix[1] @ matrix[2]) < 0.99
    padded = tiny.embed_documents(["a much longer neighbour that forces padding " * 3, "first memory"])[1]
    np.testing.assert_allclose(padded, matrix[0], atol=1e-6)
    np.testing.assert_allclose(tiny.embed_query("first memory"), matrix[0], atol=1e-6)
    again = Embedder(resolve(str(tiny_model_dir))).embed_documents(TEXTS)
    np.testing.assert_array_equal(again, matrix)


def test_other_weights_give_other_vectors(tiny: Embedder, tmp_path: Path) -> None:
    other = Embedder(resolve(str(build_tiny_model(tmp_path / "other", seed=1))))
    assert float(other.embed_query("first memory") @ tiny.embed_query("first memory")) < 0.9


def test_the_recorded_pooling_is_applied(tiny: Embedder, tmp_path: Path) -> None:
    # The tiny model does not mix tokens, so CLS pooling sees only [CLS]: every text is the same.
    cls = Embedder(resolve(str(build_tiny_model(tmp_path / "cls", pooling="cls_token"))))
    first, second = cls.embed_documents(["one text", "quite another text"])
    np.testing.assert_allclose(first, second, atol=1e-6)
    # Its own pooled output equals mean pooling done by fastembed on its token vectors.
    pooled = Embedder(resolve(str(build_tiny_model(tmp_path / "st", sentence_embedding=True))))
    np.testing.assert_allclose(pooled.embed_documents(TEXTS), tiny.embed_documents(TEXTS), atol=1e-5)


def test_a_folder_changed_after_indexing_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(tiny_model_dir, tmp_path / "model")
    spec = resolve(str(folder))
    build_tiny_model(folder, seed=3)
    with pytest.raises(ModelIntegrityError, match=r"changed since the store was indexed; run `mnemo reindex"):
        Embedder(spec).embed_query("anything")


def test_a_moved_folder_is_a_model_error(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(tiny_model_dir, tmp_path / "model")
    spec = resolve(str(folder))
    shutil.rmtree(folder)
    with pytest.raises(ModelError, match=r"has no model\.onnx any more"):
        Embedder(spec).load()


def test_an_empty_batch_loads_nothing(tiny_model_dir: Path) -> None:
    spec = resolve(str(tiny_model_dir))
    fresh = Embedder(spec)
    assert fresh.embed_documents([]).shape == (0, TINY_DIMENSION)
    assert fresh.model_dir is None


def test_shared_is_one_embedder_per_model(tiny_model_dir: Path) -> None:
    spec = resolve(str(tiny_model_dir))
    assert shared(spec) is shared(ModelSpec.from_json(spec.to_json()))
    assert shared(spec) is not shared()
    assert shared() is shared(EMBEDDED)
    assert shared().spec == EMBEDDED and shared(spec).dimension == TINY_DIMENSION


def test_a_folder_model_needs_no_network(tiny_model_dir: Path, no_network: None) -> None:
    vector = Embedder(resolve(str(tiny_model_dir))).embed_query("offline, always")
    assert vector.shape == (TINY_DIMENSION,)
    assert "HF_HUB_OFFLINE" not in os.environ  # mnemo never sets it: a later download must stay possible


def test_a_fastembed_name_not_downloaded_with_hf_hub_offline(own_cache: Path) -> None:
    embedder = Embedder(resolve("BAAI/bge-small-en-v1.5"))
    with pytest.raises(ModelError) as raised:
        embedder.embed_query("anything")
    assert str(raised.value) == (
        "model BAAI/bge-small-en-v1.5 is not downloaded and cannot be fetched offline: HF_HUB_OFFLINE is set"
    )


def test_a_fastembed_name_not_downloaded_without_network(own_cache: Path, no_network: None) -> None:
    embedder = Embedder(resolve("BAAI/bge-small-en-v1.5"))
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"^model BAAI/bge-small-en-v1\.5 is not downloaded and cannot be fetched "):
        embedder.embed_query("anything")
    assert time.monotonic() - started < 5  # no retries, no sleeps


def test_a_fastembed_name_loads_from_mnemo_cache_offline(own_cache: Path, no_network: None) -> None:
    # all-MiniLM-L6-v2 is mean-pooled by fastembed, so the tiny stand-in gives distinct vectors.
    fake_fastembed_cache(own_cache / "fastembed", "Qdrant/all-MiniLM-L6-v2-onnx", seed=5)
    embedder = Embedder(resolve("sentence-transformers/all-MiniLM-L6-v2"))
    matrix = embedder.embed_documents(TEXTS)
    assert matrix.shape == (4, 384) and embedder.model_id == "fastembed:sentence-transformers/all-MiniLM-L6-v2"
    np.testing.assert_array_equal(matrix[0], matrix[3])
    assert float(matrix[0] @ matrix[1]) < 0.99


def test_a_model_of_another_dimension_is_refused(own_cache: Path) -> None:
    fake_fastembed_cache(own_cache / "fastembed", "Qdrant/all-MiniLM-L6-v2-onnx", dimension=16)
    embedder = Embedder(resolve("sentence-transformers/all-MiniLM-L6-v2"))
    with pytest.raises(ModelError, match=r"gave vectors of shape \(16,\), expected \(384,\)"):
        embedder.embed_documents(["anything"])


def test_a_name_this_fastembed_does_not_know(own_cache: Path) -> None:
    spec = ModelSpec(id="fastembed:org/retired-model", kind="fastembed", location="org/retired-model", dimension=8)
    with pytest.raises(ModelError, match=r"model org/retired-model, which fastembed [0-9.]+ does not know"):
        Embedder(spec).load()
