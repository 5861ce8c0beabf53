"""Bench only: the same engine with its encryption taken out, to measure what encryption costs.

`install()` replaces `mnemo_cli.crypto.aead.seal`, `open_sealed` and `open_in_place` (the one
cipher every log frame, HEAD, index snapshot and key slot goes through) with a pass-through of identical layout:
24 zero bytes where the nonce goes, the plaintext, 16 zero bytes where the tag goes. File sizes stay
the same and only the cipher's work (and the random nonces) disappears; key derivation, keyed ids
and PADMÉ padding stay. Nothing is authenticated any more, so a store written this way must never
be a user's: the switch lives in bench/ (not packaged, never imported by mnemo_cli), is installed
only in the process that asks for it (`python -m bench.scale --crypto off`), and cannot be undone.
"""

from __future__ import annotations

import sys

_NONCE = 24
_TAG = 16


def _seal(key: bytes, plaintext: bytes, aad: bytes, nonce: bytes | None = None) -> bytes:
    return bytes(_NONCE) + bytes(plaintext) + bytes(_TAG)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    from mnemo_cli.crypto import aead

    if len(sealed) < _NONCE + _TAG:
        raise aead.TagMismatch("sealed message too short")
    return bytes(sealed[_NONCE:-_TAG])


def _open_in_place(key: bytes, buffer: bytearray | memoryview, aad: bytes) -> memoryview:
    from mnemo_cli.crypto import aead

    view = memoryview(buffer).cast("B")
    if len(view) < _NONCE + _TAG:
        raise aead.TagMismatch("sealed message too short")
    return view[_NONCE : len(view) - _TAG]


def install() -> None:
    """Switch this process to the pass-through. Refuses if any mnemo_cli module holds its own
    reference to the real functions (a `from ... import seal` the patch would not reach)."""
    import mnemo_cli.store.store  # noqa: F401  (loads every layer that encrypts)
    from mnemo_cli.crypto import aead

    if aead.NONCE_BYTES != _NONCE or aead.TAG_BYTES != _TAG:
        raise RuntimeError("the cipher's layout changed: update bench/unencrypted.py")
    real = {aead.seal, aead.open_sealed, aead.open_in_place}
    for name, module in list(sys.modules.items()):
        if name.startswith("mnemo_cli") and module is not aead:
            held = [attr for attr, value in vars(module).items() if any(value is f for f in real)]
            if held:
                raise RuntimeError(f"{name} binds {', '.join(held)} by name: patch it there too")
    aead.seal = _seal
    aead.open_sealed = _open
    aead.open_in_place = _open_in_place


def installed() -> bool:
    from mnemo_cli.crypto import aead

    return aead.seal is _seal
