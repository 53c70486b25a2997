"""Claims: "place P was held by party X as of date E, according to report R, because of sentence Q" (pure)."""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta

STATUSES = ("controls", "not-government", "contested")
KINDS = ("crossing", "province")
# How much of the calendar an event date stands for, finest first (ACLED's ``time_precision``, in words).
# The date itself is always the start of the span: "mid-2014" is stored as 2014-05-01 with ``part``.
PRECISIONS = ("day", "week", "month", "season", "part", "year")
PARTS = {1: "early", 5: "mid", 9: "late"}  # part of a year -> its first month (four months each)
SEASONS = {1: "winter", 3: "spring", 6: "summer", 9: "autumn"}  # season -> first month (Jan-Feb winter)
_SPAN_MONTHS = {"month": 1, "part": 4, "year": 12}


def precision_rank(precision: str | None) -> int:
    """0 for a day (or an unknown precision, which stored claims before precisions were kept had), up to 5 for a year."""
    return PRECISIONS.index(precision) if precision in PRECISIONS else 0


def date_span(start: date, precision: str | None) -> tuple[date, date]:
    """The first and last day an event date of this precision stands for.

    Examples
    --------
    >>> date_span(date(2014, 5, 1), "part")
    (datetime.date(2014, 5, 1), datetime.date(2014, 8, 31))
    >>> date_span(date(2014, 1, 1), "season")
    (datetime.date(2014, 1, 1), datetime.date(2014, 2, 28))
    """
    if precision == "week":
        return start, start + timedelta(days=6)
    if precision == "season":
        months = 2 if start.month == 1 else 3
    else:
        months = _SPAN_MONTHS.get(precision or "day", 0)
    if not months:
        return start, start
    month = start.month + months - 1
    year, month = start.year + (month - 1) // 12, (month - 1) % 12 + 1
    return start, date(year, month, calendar.monthrange(year, month)[1])


def describe_date(value: date | None, precision: str | None = "day") -> str:
    """A date as precisely as the text gave it: ``2014-06-21``, ``June 2014``, ``mid-2014``, ``2014``.

    Never a day the text did not give: the stored start of a vague span is shown as the span.

    Examples
    --------
    >>> [describe_date(date(2014, 5, 1), p) for p in ("day", "month", "part", "year")]
    ['2014-05-01', 'May 2014', 'mid-2014', '2014']
    >>> describe_date(date(2014, 6, 16), "week"), describe_date(date(2014, 6, 1), "season")
    ('week of 2014-06-16', 'summer 2014')
    """
    if value is None:
        return ""
    if precision == "week":
        return f"week of {value.isoformat()}"
    if precision == "month":
        return f"{calendar.month_name[value.month]} {value.year}"
    if precision == "part":
        part = PARTS.get(value.month) or ("early" if value.month < 5 else "mid" if value.month < 9 else "late")
        return f"{part}-{value.year}" if part == "mid" else f"{part} {value.year}"
    if precision == "season":
        first = max(m for m in SEASONS if m <= value.month)
        return f"{SEASONS[first]} {value.year}"
    if precision == "year":
        return str(value.year)
    return value.isoformat()


@dataclass(frozen=True)
class Claim:
    """One statement of control, with its provenance.

    ``span`` indexes the report's cleaned text; ``evidence`` is that text's sentence(s).
    """

    place_id: str
    place: str
    kind: str
    side: str | None
    party: str
    party_label: str
    status: str
    report_date: date | None
    event_date: date | None
    source: str
    url: str
    report_id: str
    evidence: str
    span: tuple[int, int]
    confidence: float
    lat: float
    lon: float
    extractor_version: str
    construction: str = ""  # which rule produced it ("active", "passive", "aggregate", ...); see ``rule``
    event_precision: str | None = None  # of event_date: day | week | month | season | part | year


    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {STATUSES}")
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {KINDS}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence} is outside [0, 1]")
        if self.event_precision is not None and self.event_precision not in PRECISIONS:
            raise ValueError(f"event_precision {self.event_precision!r} is not one of {PRECISIONS}")

    @property
    def rule(self) -> str:
        """The extraction rule that produced the claim (stored as ``rule``; the keyword is ``construction``)."""
        return self.construction

    @property
    def key(self) -> str:
        """Stable identity across re-extraction: report, place, side, party, status, event date and span.

        The event date is part of what a claim says: one sentence may state that a party took a
        place on a date and holds it now ("took Rabia on 9 June and have held it since").
        """
        raw = "|".join(map(str, (self.report_id, self.place_id, self.side, self.party,
                                 self.status, self.span[0], self.span[1])))
        if self.event_date is not None:
            raw += f"|{self.event_date.isoformat()}"
        return hashlib.sha1(raw.encode()).hexdigest()[:20]

    @property
    def effective_date(self) -> date | None:
        """The date the claim speaks for: its event date (the start of its span), else its report date."""
        return self.event_date or self.report_date

    @property
    def event_text(self) -> str:
        """The event date as precisely as the text gave it ("mid-2014"), or "" without one."""
        return describe_date(self.event_date, self.event_precision or "day")

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (ISO dates, span as a list)."""
        data = asdict(self)
        for name in ("report_date", "event_date"):
            data[name] = data[name].isoformat() if data[name] else None
        data["span"] = list(self.span)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Claim:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for name in ("report_date", "event_date"):
            value = values.get(name)
            values[name] = date.fromisoformat(value) if isinstance(value, str) and value else (
                value if isinstance(value, date) else None)
        values["span"] = tuple(values.get("span") or (0, 0))
        return cls(**values)
