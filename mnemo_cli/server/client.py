"""Talk to the store's agent, when one runs: find its socket, check it is ours, send one request.

Every `mnemo recall` and `mnemo remember` asks here first (unless `MNEMO_NO_AGENT` is set), so
this module imports nothing heavy (no numpy, no `Store`) and, with no agent running, costs one
`lstat` of the socket path. The socket must be this user's, mode 0600, in a 0700 folder of this
user's, and the process answering on it must run as this user (`SO_PEERCRED`): otherwise it is
ignored and the command runs by itself.

`request` raises `Unavailable` when the request did not run (no agent, a stale socket, a refusal,
or a read that failed on the way: reads are safe to repeat), and the command then runs it itself;
`Revoked`, a kind of it, when the agent declined because its unlock is no longer valid.
A write (`remember`) that was sent whole and got no answer may have been applied; it is never
repeated: `AgentLost` says so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mnemo_cli import testonly
from mnemo_cli.errors import AgentLost, AuthenticationError, MnemoError
from mnemo_cli.server import sockets

if TYPE_CHECKING:
    import socket

    from mnemo_cli.server import protocol

CONNECT_TIMEOUT = 2.0
#: Beyond the store's lock wait, how long a command waits for the agent's answer (model load,
#: search, commit) before giving up on it.
ANSWER_MARGIN = 300.0
#: Settings that change what a command does with a store besides its arguments: an agent answers
#: only commands that agree with it on these. Folders compare as absolute paths.
PATH_SETTINGS = ("MNEMO_STATE_DIR", "MNEMO_CACHE_DIR", "XDG_STATE_HOME", "XDG_CACHE_HOME")
OTHER_SETTINGS = ("HF_HUB_OFFLINE",)


class Unavailable(Exception):
    """The request did not run in an agent; the command runs it itself."""


class Revoked(Unavailable):
    """The agent declined because its unlock is no longer valid (it stops); the message says why."""


class AgentUnlockInvalid(AuthenticationError):
    """The store's agent runs (or ran) with an unlock that no longer opens the store."""


class Target(NamedTuple):
    store: Path
    socket: Path


def disabled() -> bool:
    """`MNEMO_NO_AGENT` set (to anything but 0): commands never use an agent."""
    return os.environ.get("MNEMO_NO_AGENT", "") not in ("", "0")


def target(store: Path | None = None) -> Target:
    """The store (resolved; default `$MNEMO_HOME`) and where its agent's socket would be."""
    from mnemo_cli.store.location import store_path

    path = sockets.resolved(store_path() if store is None else store)
    return Target(path, sockets.socket_path(path))


def settings() -> dict[str, str | None]:
    found = {name: _absolute(os.environ.get(name)) for name in PATH_SETTINGS}
    found.update({name: os.environ.get(name) for name in OTHER_SETTINGS})
    found.update(testonly.active())  # the test switches honoured here (none in a real install)
    return found


def _absolute(value: str | None) -> str | None:
    return os.path.abspath(os.path.expanduser(value)) if value else None


def request(op: str, params: dict[str, Any], *, store: Path | None = None) -> protocol.Response:
    """Send one request to the agent of `store` (default `$MNEMO_HOME`) and return its response:
    a result, or an error the command raises as its own (`protocol.error_from_wire`)."""
    where = target(store)
    if not sockets.socket_is_ours(where.socket):
        raise Unavailable("no agent")
    from mnemo_cli.server import protocol  # only now: JSON and sockets cost milliseconds to import

    store_id = _store_id(where.store) if op in ("recall", "remember") else None
    message = protocol.Request(
        op, str(where.store), store_id, settings(), os.environ.get("MNEMO_LOCK_WAIT"), params
    ).to_wire()
    try:
        frame = protocol.encode(message)
    except protocol.ProtocolError as e:  # e.g. a NaN --min-score: JSON cannot carry it
        raise Unavailable(str(e)) from None
    conn = _connect(where.socket)
    with conn:
        try:
            conn.sendall(frame)
        except OSError as e:  # not sent whole: the agent runs only complete requests
            raise Unavailable(str(e)) from None
        try:
            conn.settimeout(_answer_timeout())
            response = protocol.parse_response(protocol.receive(conn, protocol.MAX_RESPONSE))
        except (OSError, protocol.ProtocolError) as e:
            if op in protocol.WRITES:
                raise AgentLost(
                    f"the mnemo agent did not answer ({e or type(e).__name__}): the {op} may or may not have "
                    "been carried out",
                    hint="check with `mnemo list` before trying again; MNEMO_NO_AGENT=1 bypasses the agent",
                ) from None
            raise Unavailable(str(e)) from None
    if response.declined is not None:
        raise (Revoked if response.revoked else Unavailable)(response.declined)
    return response


def status(store: Path | None = None) -> dict[str, Any] | None:
    """The agent's status (`Agent.status`), or None when none answers for the store."""
    try:
        return request("status", {}, store=store).result
    except Unavailable:
        return None


def stop(store: Path | None = None) -> int | None:
    """Tell the agent to stop; its pid, or None when none answers for the store."""
    try:
        pid = request("stop", {}, store=store).result.get("pid")
    except Unavailable:
        return None
    return pid if isinstance(pid, int) else None


def _connect(path: Path) -> socket.socket:
    import socket

    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(CONNECT_TIMEOUT)
    try:
        conn.connect(str(path))  # refused: a stale socket, left by an agent that was killed
        if sockets.peer_uid(conn) != os.getuid():
            raise ConnectionRefusedError("the agent runs as another user")
    except OSError as e:
        conn.close()
        raise Unavailable(str(e)) from None
    return conn


def _store_id(store: Path) -> str:
    """The store id in the store's header, which the agent compares with its own."""
    from mnemo_cli.log import store_header

    try:
        return store_header.read(store).store_id.hex()
    except MnemoError as e:  # no store, or a damaged header: the command reports it itself
        raise Unavailable(str(e)) from None


def _answer_timeout() -> float:
    from mnemo_cli.log.lock import default_wait

    return default_wait() + ANSWER_MARGIN
