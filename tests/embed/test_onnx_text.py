"""The embedded model without fastembed (`embed/onnx_text.py`) gives fastembed's vectors: same
tokens, truncation, padding, pooling and normalisation, batch by batch."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from mnemo_cli.embed import model_files
from mnemo_cli.embed.onnx_text import OnnxText

pytestmark = pytest.mark.slow

TEXTS = [
    "Dana prefers email over phone calls",
    "what did the doctor tell me about my health?",
    "ü ñ 漢字 🙂 — naïve café, ﬁnance",
    "",
    "   ",
    "x",
    "UPPER case and MiXeD Case lowercased by the tokenizer",
    "a\nmultiline\ttext\r\nwith control characters\x00 inside",
    *[f"memory number {i}: {'word ' * (i % 37)}" for i in range(60)],  # ragged lengths, two batches
    "the quick brown fox " * 200,  # ~800 tokens, in the short second batch: truncated at 512
]


@pytest.fixture(scope="module")
def folder() -> Path:
    return model_files.resolve_model_dir()


def test_documents_match_fastembed(folder: Path) -> None:
    from fastembed import TextEmbedding

    reference = TextEmbedding(
        model_name=model_files.MODEL_NAME, specific_model_path=str(folder), cache_dir=str(folder), local_files_only=True
    )
    expected = np.asarray(list(reference.embed(TEXTS, batch_size=64)))
    got = np.asarray(list(OnnxText(folder).embed(TEXTS, batch_size=64)))
    assert got.dtype == expected.dtype == np.float32
    assert got.shape == expected.shape == (len(TEXTS), 384)
    np.testing.assert_array_equal(got, expected)  # the same operations, in the same order
    query = next(iter(OnnxText(folder).query_embed(TEXTS[1])))
    np.testing.assert_array_equal(query, next(iter(reference.query_embed(TEXTS[1]))))


def test_loading_it_imports_no_fastembed() -> None:
    import subprocess

    probe = (
        "import sys; from mnemo_cli.embed import model_files; from mnemo_cli.embed.onnx_text import OnnxText; "
        "list(OnnxText(model_files.resolve_model_dir()).query_embed('hi')); "
        "print(sorted(m for m in ('fastembed', 'huggingface_hub', 'requests', 'PIL') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_model_that_does_not_load_is_a_one_line_model_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mnemo_cli.embed.embedder import Embedder
    from mnemo_cli.errors import ModelError

    folder = tmp_path / "model"
    folder.mkdir()
    for name in model_files.TOKENIZER_FILES:
        (folder / name).write_bytes((model_files.packaged_dir() / name).read_bytes())
    (folder / "model.onnx").write_bytes(b"not an onnx model")
    monkeypatch.setattr(model_files, "resolve_model_dir", lambda: folder)
    with pytest.raises(ModelError, match=rf"^cannot load the embedded model from {folder}: ") as raised:
        Embedder().load()
    assert "\n" not in str(raised.value)
