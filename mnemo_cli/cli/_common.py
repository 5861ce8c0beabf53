"""What every command that touches a store does the same way: find it, unlock it, close it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from mnemo_cli import timings
from mnemo_cli.cli import output

if TYPE_CHECKING:
    from mnemo_cli.store.store import Store


@contextmanager
def unlocked_store(*, preload_model: bool = False) -> Iterator[Store]:
    """The store at `$MNEMO_HOME` (or the default place), unlocked from the configured secret source.

    The store's existence is checked before any secret is asked for. `preload_model`: the command
    will embed, so the model loads in the background from the unlock on (`Store.open`).
    """
    with timings.phase("imports"):
        from mnemo_cli.store.secret_sources import unlock_secret
        from mnemo_cli.store.store import Store

    path = Store.check_exists()
    store = Store.open(path, unlock_secret(), preload_model=preload_model)
    try:
        yield store
    finally:
        for note in store.notes:
            output.warn(note)
        store.close()
        timings.begin("render")  # what the command does after closing the store: print its output
