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
        assert feature["id"] == feature["properties"]["id"]  # no sides here: claims_to_frame without a gazetteer


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


def _day(value) -> str:
    """A date cell as ISO text, whether read back as text or as a date column."""
    return value.date().isoformat() if isinstance(value, pd.Timestamp) else str(value)


def _assert_table_matches(table: pd.DataFrame, collection: dict) -> None:
    rows = {row["id"]: row for row in table.to_dict("records")}
    assert sorted(rows) == sorted(f["id"] for f in collection["features"])
    for feature in collection["features"]:
        props, row = feature["properties"], rows[feature["id"]]
        for key in ("name", "kind", "party", "party_label", "status"):
            assert str(row[key]) == str(props[key]), key
        for key in ("since", "last_report"):
            assert _day(row[key]) == str(props[key]), key
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


# -- sides, precision, colours: a store built from reports in our own words ----------------------
SIDE_REPORTS = [  # (report date, url, text): the two sides of Al-Qaim/Albu Kamal and Rabia/Yarubiyah
    ("2014-06-25", "https://example.org/qaim-1",
     "Islamic State fighters seized the Al-Qaim border crossing on 21 June, taking both the Iraqi post "
     "and Albu Kamal on the Syrian side."),
    ("2017-11-04", "https://example.org/qaim-2",
     "Iraqi forces retook Al-Qaim on 3 November, officials said. Albu Kamal, across the border, remained "
     "in the hands of the Islamic State."),
    ("2017-11-20", "https://example.org/qaim-3",
     "Syrian government forces captured Albu Kamal on 19 November, a monitor said."),
    ("2014-06-12", "https://example.org/rabia-1",
     "Islamic State militants overran the Rabia border crossing on 10 June."),
    ("2014-10-02", "https://example.org/rabia-2",
     "Peshmerga fighters retook Rabia on 30 September, while Kurdish YPG fighters held Yarubiyah on the "
     "Syrian side."),
]
# (date, place) -> {side: holder}, as an analyst would brief it from the reports above
SIDE_HOLDERS = {
    ("2014-06-22", "al-qaim"): {"IQ": "isil", "SY": "isil"},
    ("2017-11-10", "al-qaim"): {"IQ": "iraq-gov", "SY": "isil"},
    ("2017-11-25", "al-qaim"): {"IQ": "iraq-gov", "SY": "syria-gov"},
    ("2014-06-15", "rabia"): {"IQ": "isil", "SY": "isil"},
    ("2014-10-05", "rabia"): {"IQ": "krg", "SY": "sdf"},
}


@pytest.fixture(scope="module")
def sided_store(tmp_path_factory, extractor):
    from extract.batch import report_record
    from extract.sources import InputOptions, make_report
    from geodata.store import ClaimStore

    store = ClaimStore(tmp_path_factory.mktemp("sides") / "sides.db")
    batch = []
    for day, url, text in SIDE_REPORTS:
        report = make_report(url, text, False, InputOptions(report_date=date.fromisoformat(day), source="Our words"),
                             {"url": url})
        claims = extractor.extract(report.text, report.report_date, "Our words", url)
        batch.append((report_record(report), claims))
    store.add_reports(batch)
    return store


@pytest.mark.parametrize("on, place", list(SIDE_HOLDERS))
def test_each_side_of_a_crossing_has_its_own_holder_in_the_state_and_the_geojson(sided_store, on, place):
    state = as_of(sided_store.claims_frame(), date.fromisoformat(on), GOVERNMENT).set_index("place_id")
    expected = SIDE_HOLDERS[(on, place)]
    row = state.loc[place]
    assert {s["side"]: s["party"] for s in row["sides"]} == expected
    split = len(set(expected.values())) > 1
    assert bool(row["split"]) is split and (row["party"] == "split") is split
    collection = to_geojson(state.reset_index(), Filters(as_of=date.fromisoformat(on)))
    assert_valid(collection)
    sides = {f["properties"]["side"]: f for f in collection["features"]
             if f["properties"]["id"] == place and not f["properties"]["whole"]}
    assert {side: f["properties"]["party"] for side, f in sides.items()} == expected
    assert {f["id"] for f in sides.values()} == {f"{place}/{side}" for side in expected}
    names = {"al-qaim": {"IQ": "Al-Qaim", "SY": "Albu Kamal"}, "rabia": {"IQ": "Rabia", "SY": "al-Yarubiyah"}}
    assert {side: f["properties"]["side_name"] for side, f in sides.items()} == names[place]
    (whole,) = [f for f in collection["features"] if f["id"] == place]
    assert whole["properties"]["whole"] is True and whole["properties"]["side_holders"] == expected
    assert whole["properties"]["status"] == ("split" if split else "controls")


def test_side_features_read_back_from_every_format(sided_store, tmp_path):
    import pyogrio

    state = as_of(sided_store.claims_frame(), date(2017, 11, 25), GOVERNMENT)
    for fmt in ("geojson", "csv", "gpkg"):
        write_export(state, tmp_path / f"sides.{fmt}", fmt, Filters(as_of=date(2017, 11, 25)))
    csv = pd.read_csv(tmp_path / "sides.csv", keep_default_na=False)
    for frame in (gpd.read_file(tmp_path / "sides.geojson"), gpd.read_file(tmp_path / "sides.gpkg"), csv):
        qaim = frame[frame["id"] == "al-qaim"]
        assert sorted(zip(qaim["side"].replace("", None).fillna("-"), qaim["party"])) == [
            ("-", "split"), ("IQ", "iraq-gov"), ("SY", "syria-gov")]
    fields = pyogrio.read_info(tmp_path / "sides.gpkg", layer="borderwatch")
    types = dict(zip(fields["fields"], fields["dtypes"]))
    assert types["since"].startswith("datetime64") and types["whole"] == "bool" and types["contested"] == "bool"


# -- GIS-ready CSV and GeoPackage (issue 15) -----------------------------------------------------
def test_csv_has_points_evidence_sources_dates_and_true_false(tmp_path, state):
    path = tmp_path / "view.csv"
    write_export(state, path, "csv", Filters())
    text = path.read_text(encoding="utf-8")
    assert ",true," in text.replace('"', "") and ",false," in text.replace('"', "")
    assert "True" not in text and "False" not in text
    table = pd.read_csv(path, keep_default_na=False)
    assert table["lon"].dtype == float and table["lat"].dtype == float
    waleed = table[table["id"] == "al-waleed"].iloc[0]
    assert (waleed["lon"], waleed["lat"]) == pytest.approx((PLACES["al-waleed"][3], PLACES["al-waleed"][2]))
    assert waleed["evidence"] == HOSTILE and waleed["source"] == "AFP" and waleed["url"] == "https://example.org/waleed"
    assert waleed["since"] == "2014-06-22" and waleed["since_text"] == "2014-06-22"
    assert waleed["party_colour"] == "#000000"
    assert pd.to_datetime(table["last_report"]).notna().all()
    # kepler.gl / QGIS: a delimited text layer with lon/lat columns
    points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=4326)
    assert points.geometry.is_valid.all()


def test_geopackage_has_date_and_boolean_columns(tmp_path, state):
    path = tmp_path / "view.gpkg"
    write_export(state, path, "gpkg", Filters())
    frame = gpd.read_file(path, layer="borderwatch")
    for column in ("since", "last_report", "latest", "report_date"):
        assert pd.api.types.is_datetime64_any_dtype(frame[column]), column
    for column in ("whole", "contested", "split"):
        assert frame[column].dtype == bool, column
    assert frame["n_reports"].dtype.kind == "i" and frame["lon"].dtype == float


def test_geojson_has_party_colour_and_contesting_parties(collection):
    by_id = {f["properties"]["id"]: f["properties"] for f in collection["features"]}
    assert by_id["rabia"]["contesting_parties"] == ["iraq-gov", "krg"]
    assert by_id["al-waleed"]["contesting_parties"] == []
    assert by_id["al-waleed"]["party_colour"] == "#000000"
    assert by_id["rabia"]["party_colour"] is not None


def test_a_vague_since_is_exported_with_its_precision():
    claim = make_claim("al-qaim", "isil", event_date="2014-05-01", report_date="2015-01-10",
                       event_precision="part", evidence="ISIL has held Al-Qaim since mid-2014.")
    (feature,) = to_geojson(as_of(claims_to_frame([claim])))["features"]
    props = feature["properties"]
    assert (props["since"], props["since_precision"], props["since_text"]) == ("2014-05-01", "part", "mid-2014")
    assert props["sources"][0]["event_text"] == "mid-2014"


def test_a_place_without_a_point_is_unlocated_never_nan(tmp_path):
    from geodata.store import ClaimStore

    store = ClaimStore(tmp_path / "nan.db")
    store.add_correction("set", place_id="zz-test", party="krg", event_date=date(2014, 6, 30))
    state = as_of(store.claims_frame())
    path = tmp_path / "out.geojson"
    write_export(state, path, "geojson", Filters())
    loaded = _strict_json(path.read_text(encoding="utf-8"))
    (feature,) = loaded["features"]
    assert feature["geometry"] is None and feature["properties"]["id"] == "zz-test"
    assert_valid(loaded)
    write_export(state, tmp_path / "out.csv", "csv", Filters())
    assert "nan" not in (tmp_path / "out.csv").read_text().lower()
    write_export(state, tmp_path / "out.gpkg", "gpkg", Filters())
    assert gpd.read_file(tmp_path / "out.gpkg").geometry.isna().all()


def test_a_party_filter_keeps_a_split_crossing_it_holds_one_side_of(sided_store):
    state = as_of(sided_store.claims_frame(), date(2017, 11, 10), GOVERNMENT)
    assert "al-qaim" in set(filter_state(state, Filters(parties=("isil",)))["place_id"])
    assert "al-qaim" in set(filter_state(state, Filters(parties=("iraq-gov",)))["place_id"])
    assert "al-qaim" not in set(filter_state(state, Filters(parties=("krg",)))["place_id"])
