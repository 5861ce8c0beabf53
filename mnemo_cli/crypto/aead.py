"""XChaCha20-Poly1305 (IETF, 24-byte random nonce) through PyNaCl: the only cipher mnemo uses.

`seal` returns `nonce ‖ ciphertext ‖ tag`; `open_sealed` raises `TagMismatch` when anything was
changed, the key is wrong or the associated data differs. Callers decide what a mismatch means: a
wrong secret for a key slot, corruption for a log frame. `open_in_place` does the same inside a
writable buffer, for messages (index snapshots) too large to copy three times over.
"""

from __future__ import annotations

from nacl import bindings
from nacl.exceptions import CryptoError

NONCE_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
TAG_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES  # 16
KEY_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_KEYBYTES  # 32


class TagMismatch(Exception):
    """The ciphertext did not authenticate under this key and associated data."""


def random_bytes(n: int) -> bytes:
    from nacl.utils import random

    return random(n)


def seal(key: bytes, plaintext: bytes, aad: bytes, nonce: bytes | None = None) -> bytes:
    """Encrypt and authenticate; `nonce` is random unless given (tests and vectors only)."""
    nonce = random_bytes(NONCE_BYTES) if nonce is None else nonce
    return nonce + bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)


def open_sealed(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Decrypt `nonce ‖ ciphertext ‖ tag`; raise `TagMismatch` if it does not authenticate."""
    if len(sealed) < NONCE_BYTES + TAG_BYTES:
        raise TagMismatch("sealed message too short")
    nonce, ciphertext = bytes(sealed[:NONCE_BYTES]), bytes(sealed[NONCE_BYTES:])
    try:
        return bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, aad, nonce, key)
    except CryptoError:
        raise TagMismatch("authentication tag mismatch") from None


def open_in_place(key: bytes, buffer: bytearray | memoryview, aad: bytes) -> memoryview:
    """Decrypt `nonce ‖ ciphertext ‖ tag` where it lies: the plaintext, a view of `buffer`, replaces
    the ciphertext; `TagMismatch` if it does not authenticate (the buffer's content is then garbage).

    PyNaCl's `bindings` take and return `bytes` only, and cost a copy of the message each way plus
    one for the result; this calls the same libsodium function through PyNaCl's own cffi module.
    libsodium checks the tag over the whole ciphertext before it XORs the key stream in, so the
    output may be the input (`crypto_aead_xchacha20poly1305_ietf_decrypt_detached`, which zeroes
    the output on a mismatch). cffi releases the GIL for the call. Should a PyNaCl lack that module,
    the copying path gives the same result.
    """
    view = memoryview(buffer).cast("B")
    if view.readonly:
        raise TypeError("open_in_place needs a writable buffer")
    if len(view) < NONCE_BYTES + TAG_BYTES:
        raise TagMismatch("sealed message too short")
    if len(key) != KEY_BYTES:
        raise TypeError(f"key must be {KEY_BYTES} bytes")
    try:
        from nacl._sodium import ffi, lib
    except ImportError:  # a PyNaCl without its private module: the same result, through copies
        plain = open_sealed(key, view.tobytes(), aad)
        view[NONCE_BYTES : NONCE_BYTES + len(plain)] = plain
        return view[NONCE_BYTES : len(view) - TAG_BYTES]
    nonce = bytes(view[:NONCE_BYTES])
    start = ffi.from_buffer(view, require_writable=True) + NONCE_BYTES
    length = len(view) - NONCE_BYTES
    failed = lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
        start, ffi.NULL, ffi.NULL, start, length, aad, len(aad), nonce, bytes(key)
    )
    if failed:
        raise TagMismatch("authentication tag mismatch")
    return view[NONCE_BYTES : len(view) - TAG_BYTES]


def tag_of(sealed: bytes) -> bytes:
    """The Poly1305 tag of a sealed message (its last 16 bytes): what the log chains on."""
    return bytes(sealed[-TAG_BYTES:])
