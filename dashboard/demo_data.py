"""The demo reports shipped with the dashboard, extracted and stored on first run."""

from __future__ import annotations

import json
from importlib.resources import files

from extract.batch import report_record
from extract.pipeline import Extractor
from extract.sources import InputOptions, make_report
from geodata.gazetteer import load_gazetteer
from geodata.store import ClaimStore, IngestResult


def demo_records() -> list[dict]:
    """The demo reports as records (id, title, report_date, source, url, text)."""
    text = (files("dashboard") / "demo" / "reports.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def load_demo(store: ClaimStore) -> IngestResult:
    """Extract the demo reports and store them (idempotent)."""
    extractor = Extractor(load_gazetteer())
    batch = []
    for record in demo_records():
        report = make_report(record["id"], record["text"], False, InputOptions(), record)
        claims = extractor.extract(report.text, report.report_date, report.source, report.url)
        batch.append((report_record(report), claims))
    return store.add_reports(batch)
