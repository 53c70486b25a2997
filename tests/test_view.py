"""Pure dashboard logic: URL round trip, escaping, viewport, markers and the export of the view."""

from __future__ import annotations

import csv
import json
import re
from datetime import date

import pandas as pd
import pytest

from dashboard import urlstate
from dashboard import mapview, style, view
from dashboard.assets import offline_problems
from geodata.export import Filters

XSS_SENTENCE = ('Rebels seized the Al-Waleed crossing <script>window.__pwned=1</script> '
                '<img src=x onerror="window.__pwned=1"> ${window.__pwned=2} `x` \\u0041.')


def _row(place_id="al-qaim", place="Al-Qaim", kind="crossing", lat=34.3975, lon=40.977, party="isil",
         status="controls", sources=None, **extra):
    row = dict(place_id=place_id, place=place, kind=kind, side=None, lat=lat, lon=lon, party=party,
               party_label=party, status=status, contested=status == "contested", since=date(2014, 6, 14),
               last_report=date(2014, 6, 15), latest=date(2014, 6, 14), n_reports=1, staleness_days=0,
               confidence=0.9, parties=[party], sources=sources or [], border="IQ-SY")
    row.update(extra)
    return row


@pytest.fixture(scope="module")
def parties(gazetteer):
    return gazetteer.parties


@pytest.fixture(scope="module")
def colours(parties):
    return {p: parties[p].colour for p in parties}


@pytest.fixture(scope="module")
def labels(parties):
    return {p: parties[p].label for p in parties}


@pytest.fixture
def state():
    """Four places: two inside a box around the Iraq-Syria border, two well outside it."""
    return pd.DataFrame([
        _row(),
        _row("rabia", "Rabia", lat=36.81167, lon=42.06639, party="krg"),
        _row("nineveh", "Nineveh", kind="province", lat=36.335, lon=43.11889, border="IQ"),
        _row("safwan", "Safwan", lat=30.1167, lon=47.7167, party="iraq-gov", border="IQ-KW",
             staleness_days=400),
    ])


# -- URL query parameters ------------------------------------------------------------------------
def test_query_params_round_trip():
    original = urlstate.View(
        Filters(as_of=date(2014, 6, 21), date_from=date(2014, 6, 1), date_to=date(2015, 1, 1),
                parties=("isil", "krg"), kinds=("crossing",), borders=("IQ-SY", "IQ-TR")),
        center=(34.4, 41.0), zoom=7, place="al-qaim", stale_days=90)
    params = urlstate.to_params(original)
    assert all(isinstance(v, str) for v in params.values())
    parsed, problems = urlstate.parse_params(params, parties={"isil", "krg"}, borders={"IQ-SY", "IQ-TR"})
    assert problems == []
    assert parsed == original


def test_empty_view_has_no_params_and_parses_back():
    assert urlstate.to_params(urlstate.View()) == {}
    assert urlstate.parse_params({}) == (urlstate.View(), [])


@pytest.mark.parametrize("params, problem", [
    ({"as_of": "21/06/2014"}, "as_of"),
    ({"party": "isil,martians"}, "martians"),
    ({"kind": "boat"}, "boat"),
    ({"map": "91,0,5"}, "map"),
    ({"map": "nan,1,5"}, "map"),
    ({"map": "34,41"}, "map"),
    ({"stale": "-3"}, "stale"),
    ({"from": "2015-01-01", "to": "2014-01-01"}, "after"),
], ids=["bad-date", "unknown-party", "unknown-kind", "lat-out-of-range", "nan", "two-numbers",
        "negative-stale", "reversed-range"])
def test_bad_params_are_dropped_and_named(params, problem):
    parsed, problems = urlstate.parse_params(params, parties={"isil"})
    assert len(problems) == 1 and problem in problems[0]
    assert parsed.filters.parties in ((), ("isil",))
    assert parsed.center is None and parsed.filters.as_of is None


def test_list_values_take_the_last():
    parsed, _ = urlstate.parse_params({"as_of": ["2014-01-01", "2014-06-21"]})
    assert parsed.filters.as_of == date(2014, 6, 21)


def test_timeline_steps_and_snap():
    days = [date(2014, 6, 15), date(2014, 6, 20), date(2015, 5, 25)]
    assert urlstate.timeline_steps(days, None, None) == days
    assert urlstate.timeline_steps(days, date(2014, 6, 16), date(2014, 12, 31)) == [date(2014, 6, 20)]
    assert urlstate.snap_date(date(2015, 1, 1), days) == date(2014, 6, 20)
    assert urlstate.snap_date(None, days) == days[-1]
    assert urlstate.snap_date(date(2000, 1, 1), days) == days[0]
    assert urlstate.snap_date(None, []) is None


# -- escaping ------------------------------------------------------------------------------------
def test_popup_escapes_report_text(labels):
    source = {"source": "<b>Wire</b>", "url": "javascript:window.__pwned=1", "report_date": "2015-05-25",
              "event_date": "2015-05-24", "evidence": XSS_SENTENCE, "party": "syrian-opposition",
              "status": "controls", "claim_key": "k1", "confidence": 0.9}
    row = _row("al-waleed", "Al-Waleed <i>x</i>", party="syrian-opposition", sources=[source])
    html = view.details_html(row, labels)
    assert "<script" not in html and "<img" not in html and "<b>Wire" not in html and "<i>x" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in html
    # folium puts popups in a JS template literal: no ${, backtick or backslash may survive.
    assert "${" not in html and "`" not in html and "\\" not in html
    assert "javascript:" not in html.split("</q>")[1]  # the url is not a link (text only in the sentence)
    assert "<a " not in html


def test_only_http_links(labels):
    assert view.link_html("https://example.org/a?b=1&c=2", "link") == (
        '<a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">link</a>')
    for bad in ("javascript:alert(1)", "data:text/html,<script>x</script>", "//example.org", "ftp://x", "", None):
        assert "<a " not in view.link_html(bad, "link")


def test_map_features_escape_tooltips_and_popups(state, colours, labels):
    evil = state.copy()
    evil.at[0, "place"] = '<img src=x onerror="window.__pwned=1">'
    features = view.map_features(evil, colours, labels)
    for feature in features:
        assert "<img" not in feature.tooltip and "<img" not in feature.popup


def test_marker_html_carries_place_and_safe_colour():
    st = style.marker_style("crossing", "controls", "isil", {"isil": "red;background:url(//evil)"})
    assert st.colour == style.FALLBACK_COLOUR
    html = style.marker_html(st, 'a"b', "isil", "controls", False)
    assert 'data-place="a&quot;b"' in html and "url(" not in html


# -- styles --------------------------------------------------------------------------------------
def test_styles_tell_kinds_and_statuses_apart(colours):
    crossing = style.marker_style("crossing", "controls", "isil", colours)
    province = style.marker_style("province", "controls", "isil", colours)
    contested = style.marker_style("crossing", "contested", "isil", colours, parties=["isil", "iraq-gov"])
    notgov = style.marker_style("crossing", "not-government", "unknown", colours)
    stale = style.marker_style("crossing", "controls", "isil", colours, stale=True)
    assert (crossing.shape, province.shape) == ("diamond", "circle")
    assert crossing.fill == colours["isil"]
    assert "repeating-linear-gradient" in contested.fill and colours["iraq-gov"] in contested.fill
    assert contested.outline == style.CONTESTED_OUTLINE
    assert notgov.fill == "#ffffff" and notgov.outline_style == "dashed"
    assert stale.opacity < crossing.opacity == 1.0


def test_stale_places_are_faded(state, colours, labels):
    features = {f.place_id: f for f in view.map_features(state, colours, labels, stale_days=180)}
    assert features["safwan"].stale and features["safwan"].style.opacity < 1
    assert not features["al-qaim"].stale
    assert [f.kind for f in view.map_features(state, colours, labels)][0] == "province"  # drawn under crossings


def test_legend_lists_parties_shown(state, parties):
    legend = view.legend_parties(state, parties)
    assert [label for label, _ in legend] == [parties[p].label for p in parties if p in set(state["party"])]
    html = style.legend_html(legend)
    assert "crossing" in html and "province" in html and "contested" in html


# -- viewport ------------------------------------------------------------------------------------
def test_viewport_matches_leaflet_math():
    west, south, east, north = view.viewport_bbox((0.0, 0.0), 2, 1024, 512)
    assert (west, east) == (-180.0, 180.0)
    assert north == pytest.approx(66.51326, abs=1e-4) and south == pytest.approx(-66.51326, abs=1e-4)
    w, s, e, n = view.viewport_bbox(mapview.DEFAULT_CENTER, 6, 900, 560)
    assert e - w == pytest.approx(900 / (256 * 2 ** 6) * 360)
    assert s < mapview.DEFAULT_CENTER[0] < n


def test_viewport_before_and_after_the_browser_reports():
    center, zoom, size = (34.0, 41.0), 6, (900, 560)
    # st_folium's default return value: the data extent as bounds, no centre.
    default = {"bounds": {"_southWest": {"lat": 10, "lng": 10}, "_northEast": {"lat": 60, "lng": 60}},
               "zoom": 6, "last_object_clicked": None}
    before = view.viewport_from_map(default, center, zoom, size)
    assert not before.reported and before.bbox == view.viewport_bbox(center, zoom, *size)
    reported = {"bounds": {"_southWest": {"lat": 33.0, "lng": 40.0}, "_northEast": {"lat": 35.5, "lng": 43.25}},
                "zoom": 8, "center": {"lat": 34.2, "lng": 41.6}, "last_object_clicked": None}
    after = view.viewport_from_map(reported, center, zoom, size)
    assert after.reported and after.bbox == (40.0, 33.0, 43.25, 35.5) and after.zoom == 8
    wrapped = dict(reported, bounds={"_southWest": {"lat": -10, "lng": 170}, "_northEast": {"lat": 10, "lng": 200}},
                   center={"lat": 0, "lng": 185})
    clamped = view.viewport_from_map(wrapped, center, zoom, size)
    assert clamped.bbox[2] == 180.0 and clamped.center[1] == pytest.approx(-175.0)


def test_viewport_filtering(state):
    box = (38.0, 33.0, 44.0, 37.5)
    inside = view.visible_places(state, Filters(), bbox=box)
    assert set(inside["place_id"]) == {"al-qaim", "rabia", "nineveh"}
    assert set(view.visible_places(state, Filters())["place_id"]) == set(state["place_id"])
    assert set(view.visible_places(state, Filters(parties=("isil",)), bbox=box)["place_id"]) == {"al-qaim", "nineveh"}
    assert set(view.visible_places(state, Filters(kinds=("province",)))["place_id"]) == {"nineveh"}
    assert set(view.visible_places(state, Filters(borders=("IQ-KW",)))["place_id"]) == {"safwan"}


def test_click_finds_the_marker(state):
    assert view.place_at(state, {"lat": 36.81167, "lng": 42.06639}) == "rabia"
    assert view.place_at(state, {"lat": 36.0, "lng": 42.0}) is None
    assert view.place_at(state, None) is None


# -- export --------------------------------------------------------------------------------------
def test_export_of_the_view_equals_the_visible_places(state):
    box = (38.0, 33.0, 44.0, 37.5)
    filters = Filters(as_of=date(2014, 6, 20), parties=("isil", "krg"), bbox=box)
    visible = view.visible_places(state, filters, bbox=box)
    data = json.loads(view.export_geojson(visible, filters, "test"))
    assert sorted(f["properties"]["id"] for f in data["features"]) == sorted(visible["place_id"])
    assert data["borderwatch"]["as_of"] == "2014-06-20" and data["borderwatch"]["bbox"] == list(box)
    assert data["borderwatch"]["parties"] == ["isil", "krg"]
    for feature in data["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert box[0] <= lon <= box[2] and box[1] <= lat <= box[3]
    assert view.export_filename(date(2014, 6, 20), "geojson") == "borderwatch-2014-06-20.geojson"


def test_places_table_and_csv(state):
    table = view.places_table(state)
    assert list(table.columns) == list(view.TABLE_COLUMNS.values())
    text = view.csv_text(table)
    rows = list(csv.reader(text.splitlines()))
    assert rows[0][:3] == ["Place", "Id", "Kind"] and len(rows) == len(state) + 1


def test_complete_state_fills_corrections_from_gazetteer(gazetteer):
    row = _row("trebil" if "trebil" in gazetteer.places else "al-waleed", "x", lat=float("nan"),
               lon=float("nan"), party="iraq-gov", party_label="iraq-gov")
    done = view.complete_state(pd.DataFrame([row]), gazetteer.places, gazetteer.parties)
    place = gazetteer.places[row["place_id"]]
    assert (done.loc[0, "lat"], done.loc[0, "lon"]) == (place.lat, place.lon)
    assert done.loc[0, "place"] == place.name and done.loc[0, "border"] == place.border
    assert done.loc[0, "party_label"] == gazetteer.parties["iraq-gov"].label


def test_history_bands_have_party_colours(parties):
    periods = pd.DataFrame({"party": ["isil", "iraq-gov"], "status": ["controls", "controls"],
                            "start": [date(2014, 6, 14), date(2017, 11, 3)],
                            "end": [date(2017, 11, 3), date(2017, 11, 3)], "reports": [1, 1]})
    bands = view.history_frame(periods, parties)
    assert list(bands["colour"]) == [parties["isil"].colour, parties["iraq-gov"].colour]
    assert (bands["end"] > bands["start"]).all()  # a one-day period still has a width


# -- the folium layer ----------------------------------------------------------------------------
def test_map_layer_is_offline_and_escaped(state, colours, labels):
    evil = state.copy()
    evil.at[0, "sources"] = [{"evidence": XSS_SENTENCE, "source": "w", "url": "", "report_date": "2015-05-25",
                              "event_date": None, "party": "isil", "status": "controls", "claim_key": "k"}]
    m = mapview.base_map("offline", "/app/static")
    layer = mapview.features_layer(view.map_features(evil, colours, labels))
    layer.add_to(m)
    assert offline_problems(m) == []
    script = m.get_root().render()
    assert "window.__pwned" in script  # the sentence is there, as text:
    assert "<script>window.__pwned" not in script and "<img src=x" not in script
    assert "${window" not in script
    assert len(re.findall(r'class=\\?"bw-marker', script)) == len(state)


def test_base_map_script_is_stable_between_runs():
    """Same script on every run, so streamlit-folium keeps the map instead of reloading it."""
    from streamlit_folium import _get_map_string, generate_js_hash

    hashes = set()
    for _ in range(2):
        m = mapview.base_map("offline", "/app/static")
        m.get_root().render()
        hashes.add(generate_js_hash(_get_map_string(m)))
    assert len(hashes) == 1


def test_marker_layer_script_is_stable_between_runs(state, colours, labels):
    """Same places, same layer script: the browser keeps the layer (and an open popup) on a rerun."""
    from streamlit_folium import _get_feature_group_string

    scripts = set()
    for _ in range(2):
        layer = mapview.features_layer(view.map_features(state, colours, labels))
        scripts.add(_get_feature_group_string(layer, mapview.base_map("offline", "/app/static")))
    assert len(scripts) == 1


def test_a_province_outline_is_drawn_in_its_holders_colour():
    import pandas as pd

    from dashboard import mapview
    from dashboard.view import map_features

    row = {"place_id": "nineveh", "place": "Nineveh", "kind": "province", "lat": 36.3, "lon": 43.1,
           "party": "isil", "party_label": "ISIL", "status": "controls", "since": None, "last_report": None,
           "staleness_days": 0, "parties": ["isil"], "sources": []}
    square = {"type": "Polygon", "coordinates": [[[42, 35], [44, 35], [44, 37], [42, 37], [42, 35]]]}
    (feature,) = map_features(pd.DataFrame([row]), {"isil": "#000000"}, {"isil": "ISIL"}, outlines={"nineveh": square})
    assert feature.outline == square
    import folium

    m = folium.Map(tiles=None)
    mapview.features_layer([feature]).add_to(m)
    html = m.get_root().render()
    assert '"fillColor": "#000000"' in html and "[42, 35]" in html
