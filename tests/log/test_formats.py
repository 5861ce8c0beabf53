"""Round trips and rejection for the log layer's byte structures: MNEMO header, HEAD, log frames."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mnemo_cli.errors import IntegrityError, UnsupportedFormat
from mnemo_cli.log import frames, head, store_header
from mnemo_cli.log.frames import ChainPoint, FrameError, LogHeader
from mnemo_cli.log.head import Head

KEY = bytes(range(32))
STORE_ID = bytes(range(16))
ids = st.binary(min_size=16, max_size=16)


@given(ids)
def test_store_header_round_trip(store_id: bytes) -> None:
    data = store_header.encode(store_header.StoreHeader(store_id))
    assert len(data) == store_header.SIZE == 64
    assert store_header.decode(data).store_id == store_id


@given(ids, st.integers(0, 63), st.integers(1, 255))
def test_store_header_any_damage_is_an_integrity_error(store_id: bytes, offset: int, xor: int) -> None:
    data = bytearray(store_header.encode(store_header.StoreHeader(store_id)))
    data[offset] ^= xor
    with pytest.raises(IntegrityError):
        store_header.decode(bytes(data))


def test_unknown_format_version_is_refused() -> None:
    from mnemo_cli.crypto.kdf import checksum

    body = store_header._FIELDS.pack(store_header.MAGIC, 2, 1, STORE_ID, bytes(4))
    with pytest.raises(UnsupportedFormat, match="format version 2"):
        store_header.decode(body + checksum(b"mnemo-hdr-v1", body))


heads = st.builds(
    Head,
    gen=ids,
    key_id=st.integers(0, 2**32 - 1),
    frames=st.integers(0, 2**64 - 1),
    log_bytes=st.integers(0, 2**64 - 1),
    last_offset=st.integers(0, 2**64 - 1),
    last_tag=ids,
    commit=st.integers(0, 2**64 - 1),
)


@given(heads)
def test_head_round_trip(anchor: Head) -> None:
    data = head.encode(anchor, KEY, STORE_ID)
    assert len(data) == head.SIZE
    assert head.decode(data, KEY, STORE_ID) == anchor


@given(heads, st.integers(0, head.SIZE - 1), st.integers(1, 255))
def test_head_any_damage_is_an_integrity_error(anchor: Head, offset: int, xor: int) -> None:
    data = bytearray(head.encode(anchor, KEY, STORE_ID))
    data[offset] ^= xor
    with pytest.raises(IntegrityError):
        head.decode(bytes(data), KEY, STORE_ID)


def test_head_of_another_store_does_not_authenticate() -> None:
    data = head.encode(Head(bytes(16), 1, 0, 48, 0, bytes(16), 0), KEY, STORE_ID)
    with pytest.raises(IntegrityError, match="failed authentication"):
        head.decode(data, KEY, bytes(16))


@given(st.binary(max_size=200))
def test_head_garbage(data: bytes) -> None:
    with pytest.raises(IntegrityError):
        head.decode(data, KEY, STORE_ID)


HEADER = LogHeader(STORE_ID, bytes(16), 1)


def chain(bodies: list[bytes], header: LogHeader = HEADER) -> tuple[bytes, ChainPoint]:
    raw_header = frames.encode_header(header)
    point = frames.genesis(KEY, raw_header)
    out = raw_header
    for body in bodies:
        frame, point = frames.seal_frame(KEY, header, point, body)
        out += frame
    return out, point


def read_chain(data: bytes, header: LogHeader = HEADER) -> list[bytes]:
    point = frames.genesis(KEY, data)
    bodies = []
    while point.offset < len(data):
        body, point = frames.open_frame(KEY, header, point, data, point.offset)
        bodies.append(body)
    return bodies


@given(st.lists(st.binary(max_size=700), max_size=5))
@example([b""])
def test_frames_round_trip(bodies: list[bytes]) -> None:
    data, point = chain(bodies)
    assert read_chain(data) == bodies
    assert point.frames == len(bodies) and point.offset == len(data)


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=3), st.data())
def test_any_flipped_byte_in_a_frame_is_detected(bodies: list[bytes], data: st.DataObject) -> None:
    raw, _ = chain(bodies)
    offset = data.draw(st.integers(frames.HEADER_SIZE, len(raw) - 1))
    damaged = bytearray(raw)
    damaged[offset] ^= data.draw(st.integers(1, 255))
    with pytest.raises(FrameError):
        read_chain(bytes(damaged))


def test_reordered_duplicated_and_spliced_frames_fail_the_chain() -> None:
    bodies = [b"first", b"second", b"third"]
    raw, _ = chain(bodies)
    point = frames.genesis(KEY, raw)
    spans = []
    for _ in bodies:
        _, nxt = frames.open_frame(KEY, LogHeader(STORE_ID, bytes(16), 1), point, raw, point.offset)
        spans.append(raw[point.offset : nxt.offset])
        point = nxt
    head_bytes = raw[: frames.HEADER_SIZE]
    for arrangement in ([1, 0, 2], [0, 0, 1, 2], [0, 2], [1, 2]):
        with pytest.raises(FrameError, match="failed authentication"):
            read_chain(head_bytes + b"".join(spans[i] for i in arrangement))
    # Same key, another generation: its frames do not fit this log.
    other, _ = chain(bodies, LogHeader(STORE_ID, bytes([1]) * 16, 1))
    with pytest.raises(FrameError):
        read_chain(head_bytes + other[frames.HEADER_SIZE :])


@given(st.binary(max_size=100))
def test_frame_garbage_is_only_a_frame_error(data: bytes) -> None:
    header = LogHeader(STORE_ID, bytes(16), 1)
    with pytest.raises(FrameError):
        frames.open_frame(KEY, header, ChainPoint(0, 0, bytes(16)), data, 0)


@given(st.binary(max_size=100))
def test_log_header_garbage(data: bytes) -> None:
    if data[:8] == frames.LOG_MAGIC:
        return
    with pytest.raises(FrameError):
        frames.decode_header(data)


@given(ids, ids, st.integers(0, 2**32 - 1))
def test_log_header_round_trip(store_id: bytes, gen: bytes, key_id: int) -> None:
    header = LogHeader(store_id, gen, key_id)
    raw = frames.encode_header(header)
    assert len(raw) == frames.HEADER_SIZE == 48
    assert frames.decode_header(raw) == header
    assert frames.encode_header(frames.decode_header(raw)) == raw
