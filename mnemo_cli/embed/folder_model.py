"""A model folder the user points mnemo at: what it holds, how it pools, and proof it has not changed.

A folder is what `git clone https://huggingface.co/<org>/<model>` or an ONNX export of a
sentence-transformers model gives:

- `model.onnx` (or `onnx/model.onnx`, the layout of Hugging Face repositories), taking the inputs
  fastembed feeds a BERT-like model (`input_ids`, and `attention_mask` / `token_type_ids` if it
  declares them, int64) and giving token vectors `[batch, tokens, D]` (`last_hidden_state`,
  `token_embeddings`) or sentence vectors `[batch, D]` (`sentence_embedding`); weights kept apart in
  `model.onnx_data` / `model.onnx.data` are part of the model;
- `tokenizer.json` and `tokenizer_config.json` (which must give `model_max_length`); optionally
  `special_tokens_map.json` and `config.json`;
- optionally the sentence-transformers pooling config (`1_Pooling/config.json`, or the Pooling
  module named in `modules.json`).

Pooling: a `sentence_embedding` output (or any two-dimensional output) is already pooled and used
as it is. Token vectors are pooled the way the pooling config says (`pooling_mode_mean_tokens`,
`pooling_mode_cls_token` or `pooling_mode_lasttoken`); without one, by the mean over the tokens,
sentence-transformers' default. A model trained with CLS pooling (BGE, for one) therefore needs
`1_Pooling/config.json` with `{"pooling_mode_cls_token": true}`. Vectors are always scaled to unit
length, so a `Normalize` module changes nothing.

The choice is made once, by `describe`, and recorded (see `model_spec`); loading again never looks
at the pooling config. `check` proves the folder still holds the files it was described with: by
sha256, or by each file's identity (device, inode, size, mtime) against a stamp written under the
cache dir when they were last hashed, as `model_files` does for the embedded model.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnemo_cli.embed import model_files
from mnemo_cli.embed.runtime import first_line, quiet_runtime
from mnemo_cli.errors import ModelError, ModelIntegrityError
from mnemo_cli.log import fileops

MODEL_FILES = ("model.onnx", "onnx/model.onnx")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
#: Read by fastembed when present; their content is part of the fingerprint, present or not.
OPTIONAL_FILES = ("special_tokens_map.json", "config.json")
EXTERNAL_DATA_SUFFIXES = ("_data", ".data")
POOLINGS = ("mean", "cls", "last_token", "none")
#: Outputs preferred, in this order, when the model gives several.
PREFERRED_OUTPUTS = ("sentence_embedding", "last_hidden_state", "token_embeddings")

_ST_POOLING_MODES = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_lasttoken": "last_token",
    "pooling_mode_max_tokens": None,
    "pooling_mode_mean_sqrt_len_tokens": None,
    "pooling_mode_weightedmean_tokens": None,
}
_PROBE = "mnemo checks that this model folder works"
_STAMP_VERSION = 1
_FOLDER_HINT = "a model folder holds model.onnx (or onnx/model.onnx), tokenizer.json and tokenizer_config.json"


@dataclass(frozen=True)
class FolderModel:
    """What `describe` found in a folder: everything needed to load it again the same way."""

    model_file: str
    sha256: str
    files_sha256: str
    output: str
    pooling: str
    dimension: int


def describe(folder: Path) -> FolderModel:
    """Check that `folder` holds a usable model, hash it, and decide its output, pooling and dimension.

    Loads the model once with onnxruntime and runs it on one tokenised sentence.
    """
    model_file = _model_file(folder)
    identities = _identities(folder, model_file)  # before hashing: a file changed meanwhile is hashed again
    sha256 = _hash(folder / model_file)
    files_sha256 = files_digest(folder, model_file)
    output, rank, dimension = _probe(folder, model_file)
    pooling = "none" if rank == 2 else _configured_pooling(folder)
    _stamp(str(folder), sha256, files_sha256, identities)
    return FolderModel(model_file, sha256, files_sha256, output, pooling, dimension)


def files_digest(folder: Path, model_file: str) -> str:
    """One sha256 over every file beside `model_file` that decides the vectors (tokenizer, config,
    external weights); an absent optional file counts as absent, so adding or removing one shows."""
    lines = []
    for name in _fingerprinted(model_file):
        path = folder / name
        lines.append(f"{name}\0{_hash(path) if path.is_file() else '-'}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def check(location: str, model_file: str, sha256: str, files_sha256: str) -> Path:
    """The folder at `location`, proven to hold the files it was described with.

    Raises ModelError if a file is gone, ModelIntegrityError if one changed.
    """
    folder = Path(location)
    changed = (
        f"model folder {location} changed since the store was indexed; run `mnemo reindex --model {location}` again"
    )
    if not (folder / model_file).is_file():
        raise ModelError(
            f"model folder {location} has no {model_file} any more",
            hint=f"put the model back there, or run `mnemo reindex --model` with another model; {_FOLDER_HINT}",
        )
    identities = _identities(folder, model_file)
    if _read_json(_stamp_path(location)) == _stamp_content(location, sha256, files_sha256, identities):
        return folder
    if _hash(folder / model_file) != sha256 or files_digest(folder, model_file) != files_sha256:
        raise ModelIntegrityError(changed)
    _stamp(location, sha256, files_sha256, identities)
    return folder


def _model_file(folder: Path) -> str:
    if not folder.is_dir():
        raise ModelError(f"model folder not found: {folder}", hint=_FOLDER_HINT)
    found = next((name for name in MODEL_FILES if (folder / name).is_file()), None)
    missing = [] if found else [" or ".join(MODEL_FILES)]
    missing += [name for name in TOKENIZER_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"model folder {folder} has no {', '.join(missing)}", hint=_FOLDER_HINT)
    assert found is not None
    return found


def _fingerprinted(model_file: str) -> list[str]:
    data = [model_file + suffix for suffix in EXTERNAL_DATA_SUFFIXES]
    return [*TOKENIZER_FILES, *OPTIONAL_FILES, *data]


def _hash(path: Path) -> str:
    try:
        return model_files.sha256_of(path)
    except OSError as e:
        raise ModelError(f"cannot read model file {path}: {e.strerror or e}") from None


def _probe(folder: Path, model_file: str) -> tuple[str, int, int]:
    """(output name, its rank, the vector dimension), from one run of the model as fastembed runs it."""
    quiet_runtime()
    import numpy as np
    import onnxruntime as ort
    from fastembed.common.preprocessor_utils import load_tokenizer

    try:
        tokenizer, _ = load_tokenizer(folder)
    except Exception as e:  # tokenizers and fastembed raise their own, undocumented types
        raise ModelError(f"cannot load the tokenizer of model folder {folder}: {first_line(e)}") from None
    try:
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: exports often carry unused initializers
        session = ort.InferenceSession(str(folder / model_file), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime's exceptions are not part of its API
        raise ModelError(f"cannot load {folder / model_file}: {first_line(e)}") from None
    outputs = {o.name: o for o in session.get_outputs()}
    name = next((n for n in PREFERRED_OUTPUTS if n in outputs), next(iter(outputs)))
    encoded = tokenizer.encode_batch([_PROBE])[0]
    feeds: dict[str, Any] = {
        "input_ids": np.array([encoded.ids], dtype=np.int64),
        "attention_mask": np.array([encoded.attention_mask], dtype=np.int64),
        "token_type_ids": np.zeros((1, len(encoded.ids)), dtype=np.int64),
    }
    wanted = [i.name for i in session.get_inputs()]
    unknown = [n for n in wanted if n not in feeds]
    if unknown or "input_ids" not in wanted:
        raise ModelError(
            f"{folder / model_file} takes inputs {', '.join(wanted)}; mnemo gives input_ids, "
            "attention_mask and token_type_ids"
        )
    try:
        (result,) = session.run([name], {n: feeds[n] for n in wanted})
    except Exception as e:
        raise ModelError(f"cannot run {folder / model_file}: {first_line(e)}") from None
    if result.ndim not in (2, 3) or result.shape[0] != 1 or result.shape[-1] < 1:
        raise ModelError(f"output {name} of {folder / model_file} has shape {result.shape}, not [batch, (tokens,) dim]")
    if not np.issubdtype(result.dtype, np.floating):
        raise ModelError(f"output {name} of {folder / model_file} is {result.dtype}, not floating point")
    return name, int(result.ndim), int(result.shape[-1])


def _configured_pooling(folder: Path) -> str:
    """The pooling sentence-transformers would use for this folder; mean when it says nothing."""
    path = folder / "1_Pooling" / "config.json"
    modules = _read_json(folder / "modules.json")
    if isinstance(modules, list):
        for module in modules:
            if isinstance(module, dict) and str(module.get("type", "")).endswith(".Pooling"):
                path = folder / str(module.get("path", "")) / "config.json"
    if not path.is_file():
        return "mean"
    config = _read_json(path)
    if not isinstance(config, dict):
        raise ModelError(f"cannot read the pooling config {path}")
    chosen = [mode for mode in _ST_POOLING_MODES if config.get(mode) is True]
    if len(chosen) != 1 or _ST_POOLING_MODES[chosen[0]] is None:
        raise ModelError(
            f"{path} asks for pooling {' + '.join(chosen) or 'none'}; mnemo pools by mean, cls token or last token",
            hint="set exactly one of pooling_mode_mean_tokens, pooling_mode_cls_token, pooling_mode_lasttoken to true",
        )
    pooling = _ST_POOLING_MODES[chosen[0]]
    assert pooling is not None
    return pooling


def _identities(folder: Path, model_file: str) -> dict[str, list[int] | None]:
    """(device, inode, size, mtime_ns) of each file the fingerprint covers; None for an absent one."""
    found: dict[str, list[int] | None] = {}
    for name in [model_file, *_fingerprinted(model_file)]:
        try:
            st = os.stat(folder / name)
        except OSError:
            found[name] = None
            continue
        found[name] = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]
    return found


def _stamp_content(location: str, sha256: str, files_sha256: str, identities: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": _STAMP_VERSION,
        "location": location,
        "sha256": sha256,
        "files_sha256": files_sha256,
        "identities": identities,
    }


def _stamp(location: str, sha256: str, files_sha256: str, identities: dict[str, Any]) -> None:
    """Remember that the files with these identities hash as given."""
    # The stamp only saves the next load a hash; the files were verified either way.
    with contextlib.suppress(OSError):
        _write_json(_stamp_path(location), _stamp_content(location, sha256, files_sha256, identities))


def _stamp_path(location: str) -> Path:
    key = hashlib.sha256(location.encode()).hexdigest()[:24]
    return model_files.cache_root() / "models" / "folders" / f"{key}.json"


def _read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fileops.write_outside(path, [json.dumps(value).encode("utf-8")])
