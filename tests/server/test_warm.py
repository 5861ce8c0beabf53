"""`WarmStore`: writes by other processes are seen, the model loads in the background, a failed
load is every embedding request's error, `open`'s checks run per request, a revoked unlock stops."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.embed.model_spec import EMBEDDED
from mnemo_cli.errors import ModelError, StoreNotFound
from mnemo_cli.log import layout
from mnemo_cli.memories import NewMemory
from mnemo_cli.server.warm import Answer, Revoked, WarmStore
from mnemo_cli.store.store import Store
from tests.conftest import REPO
from tests.reliability.stub_embedder import STUB

KEY = secrets.keyfile(bytes(range(32)), "test")
OTHER_KEY = secrets.keyfile(bytes(range(1, 33)), "test")
WRITER = """
import sys
from mnemo_cli.crypto import secrets
from mnemo_cli.store.store import Store
from tests.reliability.stub_embedder import STUB
with Store.open(sys.argv[1], secrets.keyfile(bytes(range(32)), "test"), embedder=STUB) as store:
    print(store.remember(sys.argv[2]).id)
"""


class GatedEmbedder:
    """The stub, whose model takes until `release` to load."""

    model_id = EMBEDDED.id
    dimension = EMBEDDED.dimension

    def __init__(self) -> None:
        self.release = threading.Event()

    def load(self) -> None:
        assert self.release.wait(30)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.load()
        return STUB.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        self.load()
        return STUB.embed_query(text)


class BrokenEmbedder(GatedEmbedder):
    """A model that cannot load, like the embedded one with a file missing."""

    loads = 0

    def load(self) -> None:
        BrokenEmbedder.loads += 1
        raise ModelError("the embedded model is missing model.onnx", hint="reinstall mnemo")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    Store.create(tmp_path / "s", [KEY, OTHER_KEY], recovery=False).close()
    return tmp_path / "s"


@pytest.fixture
def warm(path: Path) -> Iterator[WarmStore]:
    warm = WarmStore(Store.open(path, KEY, embedder=STUB))  # type: ignore[arg-type]
    warm.start()
    yield warm
    warm.close()


def remember_elsewhere(path: Path, text: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(path), text], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_write_by_another_process_is_seen_by_the_next_request(warm: WarmStore, path: Path) -> None:
    assert warm.recall("zebra", mode="lexical").unwrap() == []
    memory_id = remember_elsewhere(path, "a zebra crossing near the office")
    for mode in ("lexical", "vector", "hybrid"):
        hits = warm.recall("zebra", mode=mode, k=1).unwrap()
        assert [hit.memory.id for hit in hits] == [memory_id]
    # And a write through the warm store is seen by other processes' next open.
    added = warm.remember(NewMemory("the zebra has stripes")).unwrap().added
    with Store.open(path, KEY, embedder=STUB) as other:  # type: ignore[arg-type]
        assert other.has(added[0].id)


def test_lexical_recall_answers_while_the_model_loads(path: Path) -> None:
    embedder = GatedEmbedder()
    warm = WarmStore(Store.open(path, KEY, embedder=embedder))  # type: ignore[arg-type]
    with Store.open(path, KEY, embedder=STUB) as writer:  # type: ignore[arg-type]
        writer.remember("Dana prefers email")
    warm.start()
    try:
        assert [h.memory.text for h in warm.recall("dana", mode="lexical").unwrap()] == ["Dana prefers email"]
        assert warm.model_state == "loading"
        result: list[object] = []
        waiting = threading.Thread(target=lambda: result.append(warm.recall("dana", mode="hybrid").unwrap()))
        waiting.start()
        waiting.join(0.3)
        assert waiting.is_alive() and not result  # a request that embeds waits for the model
        embedder.release.set()
        waiting.join(30)
        assert len(result) == 1 and warm.model_state == "loaded"
    finally:
        embedder.release.set()
        warm.close()


def test_a_failed_model_load_is_the_error_of_every_request_that_embeds(path: Path) -> None:
    BrokenEmbedder.loads = 0
    warm = WarmStore(Store.open(path, KEY, embedder=BrokenEmbedder()))  # type: ignore[arg-type]
    with Store.open(path, KEY, embedder=STUB) as writer:  # type: ignore[arg-type]
        writer.remember("Dana prefers email")
    warm.start()
    try:
        assert warm.wait_for_model(30)
        assert warm.model_state == "failed"
        assert warm.model_error == "the embedded model is missing model.onnx"
        answers: list[Answer[Any]] = [
            warm.recall("dana"),
            warm.recall("dana", mode="vector"),
            warm.remember(NewMemory("x y z")),
        ]
        for answer in answers:
            assert type(answer.error) is ModelError
            assert str(answer.error) == "the embedded model is missing model.onnx"
            assert answer.error.hint == "reinstall mnemo"
        assert BrokenEmbedder.loads == 4  # tried again each time, as a fresh command would
        assert len(warm.recall("dana", mode="lexical").unwrap()) == 1
    finally:
        warm.close()


def test_removing_the_secret_it_was_unlocked_with_revokes_it(warm: WarmStore, path: Path) -> None:
    with Store.open(path, OTHER_KEY) as other:
        other.add_key_slot(secrets.keyfile(bytes(range(2, 34)), "third"))
    assert warm.recall("x", mode="lexical").error is None  # another secret added: still speaks for it
    with Store.open(path, OTHER_KEY) as other:
        other.remove_key_slot(warm.store.unlocked_with.slot_id)
    for _ in range(2):
        with pytest.raises(Revoked, match="no longer opens it"):
            warm.recall("x", mode="lexical")


def test_another_store_in_its_place_revokes_it(warm: WarmStore, path: Path) -> None:
    assert warm.wait_for_model(30)  # the background load may still be taking the store's lock
    shutil.rmtree(path)
    Store.create(path, [KEY], recovery=False).close()
    with pytest.raises(Revoked, match="another store"):
        warm.recall("x", mode="lexical")


def test_a_missing_store_is_the_error_open_gives(warm: WarmStore, path: Path) -> None:
    assert warm.wait_for_model(30)
    path.rename(path.with_name("moved"))
    answer = warm.recall("x", mode="lexical")
    assert isinstance(answer.error, StoreNotFound)
    path.with_name("moved").rename(path)
    assert warm.recall("x", mode="lexical").error is None


def test_open_notes_come_with_each_answer(warm: WarmStore, path: Path) -> None:
    copy = path / layout.KEYSLOTS[1]
    copy.write_bytes(b"damaged")
    for _ in range(2):
        answer = warm.recall("x", mode="lexical")
        assert answer.error is None
        assert len(answer.notes) == 1
        assert answer.notes[0].startswith(f"{layout.KEYSLOTS[1]} is damaged")
        assert answer.notes[0].endswith("; using the other copy")


def test_the_environment_is_set_for_one_request_only(warm: WarmStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNEMO_LOCK_WAIT", "30")
    seen = warm.run(lambda store: os.environ.get("MNEMO_LOCK_WAIT"), environment={"MNEMO_LOCK_WAIT": "7"})
    assert seen.unwrap() == "7"
    unset = warm.run(lambda store: os.environ.get("MNEMO_LOCK_WAIT"), environment={"MNEMO_LOCK_WAIT": None})
    assert unset.unwrap() is None
    assert os.environ["MNEMO_LOCK_WAIT"] == "30"


def test_a_closed_warm_store_answers_nothing(warm: WarmStore) -> None:
    warm.close()
    with pytest.raises(Revoked):
        warm.recall("x", mode="lexical")


def test_close_waits_for_a_model_load_under_way(path: Path) -> None:
    # Exiting while onnxruntime sets up in another thread can abort the process at exit.
    embedder = GatedEmbedder()
    warm = WarmStore(Store.open(path, KEY, embedder=embedder))  # type: ignore[arg-type]
    warm.start()
    closing = threading.Thread(target=warm.close)
    closing.start()
    closing.join(0.3)
    assert closing.is_alive()
    embedder.release.set()
    closing.join(30)
    assert not closing.is_alive() and warm.model_state == "loaded"


def test_the_lexical_index_is_built_with_the_model_and_follows_other_writers(warm: WarmStore, path: Path) -> None:
    assert warm.wait_for_model(30)
    state = warm.store.state()
    assert state.many_recalls and state._lexicon is not None  # built in the background, not by a request
    memory_id = remember_elsewhere(path, "an okapi at the zoo")
    assert [hit.memory.id for hit in warm.recall("okapi", mode="lexical").unwrap()] == [memory_id]
    assert state._lexicon is not None and state._lexicon.catalog is state.catalog
