"""Leftovers: whatever lies in a store folder that its current generation does not own.

A crash can leave files that still hold memory text: a log of the generation before a compaction
or a full rekey (sealed under the retired data key), a snapshot of it, the temporary file of a
snapshot, a log or HEAD being written. Forgetting and compacting do not reach them, so every
writer, holding the exclusive lock, removes every such file (`sweep`), and `verify` names them
(`find`). Which names a generation owns is `layout.owned`'s rule alone (docs/format.md, "Store
folder"). No symlink is followed: a link is removed as a link, an owned folder that is a link is
neither entered nor removed, and nothing outside the store folder is touched.
"""

from __future__ import annotations

import os
from pathlib import Path

from mnemo_cli.errors import StorageIOError
from mnemo_cli.log import fileops, layout

#: Leftovers that may hold memory text (logs, snapshots and their temporary files).
_TEXT_BEARING = (".mlog", ".mlog.tmp", ".snap", ".snap.tmp")


def find(store: Path, gen: bytes) -> list[str]:
    """The leftovers of the store whose HEAD names `gen`, as paths relative to the store, sorted."""
    found = [name for name in _names(store) if not layout.owned("", name, gen)]
    for folder in layout.FOLDERS:
        where = store / folder
        if where.is_symlink() or not where.is_dir():
            continue  # absent (`index/` comes with the first snapshot), or moved elsewhere by a link
        found += [f"{folder}/{name}" for name in _names(where) if not layout.owned(folder, name, gen)]
    return sorted(found)


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError as e:
        raise StorageIOError(f"cannot list {folder}: {e.strerror or e}") from None


def sweep(store: Path, gen: bytes) -> list[str]:
    """Remove the leftovers (with the exclusive lock held), fsync the folders they were in, and
    return them (relative paths)."""
    removed = find(store, gen)
    for name in removed:
        fileops.remove_entry(store / name)
    for folder in sorted({str(Path(name).parent) for name in removed}):
        fileops.fsync_dir(store / folder if folder != "." else store)
    return removed


def describe(leftovers: list[str]) -> str:
    """One line for `verify`: what is left, whether it may hold memory text, and what removes it."""
    shown = ", ".join(leftovers[:5]) + (f" and {len(leftovers) - 5} more" if len(leftovers) > 5 else "")
    text = [name for name in leftovers if name.endswith(_TEXT_BEARING)]
    risk = (
        f"{len(text)} of them may hold memory text, forgotten memories' and under a retired key included; "
        if text
        else ""
    )
    return (
        f"{len(leftovers)} file(s) left in the store that its current generation does not own "
        f"(an interrupted write): {shown}; {risk}the next write removes them (e.g. `mnemo compact`)"
    )
