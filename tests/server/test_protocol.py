"""The agent's wire format: frames round-trip, bad bytes raise only `ProtocolError`, requests are
checked field by field, and memories, hits and errors come back as the objects they were."""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mnemo_cli import errors
from mnemo_cli.log.head import WrongKey
from mnemo_cli.memories import Hit, Memory
from mnemo_cli.server import protocol

# JSON values as the wire carries them (no NaN: the encoder refuses it, the decoder too).
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    # Any text, lone surrogates included: a non-UTF-8 command line arrives as such.
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
objects = st.dictionaries(st.text(max_size=8), json_values, max_size=6)


def request(op: str = "recall", **params: Any) -> dict[str, Any]:
    defaults: dict[str, dict[str, Any]] = {
        "recall": {
            "query": "dana",
            "k": 5,
            "mode": "hybrid",
            "tags": [],
            "since": None,
            "until": None,
            "expand": 0,
            "min_score": None,
            "session": None,
            "context": 0,
            "now": None,
        },
        "remember": {
            "text": "Dana prefers email",
            "tags": ["people"],
            "meta": {"project": "quill"},
            "created_at": None,
            "source": None,
            "expires_at": None,
            "supersedes": None,
            "session": None,
            "allow_duplicate": False,
            "find_similar": True,
        },
    }
    return protocol.Request(
        op, "/store", None, {"MNEMO_STATE_DIR": None}, None, {**defaults.get(op, {}), **params}
    ).to_wire()


def pair() -> tuple[socket.socket, socket.socket]:
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


@given(objects)
def test_a_frame_decodes_to_what_was_encoded(message: dict[str, Any]) -> None:
    frame = protocol.encode(message)
    (length,) = struct.unpack(">I", frame[:4])
    assert length == len(frame) - 4
    assert frame[4:].isascii()
    assert protocol.decode(frame[4:]) == message


@given(st.binary(max_size=300))
@example(b"[" * 100_000)  # deeper than the JSON parser's recursion
@example(b'{"a": 1, "a": 2}')
@example(b'{"a": NaN}')
@example(b'{"a": ' + b"1" * 5000 + b"}")  # an integer too long for int()
@example(b"\xff\xfe{}")
@example(b"[]")
def test_any_bytes_decode_to_an_object_or_a_protocol_error(body: bytes) -> None:
    try:
        message = protocol.decode(body)
    except protocol.ProtocolError:
        return
    assert isinstance(message, dict)


@given(st.binary(max_size=64), st.integers(0, 2**32 - 1))
def test_any_stream_reads_as_one_message_or_a_protocol_error(tail: bytes, length: int) -> None:
    a, b = pair()
    with a, b:
        a.sendall(struct.pack(">I", length) + tail)
        a.shutdown(socket.SHUT_WR)
        try:
            message = protocol.receive(b, limit=1 << 20)
        except protocol.ProtocolError:
            return
        assert isinstance(message, dict) and length == len(tail[:length]) <= 64


def test_a_frame_over_the_limit_is_refused_before_its_body_is_read() -> None:
    a, b = pair()
    with a, b:
        a.sendall(struct.pack(">I", 2_000_000))
        with pytest.raises(protocol.ProtocolError, match="over the limit"):
            protocol.receive(b, limit=1_000_000)


def test_a_closed_connection_is_closed_and_a_cut_frame_is_an_error() -> None:
    a, b = pair()
    with b:
        a.close()
        with pytest.raises(protocol.Closed):
            protocol.receive(b, limit=100)
    a, b = pair()
    with b:
        a.sendall(protocol.encode({"x": 1})[:-1])
        a.close()
        with pytest.raises(protocol.ProtocolError, match="middle") as caught:
            protocol.receive(b, limit=100)
        assert not isinstance(caught.value, protocol.Closed)


def test_nan_does_not_encode() -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.encode({"min_score": float("nan")})


@pytest.mark.parametrize("op", ["recall", "remember", "status", "stop"])
def test_a_well_formed_request_parses_back(op: str) -> None:
    message = request(op)
    parsed = protocol.parse_request(protocol.decode(protocol.encode(message)[4:]))
    assert parsed.to_wire() == message


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"v": 2}, "version"),
        ({"v": True}, "version"),
        ({"op": "forget"}, "unknown op"),
        ({"op": 3}, "unknown op"),
        ({"extra": 1}, "unknown"),
        ({"store": None}, "wrong type"),
        ({"settings": {"A": 1}}, "settings"),
        ({"params": []}, "wrong type"),
    ],
)
def test_a_malformed_request_is_refused(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(protocol.ProtocolError, match=problem):
        protocol.parse_request({**request(), **change})


@pytest.mark.parametrize(
    "params",
    [
        {"k": True},  # a bool is no count
        {"k": 2.5},
        {"query": None},
        {"tags": ["a", 1]},
        {"tags": "a"},
        {"min_score": "high"},
        {"session": 7},
        {"context": "2"},
        {"context": True},
        {"mode": ["hybrid"]},
    ],
)
def test_a_recall_parameter_of_the_wrong_type_is_refused(params: dict[str, Any]) -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_request(request("recall", **params))


def test_a_missing_or_unknown_parameter_is_refused() -> None:
    message = request("remember")
    del message["params"]["allow_duplicate"]
    with pytest.raises(protocol.ProtocolError, match="missing"):
        protocol.parse_request(message)
    with pytest.raises(protocol.ProtocolError, match="unknown"):
        protocol.parse_request(request("remember", id="abcd"))


@given(objects)
def test_any_object_parses_as_a_request_or_a_protocol_error(message: dict[str, Any]) -> None:
    try:
        parsed = protocol.parse_request(message)
    except protocol.ProtocolError:
        return
    assert parsed.op in protocol.PARAMS


@given(st.sampled_from(["recall", "remember", "status", "stop"]), st.data())
def test_a_request_with_one_field_replaced_parses_or_fails_cleanly(op: str, data: st.DataObject) -> None:
    message = request(op)
    where = message["params"] if message["params"] and data.draw(st.booleans()) else message
    key = data.draw(st.sampled_from(sorted(where)))
    where[key] = data.draw(json_values)
    try:
        parsed = protocol.parse_request(message)
    except protocol.ProtocolError:
        return
    assert parsed.op == op


MEMORY = Memory("a" * 32, "Dana prefers email", "2025-06-01T12:00:00Z", ("people",), {"n": 1.5}, "chat", None, "b" * 32)


def test_memories_and_hits_come_back_equal() -> None:
    assert protocol.memory_from_wire(json.loads(json.dumps(MEMORY.to_json()))) == MEMORY
    hit = Hit(MEMORY, 0.123456789012345, {"from": "c" * 32, "rel": "related", "direction": "out", "hops": 1})
    back = protocol.hit_from_wire(protocol.decode(protocol.encode(protocol.hit_to_wire(hit))[4:]))
    assert back == hit
    assert back.score == hit.score  # not rounded: text output formats it itself


def test_sessions_and_context_entries_come_back_equal() -> None:
    memory = Memory("a" * 32, "Sam: pottery?", "2025-06-01T12:00:00Z", session="chat-1")
    assert protocol.memory_from_wire(json.loads(json.dumps(memory.to_json()))) == memory
    entry = Hit(memory, None, {"context_of": "c" * 32, "offset": -2})
    back = protocol.hit_from_wire(protocol.decode(protocol.encode(protocol.hit_to_wire(entry))[4:]))
    assert back == entry and back.is_context


@pytest.mark.parametrize(
    "error",
    [
        errors.UsageError("the query is empty"),
        errors.StoreBusy("the store is busy", hint="retry later"),
        errors.ModelIntegrityError("model.onnx has the wrong checksum"),
        WrongKey("HEAD does not decrypt"),  # a subclass in a lower layer: sent as its errors kind
    ],
)
def test_an_error_comes_back_as_its_kind_with_its_message_and_hint(error: errors.MnemoError) -> None:
    back = protocol.error_from_wire(protocol.error_to_wire(error))
    kind = next(k for k in type(error).__mro__ if k.__module__ == "mnemo_cli.errors")
    assert type(back) is kind
    assert str(back) == str(error)
    assert isinstance(back, errors.MnemoError) and back.hint == error.hint


def test_an_unexpected_error_comes_back_under_its_class_name() -> None:
    back = protocol.error_from_wire(protocol.error_to_wire(KeyError("boom")))
    assert type(back).__name__ == "KeyError"
    assert isinstance(back, protocol.RemoteInternalError)
    assert str(back) == str(KeyError("boom"))


@pytest.mark.parametrize("kind", ["NoSuchKind", "__class__", "MnemoError", 7])
def test_an_unknown_kind_is_a_plain_mnemo_error(kind: object) -> None:
    back = protocol.error_from_wire({"kind": kind, "message": "m", "hint": None})
    assert type(back) is errors.MnemoError


def test_responses_parse() -> None:
    ok = protocol.parse_response(protocol.answer({"hits": []}, ["a note"]))
    assert ok.ok and ok.result == {"hits": []} and ok.notes == ["a note"]
    failed = protocol.parse_response(protocol.failure(errors.StoreBusy("busy"), []))
    assert failed.error is not None and failed.error["kind"] == "StoreBusy"
    declined = protocol.parse_response(protocol.decline("another store"))
    assert declined.declined == "another store" and not declined.revoked
    revoked = protocol.parse_response(protocol.decline("the secret changed", revoked=True))
    assert revoked.declined == "the secret changed" and revoked.revoked
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_response({"v": 1, "ok": True, "notes": []})


def test_a_memory_to_remember_survives_the_request() -> None:
    from datetime import UTC, datetime

    from mnemo_cli.memories import NewMemory

    item = NewMemory(
        "Dana prefers email",
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        tags=("people",),
        meta={"k": 1},
        source="chat",
        expires_at="2026-01-01T00:00:00Z",
        supersedes="a" * 32,
        session="s-1",
    )
    params = json.loads(json.dumps(protocol.new_memory_to_wire(item)))
    assert protocol.new_memory_from_wire({**params, "allow_duplicate": False}) == NewMemory(
        "Dana prefers email",
        created_at="2025-01-01T00:00:00Z",
        tags=["people"],
        meta={"k": 1},
        source="chat",
        expires_at="2026-01-01T00:00:00Z",
        supersedes="a" * 32,
        session="s-1",
    )
    assert set(params) | {"allow_duplicate", "find_similar"} == set(protocol.PARAMS["remember"])
