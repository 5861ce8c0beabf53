"""The embedded model run on onnxruntime and tokenizers directly: fastembed's steps for it, without fastembed.

Importing fastembed costs ~0.3 s of CPU (huggingface_hub, requests, httpx, PIL and every model
family it supports come with it) and more again at exit: over a third of a cold `mnemo recall`.
For the one model mnemo ships, what fastembed does is small and fixed, and this module does the
same (fastembed 0.9's `PooledNormalizedEmbedding` with `load_tokenizer`):

- the tokenizer from `tokenizer.json`, truncating (right) to the smaller of `model_max_length` and
  `max_length` in `tokenizer_config.json`, padding (right) each batch to its longest text with the
  pad token of `tokenizer_config.json` and `pad_token_id` of `config.json`;
- the ONNX session with every graph optimisation, on the CPU; inputs `input_ids`,
  `attention_mask` and zeros for `token_type_ids` (those the model declares), output 0;
- the mean of the token vectors the attention mask keeps (float64), scaled to unit length.

tests/embed/test_onnx_text.py checks the vectors against fastembed's. Folder models and fastembed
names still load through fastembed (`embedder.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


class OnnxText:
    """The model in `folder` (model.onnx beside its tokenizer files), with fastembed's `embed` and
    `query_embed` interface."""

    def __init__(self, folder: Path, *, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        with open(folder / "tokenizer_config.json", encoding="utf-8") as f:
            tokenizer_config = json.load(f)
        with open(folder / "config.json", encoding="utf-8") as f:
            config = json.load(f)
        limits = [tokenizer_config.get(key) for key in ("model_max_length", "max_length")]
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=min(n for n in limits if isinstance(n, int) and n > 0))
        pad_token = tokenizer_config["pad_token"]
        pad_id = config.get("pad_token_id", tokenizer.token_to_id(pad_token))
        tokenizer.enable_padding(pad_id=pad_id, pad_type_id=0, pad_token=pad_token)
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = threads
        self._session = ort.InferenceSession(
            str(folder / "model.onnx"), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {node.name for node in self._session.get_inputs()}

    def embed(self, texts: Sequence[str], batch_size: int = 256) -> Iterator[np.ndarray]:
        """One unit-length row per text, batch by batch."""
        for first in range(0, len(texts), batch_size):
            yield from self._batch(list(texts[first : first + batch_size]))

    def query_embed(self, text: str) -> Iterator[np.ndarray]:
        yield from self.embed([text])

    def _batch(self, texts: list[str]) -> Any:
        import numpy as np

        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feed = {"input_ids": ids}
        if "attention_mask" in self._inputs:
            feed["attention_mask"] = mask
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        tokens = self._session.run(None, feed)[0]
        summed = np.sum(tokens, axis=1, where=mask[:, :, np.newaxis].astype(bool), dtype=np.float64)
        pooled = summed / np.maximum(np.sum(mask, axis=1, keepdims=True), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(tokens.dtype, copy=False)
