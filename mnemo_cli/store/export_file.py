"""Writing the file a user names for an export (`export -o FILE`): nothing but a regular file is
ever replaced, and nothing is replaced without `--force`.

What FILE is decides what happens (docs/cli.md, "Export and import formats"):

- nothing there: a new file (0600), written complete under a temporary name beside it, then
  renamed into place;
- a regular file: replaced the same way, with `force` only;
- a symbolic link: written through. The rules apply to what it points to, and the link itself
  stays; a link that points nowhere is refused (it would create a file the user never named);
- a pipe (FIFO) or a character device (`/dev/null`, a terminal, `/dev/full`): written into, as a
  shell's `>` does; it holds no file to lose, so `force` is not needed, and nothing is replaced;
- a folder, a block device or a socket: refused.

Refusals are `UsageError` (exit 2); a failed write is `StorageIOError` (exit 8), e.g. "cannot
write /dev/full: No space left on device". Export files are not store files: they are written by
`fileops.write_outside`, which the fault switches do not count.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mnemo_cli.errors import StorageIOError, UsageError
from mnemo_cli.log import fileops

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class Target:
    """How to write FILE: `create` or `replace` the regular file at `path` (a link's target
    already resolved), or `stream` into the pipe or device `path` names."""

    kind: str
    path: Path


def check(path: Path, *, force: bool) -> Target:
    """What writing to `path` will do, or the refusal; call it before asking for a secret."""
    try:
        mode = os.stat(path).st_mode  # follows a link: the rules are about what it points to
    except FileNotFoundError:
        if os.path.islink(path):
            raise UsageError(
                f"{path} is a symbolic link to nothing", hint="give the path of the file to write"
            ) from None
        return Target("create", path)
    except OSError as e:
        raise StorageIOError(f"cannot write {path}: {_reason(path, e)}") from None
    if stat.S_ISREG(mode):
        if not force:
            raise UsageError(f"{path} exists; add --force to overwrite it")
        return Target("replace", Path(os.path.realpath(path)))
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return Target("stream", path)
    if stat.S_ISDIR(mode):
        raise UsageError(f"{path} is a folder; give the name of a file to write")
    raise UsageError(f"{path} is not a regular file, a pipe or a character device; mnemo does not write to it")


def write(path: Path, lines: Iterable[str], *, force: bool) -> None:
    """Write `lines` (UTF-8) to `path` by the rules above."""
    target = check(path, force=force)
    if target.kind == "stream":
        _stream(path, lines)
        return

    def still_the_same() -> None:  # looked at again just before the rename: only a regular file is replaced
        final = check(path, force=force)
        if final.kind == "stream" or final.path != target.path:
            raise UsageError(f"{path} changed while the export was written; nothing was replaced")

    try:
        fileops.write_outside(target.path, (line.encode("utf-8") for line in lines), check=still_the_same)
    except OSError as e:
        raise StorageIOError(f"cannot write {path}: {_reason(path, e)}") from None


def _stream(path: Path, lines: Iterable[str]) -> None:
    """Write into a pipe or a character device, without creating, truncating or replacing it."""
    try:
        fd = os.open(path, os.O_WRONLY | _O_CLOEXEC)  # a FIFO waits here for its reader, as `>` does
    except OSError as e:
        raise StorageIOError(f"cannot write {path}: {_reason(path, e)}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):  # swapped since `check`: not ours to touch
            raise UsageError(f"{path} changed while the export was written; nothing was written")
        with os.fdopen(os.dup(fd), "w", encoding="utf-8") as f:
            f.writelines(lines)
            f.flush()
    except OSError as e:
        raise StorageIOError(f"cannot write {path}: {_reason(path, e)}") from None
    finally:
        os.close(fd)


def _reason(path: Path, e: OSError) -> str:
    if isinstance(e, NotADirectoryError):
        blocker = next((p for p in reversed(path.parents) if os.path.lexists(p) and not p.is_dir()), None)
        if blocker is not None:
            return f"{blocker} is not a folder"
    return e.strerror or str(e)
