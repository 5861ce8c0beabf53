"""The real embedded model, offline: shapes, unit length, meaning, and no network at all."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from mnemo_cli.embed.embedder import Embedder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    e = Embedder()
    e.load()
    return e


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_documents_are_unit_float32_rows(embedder: Embedder) -> None:
    texts = ["first memory", "a second, longer memory about the garden", "ü ñ 漢字 🙂"]
    matrix = embedder.embed_documents(texts)
    assert matrix.shape == (3, 384)
    assert matrix.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)


def test_query_is_one_unit_vector(embedder: Embedder) -> None:
    vector = embedder.embed_query("where did I park the car?")
    assert vector.shape == (384,)
    assert vector.dtype == np.float32
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_vectors_carry_meaning(embedder: Embedder) -> None:
    cat, kitten, taxes = embedder.embed_documents(
        [
            "The cat sat on the mat.",
            "A kitten is sitting on a rug.",
            "The quarterly tax filing is due in April.",
        ]
    )
    assert cosine(cat, kitten) > 0.5
    assert cosine(cat, kitten) > cosine(cat, taxes) + 0.3


def test_same_text_same_vector_in_any_batch(embedder: Embedder) -> None:
    text = "Alice prefers tea over coffee in the morning."
    alone = embedder.embed_documents([text])[0]
    batched = embedder.embed_documents(["a much longer neighbour sentence that forces padding " * 3, text])[1]
    query = embedder.embed_query(text)
    assert cosine(alone, batched) > 0.999
    assert cosine(alone, query) > 0.999


def test_empty_batch_does_not_load_the_model() -> None:
    fresh = Embedder()
    assert fresh.embed_documents([]).shape == (0, 384)
    assert fresh.model_dir is None


def test_loading_and_embedding_need_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the embedder tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    fresh = Embedder()
    assert fresh.embed_query("offline, always").shape == (384,)
