"""XChaCha20-Poly1305 (IETF, 24-byte random nonce) through PyNaCl: the only cipher mnemo uses.

`seal` returns `nonce ‖ ciphertext ‖ tag`; `open_sealed` raises `TagMismatch` when anything was
changed, the key is wrong or the associated data differs. Callers decide what a mismatch means: a
wrong secret for a key slot, corruption for a log frame.
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


def tag_of(sealed: bytes) -> bytes:
    """The Poly1305 tag of a sealed message (its last 16 bytes): what the log chains on."""
    return bytes(sealed[-TAG_BYTES:])
