"""What a user unlocks a store with: a passphrase, a keyfile's 32 bytes, or the recovery key.

The recovery key is 32 random bytes shown once at `init`, written as `mnemo-rk-` and seven groups
of eight base32 characters (the key and a 3-byte checksum, so a typo is reported as a typo).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Literal

from mnemo_cli.crypto.kdf import keyed_hash
from mnemo_cli.errors import AuthenticationError

SecretKind = Literal["passphrase", "keyfile", "recovery"]

KEYFILE_BYTES = 32
RECOVERY_PREFIX = "mnemo-rk-"
_RECOVERY_CHECK = 3
_RECOVERY_PERSON = b"mnemo-rk-check"


@dataclass(frozen=True, repr=False)
class Secret:
    """Secret material and where it came from (for messages; the material is never printed)."""

    kind: SecretKind
    material: bytes
    source: str

    def __repr__(self) -> str:
        return f"Secret({self.kind}, from {self.source})"


def passphrase(text: str, source: str) -> Secret:
    """A passphrase, or the recovery key when the text is one (both are typed where a passphrase goes)."""
    if looks_like_recovery_key(text):
        return Secret("recovery", parse_recovery_key(text), source)
    if not text:
        raise AuthenticationError(f"the passphrase from {source} is empty")
    return Secret("passphrase", text.encode("utf-8"), source)


def keyfile(material: bytes, source: str) -> Secret:
    if len(material) != KEYFILE_BYTES:
        raise AuthenticationError(f"{source} is not a mnemo keyfile: {len(material)} bytes, expected {KEYFILE_BYTES}")
    return Secret("keyfile", material, source)


def new_recovery_key() -> bytes:
    from nacl.utils import random

    return random(32)


def format_recovery_key(key: bytes) -> str:
    check = keyed_hash(b"", _RECOVERY_PERSON, key, size=16)[:_RECOVERY_CHECK]
    text = base64.b32encode(key + check).decode("ascii")
    return RECOVERY_PREFIX + "-".join(text[i : i + 8] for i in range(0, len(text), 8))


def looks_like_recovery_key(text: str) -> bool:
    return text.strip().lower().startswith(RECOVERY_PREFIX)


def parse_recovery_key(text: str) -> bytes:
    body = text.strip()[len(RECOVERY_PREFIX) :]
    compact = "".join(ch for ch in body if ch not in "- \t").upper()
    try:
        raw = base64.b32decode(compact)
    except ValueError:
        raw = b""
    key, check = raw[:-_RECOVERY_CHECK], raw[-_RECOVERY_CHECK:]
    if len(key) != 32 or keyed_hash(b"", _RECOVERY_PERSON, key, size=16)[:_RECOVERY_CHECK] != check:
        raise AuthenticationError("the recovery key is malformed: check it for typos")
    return key
