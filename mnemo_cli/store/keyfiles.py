"""Keyfiles: 32 random bytes in a file only its owner can read, for cron jobs and agents.

As ssh does with private keys, a keyfile that its group or others may read or write (any of the
mode bits 0077) is refused, and so is anything but a regular file: a FIFO or a device named as a
keyfile is never waited on (it is opened without blocking and checked before it is read).
"""

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
    """The keyfile at `path`: a regular file of 32 bytes that only its owner can read or write."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise AuthenticationError(f"keyfile {path} does not exist") from None
    except OSError as e:
        raise AuthenticationError(f"cannot read keyfile {path}: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise AuthenticationError(f"keyfile {path} is not a regular file")
        if st.st_mode & 0o077:
            raise AuthenticationError(
                f"keyfile {path} is accessible by others (mode {stat.S_IMODE(st.st_mode):04o}): refusing to use it",
                hint=f"make it private with `chmod 600 {path}`; anyone who could read it can open the store",
            )
        material = _read_up_to(fd, secrets.KEYFILE_BYTES + 1)
    except OSError as e:
        raise AuthenticationError(f"cannot read keyfile {path}: {e.strerror}") from None
    finally:
        os.close(fd)
    return secrets.keyfile(material, f"keyfile {path}")


def _read_up_to(fd: int, size: int) -> bytes:
    chunks = []
    while size > 0 and (chunk := os.read(fd, size)):
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
