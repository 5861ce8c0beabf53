"""The agent: a `WarmStore` answering the same user's `mnemo` commands on a Unix socket.

`listen` claims the store's socket (`sockets.py`): it refuses when an agent already answers there
and replaces a stale socket file (one nobody listens on, left by a killed agent). `Agent.serve`
then answers one request per connection, each in its own thread (the `WarmStore` runs them one at
a time), and returns, with the socket removed and the store's keys dropped, when told to stop
(`stop` request, SIGTERM, SIGINT), when no command used it for `idle_timeout` seconds, or when
its unlock was revoked (`warm.Revoked`).

Every connection's peer must have the agent's uid (`SO_PEERCRED`); others are closed unanswered.
A request for another store, or from a client whose settings differ (`client.settings()`), is
declined and the client runs the command itself. The agent never writes a secret anywhere: it
holds the data key in memory only, as any `mnemo` command does while it runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mnemo_cli.errors import UsageError
from mnemo_cli.server import client, protocol, sockets
from mnemo_cli.server.warm import Answer, Revoked, WarmStore

#: How often the accept loop looks at the stop flag and the idle clock (seconds).
POLL = 0.2
#: A client must send its whole request within this many seconds of connecting.
REQUEST_TIMEOUT = 10.0
#: How long the agent waits for a client to take its answer.
SEND_TIMEOUT = 60.0
#: How long a stopping agent waits for the requests it is answering.
SHUTDOWN_WAIT = 120.0
DEFAULT_IDLE = 600.0
#: Requests that count as use (status and stop do not keep an agent alive).
WORK = frozenset({"recall", "remember"})


class AlreadyRunning(Exception):
    """An agent already answers on the socket."""


def listen(path: Path) -> socket.socket:
    """A listening socket at `path`, mode 0600, in a safe folder (created 0700 when missing)."""
    if len(os.fsencode(path)) > sockets.MAX_PATH_BYTES:
        raise UsageError(
            f"the agent's socket path {path} is too long for a Unix socket",
            hint="set XDG_RUNTIME_DIR to a shorter folder",
        )
    sockets.make_safe_folder(path.parent)
    with _claim(path):
        if answers(path):
            raise AlreadyRunning(str(path))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # stale: no one listens on it
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        previous = os.umask(0o177)  # the socket is born 0600
        try:
            listener.bind(str(path))
        except OSError:
            listener.close()
            raise
        finally:
            os.umask(previous)
        listener.listen(16)
    return listener


def answers(path: Path) -> bool:
    """Whether something accepts connections on the socket at `path`."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def absolute_settings() -> None:
    """Make the folders named in this process's settings absolute: the detached agent runs from /."""
    for name in client.PATH_SETTINGS:
        value = os.environ.get(name)
        if value:
            os.environ[name] = os.path.abspath(os.path.expanduser(value))


@contextlib.contextmanager
def _claim(path: Path) -> Iterator[None]:
    """Two `agent start`s for one store take turns at checking and binding the socket."""
    fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class Agent:
    def __init__(
        self,
        warm: WarmStore,
        listener: socket.socket,
        path: Path,
        *,
        idle_timeout: float = DEFAULT_IDLE,
        settings: dict[str, str | None],
        own_uid: int | None = None,
    ) -> None:
        self.warm = warm
        self.listener = listener
        self.path = path
        self.store_path = sockets.resolved(warm.store.path)
        self.store_id = warm.store.store_id.hex()
        self.idle_timeout = idle_timeout
        self.settings = settings
        self.own_uid = os.getuid() if own_uid is None else own_uid
        self.started_at = datetime.now(UTC)
        info = os.stat(path)
        self._bound = (info.st_dev, info.st_ino)  # remove only this socket, not a successor's
        self._stopping = threading.Event()
        self._guard = threading.Lock()
        self._active = 0
        self._last_used = time.monotonic()
        self._threads: list[threading.Thread] = []

    # -- the loop -----------------------------------------------------------------------------------

    def serve(self, ready: Callable[[], None] | None = None) -> None:
        """Answer connections until stopped or idle; then remove the socket and close the store."""
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGTERM, signal.SIGINT):
                signal.signal(number, lambda *_: self.stop())
        self.warm.start()
        self.listener.settimeout(POLL)
        if ready is not None:
            ready()
        try:
            while not self._stopping.is_set() and not self._idle():
                try:
                    conn, _ = self.listener.accept()
                except TimeoutError:
                    continue
                except OSError:  # out of descriptors, say: let running requests finish first
                    time.sleep(POLL)
                    continue
                with self._guard:
                    self._active += 1
                thread = threading.Thread(target=self._connection, args=(conn,), daemon=True)
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
                thread.start()
        finally:
            self._shutdown()

    def stop(self) -> None:
        self._stopping.set()

    def _idle(self) -> bool:
        with self._guard:
            return self._active == 0 and time.monotonic() - self._last_used >= self.idle_timeout

    def _shutdown(self) -> None:
        self._stopping.set()
        self.listener.close()
        self._remove_socket()  # new commands run by themselves from now on
        deadline = time.monotonic() + SHUTDOWN_WAIT
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.warm.close()

    def _remove_socket(self) -> None:
        with contextlib.suppress(OSError):
            info = os.lstat(self.path)
            if (info.st_dev, info.st_ino) == self._bound:
                os.unlink(self.path)

    # -- one connection -----------------------------------------------------------------------------

    def _connection(self, conn: socket.socket) -> None:
        used = False
        try:
            with conn:
                if not sockets.peer_allowed(conn, self.own_uid):
                    return  # closed unanswered
                conn.settimeout(REQUEST_TIMEOUT)
                try:
                    request = protocol.parse_request(protocol.receive(conn, protocol.MAX_REQUEST))
                except protocol.Closed:
                    return
                except protocol.ProtocolError as e:
                    _reply(conn, protocol.decline(f"bad request: {e}"))
                    return
                except OSError:  # too slow, or reset
                    return
                used = request.op in WORK
                _reply(conn, self.respond(request), may_decline=request.op not in protocol.WRITES)
        except Exception:  # one connection's trouble never ends the agent
            pass
        finally:
            with self._guard:
                self._active -= 1
                if used:
                    self._last_used = time.monotonic()

    def respond(self, request: protocol.Request) -> dict[str, Any]:
        """The response to one parsed request."""
        if request.store != str(self.store_path) or request.store_id not in (None, self.store_id):
            return protocol.decline("this agent answers for another store")
        if request.op == "status":
            return protocol.answer(self.status(), [])
        if request.op == "stop":
            self.stop()
            return protocol.answer({"pid": os.getpid()}, [])
        if request.settings != self.settings:
            return protocol.decline("the command's settings differ from the agent's")
        if self._stopping.is_set():
            return protocol.decline("the agent is stopping")
        environment = {"MNEMO_LOCK_WAIT": request.lock_wait}
        params = dict(request.params)
        try:
            if request.op == "recall":
                hits = self.warm.recall(params.pop("query"), environment=environment, **params)
                return _respond(hits, lambda value: {"hits": [protocol.hit_to_wire(h) for h in value]})
            report = self.warm.remember(
                protocol.new_memory_from_wire(params),
                allow_duplicate=params["allow_duplicate"],
                find_similar=params["find_similar"],
                environment=environment,
            )
            return _respond(report, lambda value: value.to_wire())
        except Revoked as e:
            self.stop()
            return protocol.decline(str(e), revoked=True)

    def status(self) -> dict[str, Any]:
        with self._guard:
            idle = time.monotonic() - self._last_used
        warm = self.warm
        return {
            "pid": os.getpid(),
            "store": str(self.store_path),
            "store_id": self.store_id,
            "socket": str(self.path),
            "started_at": self.started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "idle_timeout": self.idle_timeout,
            "idle_seconds": round(idle, 1),
            "model": warm.model_state,
            "model_id": warm.model_id,
            "model_error": warm.model_error,
            # Why its unlock no longer opens the store (a secret changed or removed), or None.
            "unlock_error": warm.unlock_problem(),
        }


def _respond(answer: Answer[Any], convert: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    if answer.error is not None:
        return protocol.failure(answer.error, answer.notes)
    return protocol.answer(convert(answer.value), answer.notes)


def _reply(conn: socket.socket, message: dict[str, Any], *, may_decline: bool = True) -> None:
    """Send `message`; one that cannot be sent is replaced by a decline (the client then runs the
    command itself), or after a write, which must not run twice, by an error."""
    try:
        frame = protocol.encode(message)
        if len(frame) - 4 > protocol.MAX_RESPONSE:
            raise protocol.ProtocolError("the answer is too large to send")
    except protocol.ProtocolError as e:
        fallback = protocol.decline(str(e)) if may_decline else protocol.failure(e, message.get("notes", []))
        frame = protocol.encode(fallback)
    conn.settimeout(SEND_TIMEOUT)
    with contextlib.suppress(OSError):
        conn.sendall(frame)
