"""Text → vectors with one model (`ModelSpec`): unit-length float32, documents in batches or one query.

The model's libraries are imported the first time text is embedded, never when this module is
imported, so commands that do not embed do not pay for them. The embedded model runs on
onnxruntime and tokenizers directly (`onnx_text.py`: the same vectors as through fastembed,
without fastembed's import); folder models and fastembed names go through fastembed.

The embedded model and model folders load offline only: fastembed is handed the folder
(`specific_model_path`) and told to use local files only. A fastembed model name is looked up in
fastembed's cache under mnemo's cache dir and downloaded when it is not there, unless the user set
`HF_HUB_OFFLINE`; mnemo itself never sets it, because huggingface_hub reads it once, at import,
and a process that loaded the embedded model first could then never download.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnemo_cli import timings
from mnemo_cli.embed import folder_model, model_files
from mnemo_cli.embed.model_spec import EMBEDDED, REGISTERED_PREFIX, ModelSpec, fastembed_models
from mnemo_cli.embed.onnx_text import OnnxText
from mnemo_cli.embed.runtime import first_line, import_runtime, quiet_runtime, quiet_runtime_env
from mnemo_cli.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

_POOLING = {"mean": "MEAN", "cls": "CLS", "last_token": "LAST_TOKEN", "none": "DISABLED"}
_TRUE = {"1", "TRUE", "YES", "ON"}
#: Seconds to wait for the Hugging Face hub before saying a model cannot be fetched.
HUB_TIMEOUT = 10.0


class Embedder:
    """One embedding model, loaded on first use; the embedded all-MiniLM-L6-v2 unless told otherwise.

    >>> e = Embedder()
    >>> e.embed_documents(["first memory", "second memory"]).shape
    (2, 384)
    """

    model_id = EMBEDDED.id
    dimension = EMBEDDED.dimension

    def __init__(self, spec: ModelSpec = EMBEDDED, *, threads: int | None = None, batch_size: int = 64) -> None:
        self.spec = spec
        self.model_id = spec.id
        self.dimension = spec.dimension
        self._threads = threads
        self._batch_size = batch_size
        self._model: Any = None
        #: The folder the model was loaded from (None until loaded, and for a fastembed name).
        self.model_dir: Path | None = None
        self._lock = threading.Lock()  # one load at a time: a `Preload` thread may be at it
        self._background_error: BaseException | None = None

    def load(self) -> None:
        """Load the model now (otherwise the first embedding does); waits for a load under way in
        another thread, and raises (once) what a background load (`Preload`) raised."""
        if self._model is not None:
            return
        with timings.phase("model"), self._lock:
            if self._model is not None:
                return
            error, self._background_error = self._background_error, None
            if error is not None:
                raise error
            self._load()

    def load_in_background(self) -> None:
        """`load`, for a background thread: what it raises is kept for the next `load` to raise."""
        if self._model is not None:
            return
        with timings.phase("model"), self._lock:
            if self._model is None:
                try:
                    self._load()
                except Exception as e:  # whatever it is, the caller's `load` reports it as its own
                    self._background_error = e

    def _load(self) -> None:
        if self.spec.kind == "embedded":
            self._load_embedded()
        elif self.spec.kind == "folder":
            self._load_folder()
        else:
            self._model = _load_fastembed(self.spec.location, self._threads)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 row per text, in order; shape (len(texts), dimension)."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.load()
        with timings.phase("embed"):
            rows = list(self._model.embed(list(texts), batch_size=self._batch_size))
        return self._checked(np.asarray(rows, dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        """The unit-length float32 vector of one query; shape (dimension,)."""
        self.load()  # first: the model's libraries bring numpy, and its import counts as loading
        import numpy as np

        with timings.phase("embed"):
            row = next(iter(self._model.query_embed(text)))
        return self._checked(np.asarray(row, dtype=np.float32)[None, :])[0]

    def _load_embedded(self) -> None:
        folder = model_files.resolve_model_dir()
        quiet_runtime_env()
        try:
            self._model = OnnxText(folder, threads=self._threads)
        except Exception as e:  # onnxruntime and the tokenizer raise their own, undocumented types
            raise ModelError(f"cannot load the embedded model from {folder}: {first_line(e)}") from e
        self.model_dir = folder

    def _load_folder(self) -> None:
        spec = self.spec
        folder = folder_model.check(spec.location, spec.model_file, spec.sha256, spec.files_sha256)
        quiet_runtime()
        from fastembed import TextEmbedding
        from fastembed.common.model_description import ModelSource, PoolingType

        name = REGISTERED_PREFIX + spec.id
        if not any(m["model"] == name for m in TextEmbedding.list_supported_models()):
            # Registered under its fingerprint: same name, same files, same pooling.
            TextEmbedding.add_custom_model(
                model=name,
                pooling=PoolingType(_POOLING[spec.pooling]),
                normalization=True,
                sources=ModelSource(url="file://" + spec.location),  # never fetched: the folder is given
                dim=spec.dimension,
                model_file=spec.model_file,
                output_name=spec.output,
            )
        self._open_folder(TextEmbedding, name, folder, "the model in")

    def _open_folder(self, text_embedding: Any, name: str, folder: Path, what: str) -> None:
        """fastembed's model `name` from the complete `folder`, local files only."""
        try:
            self._model = text_embedding(
                model_name=name,
                specific_model_path=str(folder),
                cache_dir=str(folder),
                threads=self._threads,
                local_files_only=True,
            )
        except Exception as e:  # onnxruntime and the tokenizer raise their own, undocumented types
            raise ModelError(f"cannot load {what} {folder}: {first_line(e)}") from e
        self.model_dir = folder

    def _checked(self, matrix: np.ndarray) -> np.ndarray:
        if matrix.ndim != 2 or matrix.shape[1] != self.dimension:
            raise ModelError(
                f"model {self.model_id} gave vectors of shape {matrix.shape[1:]}, expected ({self.dimension},)"
            )
        return _normalised(matrix)


def _load_fastembed(name: str, threads: int | None) -> Any:
    """fastembed's model `name`, from mnemo's cache, downloaded first if need be and allowed."""
    if name not in fastembed_models():
        from fastembed import __version__

        raise ModelError(
            f"the store's vectors come from model {name}, which fastembed {__version__} does not know",
            hint="install the fastembed version that made them, or run `mnemo reindex --model` with another model",
        )
    from fastembed import TextEmbedding

    cache = str(model_files.cache_root() / "fastembed")
    try:
        # lazy_load: only ask whether the files are in the cache, so that a failure means "absent".
        TextEmbedding(model_name=name, cache_dir=cache, local_files_only=True, lazy_load=True)
    except Exception:
        _fetchable_or_raise(name)
        cached = False
    else:
        cached = True
    try:
        return TextEmbedding(model_name=name, cache_dir=cache, threads=threads, local_files_only=cached)
    except Exception as e:  # fastembed, huggingface_hub and onnxruntime raise their own types
        raise ModelError(f"cannot load model {name}: {first_line(e)}") from e


def _fetchable_or_raise(name: str) -> None:
    """Return if model `name` can be downloaded now; say why not, in one line, otherwise.

    Asked of the hub with a timeout before fastembed tries: fastembed retries a failed download
    three times with sleeps of 3, 9 and 27 seconds, a hang to someone who is simply offline.
    """
    offline = [v for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE") if os.environ.get(v, "").strip().upper() in _TRUE]
    prefix = f"model {name} is not downloaded and cannot be fetched offline"
    if offline:
        raise ModelError(f"{prefix}: {offline[0]} is set", hint=f"run again once online, without {offline[0]}")
    from fastembed import TextEmbedding
    from huggingface_hub import model_info

    sources = {m["model"]: m["sources"] for m in TextEmbedding.list_supported_models()}.get(name) or {}
    if not sources.get("hf"):
        return
    try:
        model_info(sources["hf"], timeout=HUB_TIMEOUT)
    except Exception as e:  # httpx and huggingface_hub raise their own types for every network failure
        raise ModelError(f"{prefix}: {first_line(e)}", hint="run again once online") from None


def _normalised(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (fastembed already normalises most models; the contract is ours)."""
    import numpy as np

    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, np.float32(1e-12))


_shared: dict[ModelSpec, Embedder] = {}
_shared_lock = threading.Lock()


def shared(spec: ModelSpec = EMBEDDED) -> Embedder:
    """One embedder per model and process: a model is loaded once however many stores use it."""
    with _shared_lock:
        if spec not in _shared:
            _shared[spec] = Embedder(spec)
        return _shared[spec]


class Preload:
    """The model loading in a background thread while the caller unlocks and opens a store.

    The thread imports the models' libraries at once, onnxruntime first, then waits to be told
    which model (`want`: a store knows its model once its index is open), then loads
    `shared(spec)`. The caller's own `shared(spec).load()` waits for that load, or raises what it
    raised: the same error, in the caller's thread, as a load there would have given.

    onnxruntime must be loaded before usearch in a process, and two threads must never import
    numpy at once: Python's per-module import locks do not prevent it (when two imports wait on
    each other, one of them is handed the partly initialised module, and numpy then fails with
    "cannot import name '__cpu_features__'"). So the thread imports the libraries first, and the
    caller calls `wait_imports()` before its own first use of them (`Store.state` does, before
    opening the index).

    `cancel()` (a store's `close` calls it) ends the thread between steps and waits for it, so no
    thread outlives the store, even when the model was never needed.
    """

    def __init__(self) -> None:
        quiet_runtime_env()  # here: setting the environment from the thread could race a getenv
        self._spec: ModelSpec | None = None
        self._cancelled = False
        self._told = threading.Event()
        self._imported = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mnemo-model-preload", daemon=True)
        self._thread.start()

    def want(self, spec: ModelSpec) -> None:
        """Load `spec` once the libraries are in (the first call decides; later ones are ignored)."""
        if not self._told.is_set():
            self._spec = spec
            self._told.set()

    def wait_imports(self) -> None:
        """Return once the thread has imported the libraries (or failed to: the caller's own import
        then meets the same failure in its thread)."""
        self._imported.wait()

    def cancel(self) -> None:
        """Stop after the current step and wait for the thread (at once if it is done)."""
        self._cancelled = True
        self._told.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            with timings.phase("runtime"):
                import_runtime()
        except Exception:  # the caller's own load meets the same failure and reports it
            return
        finally:
            self._imported.set()
        self._told.wait()
        if not self._cancelled and self._spec is not None:
            shared(self._spec).load_in_background()
