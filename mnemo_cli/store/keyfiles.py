"""Keyfiles: 32 random bytes in a file only its owner can read, for cron jobs and agents.

A command that makes a keyfile for a new key slot (`init`, `key add`, `rekey`) does it in
`new_keyfile`, so that a failure leaves no keyfile that opens nothing (the retry would refuse to
overwrite it), and never deletes one that a slot written before the failure needs.

As ssh does with private keys, a keyfile that its group or others may read or write (any of the
mode bits 0077) is refused, and so is anything but a regular file: a FIFO or a device named as a
keyfile is never waited on (it is opened without blocking and checked before it is read).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from mnemo_cli.crypto import keyslots, secrets
from mnemo_cli.errors import AuthenticationError, MnemoError, StorageIOError, StoreNotFound, UsageError
from mnemo_cli.log import fileops, keyslot_files, store_header


def create_keyfile(path: Path) -> secrets.Secret:
    """Create a new keyfile (0600, never over an existing file or through a symlink)."""
    from nacl.utils import random

    material = random(secrets.KEYFILE_BYTES)
    fileops.make_parents(path)
    try:
        fileops.create_exclusive(path, material)
    except FileExistsError:
        raise UsageError(f"{path} already exists; mnemo never overwrites a keyfile") from None
    except StorageIOError:  # created, then the write or fsync failed: a part of a key opens nothing
        if _holds_part_of(path, material):
            with suppress(StorageIOError):
                fileops.unlink(path)
        raise
    return secrets.keyfile(material, f"keyfile {path}")


def _holds_part_of(path: Path, material: bytes) -> bool:
    """Whether `path` is a regular file (not a link) holding a prefix of `material`: the file this
    process just created (the 32 random bytes make anyone else's file a vanishing chance)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(path, "rb") as f:
            return material.startswith(f.read(len(material) + 1))
    except OSError:
        return False


@contextmanager
def new_keyfile(path: Path, store: Path) -> Iterator[secrets.Secret]:
    """A new keyfile at `path` for a key slot the block writes into the store at `store`.

    If the block fails, the keyfile is deleted again, unless a key slot of that store opens with
    it after all (the failure came after the slot was written): then it is the key to that slot.
    When the store cannot be read to tell, the keyfile is kept."""
    secret = create_keyfile(path)
    try:
        yield secret
    except Exception:
        if _useless(secret, store):
            with suppress(StorageIOError):  # the original failure matters more
                fileops.unlink(path)
        raise


def _useless(secret: secrets.Secret, store: Path) -> bool:
    """True when no key slot of the store at `store` opens with `secret` (or there is no store)."""
    if not os.path.isdir(store):
        return True
    try:
        header = store_header.read(store)
    except StoreNotFound:
        return True
    except (MnemoError, OSError):
        return False
    try:
        table, _notes = keyslot_files.read(store, header.store_id)
        return not any(True for _ in keyslots.openings(table, secret))
    except AuthenticationError:
        return True
    except (MnemoError, OSError):  # damaged or unreadable: keep the keyfile, it may be needed
        return False


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
