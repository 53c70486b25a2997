"""Dates in report text: the report's own dateline, and event dates resolved against the report date (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"

# Each pattern runs on folded (lower-case) text. Order matters: full dates before partial ones.
DATE_PATTERN = re.compile(
    rf"""\b(?:
        (?P<iso>{_YEAR}-[01]\d-[0-3]\d)
      | (?P<dmy>{_DAY}\s+(?:of\s+)?{_MONTHS}\.?,?\s+{_YEAR})
      | (?P<mdy>{_MONTHS}\.?\s+{_DAY},?\s+{_YEAR})
      | (?P<dm>{_DAY}\s+(?:of\s+)?{_MONTHS})\b
      | (?P<md>{_MONTHS}\.?\s+{_DAY})(?![\d:])
      | (?P<month>(?:early|mid|late|the\ end\ of|the\ start\ of|the\ beginning\ of)?[\s-]*{_MONTHS}\s+{_YEAR})
      | (?P<weekday>(?:last\s+|this\s+past\s+|this\s+)?{_WEEKDAY})
      | (?P<yesterday>yesterday|last\ night|the\ previous\ day|the\ day\ before)
      | (?P<today>today|this\ morning|this\ afternoon|this\ evening|tonight|earlier\ today)
      | (?P<ago>(?:one|two|three|four|five|six|\d)\s+days\s+ago)
      | (?P<vague>last\ week|last\ month|earlier\ this\ (?:week|month|year)|this\ week|last\ year
                 |recent\ days|recent\ weeks)
    )\b""",
    re.VERBOSE,
)
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_DATEPARSER_SETTINGS = {"PREFER_DATES_FROM": "past", "PREFER_DAY_OF_MONTH": "first",
                        "STRICT_PARSING": False}


@dataclass(frozen=True)
class DateMention:
    """A date expression found in text, resolved (or not) to a calendar date."""

    start: int
    end: int
    kind: str  # iso | dmy | mdy | dm | md | month | weekday | yesterday | today | ago | vague
    value: date | None
    precision: str  # day | month | none


@lru_cache(maxsize=4096)
def _parse(text: str, base: date | None) -> date | None:
    """Parse an explicit date phrase with dateparser, relative to ``base`` for a missing year."""
    import dateparser

    settings = dict(_DATEPARSER_SETTINGS)
    if base is not None:
        settings["RELATIVE_BASE"] = datetime(base.year, base.month, base.day)
    try:
        parsed = dateparser.parse(text, languages=["en"], settings=settings)
    except (ValueError, OverflowError, TypeError):
        return None
    return parsed.date() if parsed else None


def _resolve(kind: str, phrase: str, base: date | None) -> tuple[date | None, str]:
    if kind in ("iso", "dmy", "mdy"):
        return _parse(phrase, None), "day"
    if kind in ("dm", "md"):
        if base is None:
            return None, "none"
        found = _parse(phrase, base)
        if found and found > base:  # "on June 9" in a January report means last June
            found = _parse(f"{phrase} {base.year - 1}", None)
        return found, "day"
    if kind == "month":
        if re.match(r"(?:late|the end of)\b", phrase):
            return None, "none"  # "by the end of June" is not June 1st, and no day is known
        bare = re.sub(r"^(?:early|mid|the start of|the beginning of)[\s-]*", "", phrase)
        found = _parse(f"1 {bare}", None)
        return found, "month"
    if base is None:
        return None, "none"
    if kind == "weekday":
        words = phrase.split()
        target = _WEEKDAYS.index(words[-1])
        back = (base.weekday() - target) % 7
        if back == 0 and words[0] == "last":
            back = 7
        return base - timedelta(days=back), "day"
    if kind == "yesterday":
        return base - timedelta(days=1), "day"
    if kind == "today":
        return base, "day"
    if kind == "ago":
        count = phrase.split()[0]
        return base - timedelta(days=_NUMBERS.get(count) or int(count)), "day"
    return None, "none"


def find_dates(folded: str, base: date | None, start: int = 0, end: int | None = None) -> list[DateMention]:
    """Find and resolve the date expressions of ``folded[start:end]``.

    Parameters
    ----------
    folded : str
        Lower-case text (see :func:`geodata.names.fold`).
    base : date or None
        The report date that relative expressions resolve against.

    Examples
    --------
    >>> [m.value for m in find_dates("they took it on sunday", date(2014, 6, 23))]
    [datetime.date(2014, 6, 22)]
    """
    found = []
    for match in DATE_PATTERN.finditer(folded, start, len(folded) if end is None else end):
        kind = match.lastgroup
        value, precision = _resolve(kind, match.group(kind).strip(" -"), base)
        found.append(DateMention(match.start(), match.end(), kind, value, precision))
    return found


_DATELINE_ZONE = 300


def dateline_date(folded: str) -> date | None:
    """The report date stated at the top of an article ("BAGHDAD, June 23, 2014 (AFP) -").

    Only full dates (with a year) in the first lines count: a bare "June 23" has no year to trust.
    """
    for mention in find_dates(folded, None, 0, min(len(folded), _DATELINE_ZONE)):
        if mention.kind in ("iso", "dmy", "mdy") and mention.value is not None:
            return mention.value
    return None
