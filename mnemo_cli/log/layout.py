"""The names of a store's files, in one place (docs/format.md, "Store folder")."""

from __future__ import annotations

from pathlib import Path

HEADER = "MNEMO"
KEYSLOTS = ("keyslots", "keyslots.2")
HEAD = "HEAD"
LOCK = "lock"
LOG_DIR = "log"
INDEX_DIR = "index"


def log_path(store: Path, gen: bytes) -> Path:
    return store / LOG_DIR / f"{gen.hex()}.mlog"
