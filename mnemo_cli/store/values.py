"""The values users type about memories: ids, dates, relative ages, tags, metadata, text.

Parsing and checking here raise `UsageError` with a message fit for one line of stderr.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from mnemo_cli.errors import UsageError

ID_HEX_DIGITS = 32
MAX_TEXT_BYTES = 1 << 20
_RELATIVE = re.compile(r"^(\d+)\s*(s|m|h|d|w|y)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def new_id() -> str:
    import secrets

    return secrets.token_hex(ID_HEX_DIGITS // 2)


def check_id(value: str) -> str:
    if len(value) != ID_HEX_DIGITS or not all(c in "0123456789abcdef" for c in value):
        raise UsageError(f"not a memory id: {value!r} (expected {ID_HEX_DIGITS} lowercase hex digits)")
    return value


def check_text(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise UsageError("the text is empty")
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise UsageError(f"the text is longer than {MAX_TEXT_BYTES} bytes")
    return text


def check_tags(tags: Iterable[Any]) -> tuple[str, ...]:
    result: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip():
            raise UsageError(f"a tag must be non-empty text, not {tag!r}")
        cleaned = tag.strip()
        if cleaned not in result:
            result.append(cleaned)
    return tuple(result)


def check_meta(meta: Any) -> dict[str, Any]:
    if meta is None:
        return {}
    if not isinstance(meta, Mapping):
        raise UsageError("metadata must be a JSON object")
    try:
        json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise UsageError(f"metadata is not plain JSON: {e}") from None
    return dict(meta)


def parse_meta_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """`key=value` strings (from `--meta`) into a dict; the value is kept as text."""
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--meta takes key=value, not {pair!r}")
        result[key.strip()] = value
    return result


def parse_meta_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError as e:
        raise UsageError(f"--meta-json is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise UsageError("--meta-json must be a JSON object")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_time(value: str | datetime, *, what: str = "date") -> datetime:
    """RFC 3339 (`2026-03-04T10:00:00Z`, any offset), a date (`2026-03-04`, midnight UTC), or a
    datetime. A time without an offset is taken as UTC."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise UsageError(f"bad {what} {value!r}: expected RFC 3339, e.g. 2026-03-04T10:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_duration(value: str, *, what: str = "duration") -> timedelta:
    """An age or lifetime such as `90d`, `12h`, `2w`, `1y` (s, m, h, d, w, y)."""
    match = _RELATIVE.match(value.strip())
    if not match or int(match.group(1)) == 0:
        raise UsageError(f"bad {what} {value!r}: expected a number and a unit, e.g. 30d, 12h, 2w")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def parse_since(value: str, *, what: str, now: datetime | None = None) -> datetime:
    """A point in time for --since/--until: RFC 3339, or an age like `7d`, `12h`, `2w`, `1y` ago."""
    match = _RELATIVE.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return (now or now_utc()) - timedelta(seconds=amount * _UNITS[unit])
    return parse_time(value, what=what)


def format_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_time(value: str | datetime | None, *, what: str = "created_at") -> str:
    return format_time(now_utc() if value is None else parse_time(value, what=what))


def timestamp(created_at: str) -> float:
    return parse_time(created_at).timestamp()
