"""The benchmark suite's inputs are deterministic and realistic, and a tiny run works (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench.generate import claims_frame, digest, generate_reports, synthetic_places

REPO = Path(__file__).resolve().parents[1]


def test_reports_are_deterministic(gazetteer):
    first = generate_reports(gazetteer, 40, seed=5)
    again = generate_reports(gazetteer, 40, seed=5)
    other = generate_reports(gazetteer, 40, seed=6)
    assert digest(r.text for r in first) == digest(r.text for r in again)
    assert [r.report_date for r in first] == [r.report_date for r in again]
    assert digest(r.text for r in first) != digest(r.text for r in other)


def test_reports_look_like_pages_and_yield_claims(gazetteer, extractor):
    from extract.sources import InputOptions, make_report

    raw = generate_reports(gazetteer, 30, seed=1)
    words = [len(r.text.split()) for r in raw]
    assert 250 <= sum(words) / len(words) <= 450
    assert all("All rights reserved" in r.text and "GMT" in r.text for r in raw)
    reports = [make_report(r.name, r.text, False, InputOptions(), r.record()) for r in raw]
    for report in reports:  # the cleaner drops the furniture the generator adds
        assert "All rights reserved" not in report.text and "GMT" not in report.text
    claims = [c for r in reports for c in extractor.extract(r.text, r.report_date, r.source, r.url)]
    assert len(claims) >= len(reports)  # several constructions a report; most give claims
    assert {c.construction.split("-")[0] for c in claims} >= {"active", "passive"}


def test_claims_frame_is_deterministic_and_shaped_like_the_store(tmp_path):
    from bench.store_build import build_store
    from geodata.store import ClaimStore

    frame = claims_frame(2_000, n_places=50, seed=3)
    pd.testing.assert_frame_equal(frame, claims_frame(2_000, n_places=50, seed=3))
    assert frame["place_id"].nunique() == 50
    stored = ClaimStore(build_store(tmp_path / "s.db", frame), create=False).claims_frame()
    assert list(stored.columns) == list(frame.columns)
    assert len(stored) == len(frame)
    assert sorted(stored["claim_key"]) == sorted(frame["claim_key"])
    places = synthetic_places(50)
    assert places["id"].is_unique and places["lat"].between(-90, 90).all()


@pytest.mark.timeout(120)
def test_quick_smoke_run_prints_the_table():
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "extract", "--reports", "64",
                           "--quiet"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "extraction throughput" in done.stdout
    assert "reports/s" in done.stdout


def test_unknown_figure_is_refused():
    done = subprocess.run([sys.executable, "-m", "bench", "--only", "nope"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "unknown figure" in done.stderr
