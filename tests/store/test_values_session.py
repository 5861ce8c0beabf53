"""`values.check_session`: what a session id may be."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnemo_cli.errors import UsageError
from mnemo_cli.store.values import MAX_SESSION_BYTES, check_session


@pytest.mark.parametrize("good", ["a", "chat-2025-04-01", "thread 7 ✓", "x" * MAX_SESSION_BYTES, "€" * 85])
def test_good_sessions_are_kept_exactly(good: str) -> None:
    assert check_session(good) == good


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "empty"),
        (" \t", "empty"),
        ("a\x00b", "control character"),
        ("a\x7fb", "control character"),
        ("a\x85b", "control character"),
        ("line\n", "control character"),
        ("x" * (MAX_SESSION_BYTES + 1), "longer than 256 bytes"),
        ("€" * 86, "longer than 256 bytes"),
        ("\ud800", "not valid UTF-8"),
        (7, "must be text, not a number"),
        (None, "must be text, not null"),
        (["a"], "must be text, not a list"),
    ],
)
def test_bad_sessions_are_usage_errors(bad: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        check_session(bad)


@given(st.text(min_size=1))
def test_any_text_is_either_kept_or_a_usage_error(text: str) -> None:
    try:
        assert check_session(text) == text
    except UsageError:
        return
    assert len(text.encode("utf-8")) <= MAX_SESSION_BYTES and text.strip()
