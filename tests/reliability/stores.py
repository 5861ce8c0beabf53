"""What the reliability tests share about their stores: one seeded store, and states compared by
content (texts, tags, links by text), since an interrupted `remember` and a reference run draw
different ids."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import AuthenticationError
from mnemo_cli.memories import NewMemory
from mnemo_cli.store.store import Store

TEXTS = ["the boat is moored at pier 4", "Dana prefers email", "the garden needs water", "tea at five"]

State = tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[str, str, str], ...]]


def seed_store(
    path: Path, secret_list: Sequence[secrets.Secret], *, embedder: Any = None, recovery: bool = False
) -> str | None:
    """Create a store at `path` holding TEXTS (tag "t"), a link from the first to the second and the
    fourth forgotten (so compaction has work to do). Returns the recovery key, if one was made.

    The KDF is weakened here: module fixtures run before `clean_env` does it for the test."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MNEMO_TESTONLY_WEAKEN_KDF", "1")
        store = Store.create(path, secret_list, recovery=recovery)
    recovery_key = store.recovery_key
    store.close()
    with Store.open(path, secret_list[-1], embedder=embedder) as store:
        made = store.remember_many([NewMemory(text=t, tags=["t"]) for t in TEXTS]).added
        store.link(made[0].id, made[1].id, "about")
        store.forget([made[3].id])
    return recovery_key


def content(store: Store) -> State:
    texts = {m.id: m.text for m in store.memories()}
    memories = tuple(sorted((m.text, m.tags) for m in store.memories()))
    links = tuple(sorted((texts[link.src], texts[link.dst], link.rel) for link in store.all_links()))
    return memories, links


def content_of(path: Path, secret: secrets.Secret) -> State:
    with Store.open(path, secret) as store:
        return content(store)


def secrets_that_open(path: Path, candidates: Sequence[secrets.Secret]) -> list[secrets.Secret]:
    working = []
    for secret in candidates:
        try:
            Store.open(path, secret).close()
            working.append(secret)
        except AuthenticationError:
            pass
    return working
