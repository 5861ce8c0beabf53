"""The names of a store's files, in one place (docs/format.md, "Store folder").

`owned` is the one rule for which names belong to a store whose HEAD names generation `gen`: the
fixed files and folders at the top, that generation's log in `log/` and its snapshots in `index/`.
Everything else in the folder is a leftover (`leftovers.py` finds and removes them).
"""

from __future__ import annotations

from pathlib import Path

HEADER = "MNEMO"
KEYSLOTS = ("keyslots", "keyslots.2")
HEAD = "HEAD"
LOCK = "lock"
#: Held by `mnemo sync` for its whole run: one sync of a device at a time.
SYNC_LOCK = "sync.lock"
LOG_DIR = "log"
INDEX_DIR = "index"
#: The names at the top of a store folder, whatever its generation.
TOP = (HEADER, *KEYSLOTS, HEAD, LOCK, SYNC_LOCK, LOG_DIR, INDEX_DIR)
#: The folders whose contents belong to one generation.
FOLDERS = (LOG_DIR, INDEX_DIR)
_SNAPSHOT = ".snap"


def log_name(gen: bytes) -> str:
    return f"{gen.hex()}.mlog"


def log_path(store: Path, gen: bytes) -> Path:
    return store / LOG_DIR / log_name(gen)


def snapshot_name(gen: bytes, frames: int) -> str:
    return f"{gen.hex()}.{frames}{_SNAPSHOT}"


def snapshot_frames(name: str, gen: bytes) -> int | None:
    """The frame count in `name` if it names a snapshot of `gen` (`<gen hex>.<frames>.snap`), else None."""
    prefix = gen.hex() + "."
    if not (name.startswith(prefix) and name.endswith(_SNAPSHOT)):
        return None
    middle = name[len(prefix) : -len(_SNAPSHOT)]
    return int(middle) if middle.isascii() and middle.isdigit() else None


def owned(folder: str, name: str, gen: bytes) -> bool:
    """Whether `name` in `folder` ("" for the store folder itself, else `LOG_DIR` or `INDEX_DIR`)
    belongs to the store while HEAD names generation `gen`."""
    if folder == "":
        return name in TOP
    if folder == LOG_DIR:
        return name == log_name(gen)
    if folder == INDEX_DIR:
        return snapshot_frames(name, gen) is not None
    return False
