"""Shared fixtures: the gazetteer, the extractor, the seed report, temporary stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest_browser import browser, chromium  # noqa: F401  (fixtures for every test module)
from conftest_postgres import postgres_server, postgres_url  # noqa: F401  (fixtures for every test module)

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_b4b07374c830938f.txt"
DATA = Path(__file__).parent / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def gazetteer():
    from geodata import load_gazetteer

    return load_gazetteer()


@pytest.fixture(scope="session")
def extractor(gazetteer):
    from extract import Extractor

    return Extractor(gazetteer)


def require(ok: bool, why: str) -> None:
    """Fail under CI, skip elsewhere: CI must prove what a developer's machine may lack."""
    if not ok:
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="session")
def seed_path() -> Path:
    """The project's seed article, read from ../shared/seeds (never copied into the repo)."""
    require(SEED.exists(), f"seed report missing at {SEED}")
    return SEED


@pytest.fixture(scope="session")
def seed_report(seed_path):
    from datetime import date

    from extract.sources import InputOptions, read_inputs

    (report,) = list(read_inputs([str(seed_path)], InputOptions(report_date=date(2014, 6, 23))))
    return report


@pytest.fixture
def store_path(tmp_path) -> Path:
    return tmp_path / "store.db"
