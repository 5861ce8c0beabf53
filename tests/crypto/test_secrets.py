from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import AuthenticationError

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@given(st.binary(min_size=32, max_size=32))
def test_recovery_key_round_trip(key: bytes) -> None:
    text = secrets.format_recovery_key(key)
    assert text.startswith("mnemo-rk-")
    assert len(text.split("-")) == 9  # mnemo, rk and seven groups
    assert secrets.parse_recovery_key(text) == key
    # Typed back sloppily: lower case, spaces instead of dashes, surrounding blanks.
    assert secrets.parse_recovery_key("  " + text.lower().replace("-", " ").replace("mnemo rk ", "mnemo-rk-")) == key


@given(st.binary(min_size=32, max_size=32), st.integers(min_value=9, max_value=200), st.sampled_from(B32))
def test_a_typo_in_the_recovery_key_is_reported(key: bytes, position: int, replacement: str) -> None:
    text = secrets.format_recovery_key(key)
    chars = list(text)
    position = position % len(chars)
    if chars[position] == "-" or position < len("mnemo-rk-") or chars[position] == replacement:
        return
    chars[position] = replacement
    with pytest.raises(AuthenticationError, match="malformed"):
        secrets.parse_recovery_key("".join(chars))


def test_passphrase_or_recovery_key() -> None:
    assert secrets.passphrase("hunter2", "x").kind == "passphrase"
    key = secrets.new_recovery_key()
    recovered = secrets.passphrase(secrets.format_recovery_key(key), "x")
    assert (recovered.kind, recovered.material) == ("recovery", key)
    with pytest.raises(AuthenticationError, match="empty"):
        secrets.passphrase("", "MNEMO_PASSPHRASE")


def test_secret_repr_hides_the_material() -> None:
    secret = secrets.passphrase("hunter2", "MNEMO_PASSPHRASE")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)


def test_keyfile_must_be_32_bytes() -> None:
    assert secrets.keyfile(bytes(32), "k").kind == "keyfile"
    with pytest.raises(AuthenticationError, match="33 bytes"):
        secrets.keyfile(bytes(33), "k")
