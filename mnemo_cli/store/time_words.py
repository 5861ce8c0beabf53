"""Time expressions in English text ("last week", "in March 2025", "since Monday") as windows of time.

`find_time(text, now)` finds the longest expression in `text` and turns it into a window
[start, end) of aware datetimes in `now`'s time zone: days begin at local midnight, so a window
across a daylight-saving change still starts and ends at midnight. Weeks start on Monday; seasons
are the northern meteorological ones (spring is March to May, winter is December to February and
"winter 2025" is the one that holds January 2025). An expression about the past never reaches past
`now`. Words that are also ordinary words ("may", "march", "fall", "spring", a bare year) count only
with context: a preposition before them ("in May"), a modifier ("last spring") or a day or year
("May 3", "March 2025").

The grammar is two layers of regular expressions: atoms (a day, a week, a month, a season, a year,
an age) and the phrases around them (since, before, after, until, between ... and, from ... to,
the week of, a dangling preposition). No third-party parser: the candidates tried cost 170 ms of
import and misread everyday words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from mnemo_cli.store.time_hint import MONTH_ABBREVIATIONS, MONTHS, SEASONS, WEEKDAYS

#: Words that give an ambiguous month, season or year a time meaning when they come right before it.
CONTEXT = frozenset(
    {"in", "during", "since", "before", "after", "until", "till", "from", "between", "throughout"}
    | {"last", "this", "next", "early", "mid", "late"}
)
#: Months that are seldom anything else, so they count even without context ("january plans").
PLAIN_MONTHS = frozenset(("january", "february", "september", "october", "november", "december"))
#: The start of a window with no start ("before 2020").
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
#: The end of a window with no end ("after 2030").
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
#: How far back "recently" and "lately" reach.
RECENT_DAYS = 30

_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_MONTH_NUMBER = {name: i + 1 for i, name in enumerate(MONTHS)} | {
    abbreviation: MONTHS.index(next(m for m in MONTHS if m.startswith(abbreviation[:3]))) + 1
    for abbreviation in MONTH_ABBREVIATIONS
}
_PARTS = {"morning": (5, 12), "afternoon": (12, 18), "evening": (18, 24), "night": (18, 29)}
_PREPOSITIONS = ("in", "on", "during", "at", "over", "around", "from", "of", "for")

_NUM = r"(?P<n>\d{1,4}|" + "|".join(_NUMBERS) + ")"
_UNIT = r"(?P<unit>day|week|month|year)s?"
_MONTH = r"(?P<month>" + "|".join(MONTHS) + ")"
_ANY_MONTH = r"(?P<month>" + "|".join((*MONTHS, *sorted(MONTH_ABBREVIATIONS, key=len, reverse=True))) + r")\.?"
_YEAR = r"(?P<year>1[89]\d\d|2[01]\d\d)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_MOD = r"(?:(?P<mod>last|this|next)\s+)"
_PHASE = r"(?:(?P<phase>early|mid|late)(?:\s+|-)(?:in\s+)?)"


@dataclass(frozen=True)
class TimeMatch:
    """A time expression found in a text: the window [start, end) it means, where it stood in the
    text (`span`, character offsets) and the text without it (`remainder`)."""

    start: datetime
    end: datetime
    span: tuple[int, int]
    remainder: str


@dataclass(frozen=True)
class _Atom:
    begin: int
    finish: int
    start: datetime
    end: datetime
    kind: str  # "day", or anything wider


def local_zone() -> tzinfo:
    """The user's time zone: $TZ when it names a zone, else the system's, as a zoneinfo zone when
    one can be found (for correct day arithmetic across daylight-saving changes)."""
    import os
    import zoneinfo

    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            pass
    else:
        try:
            with open("/etc/localtime", "rb") as f:
                return zoneinfo.ZoneInfo.from_file(f, key="localtime")
        except (OSError, ValueError):
            pass
    return datetime.now().astimezone().tzinfo or UTC


def find_time(text: str, now: datetime | None = None) -> TimeMatch | None:
    """The longest time expression in `text` (the first of equally long ones), or None."""
    now = now if now is not None else datetime.now(local_zone())
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    atoms = _atoms(text, now)
    phrases = _phrases(text, atoms, now)
    if not phrases:
        return None
    best = max(phrases, key=lambda a: (a.finish - a.begin, -a.begin))
    begin, finish = _with_preposition(text, best.begin), best.finish
    before, after = text[:begin].rstrip(), text[finish:].lstrip()
    joiner = " " if before and after and re.match(r"\w", after) else ""
    return TimeMatch(best.start, best.end, (begin, finish), before + joiner + after)


def window(text: str, now: datetime | None = None) -> tuple[datetime, datetime] | None:
    """The window of `text` when the whole of it is one time expression ("last week"), else None."""
    found = find_time("in " + text, now)  # as if in a sentence: "march" alone is then a month
    if found is None or found.remainder.strip(" ,.;:!?"):
        return None
    return found.start, found.end


# -- arithmetic ------------------------------------------------------------------------------------


def _midnight(day: date, zone: tzinfo | None) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def _days(first: date, count: int, zone: tzinfo | None) -> tuple[datetime, datetime]:
    return _midnight(first, zone), _midnight(first + timedelta(days=count), zone)


def _month_start(year: int, month: int) -> date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, 1)


def _month(year: int, month: int, zone: tzinfo | None) -> tuple[datetime, datetime]:
    return _midnight(_month_start(year, month), zone), _midnight(_month_start(year, month + 1), zone)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _shift_months(moment: datetime, months: int) -> datetime:
    first = _month_start(moment.year, moment.month + months)
    last = (_month_start(first.year, first.month + 1) - timedelta(days=1)).day
    return moment.replace(year=first.year, month=first.month, day=min(moment.day, last))


def _season(name: str, year: int, zone: tzinfo | None) -> tuple[datetime, datetime]:
    first = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}[name]
    begin = year - 1 if name == "winter" else year
    return _midnight(date(begin, first, 1), zone), _midnight(_month_start(begin, first + 3), zone)


def _capped(start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime]:
    """A window that began before `now` ends at `now` at the latest."""
    return (start, now) if start < now < end else (start, end)


# -- atoms -----------------------------------------------------------------------------------------

_Handler = Callable[[re.Match[str], datetime, str], "tuple[datetime, datetime, str] | None"]
_RULES: list[tuple[re.Pattern[str], _Handler]] = []


def _rule(pattern: str) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        _RULES.append((re.compile(r"\b" + pattern + r"\b", re.IGNORECASE), handler))
        return handler

    return register


def _atoms(text: str, now: datetime) -> list[_Atom]:
    found = []
    for pattern, handler in _RULES:
        for match in pattern.finditer(text):
            try:
                result = handler(match, now, text)
            except (ValueError, OverflowError):  # no such day (30 February), or out of datetime's range
                continue
            if result is not None:
                start, end, kind = result
                found.append(_Atom(match.start(), match.end(), *_capped(start, end, now), kind))
    return found


def _word_before(text: str, index: int) -> str:
    match = re.search(r"(\w+)[\s-]*$", text[:index])
    return match.group(1).lower() if match else ""


def _in_context(match: re.Match[str], text: str) -> bool:
    word = _word_before(text, match.start())
    if word in ("and", "to"):  # the second end of "between ... and", "from ... to"
        return re.search(r"\b(?:between|from)\b", text[: match.start()], re.IGNORECASE) is not None
    return word in CONTEXT


@_rule(r"(?:the\s+)?day\s+before\s+yesterday")
def _day_before_yesterday(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str]:
    return (*_days(now.date() - timedelta(days=2), 1, now.tzinfo), "day")


@_rule(r"(?P<word>today|yesterday)(?:\s+(?P<part>morning|afternoon|evening|night))?")
def _named_day(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str]:
    day = now.date() - timedelta(days=1 if match["word"].lower() == "yesterday" else 0)
    if match["part"]:
        return (*_part(day, match["part"].lower(), now.tzinfo), "part")
    return (*_days(day, 1, now.tzinfo), "day")


@_rule(r"(?:tonight|this\s+(?P<part>morning|afternoon|evening)|last\s+(?P<night>night))")
def _part_of_day(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str]:
    if match["night"]:
        return (*_part(now.date() - timedelta(days=1), "night", now.tzinfo), "part")
    return (*_part(now.date(), (match["part"] or "evening").lower(), now.tzinfo), "part")


def _part(day: date, part: str, zone: tzinfo | None) -> tuple[datetime, datetime]:
    first, last = _PARTS[part]
    return _midnight(day, zone) + timedelta(hours=first), _midnight(day, zone) + timedelta(hours=last)


@_rule(_NUM + r"\s+" + _UNIT + r"\s+ago")
def _ago(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str]:
    count, unit = _number(match["n"]), match["unit"].lower()
    if unit == "day":
        return (*_days(now.date() - timedelta(days=count), 1, now.tzinfo), "day")
    if unit == "week":
        return (*_days(_monday(now.date()) - timedelta(weeks=count), 7, now.tzinfo), "week")
    if unit == "month":
        return (*_month(now.year, now.month - count, now.tzinfo), "month")
    return _month(now.year - count, 1, now.tzinfo)[0], _month(now.year - count + 1, 1, now.tzinfo)[0], "year"


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word.lower()]


@_rule(r"(?:the\s+)?(?:past|last)\s+(?:" + _NUM + r"\s+)?" + _UNIT)
def _rolling(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str] | None:
    count = _number(match["n"]) if match["n"] else 1
    if match["n"] is None and not match.group().lower().startswith(("the", "past")):
        return None  # "last week" is the calendar week (next rule); "the last week" the past 7 days
    unit = match["unit"].lower()
    if unit == "month":
        return _shift_months(now, -count), now, "span"
    if unit == "year":
        return _shift_months(now, -12 * count), now, "span"
    return now - timedelta(days=count * (7 if unit == "week" else 1)), now, "span"


@_rule(r"(?P<mod>this|last|next)\s+(?P<unit>week|month|year)")
def _calendar(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str]:
    step = {"this": 0, "last": -1, "next": 1}[match["mod"].lower()]
    unit, zone = match["unit"].lower(), now.tzinfo
    if unit == "week":
        return (*_days(_monday(now.date()) + timedelta(weeks=step), 7, zone), "week")
    if unit == "month":
        return (*_month(now.year, now.month + step, zone), "month")
    return _month(now.year + step, 1, zone)[0], _month(now.year + step + 1, 1, zone)[0], "year"


@_rule(r"(?:(?P<mod>last|this|next|the)\s+)weekend")
def _weekend(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str]:
    saturday = _monday(now.date()) + timedelta(days=5)
    mod = match["mod"].lower()
    if mod == "last" or (mod == "the" and saturday > now.date()):
        saturday -= timedelta(weeks=1)
    elif mod == "next":
        saturday += timedelta(weeks=1)
    return (*_days(saturday, 2, now.tzinfo), "weekend")


@_rule(_MOD + r"?(?P<weekday>" + "|".join(WEEKDAYS) + ")")
def _weekday(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str] | None:
    if not (match["mod"] or _in_context(match, text) or _word_before(text, match.start()) in ("on", "by")):
        return None  # "the Thursday pottery class" is not a time
    wanted, today = WEEKDAYS.index(match["weekday"].lower()), now.date()
    mod = (match["mod"] or "last").lower()
    if mod == "this":
        day = _monday(today) + timedelta(days=wanted)
    elif mod == "next":
        day = today + timedelta(days=(wanted - today.weekday() - 1) % 7 + 1)
    else:  # the most recent one before today
        day = today - timedelta(days=(today.weekday() - wanted - 1) % 7 + 1)
    return (*_days(day, 1, now.tzinfo), "day")


@_rule(r"(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)")
def _iso_date(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str]:
    return (*_days(date(int(match["y"]), int(match["m"]), int(match["d"])), 1, now.tzinfo), "day")


@_rule(r"(?:the\s+)?" + _DAY + r"\s+(?:of\s+)?" + _ANY_MONTH + r"(?:,?\s+" + _YEAR + ")?")
def _day_month(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str]:
    return _date(match, now)


@_rule(_ANY_MONTH + r"\s+(?:the\s+)?" + _DAY + r"(?:,?\s+" + _YEAR + r")?(?![:.]?\d)")
def _month_day(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str]:
    return _date(match, now)


def _date(match: re.Match[str], now: datetime) -> tuple[datetime, datetime, str]:
    month, day = _MONTH_NUMBER[match["month"].lower()], int(match["day"])
    if match["year"]:
        found = date(int(match["year"]), month, day)
    else:  # the most recent one not after today
        found = date(now.year, month, day) if (month, day) <= (now.month, now.day) else date(now.year - 1, month, day)
    return (*_days(found, 1, now.tzinfo), "day")


@_rule(_PHASE + "?" + _MOD + "?" + _MONTH + r"(?:,?\s+" + _YEAR + ")?")
def _month_name(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str] | None:
    name = match["month"].lower()
    if not (match["phase"] or match["mod"] or match["year"] or name in PLAIN_MONTHS or _in_context(match, text)):
        return None
    month, mod = _MONTH_NUMBER[name], (match["mod"] or "").lower()
    if match["year"]:
        year = int(match["year"])
    elif mod == "this":
        year = now.year
    elif mod == "next":
        year = now.year + (month <= now.month)
    else:  # the most recent one not after now ("last": before this month)
        year = now.year - (month > now.month or (mod == "last" and month == now.month))
    start, end = _month(year, month, now.tzinfo)
    if match["phase"]:
        first, last = {"early": (1, 11), "mid": (11, 21), "late": (21, 0)}[match["phase"].lower()]
        start = start + timedelta(days=first - 1)
        end = end if not last else _midnight(date(year, month, last), now.tzinfo)
    return start, end, "month"


@_rule(
    _MOD
    + r"?(?:the\s+)?(?P<season>"
    + "|".join(SEASONS)
    + r")(?:\s+(?:of\s+)?"
    + _YEAR
    + r"(?:\s*/\s*(?P<to>\d{2,4}))?)?"
)
def _season_name(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str] | None:
    name, mod = match["season"].lower(), (match["mod"] or "").lower()
    if not (mod or match["year"] or _in_context(match, text)):
        return None
    zone = now.tzinfo
    if match["year"]:
        year = int(match["year"])
        if match["to"]:  # "winter 2024/2025" or "2024/25": the winter from December 2024
            if name != "winter" or int(match["to"]) % 100 != (year + 1) % 100:
                return None
            year += 1
        return (*_season(name, year, zone), "season")
    years = range(now.year - 1, now.year + 3)
    if mod == "last":  # the most recent one that has ended
        year = max(y for y in years if _season(name, y, zone)[1] <= now)
    elif mod == "next":
        year = min(y for y in years if _season(name, y, zone)[0] > now)
    else:  # the one under way, else the most recent one (with "this": this year's, maybe to come)
        under_way = [y for y in years if _season(name, y, zone)[0] <= now < _season(name, y, zone)[1]]
        if under_way:
            year = under_way[0]
        elif mod == "this":
            year = now.year + (name == "winter")
        else:
            year = max(y for y in years if _season(name, y, zone)[0] <= now)
    return (*_season(name, year, zone), "season")


@_rule(r"(?:(?P<the>the\s+)?year\s+)?" + _YEAR + r"(?![-/:.]?\d)")
def _year(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str] | None:
    if match.group().lower().startswith(match["year"]) and not _in_context(match, text):
        return None
    year = int(match["year"])
    return _month(year, 1, now.tzinfo)[0], _month(year + 1, 1, now.tzinfo)[0], "year"


@_rule(r"(?:recently|lately)")
def _recently(match: re.Match[str], now: datetime, text: str) -> tuple[datetime, datetime, str]:
    return now - timedelta(days=RECENT_DAYS), now, "span"


# -- phrases ---------------------------------------------------------------------------------------

_BETWEEN = re.compile(r"\b(?:between|from)\s+$", re.IGNORECASE)
_AND = re.compile(r"\s+(?:and|to|until|till|through)\s+$", re.IGNORECASE)
_PREFIX = re.compile(r"\b(?P<word>since|before|after|until|till|prior\s+to)\s+$", re.IGNORECASE)
_WEEK_OF = re.compile(r"\b(?:the\s+)?week\s+of\s+$", re.IGNORECASE)


def _phrases(text: str, atoms: list[_Atom], now: datetime) -> list[_Atom]:
    """The atoms, and the phrases built around them."""
    zone = now.tzinfo
    found = list(atoms)
    for atom in atoms:
        week_of = _WEEK_OF.search(text, 0, atom.begin)
        if atom.kind == "day" and week_of:
            monday = _monday(atom.start.date())
            found.append(_Atom(week_of.start(), atom.finish, *_capped(*_days(monday, 7, zone), now), "week"))
        prefix = _PREFIX.search(text, 0, atom.begin)
        if prefix:
            word = prefix["word"].lower()
            if word == "since":
                start, end = atom.start, max(now, atom.end)
            elif word == "after":
                start, end = atom.end, now if atom.end < now else LATEST
            else:  # before, prior to; until and till include the atom's own window
                start, end = EARLIEST, atom.end if word in ("until", "till") else atom.start
            found.append(_Atom(prefix.start(), atom.finish, *_capped(start, end, now), "span"))
    for first in atoms:
        opener = _BETWEEN.search(text, 0, first.begin)
        if opener is None:
            continue
        for second in atoms:
            if (
                second.begin > first.finish
                and _AND.match(text, first.finish, second.begin)
                and first.start < second.end
            ):
                found.append(_Atom(opener.start(), second.finish, *_capped(first.start, second.end, now), "span"))
    return [atom for atom in found if atom.start < atom.end]


def _with_preposition(text: str, begin: int) -> int:
    """Where the expression begins once a preposition right before it ("in", "on") is taken too."""
    match = re.search(r"\b(?:" + "|".join(_PREPOSITIONS) + r")\s+$", text[:begin], re.IGNORECASE)
    return match.start() if match else begin
