"""`remembering.new_memory`: the one validator of a new memory, which `mnemo remember`, the MCP
remember tool and `Store.remember` share: every value is checked there, before any store or model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mnemo_cli.errors import UsageError
from mnemo_cli.store.remembering import new_memory


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   "}, "the text is empty"),
        ({"text": 7}, "the text must be a string, not a number"),
        ({"tags": ["ok", " "]}, "a tag must be non-empty text"),
        ({"meta": {"n": float("nan")}}, "metadata is not plain JSON"),
        ({"meta": [1]}, "metadata must be a JSON object"),
        ({"created_at": "someday"}, "bad created_at 'someday'"),
        ({"created_at": "someday", "as_options": True}, "bad --created-at 'someday'"),
        ({"ttl": "forever"}, "bad --ttl 'forever'"),
        ({"ttl": "1000000y"}, "--ttl puts the expiry after the year 9999"),
        ({"source": "\ud800"}, "the source is not valid UTF-8 text"),
        ({"session": "a\nb"}, "the session holds a control character"),
    ],
)
def test_every_value_of_a_new_memory_is_checked_here(kwargs: dict, message: str) -> None:
    text = kwargs.pop("text", "Dana prefers email")
    with pytest.raises(UsageError, match=message):
        new_memory(text, **kwargs)


def test_a_ttl_becomes_an_expiry_after_created_at() -> None:
    item = new_memory("x", tags=[" a ", "a", "b"], created_at="2025-01-01T00:00:00Z", ttl="2d")
    assert item.tags == ("a", "b")
    assert item.created_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert item.expires_at == datetime(2025, 1, 3, tzinfo=UTC)
    assert new_memory("x", created_at="2025-01-01T00:00:00Z").created_at == "2025-01-01T00:00:00Z"
