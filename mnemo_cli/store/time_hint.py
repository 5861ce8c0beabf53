"""Whether a query may hold a time expression: one regex, so a recall without one never imports
the grammar (`time_words`).

`KEYWORDS` are every word the grammar can start or anchor a match on; text without digits and
without these words can never match (a property test holds the grammar to it).
"""

from __future__ import annotations

import re

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
MONTH_ABBREVIATIONS = ("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SEASONS = ("spring", "summer", "autumn", "fall", "winter")
KEYWORDS = frozenset(
    (
        *MONTHS,
        *MONTH_ABBREVIATIONS,
        *WEEKDAYS,
        *SEASONS,
        "today",
        "yesterday",
        "tonight",
        "night",
        "morning",
        "afternoon",
        "evening",
        "ago",
        "week",
        "weeks",
        "weekend",
        "month",
        "months",
        "year",
        "years",
        "day",
        "days",
        "recently",
        "lately",
    )
)
_HINT = re.compile(r"\d|\b(?:" + "|".join(sorted(KEYWORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def may_have_time(text: str) -> bool:
    """False when `text` surely holds no time expression `time_words.find_time` would find."""
    return _HINT.search(text) is not None
