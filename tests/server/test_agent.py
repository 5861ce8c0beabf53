"""The agent in this process (a thread) and the client against it: answers, refusals, malformed
requests, other users, idle exit, stale sockets, and what a lost answer means for a write."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import AgentLost, StorageIOError, UsageError
from mnemo_cli.server import agent, client, protocol, sockets
from mnemo_cli.server.warm import WarmStore
from mnemo_cli.store.store import Store
from tests.reliability.stub_embedder import STUB

KEY = secrets.keyfile(bytes(range(32)), "test")
OTHER_KEY = secrets.keyfile(bytes(range(1, 33)), "test")


@pytest.fixture(autouse=True)
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private, short XDG_RUNTIME_DIR (a socket path holds at most 107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="mx", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    Store.create(tmp_path / "s", [KEY, OTHER_KEY], recovery=False).close()
    with Store.open(tmp_path / "s", KEY, embedder=STUB) as store:  # type: ignore[arg-type]
        store.remember("Dana prefers email over phone calls", tags=["people"])
        store.remember("The physician said my blood pressure is fine", tags=["health"])
    return tmp_path / "s"


class Running:
    def __init__(self, path: Path, **options: object) -> None:
        self.path = path
        self.where = client.target(path)
        warm = WarmStore(Store.open(path, KEY, embedder=STUB))  # type: ignore[arg-type]
        listener = agent.listen(self.where.socket)
        self.agent = agent.Agent(warm, listener, self.where.socket, settings=client.settings(), **options)  # type: ignore[arg-type]
        self.thread = threading.Thread(target=self.agent.serve, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.agent.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()

    def raw(self, data: bytes) -> bytes:
        """Send `data` on a connection of its own, then everything the agent sends back."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(10)
            conn.connect(str(self.where.socket))
            # An agent that refuses the peer closes at once: the send may then meet a closed socket.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                conn.sendall(data)
                conn.shutdown(socket.SHUT_WR)
            chunks = []
            # Bytes left unread when the agent closes (garbage after a frame) reset the connection.
            with contextlib.suppress(ConnectionResetError):
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
        return b"".join(chunks)


@pytest.fixture
def running(path: Path) -> Iterator[Running]:
    served = Running(path)
    yield served
    served.stop()


def recall_params(query: str, **changes: object) -> dict[str, object]:
    params = {"query": query, "k": 5, "mode": "hybrid", "tags": [], "since": None, "until": None, "expand": 0}
    return {**params, "min_score": None, "session": None, "context": 0, "now": None, **changes}


def remember_params(text: str) -> dict[str, object]:
    return {
        "text": text,
        "tags": [],
        "meta": {},
        "created_at": None,
        "source": None,
        "expires_at": None,
        "supersedes": None,
        "session": None,
        "allow_duplicate": False,
        "find_similar": True,
    }


def test_recall_through_the_agent_equals_recall_in_process(running: Running, path: Path) -> None:
    response = client.request("recall", recall_params("how do I reach Dana?"), store=path)
    hits = [protocol.hit_from_wire(hit) for hit in response.result["hits"]]
    with Store.open(path, KEY, embedder=STUB) as store:  # type: ignore[arg-type]
        assert hits == store.recall("how do I reach Dana?")
    assert response.notes == []


def test_recall_through_the_agent_reads_time_words_at_its_now(running: Running, path: Path) -> None:
    def recalled(**changes: object) -> list[str]:
        response = client.request("recall", recall_params("today", mode="lexical", **changes), store=path)
        return [protocol.hit_from_wire(hit).memory.text for hit in response.result["hits"]]

    assert len(recalled()) == 2  # both were remembered today
    assert recalled(now="2000-01-01T12:00:00Z") == []  # "today" was 1 January 2000
    assert recalled(now="2000-01-01T12:00:00Z", since="2000-01-01") == []


def test_remember_through_the_agent_is_stored_once(running: Running, path: Path) -> None:
    response = client.request("remember", remember_params("Lisbon flight booked"), store=path)
    [added] = response.result["added"]
    again = client.request("remember", remember_params("Lisbon flight booked"), store=path)
    assert again.result["added"] == [] and again.result["existing"] == [added]
    with Store.open(path, KEY, embedder=STUB) as store:  # type: ignore[arg-type]
        assert [m.id for m in store.memories() if m.text == "Lisbon flight booked"] == [added["id"]]


def test_sessions_and_context_through_the_agent(running: Running, path: Path) -> None:
    for text in ("Maya: a new hobby?", "Sam: pottery classes on Thursday", "Maya: signed up"):
        params = {**remember_params(text), "session": "chat-1", "created_at": "2025-04-01T10:00:00Z"}
        assert client.request("remember", params, store=path).result["added"][0]["session"] == "chat-1"
    params = recall_params("pottery Thursday", k=1, mode="lexical", session="chat-1", context=1)
    response = client.request("recall", params, store=path)
    hits = [protocol.hit_from_wire(hit) for hit in response.result["hits"]]
    assert [h.memory.text for h in hits] == [
        "Maya: a new hobby?",
        "Sam: pottery classes on Thursday",
        "Maya: signed up",
    ]
    assert [h.is_context for h in hits] == [True, False, True]
    with Store.open(path, KEY, embedder=STUB) as store:  # type: ignore[arg-type]
        assert hits == store.recall("pottery Thursday", k=1, mode="lexical", session="chat-1", context=1)
    bad = client.request("recall", recall_params("pottery", context=21), store=path)
    assert bad.error is not None and bad.error["kind"] == "UsageError"


def test_an_error_comes_back_as_a_failure(running: Running, path: Path) -> None:
    response = client.request("recall", recall_params("   "), store=path)
    assert response.error == {"kind": "UsageError", "message": "the query is empty", "hint": None}


def test_status_and_stop(running: Running, path: Path) -> None:
    status = client.status(path)
    assert status is not None
    assert status["pid"] == os.getpid() and status["store"] == str(sockets.resolved(path))
    assert status["socket"] == str(running.where.socket) and status["idle_timeout"] == agent.DEFAULT_IDLE
    assert client.stop(path) == os.getpid()
    running.thread.join(10)
    assert not running.where.socket.exists()
    assert client.status(path) is None


framed = st.builds(lambda n, tail: struct.pack(">I", n) + tail, st.integers(0, 300), st.binary(max_size=300))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200) | framed)
def test_garbage_gets_a_decline_or_nothing_and_the_agent_carries_on(running: Running, data: bytes) -> None:
    answer = running.raw(data)
    if answer:
        assert protocol.decode(answer[4:])["declined"].startswith("bad request")
    assert client.status(running.path) is not None


def test_a_huge_length_is_declined_unread(running: Running) -> None:
    answer = running.raw(struct.pack(">I", protocol.MAX_REQUEST + 1))
    assert "over the limit" in protocol.decode(answer[4:])["declined"]


def test_a_request_for_another_store_is_declined(running: Running, path: Path) -> None:
    for store, store_id in [("/elsewhere", None), (str(running.agent.store_path), "00" * 16)]:
        message = protocol.Request("status", store, store_id, client.settings(), None, {}).to_wire()
        answer = protocol.decode(running.raw(protocol.encode(message))[4:])
        assert answer["declined"] == "this agent answers for another store"


def test_a_command_with_other_settings_runs_by_itself(
    running: Running, path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MNEMO_STATE_DIR", str(tmp_path / "elsewhere"))
    with pytest.raises(client.Unavailable, match="settings differ"):
        client.request("recall", recall_params("dana"), store=path)


def test_another_user_is_refused(path: Path) -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with a, b:
        assert sockets.peer_allowed(a, os.getuid())
        assert not sockets.peer_allowed(a, os.getuid() + 1)
    served = Running(path, own_uid=os.getuid() + 1)  # as if we were someone else to it
    try:
        assert served.raw(protocol.encode(protocol.Request("status", "", None, {}, None, {}).to_wire())) == b""
        with pytest.raises(client.Unavailable):
            client.request("recall", recall_params("dana"), store=path)
    finally:
        served.stop()


def test_an_idle_agent_exits_and_removes_its_socket(path: Path) -> None:
    served = Running(path, idle_timeout=0.5)
    served.thread.join(10)
    assert not served.thread.is_alive()
    assert not served.where.socket.exists()
    with pytest.raises(client.Unavailable):
        client.request("status", {}, store=path)


def test_use_keeps_it_alive_and_status_does_not(path: Path) -> None:
    served = Running(path, idle_timeout=1.0)
    try:
        for _ in range(4):
            time.sleep(0.4)
            client.request("recall", recall_params("dana", mode="lexical"), store=path)
        assert served.thread.is_alive()
        deadline = time.monotonic() + 10
        while served.thread.is_alive() and time.monotonic() < deadline:
            client.status(path)
            time.sleep(0.2)
        assert not served.thread.is_alive()
    finally:
        served.stop()


def test_a_stale_socket_is_ignored_and_replaced(path: Path) -> None:
    where = client.target(path)
    sockets.make_safe_folder(where.socket.parent)
    old = os.umask(0o177)
    try:
        dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        dead.bind(str(where.socket))  # bound, never listening: like a socket left by a killed agent
        dead.close()
    finally:
        os.umask(old)
    assert where.socket.exists()
    with pytest.raises(client.Unavailable):
        client.request("recall", recall_params("dana"), store=path)
    served = Running(path)
    try:
        assert client.status(path) is not None
        with pytest.raises(agent.AlreadyRunning):
            agent.listen(where.socket)
    finally:
        served.stop()


def fake_agent(path: Path, behave: Callable[[socket.socket], object]) -> threading.Thread:
    """Something listening on the store's socket that does `behave(conn)` with one connection."""
    listener = agent.listen(client.target(path).socket)

    def serve() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                behave(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_a_write_whose_answer_is_lost_is_never_sent_again(path: Path) -> None:
    fake_agent(path, lambda conn: protocol.receive(conn, protocol.MAX_REQUEST))  # reads it, dies
    with pytest.raises(AgentLost, match="may or may not"):
        client.request("remember", remember_params("Lisbon"), store=path)


def test_a_read_whose_answer_is_lost_runs_by_itself(path: Path) -> None:
    fake_agent(path, lambda conn: protocol.receive(conn, protocol.MAX_REQUEST))
    with pytest.raises(client.Unavailable):
        client.request("recall", recall_params("dana"), store=path)


def test_a_revoked_agent_declines_and_stops(running: Running, path: Path) -> None:
    assert client.status(path)["unlock_error"] is None  # type: ignore[index]
    with Store.open(path, OTHER_KEY) as other:
        other.remove_key_slot(running.agent.warm.store.unlocked_with.slot_id)
    # Status tells before any request meets it, and the agent keeps answering status.
    why = "the secret this store was unlocked with no longer opens it"
    assert client.status(path)["unlock_error"] == why  # type: ignore[index]
    with pytest.raises(client.Revoked, match="no longer opens it"):
        client.request("recall", recall_params("dana"), store=path)
    running.thread.join(10)
    assert not running.thread.is_alive() and not running.where.socket.exists()


def test_unsafe_folders_and_sockets_are_refused(runtime: Path) -> None:
    folder = runtime / "open"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    with pytest.raises(StorageIOError, match="mode 0700"):
        sockets.make_safe_folder(folder)
    folder.chmod(0o700)
    sockets.make_safe_folder(folder)
    loose = folder / "agent.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(loose))
    loose.chmod(0o666)
    assert not sockets.socket_is_ours(loose)
    loose.chmod(0o600)
    assert sockets.socket_is_ours(loose)
    folder.chmod(0o750)
    assert not sockets.socket_is_ours(loose)  # a socket in a folder others can enter


def test_a_socket_path_too_long_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="too long"):
        agent.listen(tmp_path / ("x" * 120) / "agent.sock")


def test_with_no_agent_the_check_is_one_stat(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every recall and remember pays this check: one lstat of the socket path, no socket, no JSON.
    where = client.target(path)
    seen: list[str] = []
    real_lstat = os.lstat

    def counting_lstat(name: object, *args: object, **kwargs: object) -> os.stat_result:
        seen.append(str(name))
        return real_lstat(name, *args, **kwargs)  # type: ignore[arg-type]

    def no_socket(*args: object, **kwargs: object) -> None:
        raise AssertionError("the check opened a socket with no agent running")

    monkeypatch.setattr(sockets.os, "lstat", counting_lstat)
    monkeypatch.setattr(socket, "socket", no_socket)
    with pytest.raises(client.Unavailable, match="no agent"):
        client.request("recall", recall_params("dana"), store=path)
    assert seen.count(str(where.socket)) == 1
