"""mnemo: private, local-first long-term memory for people and LLM agents.

    from mnemo_cli import Store, secrets

    with Store.open(None, secrets.passphrase("my passphrase", "example")) as store:   # None: $MNEMO_HOME
        store.remember("Dana prefers email", tags=["people"])
        for hit in store.recall("how do I reach Dana?", k=3):
            print(f"{hit.score:.2f} {hit.memory.text}")

This module stays import-light (every CLI call imports it): `Store`, `NewMemory` and `secrets` are
loaded on first access.
"""

from typing import TYPE_CHECKING, Any

from mnemo_cli.errors import (
    AuthenticationError,
    IntegrityError,
    MemoryNotFound,
    MnemoError,
    ModelError,
    StorageIOError,
    StoreBusy,
    StoreExists,
    StoreNotFound,
    UsageError,
)

__version__ = "0.1.0"

if TYPE_CHECKING:
    from mnemo_cli.crypto import secrets
    from mnemo_cli.memories import Hit, Link, Memory, NewMemory
    from mnemo_cli.store.store import Store

_LAZY = {
    "Store": ("mnemo_cli.store.store", "Store"),
    "Memory": ("mnemo_cli.memories", "Memory"),
    "NewMemory": ("mnemo_cli.memories", "NewMemory"),
    "Hit": ("mnemo_cli.memories", "Hit"),
    "Link": ("mnemo_cli.memories", "Link"),
    "secrets": ("mnemo_cli.crypto.secrets", None),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'mnemo_cli' has no attribute {name!r}")
    import importlib

    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    return module if attribute is None else getattr(module, attribute)


__all__ = [
    "AuthenticationError",
    "Hit",
    "IntegrityError",
    "Link",
    "Memory",
    "MemoryNotFound",
    "MnemoError",
    "ModelError",
    "NewMemory",
    "StorageIOError",
    "Store",
    "StoreBusy",
    "StoreExists",
    "StoreNotFound",
    "UsageError",
    "__version__",
    "secrets",
]
