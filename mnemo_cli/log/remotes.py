"""Where a store's sync files travel: a folder, or a remote of the `rclone` program.

A remote is plain files under one root, which sync (store/) fills with immutable encrypted files,
each written by one device. This module moves them and knows nothing of what they hold; every
transport does the same four things:

- `listing()`: every file under the root, relative path → size (a root that does not exist yet: none);
- `fetch(names, into)`: copies those files into the local folder `into`, at the same relative
  paths, and returns the names that were not there (a file that vanished is reported, not fatal);
- `push(source, names)`: uploads `source/<name>` for each name; each file on the remote is whole
  or absent, never partly written (a folder: a temporary name, fsync, rename, fsync the folder;
  rclone: its backend's own atomic upload), and an existing file of that name is replaced;
- `remove(names)`: deletes them (one already gone is no error).

Names are relative paths of lowercase letters, digits, `.`, `_` and `-`, separated by `/`, no part
starting with a dot: `listing()` ignores anything else under the root (temporaries, a sync engine's
own files such as `.stfolder` or `.DS_Store`), and the other calls refuse it.

`parse(spec)` reads what a user types: `rclone:NAME:path` is a remote of the user's rclone
configuration (`rclone_remote.py`), anything else a folder path.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from mnemo_cli.errors import UsageError
from mnemo_cli.log import fileops
from mnemo_cli.log.fileread import io_error
from mnemo_cli.log.remote_names import RCLONE_PREFIX, check_names, is_name


class Remote(Protocol):
    #: What messages call the remote: the folder's path, or `rclone:NAME:path`.
    description: str

    def listing(self) -> dict[str, int]: ...

    def fetch(self, names: Sequence[str], into: Path) -> list[str]: ...

    def push(self, source: Path, names: Sequence[str]) -> None: ...

    def remove(self, names: Sequence[str]) -> None: ...


def parse(spec: str) -> Remote:
    """The remote `spec` names: `rclone:NAME:path` or a folder path (made absolute)."""
    if not spec or not spec.strip():
        raise UsageError("the remote is empty: give a folder path or rclone:NAME:path")
    if spec.startswith(RCLONE_PREFIX):
        from mnemo_cli.log.rclone_remote import RcloneRemote

        return RcloneRemote(spec[len(RCLONE_PREFIX) :])
    return FolderRemote(Path(os.path.abspath(os.path.expanduser(spec))))


class FolderRemote:
    """A folder, local or mounted (what Syncthing, Dropbox, iCloud, NFS or a USB disk carry).

    Writes go through `fileops`, so they can be crashed or failed at every step in tests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = str(root)

    def listing(self) -> dict[str, int]:
        found: dict[str, int] = {}
        if not os.path.isdir(self.root):
            if os.path.lexists(self.root):
                raise io_error("list", self.root, NotADirectoryError(20, "Not a directory"))
            return found
        for folder, subfolders, files in os.walk(self.root, onerror=self._walk_error):
            subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))  # os.walk follows no links
            relative = Path(folder).relative_to(self.root)
            for file in files:
                name = (relative / file).as_posix()
                path = Path(folder, file)
                if is_name(name) and not path.is_symlink():
                    try:
                        found[name] = path.stat().st_size
                    except FileNotFoundError:  # removed meanwhile
                        continue
        return found

    def fetch(self, names: Sequence[str], into: Path) -> list[str]:
        missing = []
        for name in check_names(names):
            try:
                data = fileops.read_file(self.root / name)
            except FileNotFoundError:
                missing.append(name)
                continue
            target = into / name
            fileops.make_parents(target)
            fileops.write_outside(target, [data], sync=False)  # a staging copy: the log commits what counts
        return missing

    def push(self, source: Path, names: Sequence[str]) -> None:
        folders = set()
        for name in check_names(names):
            data = fileops.read_file(source / name)
            target = self.root / name
            fileops.make_parents(target)
            temporary = target.with_name(f".{target.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
            fileops.create_exclusive(temporary, data)
            try:
                fileops.replace(temporary, target)
            except BaseException:
                fileops.unlink(temporary)
                raise
            folders.add(target.parent)
        for folder in sorted(folders):
            fileops.fsync_dir(folder)

    def remove(self, names: Sequence[str]) -> None:
        folders = set()
        for name in check_names(names):
            fileops.unlink(self.root / name)
            folders.add((self.root / name).parent)
        for folder in sorted(folders):
            if os.path.isdir(folder):
                fileops.fsync_dir(folder)

    def _walk_error(self, error: OSError) -> None:
        raise io_error("list", error.filename or self.root, error)
