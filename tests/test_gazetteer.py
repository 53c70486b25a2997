"""The gazetteer's data files: complete, cited, unambiguous, and where their countries are."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from geodata.gazetteer import GazetteerError, load_gazetteer, read_places_file

ISO3 = {"IQ": "IRQ", "SY": "SYR", "JO": "JOR", "SA": "SAU", "KW": "KWT", "IR": "IRN", "TR": "TUR",
        "LB": "LBN", "IL": "ISR"}
REQUIRED_PARTIES = {"isil", "iraq-gov", "krg", "syria-gov", "syrian-opposition", "sdf", "turkey", "jordan",
                    "other", "unknown"}


@pytest.fixture(scope="module")
def borders():
    from dashboard.basemap import country_borders

    frame = country_borders().to_crs(3857)
    return {row.iso_a3: row.geometry for row in frame.itertuples()}


def _distance_km(geometry, lon, lat):
    import geopandas as gpd
    from shapely.geometry import Point

    point = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(3857).iloc[0]
    return geometry.distance(point) / 1000


def test_places_are_complete(gazetteer):
    provinces = [p for p in gazetteer.places.values() if p.kind == "province"]
    assert Counter(p.countries[0] for p in provinces) == {"IQ": 18, "SY": 14}
    assert all(p.iso_3166_2.startswith(p.countries[0] + "-") for p in provinces)
    crossings = {p.border for p in gazetteer.places.values() if p.kind == "crossing"}
    for border in ("IQ-SY", "IQ-SA", "IQ-KW", "IQ-TR", "IQ-IR", "SY-TR", "LB-SY", "JO-SY", "IL-SY"):
        assert border in crossings, border
    named = {"al-waleed", "al-qaim", "rabia", "ibrahim-khalil", "bab-al-hawa", "jdeidet-yabous"}
    assert named <= set(gazetteer.places)


def test_ids_are_unique_slugs_and_every_row_is_cited(gazetteer):
    from geodata.names import slug

    for place in gazetteer.places.values():
        assert place.id == slug(place.id), place.id
        assert ":" in place.source, f"{place.id}: source {place.source!r} is not 'kind:id'"


def test_every_alias_names_one_place_or_is_listed_ambiguous(gazetteer):
    for key, targets in gazetteer.alias_index().items():
        places = {place_id for place_id, _ in targets}
        if len(places) > 1:
            assert key in gazetteer.ambiguous, f"alias {key!r} names {sorted(places)}"


def test_crossings_lie_on_their_border(gazetteer, borders):
    # Natural Earth 1:110m lines are coarse; 30 km is well inside the error of that scale.
    for place in gazetteer.places.values():
        if place.kind != "crossing":
            continue
        for country in place.countries:
            if ISO3[country] in borders:
                distance = _distance_km(borders[ISO3[country]], place.lon, place.lat)
                assert distance < 30, f"{place.id} is {distance:.0f} km from {country}"


def test_provinces_lie_in_their_country(gazetteer, borders):
    for place in gazetteer.places.values():
        if place.kind == "province":
            distance = _distance_km(borders[ISO3[place.countries[0]]], place.lon, place.lat)
            # 25 km: the 1:110m coastline cuts off coastal capitals such as Latakia.
            assert distance < 25, f"{place.id} is {distance:.0f} km outside {place.countries[0]}"


def test_sides_have_names(gazetteer):
    waleed = gazetteer.place("al-waleed")
    assert waleed.side_names == ("Al-Waleed", "al-Tanf") and waleed.countries == ("IQ", "SY")
    index = gazetteer.alias_index()
    assert index["tanf"] == [("al-waleed", "SY")]
    assert ("al-qaim", None) in index["qa'im"] and ("al-qaim", None) in index["qaim"]


def test_a_countrys_own_forces_stand_in_it(gazetteer):
    """parties.csv 'countries' is the one record of where forces stand (which sides a whole-crossing
    claim sets): each government's and Kurdish party lists its country."""
    for country in gazetteer.countries.values():
        for party in (country.government_party, country.kurdish_party):
            if party:
                assert country.iso2 in gazetteer.parties[party].countries, (party, country.iso2)


def test_parties_table(gazetteer):
    assert REQUIRED_PARTIES <= set(gazetteer.parties)
    colours = [p.colour.lower() for p in gazetteer.parties.values()]
    assert len(colours) == len(set(colours))
    assert all(c.startswith("#") and len(c) == 7 for c in colours)


def test_user_places_extend_the_gazetteer(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("kind,id,name,country_a,country_b,aliases,lat,lon,source\n"
                    "crossing,lachin,Lachin corridor,AZ,AM,Lachin|Laçın,39.63,46.55,osm:node/1\n", encoding="utf-8")
    gazetteer = load_gazetteer(path)
    assert gazetteer.place("lachin").countries == ("AZ", "AM")
    assert ("lachin", None) in gazetteer.alias_index()["lacin"]
    geojson = tmp_path / "mine.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [46.55, 39.63]},
        "properties": {"kind": "crossing", "id": "lachin", "name": "Lachin", "country_a": "AZ",
                       "country_b": "AM", "source": "osm:node/1"}}]}), encoding="utf-8")
    assert read_places_file(geojson)["lachin"].lon == 46.55


@pytest.mark.parametrize("row, message", [
    ("crossing,x,X,AZ,AM,,91,46,osm:1", "row 2, column 'lat'"),
    ("crossing,x,X,AZ,AM,,39,abc,osm:1", "row 2, column 'lon'"),
    ("crossing,x,X,AZ,AM,,39,46,", "row 2, column 'source'"),
    ("border,x,X,AZ,AM,,39,46,osm:1", "row 2, column 'kind'"),
])
def test_bad_user_rows_name_file_row_and_column(tmp_path, row, message):
    path = tmp_path / "bad.csv"
    path.write_text("kind,id,name,country_a,country_b,aliases,lat,lon,source\n" + row + "\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match=message) as error:
        read_places_file(path)
    assert "bad.csv" in str(error.value)


def test_cli_prints_a_feature_collection_of_every_place(gazetteer, tmp_path):
    import geopandas as gpd

    result = subprocess.run([sys.executable, "-m", "dashboard.cli", "gazetteer", "--format", "geojson"],
                            capture_output=True, text=True, check=True)
    data = json.loads(result.stdout)
    assert data["type"] == "FeatureCollection" and len(data["features"]) == len(gazetteer.places)
    kinds = Counter(f["properties"]["kind"] for f in data["features"])
    assert kinds["province"] == 32
    (tmp_path / "g.geojson").write_text(result.stdout, encoding="utf-8")
    frame = gpd.read_file(tmp_path / "g.geojson")
    assert frame.crs.to_epsg() == 4326 and set(frame["id"]) == set(gazetteer.places)


def test_cli_bad_user_gazetteer_is_a_one_line_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("kind,id,name,country_a,country_b,lat,lon,source\ncrossing,x,X,AZ,AM,99,46,osm:1\n")
    result = subprocess.run([sys.executable, "-m", "dashboard.cli", "gazetteer", "--gazetteer", str(path)],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "row 2, column 'lat'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _boundary_file(tmp_path, gazetteer, columns, suffix=".geojson"):
    import geopandas as gpd
    from shapely.geometry import box

    places = [gazetteer.place("anbar"), gazetteer.place("nineveh")]
    frame = gpd.GeoDataFrame(columns, geometry=[box(p.lon - 1, p.lat - 1, p.lon + 1, p.lat + 1) for p in places]
                             + [box(0, 0, 1, 1)] * (len(next(iter(columns.values()))) - 2), crs=4326)
    path = tmp_path / f"admin1{suffix}"
    frame.to_file(path)
    return path


@pytest.mark.parametrize("columns, suffix", [
    ({"shapeISO": ["IQ-AN", "IQ-NI", "XX-1"], "shapeName": ["x", "y", "z"]}, ".gpkg"),
    ({"NAME_1": ["Al Anbar", "Ninawa", "Atlantis"]}, ".geojson"),
])
def test_province_polygons_join_by_iso_code_or_name(tmp_path, gazetteer, columns, suffix):
    from geodata.gazetteer import province_boundaries

    joined = province_boundaries(gazetteer, _boundary_file(tmp_path, gazetteer, columns, suffix))
    assert sorted(joined["id"]) == ["anbar", "nineveh"]
    anbar = gazetteer.place("anbar")
    from shapely.geometry import Point

    assert joined.set_index("id").geometry["anbar"].contains(Point(anbar.lon, anbar.lat))


def test_province_polygons_that_match_nothing_are_an_error(tmp_path, gazetteer):
    from geodata.gazetteer import province_boundaries

    path = _boundary_file(tmp_path, gazetteer, {"name": ["Atlantis", "Lemuria"]})
    with pytest.raises(GazetteerError, match="no row matches a province"):
        province_boundaries(gazetteer, path)
    with pytest.raises(GazetteerError, match="cannot read boundaries"):
        province_boundaries(gazetteer, tmp_path / "missing.gpkg")
