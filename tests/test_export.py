"""The export: RFC 7946 GeoJSON (schema, lon/lat, provenance), CSV and GeoPackage, filters, all-or-nothing writes."""

from __future__ import annotations

import copy
import io
import json
import warnings
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from helpers import GOVERNMENT, PLACES, make_claim
from jsonschema import Draft202012Validator

from geodata.export import FEATURE_PROPERTIES, Filters, filter_state, to_geojson, to_table, validate_bbox, write_export
from geodata.store import claims_to_frame
from geodata.timeline import as_of

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "geojson.schema.json").read_text(encoding="utf-8"))
COLLECTION = Draft202012Validator(SCHEMA)
STATE_FEATURE = Draft202012Validator({"$ref": "#/$defs/stateProperties", "$defs": SCHEMA["$defs"]})
STATE_FIELDS = ("id", "name", "kind", "side", "party", "party_label", "status", "since", "last_report",
                "contested", "sources")
HOSTILE = 'Militants said "</script><script>alert(1)</script>" & <b>took</b> Al-Waleed \u2028 on Sunday.'
AS_OF = date(2014, 6, 30)


def assert_valid(collection: dict) -> None:
    errors = sorted(COLLECTION.iter_errors(collection), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


# -- fixtures: claims -> state -> collection ------------------------------------------------------
@pytest.fixture
def claims():
    return [
        make_claim("al-waleed", "isil", event_date="2014-06-22", report_date="2014-06-23", report_id="seed",
                   source="AFP", url="https://example.org/waleed", evidence=HOSTILE),
        make_claim("al-qaim", "isil", event_date=None, report_date="2014-06-23", report_id="seed",
                   source="AFP", url="https://example.org/waleed", span=(300, 380)),
        make_claim("rabia", "krg", event_date=None, report_date="2014-06-23", report_id="seed",
                   source="AFP", url="https://example.org/waleed", span=(300, 380)),
        make_claim("rabia", "iraq-gov", event_date="2014-06-29", report_date="2014-06-29", report_id="tv",
                   source="State TV", evidence="A spokesman said troops retook Rabia."),
        make_claim("rabia", "krg", event_date="2014-06-29", report_date="2014-06-30", report_id="wire",
                   source="Wire", evidence="Peshmerga officers at Rabia said they still hold it."),
        make_claim("nineveh", "isil", event_date="2014-06-10", report_date="2014-06-11", report_id="nin"),
    ]


@pytest.fixture
def state(claims):
    return as_of(claims_to_frame(claims), AS_OF, GOVERNMENT)


@pytest.fixture
def filters():
    return Filters(as_of=AS_OF, parties=("isil", "krg", "iraq-gov"), kinds=("crossing", "province"),
                   bbox=(35.0, 29.0, 49.0, 38.0))


@pytest.fixture
def collection(state, filters):
    return to_geojson(filter_state(state, filters), filters, extractor_version="9.9.9")


# -- GeoJSON -------------------------------------------------------------------------------
def test_geojson_validates_as_an_rfc7946_point_collection(collection):
    assert_valid(collection)
    assert len(collection["features"]) == 4
    for feature in collection["features"]:
        errors = list(STATE_FEATURE.iter_errors(feature["properties"]))
        assert not errors, errors[0].message


def test_every_feature_has_the_state_properties(collection):
    for feature in collection["features"]:
        assert set(STATE_FIELDS) <= set(feature["properties"])
        assert set(feature["properties"]) <= set(FEATURE_PROPERTIES)
        for source in feature["properties"]["sources"]:
            assert {"source", "url", "report_date", "evidence"} <= set(source)


def test_coordinates_are_longitude_then_latitude(collection):
    for feature in collection["features"]:
        _, _, lat, lon = PLACES[feature["properties"]["id"]]
        assert feature["geometry"]["coordinates"] == [lon, lat]
        assert feature["id"] == feature["properties"]["id"]


def test_properties_say_what_the_state_is(collection):
    by_id = {f["properties"]["id"]: f["properties"] for f in collection["features"]}
    assert by_id["al-waleed"] | {"sources": None} == by_id["al-waleed"] | {
        "id": "al-waleed", "name": "Al-Waleed", "kind": "crossing", "party": "isil",
        "party_label": "Islamic State (ISIL)", "status": "controls", "since": "2014-06-22",
        "last_report": "2014-06-23", "contested": False, "sources": None}
    assert by_id["al-waleed"]["sources"][0] | {"event_date": None} == by_id["al-waleed"]["sources"][0] | {
        "source": "AFP", "url": "https://example.org/waleed", "report_date": "2014-06-23", "event_date": None,
        "evidence": HOSTILE}
    rabia = by_id["rabia"]
    assert rabia["contested"] is True and rabia["status"] == "contested"
    assert {s["source"] for s in rabia["sources"]} >= {"State TV", "Wire"}  # both sides kept
    assert by_id["nineveh"]["kind"] == "province"


def test_the_borderwatch_member_records_the_filters_and_extractor(collection):
    meta = collection["borderwatch"]
    assert meta["as_of"] == "2014-06-30"
    assert meta["parties"] == ["isil", "krg", "iraq-gov"]
    assert meta["kinds"] == ["crossing", "province"]
    assert meta["bbox"] == [35.0, 29.0, 49.0, 38.0]
    assert meta["extractor_version"] == "9.9.9"


def test_empty_state_is_a_valid_empty_collection():
    empty = to_geojson(as_of(claims_to_frame([])), Filters())
    assert_valid(empty)
    assert empty["features"] == [] and empty["borderwatch"]["as_of"] is None


@pytest.mark.parametrize("break_it, why", [
    (lambda c: c["features"][0]["geometry"].update(coordinates=[36.8, 142.1]), "latitude out of range"),
    (lambda c: c["features"][0]["geometry"].update(coordinates=[181.0, 36.8]), "longitude out of range"),
    (lambda c: c["features"][0]["geometry"].update(type="Polygon"), "not a point"),
    (lambda c: c["features"][0]["properties"].pop("party"), "missing property"),
    (lambda c: c["borderwatch"].pop("extractor_version"), "missing provenance"),
    (lambda c: c.update(crs={"type": "name"}), "crs member"),
    (lambda c: c.update(type="Feature"), "not a collection"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_the_schema_rejects_what_rfc7946_forbids(collection, break_it, why):
    broken = copy.deepcopy(collection)
    break_it(broken)
    assert list(COLLECTION.iter_errors(broken)), why


def test_the_schema_rejects_swapped_coordinates_of_a_far_east_place():
    # With lon > 90 a lat/lon swap is out of range, so the order is really checked.
    claim = make_claim("east-point", "isil", event_date="2014-06-01", lat=20.0, lon=120.0)
    collection = to_geojson(as_of(claims_to_frame([claim])), Filters())
    assert_valid(collection)
    swapped = copy.deepcopy(collection)
    swapped["features"][0]["geometry"]["coordinates"].reverse()
    assert list(COLLECTION.iter_errors(swapped))


def test_geojson_file_reads_back_with_geopandas(tmp_path, state, filters):
    path = tmp_path / "state.geojson"
    write_export(state, path, "geojson", filters, "9.9.9")
    assert_valid(json.loads(path.read_text(encoding="utf-8")))
    frame = gpd.read_file(path)
    assert frame.crs.to_epsg() == 4326
    assert sorted(frame["id"]) == sorted(state["place_id"])
    for row in frame.itertuples():
        _, _, lat, lon = PLACES[row.id]
        assert (row.geometry.x, row.geometry.y) == pytest.approx((lon, lat))


def test_script_in_evidence_is_kept_as_data(tmp_path, state, filters):
    path = tmp_path / "state.geojson"
    write_export(state, path, "geojson", filters)
    text = path.read_text(encoding="utf-8")
    loaded = _strict_json(text)
    (waleed,) = [f for f in loaded["features"] if f["id"] == "al-waleed"]
    assert waleed["properties"]["sources"][0]["evidence"] == HOSTILE  # round trip, byte for byte
    assert loaded == json.loads(json.dumps(to_geojson(filter_state(state, filters), filters)))
    # Exports are data: not HTML-escaped here (the dashboard escapes what it shows).
    assert "&lt;" not in text


def test_stdout_export_is_the_same_geojson(state, filters):
    out = io.StringIO()
    write_export(state, None, "geojson", filters, "9.9.9", stdout=out)
    assert json.loads(out.getvalue()) == to_geojson(state, filters, "9.9.9")


def test_claims_export_has_one_feature_per_claim(claims):
    frame = claims_to_frame(claims)
    collection = to_geojson(frame, Filters(date_from=date(2014, 6, 1), date_to=date(2014, 6, 30)))
    assert_valid(collection)
    assert sorted(f["id"] for f in collection["features"]) == sorted(c.key for c in claims)
    assert {f["properties"]["evidence"] for f in collection["features"]} >= {HOSTILE}


# -- CSV and GeoPackage --------------------------------------------------------------------------
def test_csv_carries_the_same_fields(tmp_path, state, filters):
    path = tmp_path / "state.csv"
    write_export(state, path, "csv", filters)
    table = pd.read_csv(path, keep_default_na=False)
    assert set(STATE_FIELDS) <= set(table.columns)
    expected = to_geojson(filter_state(state, filters), filters)
    _assert_table_matches(table, expected)


def test_geopackage_carries_the_same_fields_in_layer_borderwatch(tmp_path, state, filters):
    import pyogrio

    path = tmp_path / "state.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # e.g. GDAL: "extension should be 'gpkg'"
        write_export(state, path, "gpkg", filters)
    assert [name for name, _ in pyogrio.list_layers(path)] == ["borderwatch"]
    frame = gpd.read_file(path, layer="borderwatch")
    assert frame.crs.to_epsg() == 4326
    assert set(STATE_FIELDS) <= set(frame.columns)
    expected = to_geojson(filter_state(state, filters), filters)
    _assert_table_matches(frame, expected)
    for row in frame.itertuples():
        _, _, lat, lon = PLACES[row.id]
        assert (row.geometry.x, row.geometry.y) == pytest.approx((lon, lat))


def _assert_table_matches(table: pd.DataFrame, collection: dict) -> None:
    rows = {row["id"]: row for row in table.to_dict("records")}
    assert sorted(rows) == sorted(f["id"] for f in collection["features"])
    for feature in collection["features"]:
        props, row = feature["properties"], rows[feature["id"]]
        for key in ("name", "kind", "party", "party_label", "status", "since", "last_report"):
            assert str(row[key]) == str(props[key]), key
        assert str(row["contested"]).lower() in (str(props["contested"]).lower(), str(int(props["contested"])))
        assert _strict_json(row["sources"]) == props["sources"]


def _strict_json(text: str):
    """Parse as JSON proper: NaN and Infinity are Python's extension, not JSON."""
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_to_table_flattens_sources_to_json(state):
    table = to_table(state)
    assert all(isinstance(value, str) for value in table["sources"])
    assert json.loads(table.loc[table["id"] == "al-waleed", "sources"].iloc[0])[0]["evidence"] == HOSTILE


# -- filters -------------------------------------------------------------------------------
def test_filters_by_party_kind_and_bbox(state):
    ids = lambda f: sorted(filter_state(state, f)["place_id"])  # noqa: E731
    assert ids(Filters()) == ["al-qaim", "al-waleed", "nineveh", "rabia"]
    assert ids(Filters(parties=("isil",))) == ["al-qaim", "al-waleed", "nineveh"]
    assert ids(Filters(kinds=("province",))) == ["nineveh"]
    assert ids(Filters(bbox=(38.0, 32.0, 41.0, 35.0))) == ["al-qaim", "al-waleed"]
    assert ids(Filters(parties=("krg",), bbox=(38.0, 32.0, 41.0, 35.0))) == []


@pytest.mark.parametrize("bbox, message", [
    ((44.0, 30.0, 38.0, 37.0), "west 44.0 is greater than east 38.0"),
    ((38.0, 30.0, 44.0, 95.0), "latitude out of range"),
    ((38.0, -91.0, 44.0, 37.0), "latitude out of range"),
    ((-181.0, 30.0, 44.0, 37.0), "longitude out of range"),
    ((38.0, 37.0, 44.0, 30.0), "south 37.0 is greater than north 30.0"),
    ((38.0, 30.0, 44.0), "needs 4 numbers"),
    ((float("nan"), 30.0, 44.0, 37.0), "not a number"),
])
def test_bad_bbox_is_refused_naming_the_problem(bbox, message):
    with pytest.raises(ValueError, match=message):
        validate_bbox(bbox)
    with pytest.raises(ValueError, match=message):
        Filters(bbox=bbox)


def test_reversed_date_range_is_refused():
    with pytest.raises(ValueError, match="reversed"):
        Filters(date_from=date(2014, 7, 1), date_to=date(2014, 6, 1))


# -- all or nothing ----------------------------------------------------------------------------
def test_export_into_a_missing_folder_writes_nothing(tmp_path, state):
    target = tmp_path / "no-such-folder" / "out.geojson"
    with pytest.raises(OSError, match="does not exist"):
        write_export(state, target, "geojson", Filters())
    assert not target.parent.exists()


class Unwritable:
    """A value every writer chokes on, half way through the rows."""

    def __str__(self):
        raise RuntimeError("disk full (simulated)")

    __repr__ = __format__ = lambda self, *_: str(self)  # noqa: E731


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg"])
def test_a_failing_export_leaves_the_old_file_and_no_temporary(tmp_path, state, fmt):
    target = tmp_path / f"out.{fmt}"
    target.write_text("previous export")
    broken = state.copy()
    broken["party_label"] = broken["party_label"].astype(object)
    broken.iloc[-1, broken.columns.get_loc("party_label")] = Unwritable()
    with pytest.raises((RuntimeError, TypeError)):
        write_export(broken, target, fmt, Filters())
    assert target.read_text() == "previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_unknown_format_is_refused(tmp_path, state):
    with pytest.raises(ValueError, match="unknown format 'kml'"):
        write_export(state, tmp_path / "x.kml", "kml", Filters())
    assert list(tmp_path.iterdir()) == []


def test_ten_thousand_features_are_all_written(tmp_path):
    # Its speed is measured in bench/ (docs/benchmarks.md), not asserted here.
    claims = [make_claim(f"p{n}", "isil", event_date="2014-06-01", report_id=f"r{n}", lat=30 + n / 1000,
                         lon=40 + n / 1000) for n in range(10_000)]
    state = as_of(claims_to_frame(claims))
    write_export(state, tmp_path / "big.geojson", "geojson", Filters(), "x")
    features = json.loads((tmp_path / "big.geojson").read_text())["features"]
    assert len(features) == 10_000 and len({f["properties"]["id"] for f in features}) == 10_000
