"""`Store.open(..., preload_model=True)`: the model loads in a background thread during unlock and
open; recall gives what it gives without; a failed background load surfaces as the same error in
the caller's thread; no thread outlives the store; onnxruntime still loads before usearch."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.embed import embedder as embedder_module
from mnemo_cli.embed.model_spec import ModelSpec, folder_spec
from mnemo_cli.errors import AuthenticationError, ModelError
from mnemo_cli.memories import NewMemory
from mnemo_cli.store.store import Store
from tests.conftest import run_mnemo
from tests.embed.tiny_model import build_tiny_model

pytestmark = pytest.mark.slow
KEY = secrets.keyfile(bytes(range(32)), "test")
TEXTS = ["Dana prefers email over phone calls", "the dentist is on friday at nine", "buy milk on the way home"]
THREAD = "mnemo-model-preload"


def preload_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD]


@pytest.fixture
def fresh_models(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No model loaded yet in this process, so the preload really loads one."""
    monkeypatch.setattr(embedder_module, "_shared", {})
    yield
    assert preload_threads() == []


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "s"
    Store.create(path, [KEY], recovery=False).close()
    with Store.open(path, KEY) as store:
        store.remember_many([NewMemory(text=t) for t in TEXTS])
    return path


def hits(path: Path, **options: object) -> list[tuple[str, float]]:
    with Store.open(path, KEY, **options) as store:  # type: ignore[arg-type]
        return [(hit.memory.text, round(hit.score, 6)) for hit in store.recall("how do I reach Dana?", k=3)]


def test_recall_with_a_preload_is_recall_without(store_path: Path, fresh_models: None) -> None:
    preloaded = hits(store_path, preload_model=True)
    assert embedder_module._shared, "the preload thread loaded the model"
    assert preloaded == hits(store_path)
    assert preloaded[0][0] == TEXTS[0]


def test_a_store_closed_without_embedding_ends_the_thread(store_path: Path, fresh_models: None) -> None:
    store = Store.open(store_path, KEY, preload_model=True)
    assert len(preload_threads()) == 1
    assert [m.text for m in store.memories()] != []  # opens the index, tells the thread the model
    store.close()
    assert preload_threads() == []


def test_a_wrong_secret_ends_the_thread_too(store_path: Path, fresh_models: None) -> None:
    with pytest.raises(AuthenticationError):
        Store.open(store_path, secrets.keyfile(bytes(32), "wrong"), preload_model=True)
    assert preload_threads() == []


@pytest.fixture
def broken_model_store(store_path: Path, tmp_path: Path) -> tuple[Path, ModelSpec]:
    """The store reindexed with a tiny model folder whose model.onnx then changed."""
    spec = folder_spec(build_tiny_model(tmp_path / "tiny"))
    with Store.open(store_path, KEY) as store:
        store.reindex(spec)
    model = Path(spec.location) / spec.model_file
    model.write_bytes(model.read_bytes()[:-1] + b"\0")
    return store_path, spec


def test_a_failed_background_load_raises_the_foreground_error(
    broken_model_store: tuple[Path, ModelSpec], fresh_models: None
) -> None:
    path, _spec = broken_model_store
    with pytest.raises(ModelError) as foreground:
        hits(path)
    embedder_module._shared.clear()
    with pytest.raises(ModelError) as background:
        hits(path, preload_model=True)
    assert type(background.value) is type(foreground.value)
    assert str(background.value) == str(foreground.value)
    assert background.value.hint == foreground.value.hint
    with pytest.raises(ModelError) as again:  # raised once from the thread; then loaded (and failing) anew
        hits(path, preload_model=True)
    assert str(again.value) == str(foreground.value)


def test_the_thread_keeps_its_error_for_the_callers_load(
    broken_model_store: tuple[Path, ModelSpec], fresh_models: None
) -> None:
    _path, spec = broken_model_store
    preload = embedder_module.Preload()
    preload.want(spec)
    preload._thread.join()  # the thread is done: it loaded, and failed, on its own
    model = embedder_module.shared(spec)
    kept = model._background_error
    assert isinstance(kept, ModelError)
    with pytest.raises(ModelError) as raised:
        model.load()
    assert raised.value is kept and model._background_error is None


def test_the_cli_reports_a_failed_background_load_in_one_line(
    broken_model_store: tuple[Path, ModelSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _spec = broken_model_store
    keyfile = path.parent / "key"
    keyfile.write_bytes(KEY.material)
    keyfile.chmod(0o600)
    done = run_mnemo("recall", "how do I reach Dana?", env={"MNEMO_HOME": str(path), "MNEMO_KEYFILE": str(keyfile)})
    assert done.returncode == 5, done.stderr  # a model file with the wrong checksum: integrity
    lines = done.stderr.splitlines()
    assert lines[0].startswith("mnemo: error: ") and all(line.startswith("mnemo: ") for line in lines)
    assert done.stdout == ""


PROBE = """
from mnemo_cli.embed.embedder import Preload
from mnemo_cli.index.vectors import Vectors
preload = Preload()
Vectors(384)  # usearch, in this thread, while the preload imports onnxruntime in its own
preload.cancel()
print("ok")
"""


@pytest.mark.parametrize("attempt", range(3))
def test_usearch_in_the_main_thread_never_loads_before_the_preloads_onnxruntime(attempt: int) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr


def test_the_index_opens_only_after_the_thread_imported_the_libraries(
    store_path: Path, fresh_models: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two threads importing numpy at once can hand one of them a half-initialised numpy (seen as
    # "cannot import name '__cpu_features__'" in cold `remember`s): the caller must wait.
    from mnemo_cli.store import state as state_module

    events: list[str] = []
    real_import, real_load = embedder_module.import_runtime, state_module.IndexState.load

    def slow_import() -> None:
        threading.Event().wait(0.5)
        real_import()
        events.append("imported")

    def load(self: state_module.IndexState) -> None:
        events.append("open")
        real_load(self)

    monkeypatch.setattr(embedder_module, "import_runtime", slow_import)
    monkeypatch.setattr(state_module.IndexState, "load", load)
    with Store.open(store_path, KEY, preload_model=True) as store:
        store.state()
    assert events == ["imported", "open"]
