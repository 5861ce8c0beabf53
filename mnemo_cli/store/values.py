"""The values users type about memories: ids, dates, relative ages, tags, metadata, text.

Parsing and checking here raise `UsageError` with a message fit for one line of stderr.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from mnemo_cli.errors import UsageError

ID_HEX_DIGITS = 32
MAX_TEXT_BYTES = 1 << 20
#: The most results `recall -k` or `list --limit` may ask for (SQLite takes 64-bit integers only).
MAX_COUNT = 1_000_000
#: The longest session id, in UTF-8 bytes.
MAX_SESSION_BYTES = 256
_RELATIVE = re.compile(r"^(\d+)\s*(s|m|h|d|w|y)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
#: The longest duration `timedelta` can hold, in seconds (about 2.7 million years).
_MAX_SECONDS = timedelta.max.days * 86400


def new_id() -> str:
    import secrets

    return secrets.token_hex(ID_HEX_DIGITS // 2)


def check_id(value: str) -> str:
    if len(value) != ID_HEX_DIGITS or not all(c in "0123456789abcdef" for c in value):
        raise UsageError(f"not a memory id: {value!r} (expected {ID_HEX_DIGITS} lowercase hex digits)")
    return value


def check_text(text: str) -> str:
    if not isinstance(text, str):
        raise UsageError(f"the text must be a string, not {json_kind(text)}")
    if not text.strip():
        raise UsageError("the text is empty")
    if len(_utf8(text, "the text")) > MAX_TEXT_BYTES:
        raise UsageError(f"the text is longer than {MAX_TEXT_BYTES} bytes")
    return text


def json_kind(value: Any) -> str:
    """What a value read from JSON is, in JSON's words: "a number", "null", "a list", ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return "a string" if isinstance(value, str) else type(value).__name__


def check_tags(tags: Iterable[Any]) -> tuple[str, ...]:
    result: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip():
            raise UsageError(f"a tag must be non-empty text, not {tag!r}")
        cleaned = tag.strip()
        _utf8(cleaned, "a tag")
        if cleaned not in result:
            result.append(cleaned)
    return tuple(result)


def check_source(source: Any) -> str | None:
    """Where a memory came from: None, or text (valid UTF-8)."""
    if source is None:
        return None
    if not isinstance(source, str):
        raise UsageError(f"the source must be text, not {source!r}")
    _utf8(source, "the source")
    return source


def check_session(session: Any) -> str:
    """A session id (`--session`): 1 to MAX_SESSION_BYTES bytes of UTF-8 text, not blank, no control
    characters. Kept exactly as given (no trimming): it is an identifier, compared byte for byte."""
    if not isinstance(session, str):
        raise UsageError(f"the session must be text, not {json_kind(session)}")
    if not session.strip():
        raise UsageError("the session is empty")
    if len(_utf8(session, "the session")) > MAX_SESSION_BYTES:
        raise UsageError(f"the session is longer than {MAX_SESSION_BYTES} bytes")
    if any(unicodedata.category(c) == "Cc" for c in session):
        raise UsageError(f"the session holds a control character: {session!r}")
    return session


def check_count(value: int, what: str) -> int:
    """A result count given by the user: 1 to MAX_COUNT."""
    if not 1 <= value <= MAX_COUNT:
        raise UsageError(f"{what} must be between 1 and {MAX_COUNT:,}")
    return value


def check_meta(meta: Any) -> dict[str, Any]:
    if meta is None:
        return {}
    if not isinstance(meta, Mapping):
        raise UsageError("metadata must be a JSON object")
    try:
        json.dumps(meta, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as e:  # UnicodeEncodeError is a ValueError
        raise UsageError(f"metadata is not plain JSON: {e}") from None
    return dict(meta)


def parse_meta_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """`key=value` strings (from `--meta`) into a dict; the value is kept as text."""
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--meta takes key=value, not {pair!r}")
        _utf8(pair, "--meta")
        result[key.strip()] = value
    return result


def parse_meta_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text, parse_constant=_reject_constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # no lone surrogates
    except (ValueError, RecursionError) as e:
        raise UsageError(f"--meta-json is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise UsageError("--meta-json must be a JSON object")
    return value


def _utf8(text: str, what: str) -> bytes:
    """`text` as UTF-8; a lone surrogate (argv bytes that are not UTF-8, or `\\ud800` in JSON) is a
    usage error, not a crash when the record is written."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{what} is not valid UTF-8 text") from None


def is_utf8(text: str) -> bool:
    """False if `text` holds a lone surrogate, which no UTF-8 file can store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise UsageError(f"bad {what} {value!r}: out of range") from None


def parse_duration(value: str, *, what: str = "duration") -> timedelta:
    """An age or lifetime such as `90d`, `12h`, `2w`, `1y` (s, m, h, d, w, y)."""
    match = _RELATIVE.match(value.strip())
    span = _span(match.group(1), match.group(2), value, what) if match else None
    if not span:
        raise UsageError(f"bad {what} {value!r}: expected a number and a unit, e.g. 30d, 12h, 2w")
    return span


def _span(digits: str, unit: str, value: str, what: str) -> timedelta:
    # Digits first: int() refuses over 4,300 digits, and timedelta overflows past ~2.7 million years.
    if len(digits.lstrip("0")) > 15 or int(digits) * _UNITS[unit] > _MAX_SECONDS:
        raise UsageError(f"bad {what} {value!r}: too long")
    return timedelta(seconds=int(digits) * _UNITS[unit])


#: The forms --since and --until take, for the error that lists them.
SINCE_FORMS = (
    "RFC 3339 (2026-03-04T10:00:00Z), an age (7d, 12h, 2w) or time words (yesterday, last week, monday, march 2025)"
)


def parse_since(value: str, *, what: str, now: datetime | None = None, end: bool = False) -> datetime:
    """A point in time for --since/--until: RFC 3339, an age like `7d`, `12h`, `2w`, `1y` ago, or
    time words ("yesterday", "last week", "march 2025"; `store/time_words.py`) in the user's time
    zone, relative to `now`: the window's start, or its end with `end` (for --until)."""
    match = _RELATIVE.match(value.strip())
    if match:
        try:
            return (now or now_utc()) - _span(match.group(1), match.group(2), value, what)
        except OverflowError:  # before year 1
            raise UsageError(f"bad {what} {value!r}: too long ago") from None
    try:
        return parse_time(value, what=what)
    except UsageError:
        from mnemo_cli.store.time_words import local_zone, window

        found = window(value, (now or now_utc()).astimezone(local_zone())) if is_utf8(value) else None
        if found is None:
            raise UsageError(f"bad {what} {value!r}: expected {SINCE_FORMS}") from None
        return (found[1] if end else found[0]).astimezone(UTC)


def check_range(since: datetime | None, until: datetime | None) -> None:
    """Refuse a --since later than --until (no memory could match)."""
    if since is not None and until is not None and since > until:
        raise UsageError(f"--since ({format_time(since)}) is after --until ({format_time(until)})")


def format_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC).replace(tzinfo=None)
    # isoformat, not strftime: strftime("%Y") writes year 1 as "1", which does not parse back.
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds") + "Z"


def normalise_time(value: str | datetime | None, *, what: str = "created_at") -> str:
    return format_time(now_utc() if value is None else parse_time(value, what=what))


def timestamp(created_at: str) -> float:
    return parse_time(created_at).timestamp()
