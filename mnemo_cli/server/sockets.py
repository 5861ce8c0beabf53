"""Where an agent's socket lives, the checks on its folder, and who is at the other end.

One socket per store: `$XDG_RUNTIME_DIR/mnemo/agent-<16 hex digits>.sock`, the digits a hash of
the store's resolved path. Without `XDG_RUNTIME_DIR`: a folder `mnemo-<uid>` in the temporary
folder (`$TMPDIR`, else /tmp). The folder must be a real folder owned by this user with mode 0700:
it is created so, and anything else is refused, since whoever controls the folder can swap the
socket. Only the same user may talk to an agent: the agent checks each peer's uid
(`SO_PEERCRED`); the client checks the socket file's owner and mode, and the agent's uid.

Cheap to import (sockets and hashing load when used): the client needs it on every command.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from mnemo_cli.errors import StorageIOError

try:  # what hashlib.blake2b is, without loading OpenSSL on every command (a few ms)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another Python implementation
    from hashlib import blake2b

if TYPE_CHECKING:
    import socket

#: struct ucred: pid, uid, gid (Linux).
_UCRED = "iII"
#: sun_path holds 108 bytes on Linux, the final NUL included.
MAX_PATH_BYTES = 107


def supported() -> bool:
    """Whether this platform has Unix sockets with peer credentials (Linux)."""
    import socket

    return hasattr(socket, "AF_UNIX") and hasattr(socket, "SO_PEERCRED")


def runtime_dir() -> Path:
    configured = os.environ.get("XDG_RUNTIME_DIR")
    if configured and os.path.isabs(configured):
        return Path(configured) / "mnemo"
    # Not tempfile.gettempdir(): it probes folders by writing files, too slow for every command.
    temporary = os.environ.get("TMPDIR") or "/tmp"
    return Path(temporary) / f"mnemo-{os.getuid()}"


def resolved(store: Path) -> Path:
    return Path(os.path.realpath(store))


def socket_path(store: Path) -> Path:
    """The socket of the agent for the store at `store` (a resolved path)."""
    digest = blake2b(os.fsencode(store), digest_size=8, person=b"mnemo-agent-v1").hexdigest()
    return runtime_dir() / f"agent-{digest}.sock"


def folder_is_safe(folder: Path) -> bool:
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) == 0o700


def make_safe_folder(folder: Path) -> None:
    """Create `folder` with mode 0700, or check that the existing one is ours and 0700."""
    try:
        os.mkdir(folder, 0o700)
        os.chmod(folder, 0o700)  # whatever the umask
    except FileExistsError:
        pass
    except OSError as e:
        raise StorageIOError(f"cannot create {folder}: {e.strerror}") from None
    if not folder_is_safe(folder):
        raise StorageIOError(
            f"refusing to use {folder}: it must be a folder owned by you with mode 0700",
            hint="remove it, or set XDG_RUNTIME_DIR to a private folder",
        )


def socket_is_ours(path: Path) -> bool:
    """`path` is a socket owned by this user that no one else may open, in a safe folder."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return False
    return folder_is_safe(path.parent)


def peer_uid(conn: socket.socket) -> int:
    """The uid of the process at the other end of a connected Unix socket."""
    import socket
    import struct

    data = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize(_UCRED))
    return int(struct.unpack(_UCRED, data)[1])


def peer_allowed(conn: socket.socket, own_uid: int) -> bool:
    """Only the user who runs the agent may use it (not even root, when that is someone else)."""
    try:
        return peer_uid(conn) == own_uid
    except OSError:
        return False
