"""mnemo: private, local-first long-term memory for people and LLM agents.

This top-level module stays import-light: every CLI call imports it, so it holds only the version
and the public error classes. The library API (`Store`) is exported here as the storage layers land.
"""

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

__all__ = [
    "AuthenticationError",
    "IntegrityError",
    "MemoryNotFound",
    "MnemoError",
    "ModelError",
    "StorageIOError",
    "StoreBusy",
    "StoreExists",
    "StoreNotFound",
    "UsageError",
    "__version__",
]
