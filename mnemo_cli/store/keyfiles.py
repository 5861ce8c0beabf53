"""Keyfiles: 32 random bytes in a file only its owner can read, for cron jobs and agents."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import AuthenticationError, UsageError
from mnemo_cli.log import fileops


def create_keyfile(path: Path) -> secrets.Secret:
    """Create a new keyfile (0600, never over an existing file or through a symlink)."""
    from nacl.utils import random

    material = random(secrets.KEYFILE_BYTES)
    os.makedirs(path.parent, mode=0o700, exist_ok=True)
    try:
        fileops.create_exclusive(path, material)
    except FileExistsError:
        raise UsageError(f"{path} already exists; mnemo never overwrites a keyfile") from None
    return secrets.keyfile(material, f"keyfile {path}")


def read_keyfile(path: Path) -> secrets.Secret:
    try:
        st = os.stat(path)
        with open(path, "rb") as f:
            material = f.read(secrets.KEYFILE_BYTES + 1)
    except FileNotFoundError:
        raise AuthenticationError(f"keyfile {path} does not exist") from None
    except OSError as e:
        raise AuthenticationError(f"cannot read keyfile {path}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise AuthenticationError(f"keyfile {path} is not a regular file")
    return secrets.keyfile(material, f"keyfile {path}")
