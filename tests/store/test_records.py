from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnemo_cli.store import records
from mnemo_cli.store.records import Record, RecordFormatError

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(
    st.text(min_size=1, max_size=12),
    st.dictionaries(st.text(max_size=10).filter(lambda k: k != "op"), json_values, max_size=5),
    st.binary(max_size=64),
)
def test_round_trip_is_byte_identical(op: str, fields: dict, blob: bytes) -> None:
    body = records.encode(Record(op, fields, blob))
    decoded = records.decode(body)
    assert decoded == Record(op, fields, blob)
    assert records.encode(decoded) == body


@given(st.binary(max_size=200))
def test_garbage_is_only_a_record_format_error(body: bytes) -> None:
    # Anything but RecordFormatError escaping (KeyError, TypeError, ...) fails the test.
    with contextlib.suppress(RecordFormatError):
        records.decode(body)


def body_with(document: bytes) -> bytes:
    return len(document).to_bytes(4, "little") + document


@pytest.mark.parametrize(
    "document",
    [b'{"op":"a","x":NaN}', b'{"op":"a","x":1,"x":2}', b'["op"]', b'{"x":1}', b'{"op":3}', b"\xff\xfe"],
    ids=["nan", "duplicate-key", "not-an-object", "no-op", "op-not-text", "not-utf8"],
)
def test_non_canonical_documents_are_refused(document: bytes) -> None:
    with pytest.raises(RecordFormatError):
        records.decode(body_with(document))


def test_encoding_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(ValueError):
        records.encode(Record("a", {"x": float("nan")}))
    with pytest.raises(ValueError):
        records.encode(Record("a", {"op": "b"}))
    assert json.loads(records.encode(Record("a", {"é": 1}))[4:]) == {"op": "a", "é": 1}
