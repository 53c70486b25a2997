"""Shared test helpers: build claims and reports with defaults, compare claims as the domain sees them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd

from geodata.claims import Claim

# Approximate points, good enough for tests (the gazetteer carries the cited ones).
PLACES = {
    "rabia": ("Rabia", "crossing", 36.80, 42.10),
    "al-waleed": ("Al-Waleed", "crossing", 33.14, 38.79),
    "al-qaim": ("Al-Qaim", "crossing", 34.38, 40.95),
    "trebil": ("Trebil", "crossing", 32.45, 39.16),
    "nineveh": ("Nineveh", "province", 36.34, 43.13),
}
LABELS = {
    "isil": "Islamic State (ISIL)", "krg": "Kurdistan Region forces (Peshmerga)",
    "iraq-gov": "Iraqi government forces", "syria-gov": "Syrian government forces",
    "sdf": "Syrian Democratic Forces (SDF/YPG)", "unknown": "Not under government control",
}
GOVERNMENT = ("iraq-gov", "syria-gov", "jordan", "turkey", "israel")

# The fields that say what a claim is (not how it was stored): what assert_claims_equal compares.
IDENTITY = ("report_id", "place_id", "side", "party", "status", "report_date", "event_date", "evidence",
            "span_start", "span_end")


def as_date(value) -> date | None:
    """``"2014-06-22"`` or a date (or None) as a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def report_id_for(text: str) -> str:
    """The store's identity of a report: SHA-256 of its text (as the extractor computes it)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_claim(place_id: str = "rabia", party: str = "krg", *, status: str = "controls",
               event_date=None, report_date="2014-09-30", report_id: str = "report-1",
               evidence: str | None = None, span: tuple[int, int] = (0, 40), source: str = "Test Wire",
               url: str = "", confidence: float = 0.9, side: str | None = None,
               construction: str = "active", **overrides) -> Claim:
    """A :class:`Claim` with sensible defaults; dates may be ISO strings."""
    name, kind, lat, lon = PLACES.get(place_id, (place_id.title(), "crossing", 33.0, 40.0))
    values = dict(
        place_id=place_id, place=name, kind=kind, side=side, party=party,
        party_label=LABELS.get(party, party), status=status,
        report_date=as_date(report_date), event_date=as_date(event_date), source=source, url=url,
        report_id=report_id, evidence=evidence if evidence is not None else f"{party} holds {name}.",
        span=span, confidence=confidence, lat=lat, lon=lon, extractor_version="test",
        construction=construction,
    )
    values.update(overrides)
    return Claim(**values)


def make_report(text: str, claims: Sequence[dict] = (), *, url: str = "", source: str = "Test Wire",
                report_date="2014-09-30", title: str = "") -> tuple[dict, list[Claim]]:
    """One ``(report, claims)`` item for :meth:`ClaimStore.add_reports`.

    ``claims`` are keyword dicts for :func:`make_claim`; each gets this report's id, date, url and
    source, and a distinct span so their keys differ.
    """
    rid = report_id_for(text)
    built = []
    for number, spec in enumerate(claims):
        spec = {"report_date": report_date, "url": url, "source": source,
                "span": (number * 50, number * 50 + 40), **spec}
        built.append(make_claim(report_id=rid, **spec))
    record = {"report_id": rid, "text": text, "url": url, "source": source, "title": title,
              "name": title or "test", "report_date": as_date(report_date)}
    return record, built


def claim_records(claims: Iterable[Claim] | pd.DataFrame) -> list[dict]:
    """Claims (objects or a store/claims frame) as sorted dicts of their identity fields."""
    if isinstance(claims, pd.DataFrame):
        rows = claims.to_dict("records")
    else:
        rows = []
        for claim in claims:
            row = claim.to_dict()
            row["span_start"], row["span_end"] = claim.span
            rows.append(row)
    out = []
    for row in rows:
        record = {}
        for name in IDENTITY:
            value = row.get(name)
            if isinstance(value, str) and name.endswith("_date"):
                value = date.fromisoformat(value)
            if isinstance(value, float) and value != value:  # NaN from a frame = no value
                value = None
            if hasattr(value, "item"):
                value = value.item()
            record[name] = value
        out.append(record)
    return sorted(out, key=lambda r: tuple(str(r[n]) for n in IDENTITY))


def assert_claims_equal(actual, expected) -> None:
    """Same claims (as a multiset of identity fields), whatever the order or container."""
    got, want = claim_records(actual), claim_records(expected)
    if got != want:
        missing = [r for r in want if r not in got]
        extra = [r for r in got if r not in want]
        raise AssertionError(f"claims differ:\n  missing: {missing}\n  unexpected: {extra}")


# -- many reports, for ingest processes ------------------------------------------------------
_CYCLE_PLACES = ("rabia", "al-waleed", "al-qaim", "trebil", "nineveh")
_CYCLE_PARTIES = ("isil", "krg", "iraq-gov", "syria-gov", "sdf")


def expected_claims(number: int) -> int:
    """How many claims synthetic report ``number`` carries (1 to 6, so counts tell reports apart)."""
    return 1 + number % 6


def synthetic_report(number: int) -> tuple[dict, list[Claim]]:
    """Report ``number`` of a deterministic stream: own text, own url, ``expected_claims`` claims."""
    day = date(2014, 6, 1 + number % 28)
    specs = [{"place_id": _CYCLE_PLACES[(number + k) % 5], "party": _CYCLE_PARTIES[(number * 7 + k) % 5],
              "event_date": day} for k in range(expected_claims(number))]
    text = f"Synthetic report {number}. " + " ".join(
        f"{s['party']} holds {s['place_id']}." for s in specs) + " x" * 200
    return make_report(text, specs, url=f"https://example.org/report/{number}", report_date=day)


def ingest_main(argv: list[str]) -> None:
    """Worker process: ``DB BATCH_SIZE N1 N2 ...`` ingests those synthetic reports in batches.

    Prints ``ready`` once the store is open, waits for a ``go`` file beside the store if one is
    expected (``--wait``), and prints ``batch K`` after each committed transaction.
    """
    import os
    import sys
    import time
    from pathlib import Path

    from geodata.store import ClaimStore

    wait = "--wait" in argv
    args = [a for a in argv if a != "--wait"]
    db, size, numbers = args[0], int(args[1]), [int(n) for n in args[2:]]
    store = ClaimStore(db)
    print("ready", flush=True)
    if wait:
        go = Path(os.environ.get("BORDERWATCH_TEST_GO") or Path(db).with_suffix(".go"))  # a URL has no folder
        while not go.exists():
            time.sleep(0.005)
    for k, start in enumerate(range(0, len(numbers), size)):
        store.add_reports([synthetic_report(n) for n in numbers[start:start + size]])
        print(f"batch {k}", flush=True)
    store.close()
    sys.exit(0)
