"""Which embedding model a store's vectors come from: `ModelSpec`, its JSON form, and `resolve`.

A store records the spec of the model that made its vectors, and every later command loads that
same model again (`Embedder(spec)`). Three kinds:

- ``embedded``: the model mnemo ships (all-MiniLM-L6-v2, int8 ONNX, 384-d), offline. Its id stays
  `all-MiniLM-L6-v2-onnx-int8`, the id stores written before specs existed already carry.
- ``folder``: a model folder on this machine, offline; see `folder_model` for what it must hold
  and how its pooling is chosen. Its id is a fingerprint of everything that decides the vectors
  (model.onnx, the tokenizer and config files, the output and pooling used), not of the path: the
  same files elsewhere keep their id, changed files get a new one.
- ``fastembed``: a model fastembed knows by name, downloaded into mnemo's cache dir the first time
  (the only kind that may use the network). Its id is ``fastembed:<name>``.

The JSON form (`to_json`) always has the same keys; `from_json` refuses anything else (a missing
or unknown key, a wrong type, an id that does not match the rest) with a `ModelError`, so a spec
read back is one this mnemo can load identically or nothing at all.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from mnemo_cli.embed import model_files
from mnemo_cli.embed.folder_model import MODEL_FILES, POOLINGS, describe
from mnemo_cli.embed.runtime import quiet_runtime
from mnemo_cli.errors import ModelError

KINDS = ("embedded", "folder", "fastembed")
FASTEMBED_PREFIX = "fastembed:"
MAX_DIMENSION = 65_536
#: Names of folder models as registered with fastembed, which they must not be resolved as.
REGISTERED_PREFIX = "mnemo-folder/"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_NAME_HINT = (
    "give `embedded`, a model folder, or a fastembed model name such as BAAI/bge-small-en-v1.5 "
    "(the list: https://qdrant.github.io/fastembed/examples/Supported_Models/)"
)


@dataclass(frozen=True)
class ModelSpec:
    """One embedding model, as recorded beside a store's vectors.

    `location` is the folder's absolute path, the fastembed model name, or "" for the embedded
    model. `sha256` is that of the ONNX file (embedded and folder); `model_file`, `files_sha256`
    (see `folder_model.files_digest`), `output` and `pooling` (mean, cls, last_token, none) say how
    a folder is loaded and are "" for the other kinds, whose loading fastembed decides by name.
    """

    id: str
    kind: str
    location: str
    dimension: int
    sha256: str = ""
    model_file: str = ""
    files_sha256: str = ""
    output: str = ""
    pooling: str = ""

    def to_json(self) -> dict[str, Any]:
        """The spec as a JSON-ready dict; every key, always."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> ModelSpec:
        """The spec `data` describes, or ModelError if it is not exactly a valid one."""
        if not isinstance(data, dict):
            raise ModelError(f"a model spec must be a JSON object, not {type(data).__name__}")
        names = [f.name for f in fields(cls)]
        unknown = sorted(str(k) for k in data if k not in names)
        missing = [n for n in names if n not in data]
        if unknown or missing:
            raise ModelError(f"model spec has unknown keys {unknown} or lacks {missing}")
        if type(data["dimension"]) is not int:
            raise ModelError("model spec dimension must be an integer")
        for name in names:
            if name != "dimension" and not isinstance(data[name], str):
                raise ModelError(f"model spec {name} must be a string")
            if name != "dimension" and not _is_utf8(data[name]):
                raise ModelError(f"model spec {name} is not valid UTF-8 text")
        spec = cls(**{n: data[n] for n in names})
        spec.validate()
        return spec

    def validate(self) -> None:
        """Raise ModelError unless every field is consistent with the kind and the id."""
        if self.kind not in KINDS:
            raise ModelError(f"unknown model kind {self.kind!r}")
        if not 1 <= self.dimension <= MAX_DIMENSION:
            raise ModelError(f"model dimension {self.dimension} is out of range")
        if self.kind == "embedded":
            if self.id != EMBEDDED.id:
                raise ModelError(
                    f"the store's vectors come from built-in model {self.id!r}, which this mnemo does not ship",
                    hint="run `mnemo reindex --model embedded` to index it with this mnemo's model",
                )
            if self != EMBEDDED:
                raise ModelError("model spec of the built-in model does not match it")
        elif self.kind == "fastembed":
            if not self.location or self.id != FASTEMBED_PREFIX + self.location:
                raise ModelError(f"model spec id {self.id!r} does not match fastembed model {self.location!r}")
            if self.sha256 or self.model_file or self.files_sha256 or self.output or self.pooling:
                raise ModelError("a fastembed model spec has no folder fields")
        else:
            self._validate_folder()

    def _validate_folder(self) -> None:
        if not Path(self.location).is_absolute() or "\0" in self.location:
            raise ModelError(f"model folder {self.location!r} is not an absolute path")
        if self.model_file not in MODEL_FILES:
            raise ModelError(f"model file {self.model_file!r} is not one of {', '.join(MODEL_FILES)}")
        if not _SHA256.fullmatch(self.sha256) or not _SHA256.fullmatch(self.files_sha256):
            raise ModelError("model spec sha256 must be 64 lowercase hex digits")
        if self.pooling not in POOLINGS or not self.output or "\0" in self.output:
            raise ModelError(f"model spec pooling {self.pooling!r} or output {self.output!r} is invalid")
        if self.id != folder_id(self.sha256, self.files_sha256, self.output, self.pooling):
            raise ModelError(f"model spec id {self.id!r} does not match the folder's fingerprint")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def folder_id(sha256: str, files_sha256: str, output: str, pooling: str) -> str:
    """The id of a folder model: a fingerprint of what decides its vectors, whatever its path."""
    fingerprint = hashlib.sha256(f"mnemo folder model 1\n{sha256}\n{files_sha256}\n{output}\n{pooling}\n".encode())
    return "onnx-" + fingerprint.hexdigest()[:16]


#: The model mnemo ships; its id is the one stores written before specs existed carry.
EMBEDDED = ModelSpec(
    id=model_files.MODEL_ID,
    kind="embedded",
    location="",
    dimension=model_files.DIMENSION,
    sha256=model_files.EXPECTED["model.onnx"][0],
)


def resolve(arg: str) -> ModelSpec:
    """The spec `arg` names: `embedded` (or `default`), a model folder, or a fastembed model name.

    A folder is checked, hashed and run once (seconds for a large model); a name is only looked up,
    nothing is downloaded. Raises ModelError, with a hint, for anything else.
    """
    if arg.strip().lower() in ("embedded", "default", EMBEDDED.id.lower()):
        return EMBEDDED
    path = Path(arg).expanduser()
    if path.is_dir():
        return folder_spec(path)
    if path.exists():
        raise ModelError(f"{arg} is a file; give the folder that holds model.onnx")
    # A path is no fastembed name: said before asking fastembed, which the binary does not carry.
    if arg.startswith(("/", ".", "~")) or arg.endswith("/") or "\\" in arg:
        raise ModelError(f"model folder not found: {arg}", hint=_NAME_HINT)
    name = arg.removeprefix(FASTEMBED_PREFIX)
    known = fastembed_models()
    canonical = {n.lower(): n for n in known}.get(name.lower())
    if canonical is not None:
        return ModelSpec(
            id=FASTEMBED_PREFIX + canonical, kind="fastembed", location=canonical, dimension=known[canonical]
        )
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    suggestion = f" (did you mean {', '.join(close)}?)" if close else ""
    raise ModelError(f"unknown model {arg!r}: not a folder, nor a model fastembed knows{suggestion}", hint=_NAME_HINT)


def folder_spec(folder: Path) -> ModelSpec:
    """The spec of the model in `folder`, after checking that it loads and runs."""
    location = str(folder.expanduser().resolve())
    found = describe(Path(location))
    spec = ModelSpec(
        id=folder_id(found.sha256, found.files_sha256, found.output, found.pooling),
        kind="folder",
        location=location,
        dimension=found.dimension,
        sha256=found.sha256,
        model_file=found.model_file,
        files_sha256=found.files_sha256,
        output=found.output,
        pooling=found.pooling,
    )
    spec.validate()
    return spec


def fastembed_models() -> dict[str, int]:
    """The text models the installed fastembed can fetch by name → their dimension."""
    quiet_runtime()
    from fastembed import TextEmbedding

    return {
        m["model"]: int(m["dim"])
        for m in TextEmbedding.list_supported_models()
        if not m["model"].startswith(REGISTERED_PREFIX) and m.get("dim")
    }
