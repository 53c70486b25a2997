"""Extraction on Dask: a real local cluster (2 worker processes on 127.0.0.1) gives the one-process result."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import distributed  # a core dependency: missing, these tests fail rather than skip
import pytest

from extract.batch import BatchSummary, extract_reports
from extract.distributed import DaskError, dask_client
from extract.pipeline import Extractor
from extract.sources import read_inputs
from geodata.gazetteer import load_gazetteer

REPO = Path(__file__).resolve().parents[1]
EXTRA_PLACES = ("kind,id,name,country_a,country_b,aliases,lat,lon,source\n"
                "crossing,lachin,Lachin corridor,AZ,AM,Lachin|Laçın,39.63,46.55,osm:node/1\n")


@pytest.fixture(scope="module")
def cluster():
    """One local cluster for the module: starting one takes a few seconds."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as started:
        yield started


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, Path]:
    """A varied input folder, and a gazetteer file adding a place only that file knows."""
    folder = tmp_path_factory.mktemp("corpus")
    shutil.copy(REPO / "tests" / "data" / "extract_cases.jsonl", folder / "a-cases.jsonl")
    (folder / "b-binary.txt").write_bytes(b"\x00\x01\x02\x03binary\x00\x00\xff" * 8)
    shutil.copy(REPO / "dashboard" / "demo" / "reports.jsonl", folder / "c-demo.jsonl")
    (folder / "d-mixed.jsonl").write_text(
        '{"text": "Rebels seized the Lachin border crossing on Sunday, officials said.", "report_date": "2023-09-26"}\n'
        "{not json\n"
        '{"title": "no text"}\n'
        '{"html": "<html><body><p>ISIL fighters overran the Al-Qaim crossing yesterday, officials '
        'said.</p></body></html>", "report_date": "2014-06-22", "source": "Wire"}\n', encoding="utf-8")
    (folder / "e-plain.txt").write_text("BAGHDAD, June 23 (Wire) - Islamic State militants seized the Al-Waleed "
                                        "border crossing on Sunday, officials said.\n", encoding="utf-8")
    places = tmp_path_factory.mktemp("gazetteer") / "places.csv"
    places.write_text(EXTRA_PLACES, encoding="utf-8")
    return folder, places


def _run(folder: Path, extractor: Extractor, **how) -> tuple[list, BatchSummary]:
    summary = BatchSummary()
    pairs = [(report.name, [claim.to_dict() for claim in claims])
             for report, claims in extract_reports(read_inputs([str(folder)]), extractor, summary, **how)]
    return pairs, summary


def test_claims_on_the_cluster_equal_the_one_process_claims_in_order(cluster, corpus):
    folder, places = corpus
    extractor = Extractor(load_gazetteer(places))
    alone, alone_summary = _run(folder, extractor)
    # Chunks of 4 reports: many tasks, several in flight, results reordered back to input order.
    spread, spread_summary = _run(folder, extractor, scheduler=cluster.scheduler_address, chunksize=4)
    assert len(alone) > 50 and sum(len(claims) for _, claims in alone) > 50
    assert spread == alone  # every field of every claim, same reports, same order
    assert spread_summary == alone_summary
    assert [s.name for s in alone_summary.skipped] == [
        str(folder / "b-binary.txt"), f"{folder / 'd-mixed.jsonl'}, line 2", f"{folder / 'd-mixed.jsonl'}, line 3"]
    # The user's gazetteer reached the workers: a place only it names gets its claim there too.
    assert any(claim["place_id"] == "lachin" for _, claims in spread for claim in claims)


def test_a_client_on_the_cluster_reuses_it_and_leaves_it_running(cluster, corpus):
    folder, _ = corpus
    extractor = Extractor(load_gazetteer())
    with dask_client(cluster.scheduler_address) as client:
        assert len(client.nthreads()) == 2
    assert _run(folder, extractor, scheduler=cluster.scheduler_address) == _run(folder, extractor)


# -- the command line, in its own process as a user runs it ---------------------------------------------
def _cli(*args, timeout: int = 180, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env={**os.environ, **env})


def _store_rows(db: Path) -> dict[str, list]:
    with sqlite3.connect(db) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(reports)") if row[1] != "ingested_at"]
        return {"reports": connection.execute(f"SELECT {', '.join(columns)} FROM reports ORDER BY id").fetchall(),
                "claims": connection.execute("SELECT * FROM claims ORDER BY id").fetchall()}


@pytest.fixture(scope="module")
def single_store(corpus, tmp_path_factory) -> Path:
    folder, places = corpus
    db = tmp_path_factory.mktemp("single") / "store.db"
    done = _cli("extract", folder, "--db", db, "--gazetteer", places, "--batch-size", "7")
    assert done.returncode == 3, done.stderr  # the corpus holds unreadable inputs: exit 3 (issue 16)
    return db


def test_cli_on_a_running_scheduler_stores_what_one_process_stores(cluster, corpus, single_store, tmp_path):
    folder, places = corpus
    db = tmp_path / "store.db"
    done = _cli("extract", folder, "--db", db, "--gazetteer", places, "--batch-size", "7",
                "--scheduler", cluster.scheduler_address)
    assert done.returncode == 3, done.stderr  # the corpus holds unreadable inputs: exit 3 (issue 16)
    assert "skipped" in done.stderr and "stored" in done.stderr
    assert "distributed" not in done.stderr and "Traceback" not in done.stderr  # Dask's logging kept quiet
    expected = _store_rows(single_store)
    assert len(expected["claims"]) > 50
    assert _store_rows(db) == expected


def test_cli_workers_start_a_local_cluster_with_the_same_result(corpus, single_store, tmp_path):
    folder, places = corpus
    db = tmp_path / "store.db"
    done = _cli("extract", folder, "--db", db, "--gazetteer", places, "--batch-size", "7", "--workers", "2")
    assert done.returncode == 3, done.stderr  # the corpus holds unreadable inputs: exit 3 (issue 16)
    assert "distributed" not in done.stderr and "Traceback" not in done.stderr
    assert _store_rows(db) == _store_rows(single_store)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_cli_unreachable_scheduler_is_a_one_line_error(corpus, tmp_path):
    folder, _ = corpus
    address = f"tcp://127.0.0.1:{_free_port()}"
    done = _cli("extract", folder, "--db", tmp_path / "store.db", "--scheduler", address, timeout=60,
                BORDERWATCH_DASK_TIMEOUT="2")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"borderwatch: error: cannot reach the Dask scheduler at {address}")


@pytest.mark.parametrize("address, message", [("10.0.0.5", "missing port"), ("udp://10.0.0.5:1", "unknown address"),
                                              ("tcp://:8786", "names no host")])
def test_a_malformed_address_is_refused_before_connecting(address, message):
    with pytest.raises(DaskError, match=message), dask_client(address):
        pass


def test_a_scheduler_without_workers_is_a_clear_error():
    with distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                  silence_logs=logging.CRITICAL) as empty:
        with pytest.raises(DaskError, match="no Dask worker joined"), dask_client(empty.scheduler_address, timeout=1):
            pass


def test_workers_and_scheduler_together_are_refused(corpus):
    from typer.testing import CliRunner

    from dashboard.cli import app

    folder, _ = corpus
    result = CliRunner().invoke(app, ["extract", str(folder), "--dry-run", "--workers", "2",
                                      "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2
    assert "not both" in result.stderr


def test_without_dask_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # what an environment without Dask imports
    with pytest.raises(DaskError, match=r"pip install 'dask\[distributed\]'"), dask_client("tcp://127.0.0.1:8786"):
        pass
