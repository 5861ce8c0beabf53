"""`WarmStore`: one unlocked `Store` and its embedding model, kept ready for many requests.

A server (the agent; the MCP server next) unlocks a store once, hands it here, calls `start()` and
then `recall`, `remember` or `run` from any thread:

- The model loads in a background thread from `start()` on, so the server answers at once; a
  request that embeds waits for that load, one that does not (lexical recall) does not wait. A
  load that failed is not cached: each request that embeds tries again and fails with the very
  error a `mnemo` command gives.
- Requests run one at a time (one lock), each after the checks `Store.open` makes (`Store.recheck`:
  the store still there, its key slots, the rollback record), and each reads the index brought up
  to date with the log (`Store.state()` replays what other processes committed meanwhile).
- When the secret this store was unlocked with no longer opens it (removed, changed, a full rekey)
  or another store took its place, requests raise `Revoked` from then on: the holder must stop
  answering and be unlocked again.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from mnemo_cli import testonly
from mnemo_cli.embed.runtime import import_runtime
from mnemo_cli.errors import AuthenticationError, MnemoError
from mnemo_cli.log import keyslot_files, store_header

if TYPE_CHECKING:
    from mnemo_cli.memories import Hit, NewMemory
    from mnemo_cli.store.store import RememberReport, Store

T = TypeVar("T")
#: How long `close` waits for a model load under way (seconds).
CLOSE_WAIT = 120.0


class Revoked(Exception):
    """This unlock no longer speaks for the store; the message says why."""


@dataclass
class Answer(Generic[T]):
    """What one request gave: its value, or the error it failed with; and the notes (warnings) that
    `open` and the operation left for the user, which a command prints before its output."""

    value: T | None = None
    error: Exception | None = None
    notes: list[str] = field(default_factory=list)

    def unwrap(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class WarmStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._model_done = threading.Event()
        self._started = False
        #: "idle" (not started), "loading", "loaded" or "failed".
        self.model_state = "idle"
        self.model_id: str | None = None
        self.model_error: str | None = None
        self._revoked: str | None = None

    def start(self) -> None:
        """Begin loading the index and the model in the background."""
        if self._started:
            return
        self._started = True
        self.model_state = "loading"
        threading.Thread(target=self._load_model, name="mnemo-model", daemon=True).start()

    def _load_model(self) -> None:
        try:
            _test_gate()
            with self._lock:
                spec = self.store.model  # loads the index state (snapshot and log tail)
                # No request runs while the model's libraries import: one that imports numpy at the
                # same time (a snapshot, the vectors) can meet a partially initialised numpy.
                import_runtime()
            self.model_id = spec.id
            self.store.embedder_for(spec).load()
            self.model_state = "loaded"
            with self._lock:  # a server answers many recalls: their lexical side is ready from the first
                state = self.store.state()
                state.many_recalls = True
                state.lexicon()
        except Exception as e:  # shown by status; a request that embeds loads again and meets it itself
            self.model_error = str(e) or type(e).__name__
            self.model_state = "failed"
        finally:
            self._model_done.set()

    def unlock_problem(self) -> str | None:
        """Why this unlock no longer speaks for the store, or None while it does, as far as the
        store's header and key slots tell (`Store.recheck`'s first checks). Read-only and outside
        the request lock, so a status answers at once even while a long request runs."""
        if self._revoked is not None:
            return self._revoked
        store = self.store
        try:
            if store_header.read(store.path).store_id != store.store_id:
                return f"{store.path} holds another store now"
            table, _notes = keyslot_files.read(store.path, store.store_id)
        except MnemoError:  # gone or damaged: the next request reports it as `open` would
            return None
        if store.unlocked_with not in table.slots:
            return "the secret this store was unlocked with no longer opens it"
        return None

    def wait_for_model(self, timeout: float | None = None) -> bool:
        """Wait for the background load (loaded or failed); False on timeout or when not started."""
        return self._started and self._model_done.wait(timeout)

    def run(
        self,
        operation: Callable[[Store], T],
        *,
        needs_model: bool = True,
        environment: Mapping[str, str | None] | None = None,
    ) -> Answer[T]:
        """Run `operation` on the store, alone, after the checks `Store.open` makes.

        `needs_model`: wait for the background model load first. `environment`: variables set (a
        value) or unset (None) while the operation runs, e.g. a client's `MNEMO_LOCK_WAIT`.
        Raises `Revoked` (and nothing runs) when this unlock no longer speaks for the store."""
        if needs_model and self._started:
            self._model_done.wait()
        with self._lock:
            if self._revoked is not None:
                raise Revoked(self._revoked)
            store = self.store
            store.notes.clear()
            try:
                notes = store.recheck()
            except AuthenticationError as e:
                self._revoked = str(e)
                raise Revoked(self._revoked) from None
            except Exception as e:  # the store is gone or damaged: the error `open` would give
                return Answer(error=e, notes=list(store.notes))
            with _environment(environment or {}):
                try:
                    value = operation(store)
                except Exception as e:
                    return Answer(error=e, notes=notes + store.notes)
            return Answer(value=value, notes=notes + store.notes)

    def recall(
        self, query: str, *, environment: Mapping[str, str | None] | None = None, **options: Any
    ) -> Answer[list[Hit]]:
        """`Store.recall(query, **options)`; waits for the model unless the mode is lexical."""
        needs_model = options.get("mode", "hybrid") != "lexical"
        return self.run(lambda store: store.recall(query, **options), needs_model=needs_model, environment=environment)

    def remember(
        self,
        item: NewMemory,
        *,
        allow_duplicate: bool = False,
        find_similar: bool = False,
        environment: Mapping[str, str | None] | None = None,
    ) -> Answer[RememberReport]:
        """`Store.remember_many([item], ...)`: the report says whether it was stored or already there."""
        return self.run(
            lambda store: store.remember_many([item], allow_duplicate=allow_duplicate, find_similar=find_similar),
            environment=environment,
        )

    def close(self) -> None:
        """Forget the store's keys; every later request raises `Revoked`.

        Waits for a model load under way: a process that exits while onnxruntime is still
        setting up in another thread can abort at exit."""
        self.wait_for_model(CLOSE_WAIT)
        with self._lock:
            self._revoked = "the store was closed"
            self.store.close()


def _test_gate() -> None:
    """Tests hold the model load back until the file `MNEMO_TESTONLY_MODEL_GATE` names exists, to
    check what a server answers while its model is still loading."""
    gate = testonly.get("MNEMO_TESTONLY_MODEL_GATE")
    while gate and not os.path.exists(gate):
        time.sleep(0.02)


@contextmanager
def _environment(changes: Mapping[str, str | None]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in changes}
    try:
        for name, value in changes.items():
            _set(name, value)
        yield
    finally:
        for name, value in saved.items():
            _set(name, value)


def _set(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
