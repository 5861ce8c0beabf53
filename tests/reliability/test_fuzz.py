"""Item 8 · hostile input: every parser of untrusted bytes or text fails only in its documented way.

Each parser is fed random and crafted input with hypothesis and may only return or raise the error
kind it documents: `FrameError` (log frames and header), `RecordFormatError` (record bodies),
`KeySlotFormatError` (key-slot tables), `IntegrityError` (HEAD, `MNEMO`), `BadSnapshot` (snapshot
envelope), `BadPayload` (snapshot payload), `ModelError` (`ModelSpec.from_json`) and `UsageError`
(import lines and the values users type: durations, times, ids, tags, metadata). Never IndexError,
KeyError, UnicodeError, struct.error, OverflowError, RecursionError and the like. Where an encoder
exists, decode(encode(x)) == x. The real CLI, given generated option values, exits with a
documented code other than 1 and writes only one-line `mnemo: error:` messages, never a traceback.
A key slot asking for 4 TiB of Argon2 memory is refused before Argon2 runs or allocates.

Inputs that once crashed a parser, and hand-made nasty ones (huge length fields, deep JSON, NaN,
surrogates, NUL bytes), live in `corpus/<parser>/` and are replayed on every run. Set
`MNEMO_FUZZ_SAVE=1` to add any input a property finds crashing to that corpus.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mnemo_cli.crypto import aead, kdf, keyslots, secrets
from mnemo_cli.crypto.kdf import KdfParams, checksum, subkey
from mnemo_cli.crypto.keyslots import KeySlot, KeySlotFormatError, KeySlotTable
from mnemo_cli.embed.model_spec import EMBEDDED, ModelSpec, folder_id
from mnemo_cli.errors import IntegrityError, ModelError, UsageError
from mnemo_cli.index import snapshot as payload_codec
from mnemo_cli.index.snapshot import BadPayload
from mnemo_cli.log import frames, head, snapshot_file, store_header
from mnemo_cli.log.frames import ChainPoint, FrameError, LogHeader
from mnemo_cli.log.head import Head
from mnemo_cli.log.snapshot_file import BadSnapshot, Snapshot
from mnemo_cli.memories import Link, Memory
from mnemo_cli.store import records, transfer, values
from mnemo_cli.store.records import Record, RecordFormatError
from tests.reliability.conftest import scaled

ROW = "8 · hostile input: parsers fail only with their own errors"
CORPUS = Path(__file__).parent / "corpus"
KEY = bytes(range(32))
STORE_ID = bytes(range(100, 116))
GEN = bytes(range(200, 216))
LOG_HEADER = LogHeader(STORE_ID, GEN, 1)
HEADER_BYTES = frames.encode_header(LOG_HEADER)
GENESIS = frames.genesis(KEY, HEADER_BYTES)
PASSPHRASE = "fuzz passphrase"

#: Every property: `scaled(400, 20_000)` examples; slow ones (file or process per example) fewer.
MANY = scaled(400, 20_000)
SOME = scaled(150, 20_000)
FILES = scaled(60, 5_000)
FEW = scaled(10, 300)
_COMMON: dict[str, Any] = {
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
    ],
}


def fuzz(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return settings(max_examples=examples, **_COMMON)


def as_text(data: bytes) -> str:
    """Corpus bytes as the str a parser sees: UTF-8, lone surrogates kept (as argv decoding does)."""
    return data.decode("utf-8", "surrogatepass")


def as_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# --- one target per parser: bytes in, only the documented error out -----------------------------


def _frame(data: bytes) -> None:
    """A log file's frames after a valid header, then the bytes as a log header."""
    point, start = GENESIS, 0
    while start < len(data):
        _body, point = frames.open_frame(KEY, LOG_HEADER, point, data, start)
        start = point.offset - frames.HEADER_SIZE
    frames.decode_header(data)


def _record(data: bytes) -> None:
    decoded = records.decode(data)
    assert isinstance(decoded.op, str) and isinstance(decoded.fields, dict)


def _keyslots(data: bytes) -> None:
    """The bytes as a table, and again with a valid checksum appended (to reach the field checks)."""
    for candidate in (data, data + checksum(b"mnemo-keys-v1", data)):
        with contextlib.suppress(KeySlotFormatError):
            table = keyslots.decode_table(candidate)
            assert keyslots.encode_table(table) == candidate


def _head(data: bytes) -> None:
    head.decode(data, KEY, STORE_ID)


def _store_header(data: bytes) -> None:
    for candidate in (data, data[:32] + checksum(b"mnemo-hdr-v1", data[:32])):
        with contextlib.suppress(IntegrityError):
            store_header.decode(candidate)


def _snapshot_file(data: bytes) -> None:
    """The bytes as a snapshot file, and as the plaintext of a correctly sealed one."""
    prefix = snapshot_file._PREFIX.pack(snapshot_file.MAGIC, snapshot_file.VERSION, 0)
    sealed = prefix + aead.seal(subkey(KEY, "index"), data, b"mnemo-snap-v1" + STORE_ID + prefix)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.snap"
        for candidate in (data, sealed):
            path.write_bytes(candidate)
            with contextlib.suppress(BadSnapshot):
                snapshot_file.read(path, KEY, STORE_ID)


def _payload(data: bytes) -> None:
    payload_codec.decode(data)


def _model_spec(data: bytes) -> None:
    try:
        document = json.loads(as_text(data))
    except (ValueError, RecursionError):
        return
    spec = ModelSpec.from_json(document)
    assert ModelSpec.from_json(spec.to_json()) == spec


def _import(data: bytes) -> None:
    transfer.parse_import(as_text(data), "fuzz")


def _duration(data: bytes) -> None:
    assert values.parse_duration(as_text(data)).total_seconds() > 0


def _time(data: bytes) -> None:
    moment = values.parse_time(as_text(data))
    assert values.parse_time(values.format_time(moment)) == moment


def _since(data: bytes) -> None:
    values.parse_since(as_text(data), what="--since")


def _id(data: bytes) -> None:
    assert values.check_id(as_text(data)) == as_text(data)


def _tags(data: bytes) -> None:
    """A JSON list of tags (as an import line has), or one tag per line (as `--tag` options)."""
    try:
        tags = json.loads(as_text(data))
    except (ValueError, RecursionError):
        tags = as_text(data).split("\n")
    if isinstance(tags, list):
        cleaned = values.check_tags(tags)
        assert values.check_tags(cleaned) == cleaned


def _meta_pairs(data: bytes) -> None:
    values.check_meta(values.parse_meta_pairs(as_text(data).split("\n")))


def _meta_json(data: bytes) -> None:
    values.check_meta(values.parse_meta_json(as_text(data)))


def _text(data: bytes) -> None:
    values.check_text(as_text(data))


#: parser name (its corpus folder) → (target, the only exceptions it may raise).
TARGETS: dict[str, tuple[Callable[[bytes], None], tuple[type[BaseException], ...]]] = {
    "frame": (_frame, (FrameError,)),
    "record": (_record, (RecordFormatError,)),
    "keyslots": (_keyslots, (KeySlotFormatError,)),
    "head": (_head, (IntegrityError,)),
    "store_header": (_store_header, (IntegrityError,)),
    "snapshot_file": (_snapshot_file, (BadSnapshot,)),
    "snapshot_payload": (_payload, (BadPayload,)),
    "model_spec": (_model_spec, (ModelError,)),
    "import": (_import, (UsageError,)),
    "duration": (_duration, (UsageError,)),
    "time": (_time, (UsageError,)),
    "since": (_since, (UsageError,)),
    "id": (_id, (UsageError,)),
    "tags": (_tags, (UsageError,)),
    "meta_pairs": (_meta_pairs, (UsageError,)),
    "meta_json": (_meta_json, (UsageError,)),
    "text": (_text, (UsageError,)),
}


def check(parser: str, data: bytes) -> None:
    """Run `parser` on `data`; any exception but its documented ones fails (and, with
    MNEMO_FUZZ_SAVE=1, the input is added to the replay corpus)."""
    target, allowed = TARGETS[parser]
    try:
        target(data)
    except allowed:
        pass
    except BaseException:
        if os.environ.get("MNEMO_FUZZ_SAVE") == "1":
            folder = CORPUS / parser
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"found-{hashlib.sha256(data).hexdigest()[:16]}").write_bytes(data)
        raise


# --- strategies ----------------------------------------------------------------------------------

#: Text of every kind: lone surrogates (argv bytes that are not UTF-8 arrive as \udcXX), NUL, RTL.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
#: JSON text with the hostile parts JSON allows or Python's json accepts: NaN, 1e999, deep nesting,
#: \u escapes of lone surrogates, huge integers.
hostile_json = st.one_of(
    json_values.map(json.dumps),
    st.sampled_from(
        [
            "NaN",
            "-Infinity",
            "1e999",
            '"\\ud800"',
            '{"a": "\\udcff"}',
            "9" * 5000,
            "[" * 5000 + "]" * 5000,
            '{"a":' * 3000 + "1" + "}" * 3000,
            '{"a": 1, "a": 2}',
            "\x00",
        ]
    ),
)


def _u32(n: int) -> bytes:
    return n.to_bytes(4, "little")


def _json_with_length(document: str, extra: bytes, delta: int) -> bytes:
    raw = as_bytes(document)
    return _u32(max(0, min(2**32 - 1, len(raw) + delta))) + raw + extra


record_bodies = st.one_of(
    st.binary(max_size=300),
    st.builds(_json_with_length, hostile_json, st.binary(max_size=16), st.sampled_from([0, 0, 0, -1, 1, 2**31])),
    st.builds(
        _json_with_length,
        st.dictionaries(st.sampled_from(["op", "id", "text", "ids"]), json_values, max_size=4).map(json.dumps),
        st.binary(max_size=16),
        st.just(0),
    ),
)


def _table_body(count: int, claimed: int, kinds: list[int], params: list[int], reserved: int) -> bytes:
    body = keyslots._HEAD.pack(keyslots.TABLE_MAGIC, 1, reserved, STORE_ID, 1, claimed)
    for i in range(count):
        kind = kinds[i % len(kinds)]
        t, m, p = ([*params, 0, 0, 0])[:3]
        body += keyslots._META.pack(kind, 0, i % 3, 1, bytes(16), t, m, p) + bytes(keyslots.WRAPPED_BYTES)
    return body


u32s = st.one_of(st.sampled_from([0, 1, 2, 3, 64, 65, 2**31, 2**32 - 1]), st.integers(0, 2**32 - 1))
table_bodies = st.one_of(
    st.binary(max_size=400),
    st.builds(
        _table_body,
        st.integers(0, 3),
        u32s,
        st.lists(st.integers(0, 255), min_size=1, max_size=3),
        st.lists(u32s, max_size=3),
        st.sampled_from([0, 0, 1]),
    ),
)


def _frame_with_length(length: int, rest: bytes) -> bytes:
    return _u32(length) + rest


frame_buffers = st.one_of(
    st.binary(max_size=400),
    st.builds(
        _frame_with_length,
        st.one_of(
            st.sampled_from([0, 1, 295, 296, 297, frames.MAX_SEALED, frames.MAX_SEALED + 1, 2**32 - 1]),
            st.integers(0, 2**32 - 1),
        ),
        st.binary(max_size=400),
    ),
)


def _payload_bytes(meta: str, catalog: bytes, vectors: bytes, deltas: tuple[int, int, int]) -> bytes:
    raw = as_bytes(meta)
    return (
        _u32(max(0, min(2**32 - 1, len(raw) + deltas[0])))
        + raw
        + max(0, len(catalog) + deltas[1]).to_bytes(8, "little")
        + catalog
        + max(0, len(vectors) + deltas[2]).to_bytes(8, "little")
        + vectors
    )


def _empty_catalog() -> bytes:
    import sqlite3

    connection = sqlite3.connect(":memory:")
    connection.execute("create table memories(x)")
    return connection.serialize()


metas = st.one_of(
    hostile_json,
    st.fixed_dictionaries(
        {
            "version": st.sampled_from([4, 4.0, 3, "4", None, True]),
            "model": st.one_of(st.just(EMBEDDED.to_json()), json_values),
            "dimension": st.one_of(st.integers(-2, 2**70), json_values),
            "count": st.one_of(st.integers(-1, 5), json_values),
        }
    ).map(json.dumps),
)
payloads = st.one_of(
    st.binary(max_size=300),
    st.builds(
        _payload_bytes,
        metas,
        st.one_of(st.binary(max_size=200), st.just(_empty_catalog()), st.just(b"SQLite format 3\x00" + bytes(100))),
        st.binary(max_size=64),
        st.tuples(st.sampled_from([0, 0, -1, 1, 2**31]), st.sampled_from([0, 0, 1, 2**40]), st.sampled_from([0, 0, 1])),
    ),
)

spec_fields = [f for f in EMBEDDED.to_json()]


def _spec_document(base: dict[str, Any], changes: dict[str, Any], drop: list[str]) -> str:
    document = {**base, **changes}
    for key in drop:
        document.pop(key, None)
    return json.dumps(document)


def _folder_spec_json(output: str, pooling: str) -> dict[str, Any]:
    sha, files = "a" * 64, "b" * 64
    return {
        "id": folder_id(sha, files, output, pooling),
        "kind": "folder",
        "location": "/models/m",
        "dimension": 8,
        "sha256": sha,
        "model_file": "model.onnx",
        "files_sha256": files,
        "output": output,
        "pooling": pooling,
    }


spec_documents = st.one_of(
    hostile_json,
    st.builds(
        _spec_document,
        st.sampled_from(
            [
                EMBEDDED.to_json(),
                _folder_spec_json("last_hidden_state", "mean"),
                {**EMBEDDED.to_json(), "kind": "fastembed", "id": "fastembed:x", "location": "x", "sha256": ""},
            ]
        ),
        st.dictionaries(
            st.sampled_from([*spec_fields, "extra"]),
            st.one_of(json_values, st.sampled_from(["\x00", "relative/path", "/abs\x00", "embedded", "folder"])),
            max_size=3,
        ),
        st.lists(st.sampled_from(spec_fields), max_size=2),
    ),
)


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry)


memory_ids = st.one_of(st.text("0123456789abcdef", min_size=32, max_size=32), any_text, json_values)
time_texts = st.one_of(
    st.sampled_from(
        [
            "2025-03-14T10:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "2025-02-30",
            "2025-03-14T10:00:00+24:00",
            "",
            " ",
        ]
    ),
    any_text,
)
import_entries = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["memory", "link", "mnemo-export", "other", None]),
        "version": st.sampled_from([1, 2, True, 1.0, "1"]),
        "text": st.one_of(any_text, json_values),
        "id": memory_ids,
        "src": memory_ids,
        "dst": memory_ids,
        "rel": st.one_of(any_text, json_values),
        "created_at": st.one_of(time_texts, json_values),
        "expires_at": st.one_of(time_texts, json_values),
        "supersedes": memory_ids,
        "tags": st.one_of(st.lists(any_text, max_size=3), json_values),
        "meta": st.one_of(json_values, st.dictionaries(any_text, any_text, max_size=2)),
        "source": st.one_of(any_text, json_values),
        "memories": json_values,
        "links": json_values,
    },
)
import_texts = st.one_of(
    any_text,
    st.lists(st.one_of(import_entries.map(_line), hostile_json), max_size=4).map("\n".join),
    st.builds(
        lambda memories, links: json.dumps(
            {"type": "mnemo-export", "version": 1, "memories": memories, "links": links}
        ),
        st.one_of(st.lists(import_entries, max_size=3), json_values),
        st.one_of(st.lists(import_entries, max_size=2), json_values),
    ),
)

units = st.sampled_from([*list("smhdwy"), "", "x", "D", " d"])
duration_texts = st.one_of(
    any_text,
    st.builds(lambda n, u: f"{n}{u}", st.one_of(st.integers(-5, 10**6), st.integers(0, 10**40)), units),
    st.sampled_from(["0d", "-1d", "1.5d", "٣d", "1 d", "d", "9" * 5000 + "s", "1e3d"]),
)


# --- properties: only the documented errors ------------------------------------------------------


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(frame_buffers)
def test_frames_raise_only_frame_error(tally: Callable[[int], None], data: bytes) -> None:
    tally(1)
    check("frame", data)


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(record_bodies)
def test_record_bodies_raise_only_record_format_error(tally: Callable[[int], None], data: bytes) -> None:
    tally(1)
    check("record", data)


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(table_bodies)
def test_key_slot_tables_raise_only_key_slot_format_error(tally: Callable[[int], None], data: bytes) -> None:
    tally(1)
    check("keyslots", data)


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(st.one_of(st.binary(max_size=200), st.binary(min_size=head.SIZE, max_size=head.SIZE)))
@example(head.MAGIC + bytes(head.SIZE - 8))
@example(head.MAGIC + b"\x02\x00" + bytes(head.SIZE - 10))
def test_head_raises_only_integrity_error(tally: Callable[[int], None], data: bytes) -> None:
    tally(1)
    check("head", data)


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(
    st.one_of(
        st.binary(max_size=100),
        st.binary(min_size=24, max_size=24).map(lambda tail: store_header.MAGIC + tail + bytes(32)),
    )
)
def test_store_header_raises_only_integrity_error(tally: Callable[[int], None], data: bytes) -> None:
    tally(1)
    check("store_header", data)


@pytest.mark.reliability(ROW)
@fuzz(SOME)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.binary(max_size=64).map(lambda tail: snapshot_file.MAGIC + b"\x01\x00\x00\x00" + tail),
        st.builds(lambda point, body: point + body, st.binary(min_size=56, max_size=56), st.binary(max_size=300)),
    )
)
def test_snapshot_files_raise_only_bad_snapshot(tally: Callable[[int], None], data: bytes) -> None:
    tally(1)
    check("snapshot_file", data)


@pytest.mark.reliability(ROW)
@fuzz(SOME)
@given(payloads)
def test_snapshot_payloads_raise_only_bad_payload(tally: Callable[[int], None], data: bytes) -> None:
    tally(1)
    check("snapshot_payload", data)


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(spec_documents)
def test_model_specs_raise_only_model_error(tally: Callable[[int], None], document: str) -> None:
    tally(1)
    check("model_spec", as_bytes(document))


@pytest.mark.reliability(ROW)
@fuzz(SOME)
@given(import_texts)
def test_import_lines_raise_only_usage_error(tally: Callable[[int], None], content: str) -> None:
    tally(1)
    check("import", as_bytes(content))


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(
    st.sampled_from(["duration", "since", "time", "id", "text", "meta_pairs", "meta_json", "tags"]),
    st.one_of(duration_texts, time_texts, hostile_json, memory_ids.map(str), any_text),
)
def test_value_parsers_raise_only_usage_error(tally: Callable[[int], None], parser: str, text: str) -> None:
    tally(1)
    check(parser, as_bytes(text))


# --- properties: round trips ---------------------------------------------------------------------

plain_text = st.text(st.characters(codec="utf-8"), max_size=40)
plain_json = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        plain_text,
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plain_text, inner, max_size=3),
    max_leaves=10,
)


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(st.lists(st.binary(max_size=600), min_size=1, max_size=3))
def test_frames_round_trip_along_the_chain(tally: Callable[[int], None], bodies: list[bytes]) -> None:
    tally(1)
    log, point = HEADER_BYTES, GENESIS
    for body in bodies:
        frame, point = frames.seal_frame(KEY, LOG_HEADER, point, body)
        log += frame
    assert frames.decode_header(log) == LOG_HEADER
    read, start = GENESIS, frames.HEADER_SIZE
    for body in bodies:
        got, read = frames.open_frame(KEY, LOG_HEADER, read, log, start)
        assert got == body
        start = read.offset
    assert read == point and start == len(log)


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(
    st.text(min_size=1, max_size=12),
    st.dictionaries(plain_text.filter(lambda k: k != "op"), plain_json, max_size=5),
    st.binary(max_size=64),
)
def test_records_round_trip_canonically(
    tally: Callable[[int], None], op: str, fields: dict[str, Any], blob: bytes
) -> None:
    tally(1)
    try:
        body = records.encode(Record(op, fields, blob))
    except UnicodeEncodeError:
        return  # lone surrogates in `op` cannot be written; the values layer refuses them first
    decoded = records.decode(body)
    assert decoded == Record(op, fields, blob)
    assert records.encode(decoded) == body


slots = st.builds(
    lambda slot_id, kind, key_id, salt, params, wrapped: KeySlot(
        slot_id, kind, key_id, salt, KdfParams(*params) if kind == 1 else None, wrapped
    ),
    st.integers(0, 2**16 - 1),
    st.sampled_from([1, 2, 3]),
    st.integers(0, 2**32 - 1),
    st.binary(min_size=16, max_size=16),
    st.tuples(u32s, u32s, u32s),
    st.binary(min_size=72, max_size=72),
)


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(
    st.binary(min_size=16, max_size=16),
    st.integers(0, 2**64 - 1),
    st.lists(slots, max_size=4, unique_by=lambda s: s.slot_id),
)
def test_key_slot_tables_round_trip(
    tally: Callable[[int], None], store_id: bytes, seq: int, table_slots: list[KeySlot]
) -> None:
    tally(1)
    table = KeySlotTable(store_id, seq, tuple(table_slots))
    data = keyslots.encode_table(table)
    assert keyslots.decode_table(data) == table
    assert keyslots.encode_table(keyslots.decode_table(data)) == data


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(
    st.builds(
        Head,
        gen=st.binary(min_size=16, max_size=16),
        key_id=st.integers(0, 2**32 - 1),
        frames=st.integers(0, 2**64 - 1),
        log_bytes=st.integers(0, 2**64 - 1),
        last_offset=st.integers(0, 2**64 - 1),
        last_tag=st.binary(min_size=16, max_size=16),
        commit=st.integers(0, 2**64 - 1),
    ),
    st.binary(min_size=16, max_size=16),
)
def test_head_and_store_header_round_trip(tally: Callable[[int], None], anchor: Head, store_id: bytes) -> None:
    tally(1)
    assert head.decode(head.encode(anchor, KEY, store_id), KEY, store_id) == anchor
    assert store_header.decode(store_header.encode(store_header.StoreHeader(store_id))).store_id == store_id


@pytest.mark.reliability(ROW)
@fuzz(FILES)
@given(
    st.binary(min_size=16, max_size=16),
    st.integers(0, 2**64 - 1),
    st.integers(0, 2**64 - 1),
    st.binary(min_size=16, max_size=16),
    st.binary(max_size=2000),
)
def test_snapshot_files_round_trip(
    tally: Callable[[int], None], gen: bytes, n_frames: int, log_bytes: int, tag: bytes, payload: bytes
) -> None:
    tally(1)
    with tempfile.TemporaryDirectory() as folder:
        written = Snapshot(gen, ChainPoint(n_frames, log_bytes, tag), payload)
        path = snapshot_file.write(Path(folder), KEY, STORE_ID, written)
        assert snapshot_file.read(path, KEY, STORE_ID) == written
        with pytest.raises(BadSnapshot):  # another store's id: the envelope does not authenticate
            snapshot_file.read(path, KEY, GEN)


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(
    st.one_of(
        st.just(EMBEDDED),
        st.builds(
            lambda name, dimension: ModelSpec("fastembed:" + name, "fastembed", name, dimension),
            plain_text.filter(bool),
            st.integers(1, 65536),
        ),
        st.builds(
            lambda output, pooling, dimension, where: ModelSpec(
                **{
                    **_folder_spec_json(output, pooling),
                    "dimension": dimension,
                    "location": "/" + where,
                }
            ),
            plain_text.filter(lambda s: bool(s) and "\0" not in s),
            st.sampled_from(["mean", "cls", "last_token", "none"]),
            st.integers(1, 65536),
            plain_text.filter(lambda s: "\0" not in s),
        ),
    )
)
def test_model_specs_round_trip(tally: Callable[[int], None], spec: ModelSpec) -> None:
    tally(1)
    assert ModelSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


times = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))
hex_ids = st.text("0123456789abcdef", min_size=32, max_size=32)
memories = st.builds(
    Memory,
    id=hex_ids,
    text=plain_text.filter(lambda s: bool(s.strip())),
    created_at=times.map(values.format_time),
    tags=st.lists(plain_text.map(str.strip).filter(bool), unique=True, max_size=3).map(tuple),
    meta=st.dictionaries(plain_text, plain_json, max_size=3),
    source=st.one_of(st.none(), plain_text),
    expires_at=st.one_of(st.none(), times.map(values.format_time)),
    supersedes=st.one_of(st.none(), hex_ids),
)


@pytest.mark.reliability(ROW)
@fuzz(SOME)
@given(st.lists(memories, max_size=4, unique_by=lambda m: m.id), st.sampled_from(["jsonl", "json"]))
def test_export_import_round_trip(tally: Callable[[int], None], stored: list[Memory], fmt: str) -> None:
    tally(1)
    ids = [m.id for m in stored]
    links = [Link(a, b, "rel", "2025-01-01T00:00:00Z") for a, b in itertools.pairwise(ids)]
    plan = transfer.parse_import("".join(transfer.export_lines(stored, links, fmt)), "rt")
    assert [(m.id, m.text, m.created_at, tuple(m.tags), m.meta, m.source) for m in plan.memories] == [
        (m.id, m.text, m.created_at, m.tags, m.meta, m.source) for m in stored
    ]
    assert [link for _, link in plan.links] == links


@pytest.mark.reliability(ROW)
@fuzz(MANY)
@given(
    st.datetimes(timezones=st.integers(-1439, 1439).map(lambda minutes: timezone(timedelta(minutes=minutes)))),
    st.integers(1, 10**9),
    st.sampled_from(list("smhdwy")),
)
def test_time_and_duration_round_trip(tally: Callable[[int], None], moment: datetime, n: int, unit: str) -> None:
    tally(1)
    try:
        parsed = values.parse_time(moment.isoformat())
    except UsageError:  # only a moment outside year 1..9999 once in UTC
        utc_year = (moment.replace(tzinfo=None) - (moment.utcoffset() or timedelta())).year
        assert utc_year in (1, 9999)
        return
    assert parsed == moment
    assert values.parse_time(values.format_time(parsed)) == parsed
    seconds = n * values._UNITS[unit]
    try:
        assert values.parse_duration(f"{n}{unit}").total_seconds() == seconds
    except UsageError:
        assert seconds > values._MAX_SECONDS


# --- the corpus, replayed every run --------------------------------------------------------------

CORPUS_FILES = sorted(p for p in CORPUS.glob("*/*") if p.is_file())


@pytest.mark.reliability(ROW)
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_replay(tally: Callable[[int], None], path: Path) -> None:
    assert path.parent.name in TARGETS, f"corpus folder {path.parent.name} names no parser"
    tally(1)
    check(path.parent.name, path.read_bytes())


def test_corpus_covers_every_parser() -> None:
    assert {p.parent.name for p in CORPUS_FILES} == set(TARGETS)


# --- the CLI with hostile option values ----------------------------------------------------------

NASTY = [
    "",
    " ",
    "-",
    "--",
    "-1",
    "0",
    "nan",
    "inf",
    "1e309",
    "9" * 40,
    "9" * 30 + "y",
    "999999999999999y",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31",
    "2025-02-30",
    "[" * 3000,
    '{"a":NaN}',
    '{"a":"\\ud800"}',
    "\udcff",
    "k=\udcfe",
    "=v",
    "\u202e",
    "deadbeef",
    "0" * 32,
]
option_values = st.one_of(
    st.sampled_from(NASTY),
    duration_texts.filter(lambda s: "\0" not in s),
    time_texts.filter(lambda s: "\0" not in s),
    st.integers(-(2**70), 2**70).map(str),
    st.text(st.characters(codec="utf-8", exclude_characters="\0"), max_size=20),
    st.binary(max_size=12).filter(lambda b: b"\0" not in b).map(os.fsdecode),
)
COMMANDS: dict[str, list[str]] = {
    "recall": ["-k", "--tag", "--since", "--until", "--mode", "--expand", "--min-score", "--format"],
    "remember": ["--tag", "--meta", "--meta-json", "--created-at", "--source", "--ttl", "--supersedes"],
    "prune": ["--older-than", "--tag"],
    "list": ["--tag", "--since", "--until", "--limit", "--format"],
}


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    args = [command]
    if command in ("recall", "remember"):
        args.append(draw(st.one_of(st.just("fuzz memory"), option_values)))
    for option in draw(st.lists(st.sampled_from(COMMANDS[command]), max_size=3)):
        args += [option, draw(option_values)]
    if command == "prune" and draw(st.booleans()):
        args.append("--dry-run")
    if draw(st.booleans()):
        args.append("--json")
    return args


DOCUMENTED_EXITS = {0, 2, 3, 4, 5, 6, 7, 8}


def assert_clean_failure(code: int, stderr: str, args: list[str]) -> None:
    """A documented exit code but not 1 ("internal error"); stderr: one error line and at most one
    hint, plus warnings; no traceback."""
    assert "Traceback" not in stderr, (args, stderr)
    assert code in DOCUMENTED_EXITS, (args, code, stderr)
    lines = stderr.splitlines()
    assert all(line.startswith(("mnemo: error: ", "mnemo: hint: ", "mnemo: warning: ")) for line in lines), (
        args,
        stderr,
    )
    errors = [line for line in lines if line.startswith("mnemo: error: ")]
    assert len(errors) == (0 if code == 0 else 1), (args, stderr)
    assert len([line for line in lines if line.startswith("mnemo: hint: ")]) <= 1


@pytest.fixture
def cli_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    from mnemo_cli.store.store import Store

    path = tmp_path / "store"
    Store.create(path, [secrets.passphrase(PASSPHRASE, "test")]).close()
    monkeypatch.setenv("MNEMO_PASSPHRASE", PASSPHRASE)
    return path


def run_in_process(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    from mnemo_cli.cli.app import run

    monkeypatch.setattr(sys, "stdin", io.StringIO("piped memory"))
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = run(args)
    return code, err.getvalue()


@pytest.mark.reliability(ROW)
@pytest.mark.slow
@fuzz(scaled(150, 5000))
@given(command_lines())
@example(["remember", "\udcff bad"])
@example(["remember", "x", "--tag", "\udcff"])
@example(["remember", "x", "--meta", "k=\udcff"])
@example(["remember", "x", "--meta-json", "[" * 100_000])
@example(["remember", "x", "--ttl", "99999999999999999999d"])
@example(["list", "--since", "0001-01-01T00:00:00+01:00"])
@example(["list", "--since", "999999999999999y"])
@example(["prune", "--older-than", "99999999999999999y"])
def test_cli_option_values_in_process(
    tally: Callable[[int], None], cli_store: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """Many generated command lines through `app.run`, the function `main` wraps."""
    tally(1)
    code, stderr = run_in_process(args, monkeypatch)
    assert_clean_failure(code, stderr, args)


@pytest.mark.reliability(ROW)
@pytest.mark.slow
@fuzz(FEW)
@given(command_lines())
def test_cli_option_values_through_the_real_cli(tally: Callable[[int], None], cli_store: Path, args: list[str]) -> None:
    """A bounded sample as real processes: argv is bytes (not UTF-8 ones included), never text."""
    tally(1)
    command = [os.environ["MNEMO_BINARY"]] if os.environ.get("MNEMO_BINARY") else [sys.executable, "-m", "mnemo_cli"]
    done = subprocess.run([*command, *(os.fsencode(a) for a in args)], capture_output=True, input=b"piped", timeout=120)
    assert_clean_failure(done.returncode, done.stderr.decode("utf-8", "replace"), args)


@pytest.mark.reliability(ROW)
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["remember", "x", "--source", "\udcff"], id="source-not-utf8"),
        pytest.param(["list", "-n", "9" * 30], id="list-limit-huge"),
        pytest.param(["list", "--tag", "\udcff"], id="list-tag-not-utf8"),
        pytest.param(["recall", "x", "--tag", "\udcff"], id="recall-tag-not-utf8"),
        pytest.param(["recall", "x", "-k", "9" * 30], id="recall-k-huge"),
        pytest.param(["remember", "x", "--created-at", "9999-12-31", "--ttl", "1d"], id="expiry-after-9999"),
        pytest.param(["prune", "--tag", "\ud800"], id="prune-tag-not-utf8"),
        pytest.param(["forget", "--query", "\udcff", "--yes"], id="forget-query-not-utf8"),
        pytest.param(["remember", "x", "--supersedes", "00\n0"], id="id-with-a-newline"),  # once a 2-line error
        pytest.param(["show", "ab\ncd"], id="show-id-with-a-newline"),
    ],
)
def test_cli_values_that_once_crashed(
    tally: Callable[[int], None], cli_store: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    tally(1)
    code, stderr = run_in_process(args, monkeypatch)
    assert_clean_failure(code, stderr, args)


# --- the KDF bomb --------------------------------------------------------------------------------

BOMB_M_KIB = 2**32 - 1  # 4 TiB


def _plant_bomb(store: Path) -> None:
    """Make every passphrase slot ask for 4 TiB of Argon2 memory, in both table copies (valid
    checksums: only the parameters are hostile)."""
    for name in ("keyslots", "keyslots.2"):
        table = keyslots.decode_table((store / name).read_bytes())
        planted = [
            KeySlot(s.slot_id, s.kind, s.key_id, s.salt, KdfParams(3, BOMB_M_KIB, 4), s.wrapped)
            if s.kind == keyslots.KIND_PASSPHRASE
            else s
            for s in table.slots
        ]
        (store / name).write_bytes(keyslots.encode_table(KeySlotTable(table.store_id, table.seq, tuple(planted))))


_NO_ARGON = """
import os, sys
import argon2.low_level
def _refuse(*args, **kwargs):
    sys.stderr.write("ARGON2 RAN\\n")
    os._exit(99)
argon2.low_level.hash_secret_raw = _refuse
from mnemo_cli.cli.app import main
sys.argv = ["mnemo", "list"]
main()
"""


def _limit_memory() -> None:
    limit = 2 * 1024**3  # 2 GiB of address space; the slot asks for 4 TiB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.reliability(ROW)
@pytest.mark.slow
def test_a_4_tib_key_slot_is_refused_before_argon2_runs(
    tally: Callable[[int], None], cli_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plant_bomb(cli_store)
    before = {p.name: p.read_bytes() for p in cli_store.rglob("*") if p.is_file()}
    # 1. In-process: Argon2 is never called.
    calls: list[object] = []
    monkeypatch.setattr("argon2.low_level.hash_secret_raw", lambda *a, **k: calls.append(a) or bytes(32))
    code, stderr = run_in_process(["list"], monkeypatch)
    assert calls == []
    assert code == 5 and "outside the caps" in stderr and f"m={BOMB_M_KIB}" in stderr, stderr
    assert_clean_failure(code, stderr, ["list"])
    # 2. A real process whose Argon2 would exit 99, and 3. the real CLI under a 2 GiB address-space limit.
    env = {**os.environ, "MNEMO_PASSPHRASE": PASSPHRASE}
    patched = subprocess.run([sys.executable, "-c", _NO_ARGON], capture_output=True, text=True, env=env, timeout=120)
    limited = subprocess.run(
        [sys.executable, "-m", "mnemo_cli", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=_limit_memory,
    )
    for done in (patched, limited):
        assert done.returncode == 5, done.stderr
        assert "ARGON2 RAN" not in done.stderr and "MemoryError" not in done.stderr
        assert done.stderr.startswith("mnemo: error: key slot 1: key slot asks for Argon2id parameters outside")
        assert_clean_failure(done.returncode, done.stderr, ["list"])
    assert {p.name: p.read_bytes() for p in cli_store.rglob("*") if p.is_file()} == before  # nothing written
    tally(3)


@pytest.mark.reliability(ROW)
@fuzz(SOME)
@given(
    st.tuples(
        st.sampled_from([0, 1, 3, 16, 17, 2**32 - 1]) | st.integers(0, 2**32 - 1),
        st.sampled_from([0, 7, 8, 65536, 4 * 1024 * 1024, 4 * 1024 * 1024 + 1, BOMB_M_KIB]) | st.integers(0, 2**32 - 1),
        st.sampled_from([0, 1, 4, 16, 17, 2**32 - 1]) | st.integers(0, 2**32 - 1),
    )
)
def test_argon2_runs_only_within_the_caps(
    tally: Callable[[int], None], monkeypatch: pytest.MonkeyPatch, params: tuple[int, int, int]
) -> None:
    """For any stored (t, m, p): Argon2 is reached only within the caps; otherwise IntegrityError."""
    tally(1)
    t, m, p = params
    reached: list[tuple[int, int, int]] = []

    def fake(secret: bytes, salt: bytes, **kw: int) -> bytes:
        reached.append((kw["time_cost"], kw["memory_cost"], kw["parallelism"]))
        return bytes(32)

    monkeypatch.setattr("argon2.low_level.hash_secret_raw", fake)
    slot = KeySlot(1, keyslots.KIND_PASSPHRASE, 1, bytes(16), KdfParams(t, m, p), bytes(72))
    within = 1 <= t <= kdf.CAPS.time_cost and 1 <= p <= kdf.CAPS.parallelism and 8 * p <= m <= kdf.CAPS.memory_kib
    with pytest.raises(IntegrityError if not within else Exception) as raised:
        keyslots.unlock(KeySlotTable(STORE_ID, 1, (slot,)), secrets.passphrase("pw", "t"))
    assert reached == ([(t, m, p)] if within else [])
    if within:
        assert not isinstance(raised.value, IntegrityError)  # a wrong key, not a refusal


@pytest.mark.reliability(ROW)
def test_model_spec_with_a_lone_surrogate_is_a_model_error(tally: Callable[[int], None]) -> None:
    tally(1)
    document = {**_folder_spec_json("last_hidden_state", "mean"), "output": "\ud800"}
    with pytest.raises(ModelError):
        ModelSpec.from_json(document)
