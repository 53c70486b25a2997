"""Claims: "place P was held by party X as of date E, according to report R, because of sentence Q" (pure)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields
from datetime import date

STATUSES = ("controls", "not-government", "contested")
KINDS = ("crossing", "province")


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
    construction: str = ""  # which rule produced it ("active", "passive", "aggregate", ...)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {STATUSES}")
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {KINDS}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence} is outside [0, 1]")

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
        """The date the claim speaks for: its event date, else its report date."""
        return self.event_date or self.report_date

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
