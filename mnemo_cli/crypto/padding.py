"""PADMÉ padding (Nikitin et al., PoPETs 2019) with a 256-byte floor, so sizes leak little.

A padded plaintext is `body_len:u32le ‖ body ‖ zeros`, its total length PADMÉ(max(256, 4 + len)).
PADMÉ rounds L up so its low E − S bits are zero (E = ⌊log2 L⌋, S = ⌊log2 E⌋ + 1): at most ~12%
overhead, shrinking with size, and only O(log log L) bits of the length leak.
"""

from __future__ import annotations

import struct

FLOOR = 256


class PaddingError(Exception):
    """A padded plaintext is malformed: wrong length field or non-zero padding."""


def padme(length: int) -> int:
    if length < 2:
        return length
    exponent = length.bit_length() - 1
    mantissa_bits = exponent.bit_length()
    mask = (1 << (exponent - mantissa_bits)) - 1
    return (length + mask) & ~mask


def padded_size(body_len: int) -> int:
    return padme(max(FLOOR, 4 + body_len))


def pad(body: bytes) -> bytes:
    size = padded_size(len(body))
    return struct.pack("<I", len(body)) + body + bytes(size - 4 - len(body))


def unpad(padded: bytes) -> bytes:
    return bytes(unpad_view(memoryview(padded)))


def unpad_view(padded: memoryview) -> memoryview:
    """`unpad` without copying: the body as a view of `padded` (an index snapshot's is ~100 MB)."""
    padded = padded.cast("B")
    if len(padded) < 4:
        raise PaddingError("padded plaintext shorter than its length field")
    (body_len,) = struct.unpack_from("<I", padded)
    if 4 + body_len > len(padded) or padded_size(body_len) != len(padded):
        raise PaddingError("length field does not match the padded size")
    padding = padded[4 + body_len :].tobytes()  # at most 12% of it; `any()` took ~30 ns a byte
    if padding.count(0) != len(padding):
        raise PaddingError("non-zero padding")
    return padded[4 : 4 + body_len]
