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
# Dates outside these bounds are not read as dates of a news report or of the events in one
# ("9999-01-01", "June 9, 2150"); they become no date (null) rather than a wrong one.
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)

# Each pattern runs on folded (lower-case) text. Order matters: full dates before partial ones.
# The lookahead lists every alternative's first character: it halves the scan, which otherwise
# tries each alternative at every word start.
_SEASON = r"(?:spring|summer|autumn|fall|winter)"
_PART = r"(?:early|mid|late|the\ end\ of|the\ start\ of|the\ beginning\ of|the\ middle\ of)"
DATE_PATTERN = re.compile(
    rf"""\b(?=[0-9abdefjlmnorstwy])(?:
        (?P<iso>{_YEAR}-[01]\d-[0-3]\d)
      | (?P<numeric>\d{{1,2}}[/.]\d{{1,2}}[/.]{_YEAR})
      | (?P<dmy>{_DAY}\s+(?:of\s+)?{_MONTHS}\.?,?\s+{_YEAR})
      | (?P<mdy>{_MONTHS}\.?\s+{_DAY},?\s+{_YEAR})
      | (?P<faryear>(?:{_DAY}\s+(?:of\s+)?{_MONTHS}\.?,?|{_MONTHS}\.?\s+{_DAY},?)\s+\d{{4,}})
      | (?P<dm>{_DAY}\s+(?:of\s+)?{_MONTHS})\b
      | (?P<md>{_MONTHS}\.?\s+{_DAY})(?![\d:])
      | (?P<month>(?:{_PART})?[\s-]*{_MONTHS}\s+{_YEAR})
      | (?P<baremonth>(?:(?<=\bin\ )|(?<=since\ )|(?<=during\ )|(?<=until\ )|(?<=\blast\ ))
                     (?:early\ |mid[\s-]|late\ )?{_MONTHS}(?![\w-]|\s+\d)
                    |(?:(?<=\bthe\ )|(?<=\btheir\ )|(?<=\bits\ )|(?<=\blast\ ))(?!may\b|march\b){_MONTHS}
                     (?=\s+(?:offensive|sweep|advance|assault|attack|push|campaign|takeover|capture|fall|battle|blitz)\b))
      | (?P<part>(?:early|mid|late)[\s-]+{_YEAR}|(?:end|start|beginning|middle)\ of\ {_YEAR})(?![\w/-])
      | (?P<year>(?:(?<=\bin\ )|(?<=since\ )|(?<=during\ )){_YEAR})(?![\w/-])
      | (?P<season>{_SEASON}(?:\s+of)?\s+{_YEAR}|(?<=\bthe\ )(?:spring|summer|autumn|winter)(?![\w-]|\s+(?:of\s+)?\d))
      | (?P<weekday>(?:last\s+|this\s+past\s+|this\s+)?{_WEEKDAY})
      | (?P<yesterday>yesterday|last\ night|the\ previous\ day|the\ day\ before)
      | (?P<today>today|this\ morning|this\ afternoon|this\ evening|tonight|earlier\ today)
      | (?P<ago>(?:one|two|three|four|five|six|\d)\s+days\s+ago)
      | (?P<later>(?:a|one|two|three|four|five|six|\d)\s+days?\s+(?:later|afterwards?|earlier)
                 |the\ (?:next|following)\ day)
      | (?P<vague>last\ week|last\ month|earlier\ this\ (?:week|month|year)|this\ week|last\ year
                 |recent\ days|recent\ weeks)
    )\b""",
    re.VERBOSE,
)
# "two days ago", "a day later", "two days after": counted in words
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}


@dataclass(frozen=True)
class DateMention:
    """A date expression found in text, resolved (or not) to a calendar date."""

    start: int
    end: int
    kind: str  # iso | numeric | dmy | mdy | faryear | dm | md | month | baremonth | part | year | season | ... | vague
    value: date | None  # the first day of the span the phrase stands for ("mid-2014": 2014-05-01)
    precision: str  # day | week | month | part (early/mid/late of a year) | season | year | none


_PARTS = re.compile(r"(?P<year>\d{4})|(?P<day>\d{1,2})(?:st|nd|rd|th)?|(?P<month>[a-z]+)")


@lru_cache(maxsize=4096)
def _parse(text: str, base: date | None) -> date | None:
    """The calendar date of a phrase :data:`DATE_PATTERN` matched as a full or day-and-month date.

    The pattern has already told day, month and year apart, so what is left is reading them:
    ``strptime`` (stdlib) on the normalised parts, the year taken from ``base`` when missing.
    dateparser, which we used here first, takes about 1 ms a phrase and held extraction to a few
    hundred reports a second (docs/benchmarks.md). An impossible date ("30 February") is None.
    """
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    day = month = year = None
    for part in _PARTS.finditer(text):
        if part["year"]:
            year = part["year"]
        elif part["day"] and day is None:
            day = part["day"]
        elif part["month"] and month is None and part["month"][:3] in _MONTH_NUMBERS:
            month = part["month"][:3]
    if year is None and base is not None:
        year = str(base.year)
    if None in (day, month, year):
        return None
    try:
        return datetime.strptime(f"{day} {month} {year}", "%d %b %Y").date()
    except ValueError:
        return None


_MONTH_NUMBERS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
# Kinds that state a year: a later month or day without one in the same stretch of text takes it.
_YEAR_KINDS = ("iso", "numeric", "dmy", "mdy", "month", "year", "part", "season")
_PART_MONTH = {"early": 1, "start": 1, "beginning": 1, "mid": 5, "middle": 5, "late": 9, "end": 9}
_SEASON_MONTH = {"winter": 1, "spring": 3, "summer": 6, "autumn": 9, "fall": 9}


def _numeric(phrase: str) -> date | None:
    """"21/6/2014" or "21.06.2014": day first, as wires from the region and Europe write it.

    Read month first only when the day-first reading is impossible ("6/21/2014"); when both are
    possible and differ ("5/6/2014") the date is ambiguous and gives no date, rather than a guess.

    >>> [_numeric(p) for p in ("21/6/2014", "6/21/2014", "5/6/2014", "6/6/2014", "31/2/2014")]
    [datetime.date(2014, 6, 21), datetime.date(2014, 6, 21), None, datetime.date(2014, 6, 6), None]
    """
    first, second, year = (int(part) for part in re.split(r"[/.]", phrase))
    readings = set()
    for day, month in ((first, second), (second, first)):
        try:
            readings.add(date(year, month, day))
        except ValueError:
            pass
    return readings.pop() if len(readings) == 1 else None


def plausible(value: date | None) -> bool:
    """Whether ``value`` can be the date of a report or of an event in one (1900 to 2100)."""
    return value is not None and EARLIEST <= value <= LATEST


def _resolve(kind: str, phrase: str, base: date | None, anchor_year: int | None = None) -> tuple[date | None, str]:
    value, precision = _resolve_any(kind, phrase, base, anchor_year)
    if value is not None and not plausible(value):
        return None, "none"
    if value is not None and base is not None and value > base + timedelta(days=1):
        return None, "none"  # an event after its report (one day's slack for time zones): not a date we trust
    return value, precision


def _resolve_any(kind: str, phrase: str, base: date | None, anchor_year: int | None) -> tuple[date | None, str]:
    if kind == "faryear":
        return None, "none"  # a day and month with a year out of range: "June 9, 2150"
    if kind in ("iso", "dmy", "mdy"):
        return _parse(phrase, None), "day"
    if kind == "numeric":
        return _numeric(phrase), "day"
    if kind in ("dm", "md"):
        if anchor_year is not None:  # "In 2014 ... on June 9": the year the sentence gave
            return _parse(f"{phrase} {anchor_year}", None), "day"
        if base is None:
            return None, "none"
        found = _parse(phrase, base)
        if found and found > base:  # "on June 9" in a January report means last June
            found = _parse(f"{phrase} {base.year - 1}", None)
        return found, "day"
    if kind == "year":
        year = int(phrase[-4:])
        if base is not None and year >= base.year:
            return None, "none"  # "retaken in 2017" in a 2017 report: the report date is nearer than 1 January
        return date(year, 1, 1), "year"
    if kind == "part":  # "mid-2014", "late 2014", "the end of 2014": a third of the year, from its first month
        word = re.match(r"\w+", phrase).group(0)
        return date(int(phrase[-4:]), _PART_MONTH[word], 1), "part"
    if kind == "season":  # "summer 2014", "in the summer" (this year's, or last year's if not begun yet)
        word = next(w for w in re.findall(r"[a-z]+", phrase) if w in _SEASON_MONTH)
        month = _SEASON_MONTH[word]
        if phrase[-4:].isdigit():
            return date(int(phrase[-4:]), month, 1), "season"
        year = anchor_year or (base.year if base is not None and month <= base.month else
                               base.year - 1 if base is not None else None)
        return (date(year, month, 1), "season") if year is not None else (None, "none")
    if kind == "baremonth":
        if base is None and anchor_year is None:
            return None, "none"
        month = _MONTH_NUMBERS[re.sub(r"^(?:early|mid|late)[\s-]*", "", phrase)[:3]]
        if anchor_year is not None:  # "changed hands in 2014: rebels took it in March"
            return date(anchor_year, month, 1), "month"
        year = base.year if month <= base.month else base.year - 1  # "in March" in a June report: this March
        return date(year, month, 1), "month"
    if kind == "month":
        if re.match(r"the end of\b", phrase):
            return None, "none"  # "by the end of June 2014" is a deadline: not June 1st, and no day is known
        # "late June 2014": June, no day we could honestly give
        bare = re.sub(rf"^(?:{_PART})?[\s-]*", "", phrase)
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
        return base - timedelta(days=NUMBER_WORDS.get(count) or int(count)), "day"
    if kind == "vague":
        return _relative_span(phrase, base)
    return None, "none"


def _relative_span(phrase: str, base: date) -> tuple[date | None, str]:
    """"last week", "earlier this month", "last year": the start of that week (Monday), month or year."""
    monday = base - timedelta(days=base.weekday())
    if phrase == "last week":
        return monday - timedelta(days=7), "week"
    if phrase in ("this week", "earlier this week"):
        return monday, "week"
    if phrase == "last month":
        return (date(base.year - 1, 12, 1) if base.month == 1 else date(base.year, base.month - 1, 1)), "month"
    if phrase == "earlier this month":
        return base.replace(day=1), "month"
    if phrase == "last year":
        return date(base.year - 1, 1, 1), "year"
    if phrase == "earlier this year":
        return date(base.year, 1, 1), "year"
    return None, "none"  # "in recent days": no span we could name


def find_dates(folded: str, base: date | None, start: int = 0, end: int | None = None,
               look_back: bool = True) -> list[DateMention]:
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
    anchor_year = None
    for match in DATE_PATTERN.finditer(folded, start, len(folded) if end is None else end):
        kind = match.lastgroup
        if kind == "later":  # "two days later / earlier": from the last day the text named
            value, precision = _later(match.group(kind), folded, base, start, found, look_back), "day"
            found.append(DateMention(match.start(), match.end(), kind, value, precision if value else "none"))
            continue
        value, precision = _resolve(kind, match.group(kind).strip(" -"), base, anchor_year)
        found.append(DateMention(match.start(), match.end(), kind, value, precision))
        if kind in _YEAR_KINDS and value is not None:
            anchor_year = value.year
    return found


_LOOK_BACK = 2000  # characters before the sentence where "two days later" may find its day


def _later(phrase: str, folded: str, base: date | None, start: int, found: list[DateMention],
           look_back: bool) -> date | None:
    count = phrase.split()[0]
    days = 1 if count == "the" else NUMBER_WORDS.get(count) or int(count)  # "the next day"
    if phrase.endswith("earlier"):
        days = -days
    days_named = [m for m in found if m.precision == "day" and m.value]
    if not days_named and look_back:
        back = max(0, start - _LOOK_BACK)
        days_named = [m for m in find_dates(folded, base, folded.rfind(" ", 0, back) + 1, start, look_back=False)
                      if m.precision == "day" and m.value]
    if not days_named:
        # "captured the crossing a day earlier" with no day named: a day before the report's own
        return base + timedelta(days=days) if days < 0 and base is not None else None
    value = days_named[-1].value + timedelta(days=days)
    return value if base is None or value <= base + timedelta(days=1) else None


_DATELINE_ZONE = 300


def dateline_date(folded: str) -> date | None:
    """The report date stated at the top of an article ("BAGHDAD, June 23, 2014 (AFP) -").

    Only full dates (with a year) in the first lines count: a bare "June 23" has no year to trust.
    """
    for mention in find_dates(folded, None, 0, min(len(folded), _DATELINE_ZONE)):
        if mention.kind in ("iso", "numeric", "dmy", "mdy") and mention.value is not None:
            return mention.value
    return None
