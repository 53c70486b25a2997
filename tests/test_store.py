"""The claims store: schema and versions, idempotent and atomic ingest, real processes, corrections.

Every test that can runs on SQLite and on a real PostgreSQL server (``tests/conftest_postgres.py``).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from helpers import assert_claims_equal, expected_claims, make_claim, make_report, synthetic_report

from geodata.store import SCHEMA_VERSION, ClaimStore, StoreError
from geodata.timeline import as_of

TESTS = Path(__file__).resolve().parent

RABIA_TEXT = "Kurdish Peshmerga forces retook the Rabia border crossing on Sunday, officials said."
WALEED_TEXT = "Militants seized the Al-Waleed border post on Sunday, a border guard officer said."


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    """Where a new store goes: a SQLite file, or a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("postgres_url")  # only PostgreSQL tests start the server


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request, tmp_path):
    """An empty store: in memory, in a SQLite file, in PostgreSQL (the back ends the code supports)."""
    if request.param == "postgresql":
        db = request.getfixturevalue("postgres_url")
    else:
        db = ":memory:" if request.param == "memory" else str(tmp_path / "store.db")
    opened = ClaimStore(db)
    yield opened
    opened.close()


@pytest.fixture
def rabia_report():
    return make_report(RABIA_TEXT, [{"place_id": "rabia", "party": "krg", "event_date": "2014-09-28"}],
                       url="https://example.org/rabia", report_date="2014-09-30")


@pytest.fixture
def waleed_report():
    return make_report(WALEED_TEXT, [
        {"place_id": "al-waleed", "party": "isil", "event_date": "2014-06-22"},
        {"place_id": "al-qaim", "party": "isil", "event_date": None},
    ], url="https://example.org/waleed", report_date="2014-06-23")


@pytest.fixture
def filled(store, rabia_report, waleed_report):
    store.add_reports([rabia_report, waleed_report])
    return store


def sqlite(path, sql: str, *params) -> list:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


def raw(db: str, statement: str, **params) -> list:
    """Run SQL on a store's database behind the store's back (bound ``:name`` parameters)."""
    url = db.replace("postgresql://", "postgresql+psycopg://", 1) if "://" in db else f"sqlite:///{db}"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def tables(db: str) -> set[str]:
    url = db.replace("postgresql://", "postgresql+psycopg://", 1) if "://" in db else f"sqlite:///{db}"
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


# -- schema -----------------------------------------------------------------------------------
def test_new_store_records_its_schema_version(db):
    ClaimStore(db).close()
    assert raw(db, "select value from meta where key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    assert {"meta", "reports", "claims", "corrections"} <= tables(db)
    assert ClaimStore(db).schema_version == SCHEMA_VERSION
    if "://" not in db:
        assert sqlite(db, "pragma journal_mode") == [("wal",)]  # readers and a writer at once


def test_reopening_a_store_keeps_its_data(db, rabia_report):
    ClaimStore(db).add_reports([rabia_report])
    again = ClaimStore(db, create=False)
    assert again.counts() == {"reports": 1, "claims": 1, "corrections": 0}


def test_store_from_a_newer_borderwatch_is_refused(db):
    ClaimStore(db).close()
    raw(db, "update meta set value = :v where key = 'schema_version'", v=str(SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 1} is newer.*upgrade borderwatch") as error:
        ClaimStore(db)
    assert "\n" not in str(error.value)


def test_store_with_an_unknown_older_version_is_refused_not_misread(db):
    ClaimStore(db).close()
    raw(db, "update meta set value = '0' where key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 0 cannot be upgraded"):
        ClaimStore(db)


def test_non_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 10)
    with pytest.raises(StoreError, match="not a SQLite database"):
        ClaimStore(path)
    assert path.read_text().startswith("these are my notes")  # left untouched


def test_sqlite_database_of_another_program_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "other.db"
    sqlite(path, "create table invoices (id integer primary key, total real)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"not a borderwatch store \(tables: invoices\)"):
        ClaimStore(path)
    # not even switched to WAL (a lasting change to the file) nor given -wal/-shm files
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["other.db"]


def test_postgres_database_of_another_program_is_refused_and_left_as_it_was(postgres_url):
    raw(postgres_url, "create table invoices (id integer primary key, total real)")
    raw(postgres_url, "insert into invoices values (1, 9.5)")
    with pytest.raises(StoreError, match=r"not a borderwatch store \(tables: invoices\)"):
        ClaimStore(postgres_url)
    assert tables(postgres_url) == {"invoices"}
    assert raw(postgres_url, "select * from invoices") == [(1, 9.5)]


def test_postgis_table_does_not_make_a_database_foreign(postgres_url, rabia_report):
    # what CREATE EXTENSION postgis leaves in a new database (PostGIS is optional, not required)
    raw(postgres_url, "create table spatial_ref_sys (srid integer primary key, srtext text)")
    store = ClaimStore(postgres_url)
    store.add_reports([rabia_report])
    assert ClaimStore(postgres_url, create=False).counts()["reports"] == 1


def test_missing_store_is_an_error_when_not_creating(db):
    with pytest.raises(StoreError, match="no such store|no store in this database"):
        ClaimStore(db, create=False)
    if "://" in db:
        assert tables(db) == set()  # an empty database is left empty
    else:
        assert not Path(db).exists()


def test_postgres_url_without_its_driver_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the `postgres` extra were not installed
    with pytest.raises(StoreError, match=r"no database driver .*pip install 'borderwatch\[postgres\]'") as error:
        ClaimStore("postgresql://analyst@127.0.0.1:1/borderwatch")
    assert "\n" not in str(error.value)


def test_unreachable_postgres_is_a_one_line_error_without_the_password():
    with pytest.raises(StoreError) as error:
        ClaimStore(f"postgresql://analyst:s3cret@127.0.0.1:{_closed_port()}/borderwatch")
    message = str(error.value)
    assert "\n" not in message and "s3cret" not in message
    assert message.startswith("postgresql://analyst:***@127.0.0.1:")


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nobody listens there


def test_store_in_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        ClaimStore(tmp_path / "no" / "such" / "store.db")


# -- idempotent ingest and versions ------------------------------------------------------------
def test_ingest_stores_reports_and_claims(store, rabia_report, waleed_report):
    result = store.add_reports([rabia_report, waleed_report])
    assert (result.added, result.claims, result.duplicates, result.versions) == (2, 3, 0, 0)
    assert_claims_equal(store.claims_frame(), rabia_report[1] + waleed_report[1])
    reports = store.reports_frame().set_index("report_id")
    assert reports.loc[rabia_report[0]["report_id"], "url"] == "https://example.org/rabia"


def test_same_report_twice_adds_nothing(store, rabia_report):
    store.add_reports([rabia_report])
    before = store.counts()
    again = store.add_reports([rabia_report])
    twice_in_one_batch = store.add_reports([rabia_report, rabia_report])
    assert (again.added, again.duplicates, again.claims) == (0, 1, 0)
    assert (twice_in_one_batch.added, twice_in_one_batch.duplicates) == (0, 2)
    assert store.counts() == before == {"reports": 1, "claims": 1, "corrections": 0}


def test_same_report_twice_in_a_new_batch_adds_nothing(store, rabia_report):
    result = store.add_reports([rabia_report, rabia_report])
    assert (result.added, result.duplicates) == (1, 1)
    assert store.counts()["claims"] == 1


def test_changed_report_at_same_url_is_a_new_version_and_old_claims_stay_traceable(store):
    url = "https://example.org/live-blog"
    first = make_report("Militants hold Rabia.", [{"place_id": "rabia", "party": "isil"}], url=url)
    second = make_report("Update: Peshmerga retook Rabia.", [{"place_id": "rabia", "party": "krg"}], url=url)
    store.add_reports([first])
    result = store.add_reports([second])
    assert (result.added, result.versions) == (1, 1)

    assert_claims_equal(store.claims_frame(), second[1])
    everything = store.claims_frame(include_superseded=True)
    assert_claims_equal(everything, first[1] + second[1])
    old = everything[everything["report_id"] == first[0]["report_id"]]
    assert list(old["superseded_by"]) == [second[0]["report_id"]]

    reports = store.reports_frame().set_index("report_id")
    assert reports.loc[first[0]["report_id"], "version"] == 1
    assert reports.loc[second[0]["report_id"], "version"] == 2
    assert reports.loc[first[0]["report_id"], "superseded_by"] == second[0]["report_id"]
    assert pd.isna(reports.loc[second[0]["report_id"], "superseded_by"])
    # and the state follows the current version only
    assert as_of(store.claims_frame())["party"].tolist() == ["krg"]


def test_three_versions_of_one_url_in_one_batch_leave_one_current(store):
    url = "https://example.org/live"
    versions = [make_report(f"Live blog, update {n}: Rabia.", [{"place_id": "rabia", "party": party}], url=url)
                for n, party in enumerate(["isil", "iraq-gov", "krg"])]
    store.add_reports(versions)
    reports = store.reports_frame().set_index("report_id")
    current = reports[reports["superseded_by"].isna()]
    assert list(current.index) == [versions[-1][0]["report_id"]]
    assert sorted(reports["version"]) == [1, 2, 3]
    assert_claims_equal(store.claims_frame(), versions[-1][1])
    assert_claims_equal(store.claims_frame(include_superseded=True), [c for _, cs in versions for c in cs])


def test_report_dates_are_distinct_sorted_and_current_only(store):
    store.add_reports([
        make_report("a", [{"place_id": "rabia"}], report_date="2014-09-30"),
        make_report("b", [{"place_id": "al-qaim"}], report_date="2014-06-23"),
        make_report("c", [{"place_id": "trebil"}], report_date="2014-09-30"),
        make_report("d", [], report_date=None),
        make_report("old", [], url="https://example.org/x", report_date="2013-01-01"),
    ])
    store.add_reports([make_report("new", [], url="https://example.org/x", report_date="2014-07-01")])
    assert store.report_dates() == [date(2014, 6, 23), date(2014, 7, 1), date(2014, 9, 30)]


def test_empty_store_reads_as_empty_frames(store):
    assert store.claims_frame().empty
    assert store.report_dates() == []
    assert as_of(store.claims_frame()).empty


def test_nul_characters_in_a_report_are_stored_on_every_backend(store):
    # PostgreSQL text cannot hold NUL (SQLite can); the report must still go in, whole.
    item = make_report("A report\x00 with a NUL.", [{"place_id": "rabia", "evidence": "Rabia\x00 held."}])
    assert store.add_reports([item]).added == 1
    evidence = store.claims_frame()["evidence"].iloc[0]
    assert evidence in ("Rabia\x00 held.", "Rabia\ufffd held.")
    assert store.has_report(item[0]["report_id"])


def test_frames_have_the_same_types_on_sqlite_and_postgresql(tmp_path, postgres_url, rabia_report, waleed_report):
    frames = {}
    for name, db in (("sqlite", str(tmp_path / "store.db")), ("postgresql", postgres_url)):
        store = ClaimStore(db)
        store.add_reports([rabia_report, waleed_report])
        store.add_correction("set", place_id="rabia", party="isil", event_date=date(2014, 9, 29), author="a")
        frames[name] = (store.claims_frame(), store.corrections_frame(), store.reports_frame(),
                        store.report_dates(), store.counts(), store.check())
        store.close()
    lite, pg = frames["sqlite"], frames["postgresql"]
    for lite_frame, pg_frame in zip(lite[:3], pg[:3]):
        assert list(lite_frame.columns) == list(pg_frame.columns)
        assert dict(lite_frame.dtypes) == dict(pg_frame.dtypes)
        drop = [c for c in ("id", "created_at") if c in lite_frame.columns]
        pd.testing.assert_frame_equal(lite_frame.drop(columns=drop), pg_frame.drop(columns=drop))
    claims = pg[0]
    assert {type(v) for v in claims["report_date"]} == {date}
    assert {type(v) for v in claims["event_date"].dropna()} == {date}
    assert lite[3:] == pg[3:]
    assert all(type(d) is date for d in pg[3])


# -- atomic per report ---------------------------------------------------------------------
def test_constraint_violation_in_the_middle_of_a_batch_stores_none_of_it(store, rabia_report, waleed_report):
    broken_text = "A report whose one claim is stored twice."
    broken = make_report(broken_text, [{"place_id": "trebil", "party": "isil"}])
    broken = (broken[0], broken[1] * 2)  # same claim key twice in one report: a UNIQUE violation
    with pytest.raises(StoreError):
        store.add_reports([rabia_report, broken, waleed_report])
    assert store.counts() == {"reports": 0, "claims": 0, "corrections": 0}
    store.add_reports([rabia_report, waleed_report])  # the store still works
    assert store.counts()["reports"] == 2


def test_claim_of_an_unknown_report_rolls_back_the_batch(store, rabia_report):
    stray = make_claim(report_id="no-such-report")
    orphaned = ({**rabia_report[0]}, [*rabia_report[1], stray])
    with pytest.raises(StoreError):
        store.add_reports([orphaned])
    assert store.counts()["reports"] == 0
    assert store.check() == []


def test_exception_while_iterating_a_batch_stores_none_of_it(store, rabia_report, waleed_report):
    def batch():
        yield rabia_report
        yield waleed_report
        raise RuntimeError("reader failed half way")

    with pytest.raises(RuntimeError, match="half way"):
        store.add_reports(batch())
    assert store.counts()["reports"] == 0


def test_a_generator_batch_is_stored_whole(store, rabia_report, waleed_report):
    result = store.add_reports(item for item in [rabia_report, waleed_report])
    assert result.added == 2
    assert store.counts() == {"reports": 2, "claims": 3, "corrections": 0}


# -- real processes ------------------------------------------------------------------------
def _worker(db: str, size: int, numbers: list[int], go: Path | None = None) -> subprocess.Popen:
    """An ingest process (``helpers.ingest_main``); with ``go``, it starts once that file exists."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    if go is not None:
        env["BORDERWATCH_TEST_GO"] = str(go)
    wait = go is not None
    args = [sys.executable, "-c", "import sys, helpers; helpers.ingest_main(sys.argv[1:])",
            str(db), str(size), *map(str, numbers)] + (["--wait"] if wait else [])
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _assert_every_report_whole(db: str, numbers: list[int]) -> set[str]:
    """Each stored report has exactly the claims its batch gave it; returns the stored ids."""
    by_id = {synthetic_report(n)[0]["report_id"]: n for n in numbers}
    stored = {row[0] for row in raw(db, "select report_id from reports")}
    counts = dict(raw(db, "select report_id, count(*) from claims group by report_id"))
    assert stored <= set(by_id)
    for rid in stored:
        assert counts.get(rid, 0) == expected_claims(by_id[rid]), f"report {by_id[rid]} is partly stored"
    assert set(counts) <= stored
    return stored


@pytest.mark.slow
def test_kill_9_during_ingest_leaves_every_report_whole_and_a_rerun_completes(db):
    numbers = list(range(10_000))  # the batch: 10,000 reports, 50 a transaction
    ClaimStore(db).close()
    worker = _worker(db, 50, numbers)
    try:
        assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        target = random.Random(7).randint(15, 40)
        for _ in range(target):
            line = worker.stdout.readline()
            assert line.startswith("batch"), worker.stderr.read()
        time.sleep(random.Random(8).uniform(0, 0.01))  # somewhere inside the next transactions
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL

    after_kill = ClaimStore(db)
    assert after_kill.check() == []
    stored = _assert_every_report_whole(db, numbers)
    assert 50 * target <= len(stored) < len(numbers)  # killed part way, committed batches kept
    after_kill.close()

    rerun = _worker(db, 50, numbers)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    final = ClaimStore(db)
    assert final.check() == []
    stored = _assert_every_report_whole(db, numbers)
    assert len(stored) == len(numbers)
    assert final.counts()["claims"] == sum(expected_claims(n) for n in numbers)
    keys = raw(db, "select report_id, key, count(*) from claims group by report_id, key "
                   "having count(*) > 1")
    assert keys == []


@pytest.mark.slow
def test_four_processes_ingesting_overlapping_batches_lose_nothing(db, tmp_path):
    go = tmp_path / "go"
    union = list(range(160))
    slices = [union[i * 30:i * 30 + 70] for i in range(4)]  # neighbours overlap by 40 reports
    for number, part in enumerate(slices):
        random.Random(number).shuffle(part)
    workers = [_worker(db, 4, part, go=go) for part in slices]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        go.touch()
        results = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for worker, (_, err) in zip(workers, results):
        assert worker.returncode == 0, err

    reference = ClaimStore(tmp_path / "reference.db")
    reference.add_reports([synthetic_report(n) for n in sorted(set().union(*slices))])
    shared = ClaimStore(db)
    assert shared.check() == []
    assert sorted(shared.reports_frame()["report_id"]) == sorted(reference.reports_frame()["report_id"])
    claim_keys = lambda s: Counter(zip(s.claims_frame()["report_id"], s.claims_frame()["claim_key"]))  # noqa: E731
    assert claim_keys(shared) == claim_keys(reference)
    assert shared.counts() == reference.counts()
    _assert_every_report_whole(db, union)


# -- corrections ---------------------------------------------------------------------------
def test_reject_removes_a_claim_from_the_current_claims(filled, waleed_report):
    waleed = waleed_report[1][0]
    filled.add_correction("reject", claim_key=waleed.key, note="misread", author="analyst")
    frame = filled.claims_frame()
    assert waleed.key not in set(frame["claim_key"])
    assert len(frame) == 2
    fixes = filled.corrections_frame()
    assert fixes.loc[0, "action"] == "reject" and fixes.loc[0, "author"] == "analyst"
    assert pd.notna(fixes.loc[0, "created_at"])
    assert "al-waleed" not in set(as_of(frame)["place_id"])


def test_set_correction_wins_over_extracted_claims_of_that_date(filled):
    filled.add_correction("set", place_id="rabia", party="isil", event_date=date(2014, 9, 28),
                          note="officials at the crossing say militants hold it", author="analyst")
    frame = filled.claims_frame()
    fix = frame[frame["rule"] == "correction"]
    assert len(fix) == 1 and fix.iloc[0]["party"] == "isil" and fix.iloc[0]["confidence"] == 1.0
    assert fix.iloc[0]["lat"] == pytest.approx(36.81167)  # the gazetteer's point, joined where claims are read
    state = as_of(frame, date(2014, 9, 30)).set_index("place_id")
    assert state.loc["rabia", "party"] == "isil"
    assert not state.loc["rabia", "contested"]  # the analyst settled it


def test_corrections_survive_reingest_and_reextraction(filled, rabia_report, waleed_report):
    waleed = waleed_report[1][0]
    filled.add_correction("reject", claim_key=waleed.key)
    filled.add_correction("set", place_id="rabia", party="iraq-gov", event_date=date(2014, 9, 29))
    # the same reports again (a re-run of the extractor gives the same claims and keys)
    filled.add_reports([rabia_report, waleed_report])
    filled.add_reports([make_report("Another report about Trebil.", [{"place_id": "trebil", "party": "isil"}])])
    assert len(filled.corrections_frame()) == 2
    frame = filled.claims_frame()
    assert waleed.key not in set(frame["claim_key"])
    assert as_of(frame, date(2014, 9, 30)).set_index("place_id").loc["rabia", "party"] == "iraq-gov"


def test_a_correction_must_say_what_it_corrects(store):
    with pytest.raises(ValueError, match="claim_key"):
        store.add_correction("reject")
    with pytest.raises(ValueError, match="place_id, party and event_date"):
        store.add_correction("set", place_id="rabia", party="krg")
    with pytest.raises(ValueError, match="unknown correction"):
        store.add_correction("delete", claim_key="x")
    assert store.counts()["corrections"] == 0


def test_correction_on_one_side_of_a_crossing(filled):
    filled.add_correction("set", place_id="al-qaim", side="SY", party="syria-gov", event_date=date(2014, 6, 23))
    state = as_of(filled.claims_frame(), date(2014, 6, 23)).set_index("place_id")
    sides = {s["side"]: s["party"] for s in state.loc["al-qaim", "sides"]}
    assert sides == {"IQ": "isil", "SY": "syria-gov"} and state.loc["al-qaim", "status"] == "split"


# -- normalised tables -------------------------------------------------------------------------
def test_claims_hold_ids_and_facts_are_joined_where_claims_are_read(store):
    item = make_report("Peshmerga hold Rabia.", [{"place_id": "rabia", "party": "krg"}], url="https://e.org/r")
    store.add_reports([item])
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("claims")}
    assert {"key", "rule", "event_precision"} <= columns
    assert not columns & {"claim_key", "construction", "place", "kind", "lat", "lon", "party_label", "source",
                          "url", "report_date"}
    (row,) = store.claims_frame().to_dict("records")
    assert (row["place_name"], row["kind"], row["party_label"]) == ("Rabia", "crossing",
                                                                    "Kurdistan Region forces (Peshmerga)")
    assert (row["lat"], row["lon"], row["countries"]) == (36.81167, 42.06639, "IQ|SY")
    assert (row["url"], row["source"], row["report_date"]) == ("https://e.org/r", "Test Wire", date(2014, 9, 30))


def test_a_place_of_a_user_gazetteer_keeps_its_point_without_that_gazetteer(store):
    from geodata.gazetteer import load_gazetteer, read_places_file

    extra = TESTS / "extra-places.csv"
    extra.write_text("id,name,kind,country_a,country_b,country,lat,lon,source\n"
                     "zz-test,ZZ Test,crossing,IQ,SY,,34.5,41.0,test\n", encoding="utf-8")
    try:
        gazetteer = load_gazetteer().with_places(read_places_file(extra))
    finally:
        extra.unlink()
    store.add_correction("set", place_id="zz-test", party="krg", event_date=date(2014, 6, 30), gazetteer=gazetteer)
    (row,) = store.claims_frame().to_dict("records")  # read with the shipped gazetteer only
    assert (row["place_name"], row["lat"], row["lon"], row["countries"]) == ("ZZ Test", 34.5, 41.0, "IQ|SY")


def test_a_place_known_nowhere_has_no_point_rather_than_a_made_up_one(store):
    store.add_correction("set", place_id="nowhere", party="krg", event_date=date(2014, 6, 30))
    (row,) = store.claims_frame().to_dict("records")
    assert row["place_name"] == "nowhere" and pd.isna(row["lat"]) and pd.isna(row["lon"])


V1_CLAIMS = """CREATE TABLE claims (
    id INTEGER PRIMARY KEY, claim_key VARCHAR(40) NOT NULL, report_id VARCHAR(64) NOT NULL REFERENCES reports (report_id),
    place_id VARCHAR(120) NOT NULL, place TEXT NOT NULL, kind VARCHAR(16) NOT NULL, side VARCHAR(8),
    party VARCHAR(64) NOT NULL, party_label TEXT NOT NULL, status VARCHAR(20) NOT NULL, report_date DATE,
    event_date DATE, source TEXT NOT NULL, url TEXT NOT NULL, evidence TEXT NOT NULL, span_start INTEGER NOT NULL,
    span_end INTEGER NOT NULL, confidence FLOAT NOT NULL, lat FLOAT NOT NULL, lon FLOAT NOT NULL,
    extractor_version VARCHAR(32) NOT NULL, construction VARCHAR(40) NOT NULL,
    CONSTRAINT uq_claims_report_key UNIQUE (report_id, claim_key))"""


def _make_v1_store(db: str, report) -> None:
    """A store as borderwatch with schema version 1 left it: place facts copied into every claim."""
    ClaimStore(db).close()
    record, (claim,) = report
    raw(db, "DROP TABLE claims")
    raw(db, "DROP TABLE places")
    raw(db, "ALTER TABLE corrections DROP COLUMN side")
    raw(db, V1_CLAIMS)
    raw(db, "CREATE INDEX ix_claims_place ON claims (place_id)")
    raw(db, "CREATE INDEX ix_claims_report ON claims (report_id)")
    raw(db, "INSERT INTO reports (report_id, url, source, title, name, report_date, text, version, ingested_at) "
            "VALUES (:r, :u, 'Wire', '', 'old', :d, :t, 1, :now)", r=record["report_id"], u=record["url"],
        d=record["report_date"], t=record["text"], now=datetime(2020, 1, 1))
    raw(db, "INSERT INTO claims (id, claim_key, report_id, place_id, place, kind, side, party, party_label, status, "
            "report_date, event_date, source, url, evidence, span_start, span_end, confidence, lat, lon, "
            "extractor_version, construction) VALUES (7, :k, :r, 'rabia', 'Rabia', 'crossing', NULL, 'krg', 'Peshmerga',"
            " 'controls', :d, :e, 'Wire', :u, :ev, 0, 40, 0.9, 36.8, 42.1, '0.1', 'active')",
        k=claim.key, r=record["report_id"], d=record["report_date"], e=claim.event_date, u=record["url"],
        ev=claim.evidence)
    raw(db, "INSERT INTO claims (id, claim_key, report_id, place_id, place, kind, side, party, party_label, status, "
            "report_date, event_date, source, url, evidence, span_start, span_end, confidence, lat, lon, "
            "extractor_version, construction) VALUES (8, 'k2', :r, 'zz-gone', 'ZZ Gone', 'crossing', NULL, 'isil',"
            " 'ISIL', 'controls', :d, NULL, 'Wire', :u, 'ISIL holds ZZ.', 50, 90, 0.9, 35.0, 41.5, '0.1', 'active')",
        r=record["report_id"], d=record["report_date"], u=record["url"])
    raw(db, "INSERT INTO corrections (action, place_id, party, status, event_date, note, author, created_at) "
            "VALUES ('set', 'lost-place', 'krg', 'controls', :d, '', 'me', :now)", d=date(2014, 10, 1),
        now=datetime(2020, 1, 1))
    raw(db, "UPDATE meta SET value = '1' WHERE key = 'schema_version'")


def test_a_version_1_store_is_migrated_to_normalised_tables(db, rabia_report):
    _make_v1_store(db, rabia_report)
    store = ClaimStore(db)
    assert store.schema_version == SCHEMA_VERSION
    frame = store.claims_frame().set_index("place_id")
    assert frame.loc["rabia", "claim_key"] == rabia_report[1][0].key
    assert frame.loc["rabia", "rule"] == "active" and frame.loc["rabia", "lat"] == 36.81167  # the gazetteer's
    assert (frame.loc["zz-gone", "place_name"], frame.loc["zz-gone", "lat"]) == ("ZZ Gone", 35.0)  # remembered
    assert pd.isna(frame.loc["lost-place", "lat"])  # a v1 correction with no point anywhere: none invented
    # the migrated store takes new claims, and their ids follow the old ones
    store.add_reports([make_report("New text.", [{"place_id": "al-qaim", "party": "isil"}])])
    assert store.revision()[1] == 9
    store.add_correction("set", place_id="rabia", side="IQ", party="iraq-gov", event_date=date(2014, 10, 2))
    assert ClaimStore(db, create=False).counts() == {"reports": 2, "claims": 3, "corrections": 2}


# -- versions and re-runs ------------------------------------------------------------------------
def test_versions_at_one_url_are_ordered_by_report_date_not_by_ingestion(store):
    url = "https://example.org/story"
    original = make_report("ISIL holds Rabia.", [{"place_id": "rabia", "party": "isil"}], url=url,
                           report_date="2014-06-23")
    correction = make_report("Correction: Peshmerga hold Rabia.", [{"place_id": "rabia", "party": "krg"}], url=url,
                             report_date="2014-06-24")
    store.add_reports([correction])
    result = store.add_reports([original])  # the older text arrives last
    assert result.versions == 1
    reports = store.reports_frame().set_index("report_id")
    assert reports.loc[original[0]["report_id"], "version"] == 1
    assert reports.loc[correction[0]["report_id"], "version"] == 2
    assert reports.loc[original[0]["report_id"], "superseded_by"] == correction[0]["report_id"]
    assert as_of(store.claims_frame())["party"].tolist() == ["krg"]  # the correction stays current


def test_same_date_versions_and_undated_ones_follow_ingestion(store):
    url = "https://example.org/live"
    first = make_report("Update 1: ISIL holds Rabia.", [{"place_id": "rabia", "party": "isil"}], url=url,
                        report_date="2014-06-23")
    undated = make_report("Update 2: Peshmerga hold Rabia.", [{"place_id": "rabia", "party": "krg"}], url=url,
                          report_date=None)
    store.add_reports([first])
    store.add_reports([undated])
    reports = store.reports_frame().set_index("report_id")
    assert reports.loc[undated[0]["report_id"], "version"] == 2
    assert pd.isna(reports.loc[undated[0]["report_id"], "superseded_by"])


def test_a_rerun_with_a_report_date_dates_a_stored_undated_report(store):
    text = "Peshmerga retook Rabia yesterday."
    undated = make_report(text, [{"place_id": "rabia", "party": "krg", "event_date": None}], report_date=None)
    store.add_reports([undated])
    assert store.report_dates() == [] and as_of(store.claims_frame()).empty  # invisible on the timeline
    dated = make_report(text, [{"place_id": "rabia", "party": "krg", "event_date": "2014-09-29"}],
                        report_date="2014-09-30")
    result = store.add_reports([dated])
    assert (result.dated, result.duplicates, result.added, result.claims) == (1, 0, 0, 1)
    assert store.report_dates() == [date(2014, 9, 30)]
    (row,) = store.claims_frame().to_dict("records")
    assert (row["report_date"], row["event_date"]) == (date(2014, 9, 30), date(2014, 9, 29))
    assert store.add_reports([dated]).duplicates == 1  # and a third run adds nothing
    assert store.counts() == {"reports": 1, "claims": 1, "corrections": 0}
