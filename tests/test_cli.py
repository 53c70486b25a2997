"""The ``borderwatch`` commands: extract into a store, export with filters, corrections, bad input, the seed."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from dashboard.cli import app

TESTS = Path(__file__).resolve().parent
SCHEMA = json.loads((TESTS / "schemas" / "geojson.schema.json").read_text(encoding="utf-8"))
COLLECTION = Draft202012Validator(SCHEMA)

# Reports in our own words.
RABIA = "Kurdish Peshmerga forces retook the Rabia border crossing on Sunday, officials said.\n"
WALEED = ("Islamic State militants seized the Al-Waleed border crossing on Sunday, border officials said. "
          "Islamic State fighters overran Nineveh province on June 10, officials said.\n")


def run(*args: str):
    """Invoke the CLI in this process (fast); stdout and stderr kept apart."""
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def run_process(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run the real console script in its own process."""
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=120, **kwargs)


def features(result, sides: bool = False) -> dict[str, dict]:
    """The exported features by id: each place's own feature (with ``sides``, the sides' features too)."""
    collection = json.loads(result.stdout)
    errors = list(COLLECTION.iter_errors(collection))
    assert not errors, errors[0].message
    return {f["id"]: f for f in collection["features"] if sides or f["properties"].get("whole", True)}


@pytest.fixture(scope="module")
def report_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    (folder / "rabia.txt").write_text(RABIA, encoding="utf-8")
    (folder / "waleed.txt").write_text(WALEED, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def filled_db(tmp_path_factory, report_files):
    """A store filled by ``borderwatch extract`` of our two reports (shared: copy before changing it)."""
    db = tmp_path_factory.mktemp("store") / "store.db"
    for name, day in (("waleed.txt", "2014-06-23"), ("rabia.txt", "2014-09-30")):
        result = run("extract", report_files / name, "--report-date", day, "--source", "Test Wire", "--db", db)
        assert result.exit_code == 0, result.output
        assert "stored 1 new reports" in result.stderr
    return db


@pytest.fixture
def db(filled_db, tmp_path):
    """A private copy of the filled store."""
    copy = tmp_path / "store.db"
    with sqlite3.connect(filled_db) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # the file alone may lack what is still in its write-ahead log
    return copy


# -- extract + export ------------------------------------------------------------------------
def test_export_writes_the_state_of_the_extracted_reports(filled_db, gazetteer):
    found = features(run("export", "--db", filled_db))
    assert sorted(found) == ["al-waleed", "nineveh", "rabia"]
    rabia = found["rabia"]["properties"]
    assert (rabia["party"], rabia["status"], rabia["since"], rabia["last_report"]) == (
        "krg", "controls", "2014-09-28", "2014-09-30")
    assert rabia["sources"][0]["evidence"] == RABIA.strip()
    assert rabia["sources"][0]["source"] == "Test Wire"
    waleed = found["al-waleed"]["properties"]
    assert (waleed["party"], waleed["since"]) == ("isil", "2014-06-22")
    assert found["nineveh"]["properties"]["kind"] == "province"
    for place_id, feature in found.items():
        place = gazetteer.places[place_id]
        assert feature["geometry"]["coordinates"] == pytest.approx([place.lon, place.lat])


def test_extracting_the_same_report_again_adds_nothing(db, report_files):
    before = sqlite3.connect(db).execute("select count(*) from claims").fetchone()
    result = run("extract", report_files / "rabia.txt", "--report-date", "2014-09-30", "--db", db)
    assert result.exit_code == 0
    assert "stored 0 new reports (0 new versions), 1 already stored" in result.stderr
    assert sqlite3.connect(db).execute("select count(*) from claims").fetchone() == before


@pytest.mark.parametrize("as_of, expected", [
    ("2014-01-01", []),  # before every claim
    ("2014-06-21", ["nineveh"]),
    ("2014-06-22", ["al-waleed", "nineveh"]),
    ("2014-09-28", ["al-waleed", "nineveh", "rabia"]),
])
def test_export_as_of_a_date(filled_db, as_of, expected):
    result = run("export", "--db", filled_db, "--as-of", as_of)
    assert result.exit_code == 0
    assert sorted(features(result)) == expected
    assert json.loads(result.stdout)["borderwatch"]["as_of"] == as_of


@pytest.mark.parametrize("options, expected", [
    (["--party", "krg"], ["rabia"]),
    (["--party", "krg", "--party", "isil"], ["al-waleed", "nineveh", "rabia"]),
    (["--party", "syria-gov"], []),
    (["--kind", "province"], ["nineveh"]),
    (["--kind", "crossing"], ["al-waleed", "rabia"]),
    (["--bbox", "41.5,36.5,42.5,37.2"], ["rabia"]),  # a box around Rabia only
    (["--bbox", "38,30,48,38", "--kind", "crossing", "--party", "isil"], ["al-waleed"]),
])
def test_export_filters(filled_db, options, expected):
    result = run("export", "--db", filled_db, *options)
    assert result.exit_code == 0, result.output
    assert sorted(features(result)) == expected


def test_filters_are_recorded_in_the_file(filled_db):
    result = run("export", "--db", filled_db, "--party", "krg", "--kind", "crossing", "--bbox", "38,30,48,38",
                 "--as-of", "2014-10-01")
    meta = json.loads(result.stdout)["borderwatch"]
    assert (meta["parties"], meta["kinds"], meta["bbox"], meta["as_of"]) == (
        ["krg"], ["crossing"], [38.0, 30.0, 48.0, 38.0], "2014-10-01")
    from extract import EXTRACTOR_VERSION

    assert meta["extractor_version"] == EXTRACTOR_VERSION


@pytest.mark.parametrize("start, end, expected", [
    ("2014-06-01", "2014-06-30", {("al-waleed", "2014-06-22"), ("nineveh", "2014-06-10")}),
    ("2014-06-11", "2014-06-30", {("al-waleed", "2014-06-22")}),
    ("2014-09-01", "2014-09-30", {("rabia", "2014-09-28")}),
    ("2015-01-01", "2015-12-31", set()),
])
def test_export_of_a_date_range_gives_the_claims_in_it(filled_db, start, end, expected):
    result = run("export", "--db", filled_db, "--from", start, "--to", end)
    assert result.exit_code == 0, result.output
    found = features(result)
    assert {(f["properties"]["id"], f["properties"]["event_date"]) for f in found.values()} == expected
    meta = json.loads(result.stdout)["borderwatch"]
    assert (meta["date_from"], meta["date_to"]) == (start, end)


def test_export_to_files_in_every_format(filled_db, tmp_path):
    for fmt in ("geojson", "csv", "gpkg"):
        out = tmp_path / f"state.{fmt}"
        result = run("export", "--db", filled_db, "--format", fmt, "-o", out)
        assert result.exit_code == 0, result.output
        assert f"features (3 places and the sides of their crossings) to {out}" in result.stderr
    geojson = gpd.read_file(tmp_path / "state.geojson")
    gpkg = gpd.read_file(tmp_path / "state.gpkg", layer="borderwatch")
    import pandas as pd

    csv = pd.read_csv(tmp_path / "state.csv")
    places = [sorted(frame.loc[frame["whole"], "id"]) for frame in (geojson, gpkg, csv)]
    assert places == [["al-waleed", "nineveh", "rabia"]] * 3
    assert len(geojson) == len(gpkg) == len(csv) > 3  # and one feature per reported side of a crossing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.csv", "state.geojson", "state.gpkg"]


def test_export_through_the_real_console_script(filled_db, tmp_path):
    out = tmp_path / "state.geojson"
    done = run_process("export", "--db", filled_db, "--party", "isil", "-o", out)
    assert done.returncode == 0, done.stderr
    frame = gpd.read_file(out)
    assert sorted(frame.loc[frame["whole"], "id"]) == ["al-waleed", "nineveh"]


# -- bad input -------------------------------------------------------------------------------
def _not_sqlite(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("not a database at all\n" * 20)
    return path


def _other_sqlite(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("create table invoices (id integer)").connection.commit()
    return path


def _future_store(tmp_path, filled_db):
    path = tmp_path / "future.db"
    with sqlite3.connect(filled_db) as source, sqlite3.connect(path) as conn:
        source.backup(conn)
        conn.execute("update meta set value = '99' where key = 'schema_version'")
    return path


BAD_EXPORTS = {
    "nonexistent db": (lambda t, f: ["--db", t / "missing.db"], "missing.db: no such store"),
    "db is a folder": (lambda t, f: ["--db", t], "cannot"),
    "non-SQLite db": (lambda t, f: ["--db", _not_sqlite(t)], "not a SQLite database"),
    "another program's db": (lambda t, f: ["--db", _other_sqlite(t)], "not a borderwatch store"),
    "newer store": (lambda t, f: ["--db", _future_store(t, f)], "schema version 99 is newer"),
    "malformed as-of": (lambda t, f: ["--db", f, "--as-of", "2014-13-01"], "--as-of '2014-13-01' is not a date"),
    "malformed from": (lambda t, f: ["--db", f, "--from", "last week", "--to", "2014-06-30"],
                       "--from 'last week' is not a date"),
    "reversed range": (lambda t, f: ["--db", f, "--from", "2014-07-01", "--to", "2014-06-01"], "reversed"),
    "bbox W > E": (lambda t, f: ["--db", f, "--bbox", "48,30,38,38"], "west 48.0 is greater than east 38.0"),
    "bbox latitude": (lambda t, f: ["--db", f, "--bbox", "38,30,48,98"], "latitude out of range"),
    "bbox not numbers": (lambda t, f: ["--db", f, "--bbox", "west,30,48,38"], "--bbox 'west,30,48,38'"),
    "bbox three numbers": (lambda t, f: ["--db", f, "--bbox", "38,30,48"], "needs 4 numbers"),
    "unknown party": (lambda t, f: ["--db", f, "--party", "krg", "--party", "martians"], "unknown party id 'martians'"),
    "missing output folder": (lambda t, f: ["--db", f, "-o", t / "no-such-folder" / "out.geojson"],
                              "does not exist"),
    "output is a folder": (lambda t, f: ["--db", f, "-o", t], "cannot write"),
    "gpkg to stdout": (lambda t, f: ["--db", f, "--format", "gpkg"], "needs an output file"),
}


@pytest.mark.parametrize("case", list(BAD_EXPORTS))
def test_bad_export_input_is_one_line_nonzero_and_writes_nothing(case, filled_db, tmp_path):
    make_args, message = BAD_EXPORTS[case]
    workdir = tmp_path / "work"
    workdir.mkdir()
    args = make_args(workdir, filled_db)
    before = sorted(p.name for p in workdir.rglob("*"))
    out_args = [] if "-o" in args else ["-o", workdir / "out.geojson"]
    if case == "gpkg to stdout":
        out_args = []
    result = run("export", *args, *out_args)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("borderwatch: error: ")
    assert message in lines[0]
    assert result.stdout == ""
    assert sorted(p.name for p in workdir.rglob("*")) == before  # no output, no temporary, no new store


def test_bad_input_through_the_real_console_script(tmp_path):
    done = run_process("export", "--db", tmp_path / "missing.db", "-o", tmp_path / "out.geojson")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [f"borderwatch: error: {tmp_path / 'missing.db'}: no such store"]
    assert list(tmp_path.iterdir()) == []


def test_default_store_comes_from_the_environment(filled_db, tmp_path):
    done = run_process("export", cwd=tmp_path, env={**os.environ, "BORDERWATCH_DB": str(filled_db)})
    assert done.returncode == 0, done.stderr
    assert len([f for f in json.loads(done.stdout)["features"] if f["properties"]["whole"]]) == 3
    assert list(tmp_path.iterdir()) == []  # no ./borderwatch.db created


# -- corrections -----------------------------------------------------------------------------
def _claim_key(db, place_id: str) -> str:
    result = run("export", "--db", db, "--from", "2000-01-01", "--to", "2100-01-01")
    (key,) = [f["id"] for f in features(result).values() if f["properties"]["id"] == place_id]
    return key


def test_correct_reject_removes_a_claim_from_the_export(db):
    key = _claim_key(db, "rabia")
    result = run("correct", "reject", key, "--note", "misread", "--author", "tester", "--db", db)
    assert result.exit_code == 0, result.output
    assert f"rejected claim {key}" in result.stderr
    assert sorted(features(run("export", "--db", db))) == ["al-waleed", "nineveh"]
    # and re-extracting the report does not bring it back
    (report := db.parent / "again.txt").write_text(RABIA, encoding="utf-8")
    assert run("extract", report, "--report-date", "2014-09-30", "--db", db).exit_code == 0
    assert sorted(features(run("export", "--db", db))) == ["al-waleed", "nineveh"]


def test_correct_set_wins_over_the_extracted_claim_of_that_date(db):
    result = run("correct", "set", "rabia", "isil", "2014-09-28", "--note", "officials at the gate disagree",
                 "--author", "tester", "--db", db)
    assert result.exit_code == 0, result.output
    rabia = features(run("export", "--db", db))["rabia"]["properties"]
    assert (rabia["party"], rabia["status"], rabia["contested"]) == ("isil", "controls", False)
    assert rabia["party_label"] == "Islamic State (ISIL)"
    assert any(s["evidence"] == "officials at the gate disagree" for s in rabia["sources"])
    # the day before, the store still has nothing about Rabia
    assert "rabia" not in features(run("export", "--db", db, "--as-of", "2014-09-27"))


def test_correct_set_for_a_place_without_claims_uses_the_gazetteer(db, gazetteer):
    assert run("correct", "set", "safwan", "iraq-gov", "2014-07-01", "--db", db).exit_code == 0
    result = run("export", "--db", db)
    assert "NaN" not in result.stdout
    safwan = features(result)["safwan"]
    place = gazetteer.places["safwan"]
    assert safwan["geometry"]["coordinates"] == pytest.approx([place.lon, place.lat])
    assert (safwan["properties"]["name"], safwan["properties"]["kind"]) == (place.name, "crossing")


def test_a_place_of_a_user_gazetteer_exports_with_its_point_without_that_gazetteer(db, tmp_path):
    # issue 16, item 8: the correction remembers the place, so an export without --gazetteer has no NaN
    extra = tmp_path / "extra.csv"
    extra.write_text("id,name,kind,country_a,country_b,lat,lon,source\n"
                     "zz-test,ZZ Test,crossing,IQ,SY,34.5,41.0,test\n", encoding="utf-8")
    assert run("correct", "set", "zz-test", "krg", "2014-06-30", "--gazetteer", extra, "--db", db).exit_code == 0
    for args in ([], ["--from", "2014-01-01", "--to", "2015-01-01"]):
        result = run("export", "--db", db, *args)
        assert result.exit_code == 0 and "NaN" not in result.stdout
        json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"{name} in the export"))
        (zz,) = [f for f in json.loads(result.stdout)["features"] if f["properties"]["id"] == "zz-test"][:1]
        assert zz["geometry"]["coordinates"] == [41.0, 34.5] and zz["properties"]["name"] == "ZZ Test"


def test_correct_set_on_one_side_of_a_crossing(db):
    result = run("correct", "set", "rabia", "sdf", "2014-09-29", "--side", "sy", "--db", db)
    assert result.exit_code == 0, result.output
    assert "rabia (SY side) held by sdf" in result.stderr
    found = features(run("export", "--db", db, "--as-of", "2014-09-30"), sides=True)
    assert found["rabia/SY"]["properties"]["party"] == "sdf"
    assert found["rabia/IQ"]["properties"]["party"] == "krg"
    assert found["rabia"]["properties"]["status"] == "split"
    bad = run("correct", "set", "rabia", "sdf", "2014-09-29", "--side", "TR", "--db", db)
    assert bad.exit_code == 2 and "rabia has sides IQ, SY" in bad.stderr


@pytest.mark.parametrize("border, expected", [
    ("IQ-SY", ["al-waleed", "rabia"]), ("sy-iq", ["al-waleed", "rabia"]), ("IQ", ["nineveh"]), ("IQ-TR", []),
])
def test_export_by_border(filled_db, border, expected):
    result = run("export", "--db", filled_db, "--border", border)
    assert result.exit_code == 0, result.output
    assert sorted(features(result)) == expected
    assert json.loads(result.stdout)["borderwatch"]["borders"] == ["-".join(sorted(border.upper().split("-")))]


def test_an_unknown_border_is_refused(filled_db):
    result = run("export", "--db", filled_db, "--border", "XX-YY")
    assert result.exit_code == 2 and "unknown border 'XX-YY'" in result.stderr


def test_a_rerun_with_a_report_date_dates_the_stored_undated_report(tmp_path, report_files):
    db = tmp_path / "undated.db"
    first = run("extract", report_files / "rabia.txt", "--db", db)
    assert first.exit_code == 0 and "give --report-date" in first.stderr
    assert json.loads(run("export", "--db", db).stdout)["features"] == []  # invisible without a date
    again = run("extract", report_files / "rabia.txt", "--report-date", "2014-09-30", "--db", db)
    assert again.exit_code == 0, again.output
    assert "0 already stored; 1 stored report without a report date now dated" in again.stderr
    rabia = features(run("export", "--db", db))["rabia"]["properties"]
    assert (rabia["party"], rabia["since"], rabia["last_report"]) == ("krg", "2014-09-28", "2014-09-30")
    assert "1 already stored" in run("extract", report_files / "rabia.txt", "--report-date", "2014-09-30",
                                     "--db", db).stderr


@pytest.mark.parametrize("args, message", [
    (["set", "nowhere", "isil", "2014-07-01"], "unknown place id 'nowhere'"),
    (["set", "rabia", "martians", "2014-07-01"], "unknown party id 'martians'"),
    (["set", "rabia", "isil", "July 1st"], "ON 'July 1st' is not a date"),
])
def test_bad_corrections_are_refused_and_store_nothing(db, args, message):
    result = run("correct", *args, "--db", db)
    assert result.exit_code != 0
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("borderwatch: error: ") and message in line
    assert sqlite3.connect(db).execute("select count(*) from corrections").fetchone() == (0,)


def test_correct_on_a_missing_store_is_refused(tmp_path):
    result = run("correct", "reject", "abc", "--db", tmp_path / "missing.db")
    assert result.exit_code != 0 and "no such store" in result.stderr
    assert list(tmp_path.iterdir()) == []


# -- the seed article --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed_file(seed_path) -> Path:
    return seed_path


def test_seed_article_gives_the_three_named_holders(seed_file, gazetteer):
    done = run_process("extract", seed_file, "--report-date", "2014-06-23", "--jsonl")
    assert done.returncode == 0, done.stderr
    claims = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    named = sorted((c["place_id"], c["party"]) for c in claims if c["party"] != "unknown")
    assert named == [("al-qaim", "isil"), ("al-waleed", "isil"), ("rabia", "krg")]
    assert all(c["status"] == "controls" for c in claims if c["party"] != "unknown")
    (waleed,) = [c for c in claims if c["place_id"] == "al-waleed" and c["party"] == "isil"]
    assert waleed["event_date"] == "2014-06-22"
    assert all(c["report_date"] == "2014-06-23" for c in claims)
    for claim in claims:
        if claim["party"] == "unknown":  # at most "not under government control", on the Iraq-Syria border
            assert claim["status"] == "not-government"
            assert set(gazetteer.places[claim["place_id"]].countries) == {"IQ", "SY"}
    assert date.fromisoformat(waleed["report_date"]) == date(2014, 6, 23)
