"""Extraction cases as data: one sentence construction a line, each with the reason it matters."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import DATA

CASES = [json.loads(line) for line in (DATA / "extract_cases.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]


# A case the extractor is known to miss stays a case: it is expected to fail (strictly, so that the
# day it passes the mark must go) and docs/accuracy.md lists it.
@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.xfail(reason=c["known_miss"], strict=True)) if c.get("known_miss") else c
    for c in CASES], ids=[c["id"] for c in CASES])
def test_case(case, extractor):
    report_date = date.fromisoformat(case["report_date"]) if case["report_date"] else None
    claims = extractor.extract(case["text"], report_date)
    found = {(c.place_id, c.party, c.status) for c in claims}
    expected = {(e["place"], e["party"], e["status"]) for e in case["expect"]}
    assert found == expected, case["why"]
    for wanted in case["expect"]:
        if wanted["event_date"] is not None:
            (claim,) = [c for c in claims if (c.place_id, c.party) == (wanted["place"], wanted["party"])]
            assert str(claim.event_date) == wanted["event_date"], case["why"]


def test_every_claim_carries_its_evidence_and_span(extractor):
    text = "Residents said the town was calm. Islamic State fighters seized the Rabia crossing on Tuesday."
    (claim,) = extractor.extract(text, date(2014, 8, 7), source="Test wire", url="https://example.org/a")
    assert text[claim.span[0]:claim.span[1]] == claim.evidence
    assert claim.evidence.startswith("Islamic State fighters seized")
    assert (claim.source, claim.url, claim.report_date) == ("Test wire", "https://example.org/a", date(2014, 8, 7))
    assert claim.kind == "crossing" and 0 < claim.confidence <= 1 and claim.extractor_version
    assert -90 <= claim.lat <= 90 and -180 <= claim.lon <= 180


def test_output_is_deterministic(extractor):
    text = (DATA / "extract_cases.jsonl").read_text(encoding="utf-8")
    first = [c.to_dict() for c in extractor.extract(text, date(2015, 1, 1))]
    second = [c.to_dict() for c in extractor.extract(text, date(2015, 1, 1))]
    assert first == second


def test_report_date_must_be_a_date(extractor):
    with pytest.raises(TypeError, match="report_date"):
        extractor.extract("ISIL seized Rabia.", "2014-06-23")


def test_without_report_date_relative_dates_stay_null(extractor):
    (claim,) = extractor.extract("Islamic State fighters seized the Rabia crossing on Sunday.", None)
    assert claim.report_date is None and claim.event_date is None
