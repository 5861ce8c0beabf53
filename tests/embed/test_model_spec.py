"""ModelSpec: the JSON contract, `resolve` for every kind of argument, and ids that follow content."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mnemo_cli.embed import model_files
from mnemo_cli.embed.model_spec import EMBEDDED, ModelSpec, folder_id, resolve
from mnemo_cli.errors import ModelError
from tests.embed.tiny_model import TINY_DIMENSION, build_tiny_model

KEYS = ["id", "kind", "location", "dimension", "sha256", "model_file", "files_sha256", "output", "pooling"]


def test_the_embedded_spec_keeps_the_id_stores_already_carry() -> None:
    assert EMBEDDED.id == model_files.MODEL_ID == "all-MiniLM-L6-v2-onnx-int8"
    assert (EMBEDDED.kind, EMBEDDED.location, EMBEDDED.dimension) == ("embedded", "", 384)
    assert EMBEDDED.sha256 == model_files.EXPECTED["model.onnx"][0]


def test_the_json_keys_are_pinned() -> None:
    # Stores record this object: renaming a key breaks every store that has one.
    assert list(EMBEDDED.to_json()) == KEYS
    assert json.loads(json.dumps(EMBEDDED.to_json())) == EMBEDDED.to_json()


@pytest.mark.parametrize("arg", ["embedded", "default", "Embedded", "all-MiniLM-L6-v2-onnx-int8"])
def test_resolve_embedded(arg: str) -> None:
    assert resolve(arg) is EMBEDDED


def test_resolve_a_folder(tiny_model_dir: Path) -> None:
    spec = resolve(str(tiny_model_dir))
    assert spec.kind == "folder"
    assert spec.location == str(tiny_model_dir.resolve())
    assert spec.dimension == TINY_DIMENSION
    assert (spec.model_file, spec.output, spec.pooling) == ("model.onnx", "last_hidden_state", "mean")
    assert spec.sha256 == model_files.sha256_of(tiny_model_dir / "model.onnx")
    assert spec.id == folder_id(spec.sha256, spec.files_sha256, spec.output, spec.pooling)
    assert spec.id.startswith("onnx-") and len(spec.id) == 21
    assert ModelSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


def test_resolve_a_relative_folder(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tiny_model_dir.parent)
    assert resolve(f"./{tiny_model_dir.name}") == resolve(str(tiny_model_dir))


def test_same_files_elsewhere_keep_their_id(tiny_model_dir: Path, tmp_path: Path) -> None:
    moved = shutil.copytree(tiny_model_dir, tmp_path / "somewhere" / "else")
    original, copy = resolve(str(tiny_model_dir)), resolve(str(moved))
    assert copy.location != original.location
    assert copy.id == original.id


def test_other_weights_get_another_id(tiny_model_dir: Path, tmp_path: Path) -> None:
    other = resolve(str(build_tiny_model(tmp_path / "other", seed=1)))
    assert other.id != resolve(str(tiny_model_dir)).id
    assert other.sha256 != resolve(str(tiny_model_dir)).sha256


def test_another_tokenizer_gets_another_id(tiny_model_dir: Path, tmp_path: Path) -> None:
    changed = shutil.copytree(tiny_model_dir, tmp_path / "changed")
    config = json.loads((changed / "tokenizer_config.json").read_text())
    (changed / "tokenizer_config.json").write_text(json.dumps({**config, "model_max_length": 128}))
    assert resolve(str(changed)).id != resolve(str(tiny_model_dir)).id


def test_the_pooling_config_decides_the_pooling(tmp_path: Path) -> None:
    cls = resolve(str(build_tiny_model(tmp_path / "cls", pooling="cls_token")))
    mean = resolve(str(build_tiny_model(tmp_path / "mean", pooling="mean_tokens")))
    last = resolve(str(build_tiny_model(tmp_path / "last", pooling="lasttoken")))
    assert (cls.pooling, mean.pooling, last.pooling) == ("cls", "mean", "last_token")
    assert cls.sha256 == mean.sha256 and cls.id != mean.id  # same weights, other vectors


def test_an_unsupported_pooling_is_refused(tmp_path: Path) -> None:
    folder = build_tiny_model(tmp_path / "max", pooling="max_tokens")
    with pytest.raises(ModelError, match=r"pooling_mode_max_tokens; mnemo pools by mean, cls token or last token"):
        resolve(str(folder))


def test_a_sentence_embedding_output_is_used_as_it_is(tmp_path: Path) -> None:
    spec = resolve(str(build_tiny_model(tmp_path / "st", sentence_embedding=True, pooling="cls_token")))
    assert (spec.output, spec.pooling, spec.dimension) == ("sentence_embedding", "none", TINY_DIMENSION)


def test_the_hugging_face_layout(tmp_path: Path) -> None:
    spec = resolve(str(build_tiny_model(tmp_path / "repo", hf_layout=True, dimension=8)))
    assert (spec.model_file, spec.dimension) == ("onnx/model.onnx", 8)


def test_missing_files_are_named(tiny_model_dir: Path, tmp_path: Path) -> None:
    partial = shutil.copytree(tiny_model_dir, tmp_path / "partial")
    (partial / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match=r"^model folder .*partial has no tokenizer\.json$") as raised:
        resolve(str(partial))
    assert raised.value.hint is not None and "model.onnx" in raised.value.hint
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match=r"has no model\.onnx or onnx/model\.onnx, tokenizer\.json, tokenizer_config"):
        resolve(str(empty))


def test_a_model_needing_other_inputs_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    folder = shutil.copytree(tiny_model_dir, tmp_path / "decoder")
    model = onnx.load(str(folder / "model.onnx"))
    model.graph.input.append(helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "tokens"]))
    onnx.save(model, str(folder / "model.onnx"))
    with pytest.raises(ModelError, match="takes inputs input_ids, attention_mask, token_type_ids, position_ids"):
        resolve(str(folder))


def test_a_broken_onnx_file_is_a_model_error(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(tiny_model_dir, tmp_path / "broken")
    (folder / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"^cannot load .*model\.onnx: "):
        resolve(str(folder))


@pytest.mark.parametrize("arg", ["./no-such-folder", "/no/such/folder", "~/no-such-mnemo-model", "models/"])
def test_a_missing_folder(arg: str) -> None:
    with pytest.raises(ModelError, match=r"^model folder not found: "):
        resolve(arg)


def test_a_file_is_not_a_folder(tiny_model_dir: Path) -> None:
    with pytest.raises(ModelError, match=r"is a file; give the folder that holds model\.onnx"):
        resolve(str(tiny_model_dir / "model.onnx"))


@pytest.mark.parametrize(
    "arg", ["BAAI/bge-small-en-v1.5", "baai/BGE-small-en-v1.5", "fastembed:BAAI/bge-small-en-v1.5"]
)
def test_resolve_a_fastembed_name(arg: str) -> None:
    spec = resolve(arg)
    assert spec == ModelSpec(
        id="fastembed:BAAI/bge-small-en-v1.5", kind="fastembed", location="BAAI/bge-small-en-v1.5", dimension=384
    )


def test_an_unknown_name_says_where_to_look() -> None:
    with pytest.raises(
        ModelError, match=r"unknown model 'bge-smal-en-v1.5'.*did you mean BAAI/bge-small-en-v1\.5"
    ) as e:
        resolve("bge-smal-en-v1.5")
    assert e.value.hint is not None and "Supported_Models" in e.value.hint
    with pytest.raises(ModelError, match=r"^unknown model 'no-such-model': not a folder, nor a model fastembed knows$"):
        resolve("no-such-model")


# -- JSON ------------------------------------------------------------------------------------------

hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)
names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=60)


@st.composite
def folder_specs(draw: st.DrawFn) -> ModelSpec:
    sha256, files_sha256 = draw(hex64), draw(hex64)
    output = draw(names.filter(lambda s: "\0" not in s))
    pooling = draw(st.sampled_from(["mean", "cls", "last_token", "none"]))
    return ModelSpec(
        id=folder_id(sha256, files_sha256, output, pooling),
        kind="folder",
        location="/" + draw(names.filter(lambda s: "\0" not in s)),
        dimension=draw(st.integers(1, 65_536)),
        sha256=sha256,
        model_file=draw(st.sampled_from(["model.onnx", "onnx/model.onnx"])),
        files_sha256=files_sha256,
        output=output,
        pooling=pooling,
    )


fastembed_specs = st.builds(
    lambda name, dim: ModelSpec(id="fastembed:" + name, kind="fastembed", location=name, dimension=dim),
    names,
    st.integers(1, 65_536),
)
specs = st.one_of(st.just(EMBEDDED), fastembed_specs, folder_specs())
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@given(specs)
def test_json_round_trip(spec: ModelSpec) -> None:
    data = json.loads(json.dumps(spec.to_json()))
    assert ModelSpec.from_json(data) == spec
    assert ModelSpec.from_json(data).to_json() == data


@given(specs, st.sampled_from(KEYS), json_values)
@example(EMBEDDED, "dimension", True)
@example(EMBEDDED, "dimension", 384.0)
@example(EMBEDDED, "id", "all-MiniLM-L12-v2-onnx")
def test_a_changed_field_is_refused_or_read_exactly(spec: ModelSpec, key: str, value: Any) -> None:
    data = {**spec.to_json(), key: value}
    try:
        read = ModelSpec.from_json(data)
    except ModelError:
        return
    assert read.to_json() == data


@given(json_values)
@example({})
@example({**EMBEDDED.to_json(), "extra": 1})
def test_junk_is_only_ever_a_model_error(value: Any) -> None:
    with pytest.raises(ModelError):
        ModelSpec.from_json(value)


def test_specific_junk_gets_a_clear_message(tiny_model_dir: Path) -> None:
    folder = resolve(str(tiny_model_dir)).to_json()
    with pytest.raises(ModelError, match="does not match the folder's fingerprint"):
        ModelSpec.from_json({**folder, "pooling": "cls"})
    with pytest.raises(ModelError, match="not an absolute path"):
        ModelSpec.from_json({**folder, "location": "relative/path"})
    with pytest.raises(ModelError, match=r"unknown keys \['extra'\]"):
        ModelSpec.from_json({**folder, "extra": 1})
    with pytest.raises(ModelError, match=r"lacks \['pooling'\]"):
        ModelSpec.from_json({k: v for k, v in folder.items() if k != "pooling"})
    with pytest.raises(ModelError, match="does not match fastembed model"):
        ModelSpec.from_json({**resolve("BAAI/bge-small-en-v1.5").to_json(), "location": "BAAI/bge-base-en"})
    with pytest.raises(ModelError, match="built-in model 'old-model', which this mnemo does not ship") as raised:
        ModelSpec.from_json({**EMBEDDED.to_json(), "id": "old-model"})
    assert raised.value.hint == "run `mnemo reindex --model embedded` to index it with this mnemo's model"


def test_importing_the_embed_modules_loads_nothing_heavy() -> None:
    probe = (
        "import sys, mnemo_cli.embed.embedder, mnemo_cli.embed.model_spec, mnemo_cli.embed.folder_model;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('numpy', 'onnxruntime', 'fastembed', 'usearch', 'tokenizers', 'huggingface_hub', 'onnx')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
