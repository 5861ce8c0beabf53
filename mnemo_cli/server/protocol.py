"""The agent's wire format: one request and one response per connection, each one frame.

A frame is a 4-byte big-endian length, then that many bytes of UTF-8 JSON holding one object,
written as ASCII (non-ASCII and lone surrogates from non-UTF-8 command lines as `\\u` escapes).
Parsing is strict: a frame over the size limit, a truncated frame, bytes that are not UTF-8, JSON
with NaN or Infinity, a repeated key, nesting too deep, a request of an unknown version or op, or
a parameter missing, unknown or of the wrong type is a `ProtocolError`; the agent answers it with a
`declined` response and carries on.

    request:  {"v": 1, "op": "recall" | "remember" | "status" | "stop", "store": "/resolved/path",
               "store_id": hex | null, "settings": {...}, "lock_wait": str | null, "params": {...}}
    response: {"v": 1, "ok": true, "result": {...}, "notes": [...]}
              {"v": 1, "ok": false, "error": {"kind", "message", "hint"[, "type"]}, "notes": [...]}
              {"v": 1, "ok": false, "declined": "why"}     (not executed: the client runs it itself)
              {"v": 1, "ok": false, "declined": "why", "revoked": true}
                        (not executed, and the agent stops: its unlock is no longer valid)

Memories, hits and errors travel as plain JSON and come back as the same objects (`*_to_wire`,
`*_from_wire`), so a command renders an agent's answer with its own code, byte for byte.
"""

from __future__ import annotations

import json
import socket
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mnemo_cli import errors
from mnemo_cli.memories import Hit, Memory, NewMemory

VERSION = 1
_LENGTH = struct.Struct(">I")
#: A request carries at most one memory (1 MiB of text, up to 6 bytes per character escaped).
MAX_REQUEST = 16 << 20
#: Responses come from an agent the client has checked; the limit only bounds a broken one.
MAX_RESPONSE = 1 << 30

_TEXT = (str,)
_MAYBE_TEXT = (str, type(None))
_INT = (int,)
_NUMBER = (int, float)
#: Each op's parameters and their JSON types (`list` and `dict` checked one level deeper below).
PARAMS: dict[str, dict[str, tuple[type, ...]]] = {
    "recall": {
        "query": _TEXT,
        "k": _INT,
        "mode": _TEXT,
        "tags": (list,),
        "since": _MAYBE_TEXT,
        "until": _MAYBE_TEXT,
        "expand": _INT,
        "min_score": (*_NUMBER, type(None)),
        "session": _MAYBE_TEXT,
        "context": _INT,
        "now": _MAYBE_TEXT,
    },
    "remember": {
        "text": _TEXT,
        "tags": (list,),
        "meta": (dict,),
        "created_at": _MAYBE_TEXT,
        "source": _MAYBE_TEXT,
        "expires_at": _MAYBE_TEXT,
        "supersedes": _MAYBE_TEXT,
        "session": _MAYBE_TEXT,
        "allow_duplicate": (bool,),
        "find_similar": (bool,),
    },
    "status": {},
    "stop": {},
}
#: Ops that change the store: never to be sent twice.
WRITES = frozenset({"remember"})


class ProtocolError(Exception):
    """A frame or message that does not follow this format."""


class Closed(ProtocolError):
    """The other end closed the connection before sending any byte of a frame."""


@dataclass(frozen=True)
class Request:
    op: str
    store: str
    store_id: str | None
    settings: dict[str, str | None]
    lock_wait: str | None
    params: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "op": self.op,
            "store": self.store,
            "store_id": self.store_id,
            "settings": self.settings,
            "lock_wait": self.lock_wait,
            "params": self.params,
        }


# -- frames -----------------------------------------------------------------------------------------


def encode(message: dict[str, Any]) -> bytes:
    """One frame holding `message`; `ProtocolError` when it cannot be JSON (NaN, a set, ...)."""
    try:
        body = json.dumps(message, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")
    except (TypeError, ValueError) as e:
        raise ProtocolError(f"cannot encode the message: {e}") from None
    return _LENGTH.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    """The object in a frame's body."""
    try:
        text = body.decode("utf-8")
        message = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_repeats)
    except UnicodeDecodeError:
        raise ProtocolError("the message is not UTF-8") from None
    except RecursionError:
        raise ProtocolError("the message nests too deeply") from None
    except ValueError as e:  # JSONDecodeError, a repeated key, NaN, an integer too long to parse
        raise ProtocolError(f"the message is not strict JSON: {e}") from None
    if not isinstance(message, dict):
        raise ProtocolError("the message is not a JSON object")
    return message


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("a key is repeated")
    return result


def send(conn: socket.socket, message: dict[str, Any]) -> None:
    conn.sendall(encode(message))


def receive(conn: socket.socket, limit: int) -> dict[str, Any]:
    """Read one frame of at most `limit` body bytes and decode it."""
    header = _read_exactly(conn, _LENGTH.size, first=True)
    (length,) = _LENGTH.unpack(header)
    if length > limit:
        raise ProtocolError(f"the message is {length} bytes, over the limit of {limit}")
    return decode(_read_exactly(conn, length, first=False))


def _read_exactly(conn: socket.socket, size: int, *, first: bool) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    done = 0
    while done < size:
        got = conn.recv_into(view[done:])
        if got == 0:
            if first and done == 0:
                raise Closed("the connection closed")
            raise ProtocolError("the connection closed in the middle of a message")
        done += got
    return bytes(buffer)


# -- requests ---------------------------------------------------------------------------------------


def parse_request(message: dict[str, Any]) -> Request:
    """A `Request` from a decoded message, every field and parameter checked."""
    if message.get("v") != VERSION or type(message.get("v")) is not int:
        raise ProtocolError(f"unsupported protocol version {message.get('v')!r}")
    expected = {"v", "op", "store", "store_id", "settings", "lock_wait", "params"}
    _same_keys(message, expected, "request")
    op = message["op"]
    if not isinstance(op, str) or op not in PARAMS:
        raise ProtocolError(f"unknown op {op!r}")
    _typed(message, "store", _TEXT)
    _typed(message, "store_id", _MAYBE_TEXT)
    _typed(message, "lock_wait", _MAYBE_TEXT)
    settings = _typed(message, "settings", (dict,))
    if not all(isinstance(v, _MAYBE_TEXT) for v in settings.values()):
        raise ProtocolError("settings must map names to text or null")
    params = _typed(message, "params", (dict,))
    spec = PARAMS[op]
    _same_keys(params, set(spec), f"{op} parameters")
    for name, types in spec.items():
        value = _typed(params, name, types)
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise ProtocolError(f"{name} must be a list of text")
    return Request(op, message["store"], message["store_id"], settings, message["lock_wait"], params)


def _same_keys(message: dict[str, Any], expected: set[str], what: str) -> None:
    if set(message) != expected:
        missing, unknown = sorted(expected - set(message)), sorted(set(message) - expected)
        raise ProtocolError(f"{what}: missing {missing}, unknown {unknown}")


def _typed(message: dict[str, Any], name: str, types: tuple[type, ...]) -> Any:
    value = message[name]
    # bool is an int to Python, not to JSON: `"k": true` is refused.
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise ProtocolError(f"{name} has the wrong type ({type(value).__name__})")
    return value


# -- responses --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    ok: bool
    result: dict[str, Any]
    notes: list[str]
    error: dict[str, Any] | None = None
    declined: str | None = None
    #: Declined because the agent's unlock is no longer valid (the agent is stopping).
    revoked: bool = False


def answer(result: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    return {"v": VERSION, "ok": True, "result": result, "notes": notes}


def failure(error: BaseException, notes: list[str]) -> dict[str, Any]:
    return {"v": VERSION, "ok": False, "error": error_to_wire(error), "notes": notes}


def decline(reason: str, *, revoked: bool = False) -> dict[str, Any]:
    message: dict[str, Any] = {"v": VERSION, "ok": False, "declined": reason}
    if revoked:
        message["revoked"] = True
    return message


def parse_response(message: dict[str, Any]) -> Response:
    if message.get("v") != VERSION:
        raise ProtocolError(f"unsupported protocol version {message.get('v')!r}")
    if "declined" in message:
        return Response(False, {}, [], declined=str(message["declined"]), revoked=message.get("revoked") is True)
    notes = message.get("notes")
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise ProtocolError("notes must be a list of text")
    if message.get("ok") is True and isinstance(message.get("result"), dict):
        return Response(True, message["result"], notes)
    error = message.get("error")
    if message.get("ok") is False and isinstance(error, dict) and isinstance(error.get("message"), str):
        return Response(False, {}, notes, error=error)
    raise ProtocolError("a response must carry a result, an error or a reason to decline")


# -- values -----------------------------------------------------------------------------------------


def memory_from_wire(document: dict[str, Any]) -> Memory:
    """The inverse of `Memory.to_json` (`Memory.from_json`)."""
    return Memory.from_json(document)


def new_memory_to_wire(item: NewMemory) -> dict[str, Any]:
    """A memory to remember as the remember request's parameters (`new_memory_from_wire` reads them)."""
    from mnemo_cli.store.values import normalise_time

    def moment(value: str | datetime | None) -> str | None:  # a datetime cannot travel as JSON
        return normalise_time(value) if isinstance(value, datetime) else value

    return {
        "text": item.text,
        "tags": list(item.tags),
        "meta": dict(item.meta or {}),
        "created_at": moment(item.created_at),
        "source": item.source,
        "expires_at": moment(item.expires_at),
        "supersedes": item.supersedes,
        "session": item.session,
    }


def new_memory_from_wire(params: dict[str, Any]) -> NewMemory:
    """The memory a remember request carries (its other parameters are options)."""
    return NewMemory(**{name: params[name] for name in new_memory_to_wire(NewMemory(""))})


def hit_to_wire(hit: Hit) -> dict[str, Any]:
    # Not `Hit.to_json`: that rounds the score, and text output formats it again.
    return {"memory": hit.memory.to_json(), "score": hit.score, "via": None if hit.via is None else dict(hit.via)}


def hit_from_wire(document: dict[str, Any]) -> Hit:
    return Hit(memory_from_wire(document["memory"]), document["score"], document["via"])


class RemoteInternalError(Exception):
    """An unexpected failure inside the agent; the class the client raises is named like the original."""


def error_to_wire(error: BaseException) -> dict[str, Any]:
    """A failure as data: the `mnemo_cli.errors` kind it is (which decides the exit code), its
    message and hint; anything else as `internal` with its class name."""
    if isinstance(error, errors.MnemoError):
        kind = next(k for k in type(error).__mro__ if k.__module__ == errors.__name__)
        return {"kind": kind.__name__, "message": str(error), "hint": error.hint}
    return {"kind": "internal", "type": type(error).__name__, "message": str(error), "hint": None}


def error_from_wire(document: dict[str, Any]) -> Exception:
    """The exception to raise for a failure sent by `error_to_wire`: same kind, message and hint."""
    message = str(document.get("message", ""))
    hint = document.get("hint")
    hint = hint if isinstance(hint, str) else None
    kind = document.get("kind")
    if kind == "internal":
        name = str(document.get("type", ""))
        named = type(name if name.isidentifier() else "RemoteInternalError", (RemoteInternalError,), {})
        return named(message)
    found = getattr(errors, kind, None) if isinstance(kind, str) else None
    if not (isinstance(found, type) and issubclass(found, errors.MnemoError)):
        found = errors.MnemoError
    return found(message, hint=hint)
