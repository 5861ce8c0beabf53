"""The AEAD: `open_in_place` opens exactly what `open_sealed` opens, in the caller's buffer."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mnemo_cli.crypto import aead

KEY = bytes(range(32))


@given(st.binary(max_size=3000), st.binary(max_size=64), st.integers(0, 7))
@example(b"", b"", 0)
def test_open_in_place_gives_what_open_sealed_gives(plain: bytes, aad: bytes, shift: int) -> None:
    sealed = aead.seal(KEY, plain, aad)
    buffer = bytearray(shift) + bytearray(sealed)  # anywhere in a buffer, aligned or not
    opened = aead.open_in_place(KEY, memoryview(buffer)[shift:], aad)
    assert opened == aead.open_sealed(KEY, sealed, aad) == plain
    assert opened.obj is buffer  # a view of the caller's memory, not a copy
    assert bytes(buffer[: shift + aead.NONCE_BYTES]) == bytes(shift) + sealed[: aead.NONCE_BYTES]


@given(st.binary(min_size=1, max_size=600), st.integers(min_value=0), st.integers(1, 255))
def test_open_in_place_refuses_any_changed_byte(plain: bytes, where: int, flip: int) -> None:
    sealed = bytearray(aead.seal(KEY, plain, b"ad"))
    sealed[where % len(sealed)] ^= flip
    with pytest.raises(aead.TagMismatch):
        aead.open_in_place(KEY, sealed, b"ad")


def test_open_in_place_refuses_another_key_aad_or_a_short_message() -> None:
    sealed = aead.seal(KEY, b"secret", b"ad")
    with pytest.raises(aead.TagMismatch):
        aead.open_in_place(bytes(32), bytearray(sealed), b"ad")
    with pytest.raises(aead.TagMismatch):
        aead.open_in_place(KEY, bytearray(sealed), b"other")
    with pytest.raises(aead.TagMismatch):
        aead.open_in_place(KEY, bytearray(aead.NONCE_BYTES + aead.TAG_BYTES - 1), b"")


def test_open_in_place_needs_writable_memory_and_a_whole_key() -> None:
    sealed = aead.seal(KEY, b"secret", b"")
    with pytest.raises(TypeError):
        aead.open_in_place(KEY, memoryview(sealed), b"")
    with pytest.raises(TypeError):
        aead.open_in_place(KEY[:16], bytearray(sealed), b"")


def test_open_in_place_without_pynacls_private_module_gives_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    sealed = aead.seal(KEY, b"secret payload", b"ad")
    monkeypatch.setitem(sys.modules, "nacl._sodium", None)  # importing it now raises ImportError
    buffer = bytearray(sealed)
    assert aead.open_in_place(KEY, buffer, b"ad") == b"secret payload"
    with pytest.raises(aead.TagMismatch):
        aead.open_in_place(KEY, bytearray(sealed), b"other")
