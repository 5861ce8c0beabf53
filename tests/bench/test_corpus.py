"""The benchmark corpus: deterministic texts, a vector cache that serves any smaller n, and the
cached embedder a Store is handed."""

from __future__ import annotations

import numpy as np

from bench import corpus


def test_synthetic_is_deterministic_and_prefix_stable():
    assert corpus.synthetic(50) == corpus.synthetic(50)
    assert corpus.synthetic(80)[:50] == corpus.synthetic(50)
    assert corpus.synthetic(50, seed=2) != corpus.synthetic(50)


def test_vectors_are_cached_and_serve_fewer(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "CACHE", tmp_path)
    first = np.array(corpus.vectors(40, progress=False))
    assert first.shape == (40, 384) and np.allclose(np.linalg.norm(first, axis=1), 1, atol=1e-4)
    (cached,) = tmp_path.glob("vectors-*-40.npy")
    np.save(cached, np.ones_like(first))  # prove the second call reads the file, not the model
    assert np.array(corpus.vectors(30, progress=False)).tolist() == np.ones((30, 384)).tolist()


def test_cached_embedder_answers_the_corpus_and_embeds_the_rest(tmp_path, monkeypatch):
    texts = [item["text"] for item in corpus.synthetic(5)]
    matrix = np.eye(5, 384, dtype=np.float32)
    embedder = corpus.CachedEmbedder(texts, matrix)
    assert np.array_equal(embedder.embed_documents([texts[3], texts[1]]), matrix[[3, 1]])
    fresh = embedder.embed_documents(["not in the corpus"])
    assert fresh.shape == (1, 384) and not np.allclose(fresh[0, :5], 0)
    assert embedder.embed_query("a question").shape == (384,)
