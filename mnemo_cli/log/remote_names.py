"""The names of a sync remote's files, shared by every transport (`remotes.py`, `rclone_remote.py`).

Relative paths of lowercase letters, digits, `.`, `_` and `-`, separated by `/`, no part starting
with a dot or being `..`: anything else under a remote's root (temporaries, a sync engine's own
files) is not mnemo's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: How a user names a remote of their rclone configuration: `rclone:NAME:path`.
RCLONE_PREFIX = "rclone:"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*")


def is_name(name: str) -> bool:
    """Whether `name` is a remote file name the transports list and move."""
    return _NAME.fullmatch(name) is not None and ".." not in name.split("/")


def check_names(names: Iterable[str]) -> list[str]:
    """`names` as a list; ValueError (a caller's bug, not the user's) for one that is not a name."""
    names = list(names)
    for name in names:
        if not is_name(name):
            raise ValueError(f"not a remote file name: {name!r}")
    return names
