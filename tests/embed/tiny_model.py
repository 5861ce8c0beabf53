"""A tiny, deterministic ONNX embedding model folder for tests: no download, a few MB, milliseconds.

`build_tiny_model` writes a folder `model_spec.resolve` accepts: `model.onnx`, built here with the
`onnx` package, beside copies of the embedded model's tokenizer files. The model takes what
fastembed feeds a BERT-like model (`input_ids`, `attention_mask`, `token_type_ids`, int64) and
gives `last_hidden_state` `[batch, tokens, dimension]`: a lookup in a random word table (fixed by
`seed`) plus a token-type table, zeroed where the attention mask is 0. Pooled by the mean, a text's
vector is the mean of its tokens' rows: the same text always gets the same vector, different
texts different ones. It knows no meaning; it is for plumbing, not quality.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from mnemo_cli.embed import model_files

#: The embedded model's tokenizer has this many tokens.
VOCAB_SIZE = 30522
TINY_DIMENSION = 32


def build_tiny_model(
    folder: Path,
    *,
    dimension: int = TINY_DIMENSION,
    seed: int = 0,
    sentence_embedding: bool = False,
    pooling: str | None = None,
    hf_layout: bool = False,
) -> Path:
    """Write a tiny model folder at `folder` (created if need be) and return it.

    `seed` decides the weights (another seed, another model). `sentence_embedding` adds a second,
    already pooled output `sentence_embedding` [batch, dimension] (masked mean), as sentence-
    transformers exports have. `pooling` writes `1_Pooling/config.json` asking for that
    sentence-transformers pooling mode (e.g. "cls_token", "mean_tokens", "max_tokens").
    `hf_layout` puts the model at `onnx/model.onnx`, as Hugging Face repositories do.
    """
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / ("onnx/model.onnx" if hf_layout else "model.onnx")
    model_path.parent.mkdir(exist_ok=True)
    onnx.save(tiny_onnx(dimension=dimension, seed=seed, sentence_embedding=sentence_embedding), str(model_path))
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copyfile(model_files.packaged_dir() / name, folder / name)
    config = json.loads((model_files.packaged_dir() / "config.json").read_text(encoding="utf-8"))
    config.update(_name_or_path="mnemo-tests/tiny", hidden_size=dimension, num_hidden_layers=0)
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    if pooling is not None:
        (folder / "1_Pooling").mkdir(exist_ok=True)
        modes = {f"pooling_mode_{m}": m == pooling for m in ("cls_token", "mean_tokens", "max_tokens", "lasttoken")}
        (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": dimension, **modes}))
    return folder


def tiny_onnx(*, dimension: int = TINY_DIMENSION, seed: int = 0, sentence_embedding: bool = False) -> onnx.ModelProto:
    """The tiny model itself (see the module docstring), checked by `onnx.checker`."""
    rng = np.random.default_rng(seed)
    words = numpy_helper.from_array(rng.standard_normal((VOCAB_SIZE, dimension)).astype(np.float32), "word_table")
    types = numpy_helper.from_array(rng.standard_normal((2, dimension)).astype(np.float32) * 0.1, "type_table")
    last_axis = numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis")
    tokens = ["batch", "tokens"]
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, tokens)
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    outputs = [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [*tokens, dimension])]
    nodes = [
        helper.make_node("Gather", ["word_table", "input_ids"], ["word_vectors"]),
        helper.make_node("Gather", ["type_table", "token_type_ids"], ["type_vectors"]),
        helper.make_node("Add", ["word_vectors", "type_vectors"], ["summed"]),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask", "last_axis"], ["mask3"]),
        helper.make_node("Mul", ["summed", "mask3"], ["last_hidden_state"]),
    ]
    initializers = [words, types, last_axis]
    if sentence_embedding:
        initializers.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "token_axis"))
        outputs.append(helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", dimension]))
        nodes += [
            helper.make_node("ReduceSum", ["last_hidden_state", "token_axis"], ["total"], keepdims=0),
            helper.make_node("ReduceSum", ["mask3", "token_axis"], ["count"], keepdims=0),
            helper.make_node("Div", ["total", "count"], ["sentence_embedding"]),
        ]
    graph = helper.make_graph(nodes, "mnemo-tiny", inputs, outputs, initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="mnemo-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def fake_fastembed_cache(
    cache_dir: Path, hf_repo: str, *, model_file: str = "model.onnx", dimension: int = 384, seed: int = 0
) -> Path:
    """Put a tiny model in `cache_dir` where fastembed looks for the model fetched from `hf_repo`.

    The layout is huggingface_hub's cache (`models--<org>--<name>/refs/main` naming a snapshot
    folder), so a fastembed model name loads offline, with tiny weights, as if downloaded before.
    Returns the snapshot folder.
    """
    revision = "0" * 40
    repo_dir = cache_dir / ("models--" + hf_repo.replace("/", "--"))
    snapshot = repo_dir / "snapshots" / revision
    build_tiny_model(snapshot, dimension=dimension, seed=seed)
    if model_file != "model.onnx":
        (snapshot / model_file).parent.mkdir(parents=True, exist_ok=True)
        (snapshot / "model.onnx").rename(snapshot / model_file)
    (repo_dir / "refs").mkdir(exist_ok=True)
    (repo_dir / "refs" / "main").write_text(revision)
    return snapshot
