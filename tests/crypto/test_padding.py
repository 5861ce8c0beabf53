from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mnemo_cli.crypto.padding import FLOOR, PaddingError, pad, padded_size, padme, unpad, unpad_view


@given(st.binary(max_size=5000))
@example(b"")
@example(bytes(252))
@example(bytes(253))
def test_pad_round_trip(body: bytes) -> None:
    padded = pad(body)
    assert len(padded) == padded_size(len(body)) >= FLOOR
    assert unpad(padded) == body


@given(st.integers(min_value=2, max_value=1 << 40))
def test_padme_rounds_up_by_at_most_12_percent(length: int) -> None:
    padded = padme(length)
    assert length <= padded <= length * 1.125 + 1
    assert padme(padded) == padded


def test_padme_buckets_are_coarse() -> None:
    # 3,840 distinct lengths fall into a few dozen sizes.
    assert len({padme(n) for n in range(256, 4096)}) <= 70


@given(st.binary(max_size=600), st.integers(min_value=0), st.integers(min_value=1, max_value=255))
def test_unpad_rejects_any_nonzero_padding_byte(body: bytes, where: int, value: int) -> None:
    padded = bytearray(pad(body))
    padding = range(4 + len(body), len(padded))
    if not padding:
        return
    padded[padding[where % len(padding)]] = value
    with pytest.raises(PaddingError):
        unpad(bytes(padded))


@given(st.binary(max_size=600), st.integers(min_value=0, max_value=2**32 - 1))
def test_unpad_rejects_a_length_field_that_does_not_fit(body: bytes, length: int) -> None:
    padded = bytearray(pad(body))
    if padded_size(length) == len(padded):
        return  # same bucket: only the AEAD tag (not padding) can tell those apart
    padded[:4] = length.to_bytes(4, "little")
    with pytest.raises(PaddingError):
        unpad(bytes(padded))


@given(st.binary(max_size=3000))
@example(bytes(252))
def test_unpad_view_is_unpad_without_a_copy(body: bytes) -> None:
    padded = bytearray(pad(body))
    view = unpad_view(memoryview(padded))
    assert view == unpad(bytes(padded)) == body
    assert view.obj is padded


@given(st.binary(max_size=600), st.integers(min_value=0), st.integers(min_value=1, max_value=255))
def test_unpad_view_rejects_what_unpad_rejects(body: bytes, where: int, value: int) -> None:
    padded = bytearray(pad(body))
    padded[where % len(padded)] ^= value
    try:
        expected = unpad(bytes(padded))
    except PaddingError:
        with pytest.raises(PaddingError):
            unpad_view(memoryview(padded))
    else:
        assert unpad_view(memoryview(padded)) == expected
