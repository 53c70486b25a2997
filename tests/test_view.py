"""Pure dashboard logic: URL state, escaping (HTML and Markdown), marker styles and colours, the
changes of control, the timeline, the viewport, the places layer, uploads and the export of the view."""

from __future__ import annotations

import csv
import json
import re
from datetime import date

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from dashboard import mapview, markup, style, uploads, urlstate, view
from dashboard.assets import offline_problems
from extract.sources import InputOptions, Report, Skipped
from geodata.export import Filters

XSS_SENTENCE = ('Rebels seized the Al-Waleed crossing <script>window.__pwned=1</script> '
                '<img src=x onerror="window.__pwned=1"> ${window.__pwned=2} `x` \\u0041.')
MARKDOWN_PAYLOAD = "[Click](https://evil.example) ![t](https://evil.example/p.png) <img src=x> **b** :red[x] $x$"


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


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, extractor):
    """The browser tests' reports, extracted and prepared as the page does."""
    from conftest_browser import build_store

    from geodata.store import ClaimStore
    from geodata.timeline import prepare

    path = build_store(tmp_path_factory.mktemp("view") / "store.db", extractor)
    return prepare(ClaimStore(path).claims_frame())


# -- URL query parameters ------------------------------------------------------------------------
def test_query_params_round_trip():
    original = urlstate.View(
        Filters(as_of=date(2014, 6, 21), date_from=date(2014, 6, 1), date_to=date(2015, 1, 1),
                parties=("isil", "krg"), kinds=("crossing",), borders=("IQ-SY", "IQ-TR")),
        center=(34.4, 41.0), zoom=7, place="al-qaim", stale_days=90)
    params = urlstate.to_params(original)
    assert all(isinstance(v, str) for v in params.values())
    parsed, problems = urlstate.parse_params(params, parties={"isil", "krg"}, borders={"IQ-SY", "IQ-TR"},
                                             places={"al-qaim"})
    assert problems == []
    assert parsed == original


def test_empty_view_has_no_params_and_parses_back():
    assert urlstate.to_params(urlstate.View()) == {}
    assert urlstate.parse_params({}) == (urlstate.View(), [])


@pytest.mark.parametrize("params, problem", [
    ({"as_of": "21/06/2014"}, "as_of"),
    ({"party": "isil,martians,venusians"}, "martians"),
    ({"kind": "boat"}, "boat"),
    ({"map": "91,0,5"}, "map"),
    ({"map": "nan,1,5"}, "map"),
    ({"map": "34,41"}, "map"),
    ({"stale": "-3"}, "stale"),
    ({"from": "2015-01-01", "to": "2014-01-01"}, "after"),
    ({"place": "nowhere"}, "nowhere"),
    ({"colour": "red", "size": "2"}, "unknown parameters"),
], ids=["bad-date", "unknown-parties", "unknown-kind", "lat-out-of-range", "nan", "two-numbers",
        "negative-stale", "reversed-range", "unknown-place", "unknown-parameters"])
def test_bad_params_are_dropped_and_named_once(params, problem):
    parsed, problems = urlstate.parse_params(params, parties={"isil"}, places={"al-qaim"})
    assert len(problems) == 1 and problem in problems[0]
    assert parsed.filters.parties in ((), ("isil",))
    assert parsed.center is None and parsed.filters.as_of is None and parsed.place is None


def test_one_message_per_bad_parameter():
    _, problems = urlstate.parse_params({"as_of": "x", "party": "a,b", "place": "nowhere", "stale": "0"},
                                        parties={"isil"}, places={"al-qaim"})
    assert [p.split("=")[0].split(":")[0] for p in problems] == ["as_of", "party", "stale", "place"]


def test_link_dates_are_bounded_by_the_store():
    first, last = date(2014, 6, 15), date(2017, 11, 5)
    view_, _ = urlstate.parse_params({"as_of": "1990-01-01", "from": "1980-01-01", "to": "2030-01-01"})
    bounded, moved = urlstate.bound_dates(view_, first, last)
    assert (bounded.filters.as_of, bounded.filters.date_from, bounded.filters.date_to) == (first, first, last)
    assert len(moved) == 3 and "1980-01-01" in moved[1] and "2030-01-01" in moved[2]
    inside, nothing = urlstate.bound_dates(urlstate.View(Filters(as_of=date(2015, 1, 1))), first, last)
    assert nothing == [] and inside.filters.as_of == date(2015, 1, 1)
    later, quiet = urlstate.bound_dates(urlstate.View(Filters(as_of=date(2020, 1, 1))), first, last)
    assert later.filters.as_of == last and quiet == []  # after the last report: the latest state


def test_list_values_take_the_last():
    parsed, _ = urlstate.parse_params({"as_of": ["2014-01-01", "2014-06-21"]})
    assert parsed.filters.as_of == date(2014, 6, 21)


# -- escaping ------------------------------------------------------------------------------------
def test_markdown_payload_renders_as_text():
    md = MarkdownIt("commonmark").enable(["linkify", "strikethrough", "table"])
    rendered = md.render(markup.md_text(f"Link: as_of={MARKDOWN_PAYLOAD!r} is not a date"))
    assert "<a" not in rendered and "<img" not in rendered and "<strong" not in rendered
    # and shows exactly what was typed
    from html import unescape

    text = unescape(re.sub(r"<[^>]+>", "", rendered)).strip()
    assert text == f"Link: as_of={MARKDOWN_PAYLOAD!r} is not a date"
    assert markup.md_text("two\nlines") == "two lines"


def test_details_escape_report_text(labels):
    source = {"source": "<b>Wire</b>", "url": "javascript:window.__pwned=1", "report_date": "2015-05-25",
              "event_date": "2015-05-24", "evidence": XSS_SENTENCE, "party": "syrian-opposition",
              "status": "controls", "claim_key": "k1", "confidence": 0.9}
    row = _row("al-waleed", "Al-Waleed <i>x</i>", party="syrian-opposition", sources=[source])
    for html in (markup.details_html(row, labels), markup.popup_html(row, labels)):
        assert "<script" not in html and "<img" not in html and "<b>Wire" not in html and "<i>x" not in html
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in html
        # folium puts popups in a JS template literal: no ${, backtick or backslash may survive.
        assert "${" not in html and "`" not in html and "\\" not in html
        assert "<a " not in html  # the javascript: url is not a link


def test_only_http_links():
    assert markup.link_html("https://example.org/a?b=1&c=2", "link") == (
        '<a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">link</a>')
    for bad in ("javascript:alert(1)", "data:text/html,<script>x</script>", "//example.org", "ftp://x", "", None):
        assert "<a " not in markup.link_html(bad, "link")


def test_evidence_lists_each_sentence_once(labels):
    sentence = "The Nasib crossing fell to Syrian rebels and Nusra Front fighters yesterday."
    sources = [{"source": "AP", "url": "", "report_date": "2015-04-02", "event_date": "2015-04-01",
                "evidence": sentence, "party": party, "status": "controls", "claim_key": party}
               for party in ("syrian-opposition", "nusra")]
    html = markup.details_html(_row("nasib", "Nasib", sources=sources), labels)
    assert html.count(markup.escape_text(sentence)) == 1
    assert labels["syrian-opposition"] in html and labels["nusra"] in html


def test_popup_is_small_and_the_panel_has_everything(labels):
    sources = [{"source": f"S{i}", "url": "", "report_date": f"2015-0{i}-01", "event_date": None,
                "evidence": f"Sentence number {i} about the crossing.", "party": "isil", "status": "controls",
                "claim_key": str(i)} for i in range(1, 6)]
    row = _row(sources=sources, n_reports=5)
    popup, details = markup.popup_html(row, labels), markup.details_html(row, labels)
    assert popup.count("bw-sentence") == 1 and "Sentence number 1" in popup and "S1" in popup
    assert details.count("bw-sentence") == 5
    assert "Held by Islamic State" in popup and "since 2014-06-14" in popup


def test_map_features_escape_tooltips_popups_and_labels(state, colours, labels):
    evil = state.copy()
    evil.at[0, "place"] = '<img src=x onerror="window.__pwned=1">'
    for feature in view.map_features(evil, colours, labels):
        assert "<img" not in feature.tooltip and "<img" not in feature.popup and "<img" not in feature.label


def test_marker_html_carries_place_and_safe_colour():
    st = style.marker_style("crossing", "controls", "isil", {"isil": "red;background:url(//evil)"})
    assert st.colour == style.FALLBACK_COLOUR
    html = markup.marker_html(st, 'a"b', "isil", "controls", False)
    assert 'data-place="a&quot;b"' in html and "url(" not in html


# -- styles and colours ----------------------------------------------------------------------------
def test_statuses_are_drawn_by_pattern_rim_and_glyph_not_opacity(colours):
    crossing = style.marker_style("crossing", "controls", "isil", colours)
    province = style.marker_style("province", "controls", "isil", colours)
    contested = style.marker_style("crossing", "contested", "isil", colours, parties=["isil", "iraq-gov"])
    notgov = style.marker_style("crossing", "not-government", "unknown", colours)
    unknown = style.marker_style("crossing", "controls", "unknown", colours)
    stale = style.marker_style("crossing", "controls", "isil", colours, stale=True)
    split = style.marker_style("crossing", "controls", "isil", colours, sides=["isil", "iraq-gov"])
    assert (crossing.shape, province.shape) == ("diamond", "circle")
    assert crossing.colour == colours["isil"] and crossing.pattern == ""
    assert "repeating-linear-gradient" in contested.pattern and colours["iraq-gov"] in contested.pattern
    assert notgov.glyph == "≠" and notgov.rim_style == "dashed"
    assert unknown.glyph == "?" and unknown.colour == style.FALLBACK_COLOUR
    assert stale.colour == colours["isil"] and stale.rim_style == "dashed" and "radial-gradient" in stale.pattern
    assert "linear-gradient" in split.pattern and colours["iraq-gov"] in split.pattern and split.key == "split"
    keys = {s.key for s in (crossing, contested, notgov, unknown, split)}
    assert keys == {"held", "contested", "not-government", "unknown", "split"}
    for s in (crossing, contested, notgov, unknown, stale, split):
        assert "opacity" not in markup.marker_css(s)


def test_stale_isil_is_not_the_grey_of_an_unknown_holder(colours):
    """What the issue measured: faded ISIL rendered the same grey as 'Unknown holder'."""
    stale = style.marker_style("crossing", "controls", "isil", colours, stale=True)
    unknown = style.marker_style("crossing", "controls", "unknown", colours)
    other = style.marker_style("crossing", "controls", "other", colours)
    assert style.colour_distance(stale.colour, unknown.colour) > 40
    assert style.colour_distance(stale.colour, other.colour) > 40
    assert (stale.glyph, unknown.glyph) == ("", "?")


def test_party_colours_are_told_apart_with_colour_blindness(colours):
    """Every pair of party colours stays apart (CIE76 ΔE >= 10) for normal vision and the three
    dichromacies (Machado 2009), but one known pair: the US-led coalition's teal against the Turkish
    pink (deuteranopia) and the Syrian opposition's green (tritanopia). The palette is the gazetteer's
    (geodata/data/parties.csv, not the dashboard's); #661100 for the coalition would clear every pair."""
    conflicts = style.cvd_conflicts(colours, min_delta=10)
    assert {tuple(sorted(c[:2])) for c in conflicts} <= {("turkey", "us-coalition"),
                                                        ("syrian-opposition", "us-coalition")}, conflicts
    assert style.cvd_conflicts(dict(colours, **{"us-coalition": "#661100"}), min_delta=10) == []


def test_a_split_crossing_is_two_halves_facing_their_sides(colours, labels):
    sides = [{"side": "IQ", "side_name": "Al-Qaim", "party": "iraq-gov", "since": date(2017, 11, 3),
              "since_text": "2017-11-03"},
             {"side": "SY", "side_name": "Albu Kamal", "party": "isil", "since": date(2014, 6, 14),
              "since_text": "mid-2014"}]
    row = _row(party="split", status="split", split=True, sides=sides, parties=["iraq-gov", "isil"])
    halves, angle = view.split_halves(row, {"IQ": (43.7, 33.0), "SY": (38.5, 35.0)})
    assert halves == ["iraq-gov", "isil"] and 270 < angle < 300  # from Iraq west to Syria
    (feature,) = view.map_features(pd.DataFrame([row]), colours, labels,
                                   country_points={"IQ": (43.7, 33.0), "SY": (38.5, 35.0)})
    assert feature.style.key == "split" and colours["isil"] in feature.style.pattern
    line = markup.status_line(row, labels)
    assert line == (f"Sides held by different parties: Al-Qaim: {labels['iraq-gov']} since 2017-11-03 · "
                    f"Albu Kamal: {labels['isil']} since mid-2014")
    assert "bw-sides" not in markup.popup_html(row, labels)  # said once, in the status line
    legend = view.legend_parties(pd.DataFrame([row]), {p: type("P", (), {"label": labels[p], "colour": colours[p]})
                                                       for p in colours})
    assert [label for label, _ in legend] == [labels["isil"], labels["iraq-gov"]]
    one = dict(row, split=False, status="controls", party="krg",
               sides=[dict(sides[0], party="krg"), {"side": "SY", "side_name": "al-Yarubiyah", "party": None}])
    assert markup.sides_line(one, labels) == f"Al-Qaim: {labels['krg']} · al-Yarubiyah: no report"


def test_joint_holders_are_named_together(labels):
    row = _row(party="syrian-opposition", joint_with=["nusra"])
    assert markup.status_line(row, labels) == (f"Held by {labels['syrian-opposition']} jointly with "
                                               f"{labels['nusra']} since 2014-06-14")


def test_stale_places_are_marked(state, colours, labels):
    features = {f.place_id: f for f in view.map_features(state, colours, labels, stale_days=180)}
    assert features["safwan"].stale and features["safwan"].style.stale
    assert not features["al-qaim"].stale
    assert [f.kind for f in view.map_features(state, colours, labels)][0] == "province"  # drawn under crossings


def test_legend_lists_parties_and_statuses(state, parties):
    legend = view.legend_parties(state, parties)
    assert [label for label, _ in legend] == [parties[p].label for p in parties if p in set(state["party"])]
    html = markup.legend_html(legend, 90)
    for word in ("crossing", "province", "contested", "holder unnamed", "not government", "stale &gt; 90 d"):
        assert word in html
    assert "split" not in html and "split sides" in markup.legend_html(legend, split=True)


# -- changes of control and the timeline ------------------------------------------------------------
def test_changes_of_control_newest_first(prepared, labels):
    from conftest_browser import DATES

    runs = view.change_runs(prepared)
    places = pd.DataFrame({"place_id": ["al-qaim", "rabia", "nineveh", "al-waleed"],
                           "place": ["Al-Qaim", "Rabia", "Nineveh", "Al-Waleed"],
                           "kind": ["crossing", "crossing", "province", "crossing"],
                           "border": ["IQ-SY", "IQ-SY", "IQ", "IQ-SY"]})
    latest = view.changes_until(runs, DATES[-1], places)
    assert list(latest["place_id"]) == ["al-qaim", "al-waleed", "nineveh", "rabia", "al-qaim"]
    assert list(latest["date"]) == sorted(latest["date"], reverse=True)
    top = latest.iloc[0].to_dict()
    assert (top["from_party"], top["party"], top["date"]) == ("isil", "iraq-gov", date(2017, 11, 3))
    # Iraqi forces retook the Iraqi side only (geodata.timeline: a state's forces hold their own side).
    assert view.change_line(top, labels, {"IQ": "Iraq"}) == (
        f"2017-11-03 · Al-Qaim (Iraq side): {labels['isil']} → {labels['iraq-gov']} · Test Wire")
    assert "first report" in view.change_line(latest.iloc[-1].to_dict(), labels)
    early = view.changes_until(runs, date(2014, 6, 20), places)
    assert list(early["place_id"]) == ["rabia", "al-qaim"]
    assert list(view.changes_until(runs, DATES[-1], places, Filters(kinds=("province",)))["place_id"]) == ["nineveh"]
    krg = view.changes_until(runs, DATES[-1], places, Filters(parties=("krg",)))
    assert list(krg["place_id"]) == ["rabia"]


def test_report_histogram_and_steps(prepared):
    counts = view.report_counts(prepared)
    assert counts["reports"].sum() == 5
    bins = view.histogram(counts, date(2014, 6, 1), date(2017, 12, 31), bins=10)
    assert len(bins) == 10 and bins["reports"].sum() == 5 and bins["reports"].iloc[0] == 3
    steps = view.play_steps(date(2014, 6, 1), date(2017, 12, 31), [date(2015, 5, 24)], steps=10)
    assert date(2015, 5, 24) in steps and steps[0] == date(2014, 6, 1) and steps[-1] == date(2017, 12, 31)
    assert len(steps) == 12


# -- viewport ------------------------------------------------------------------------------------
def test_viewport_matches_leaflet_math():
    west, south, east, north = view.viewport_bbox((0.0, 0.0), 2, 1024, 512)
    assert (west, east) == (-180.0, 180.0)
    assert north == pytest.approx(66.51326, abs=1e-4) and south == pytest.approx(-66.51326, abs=1e-4)
    w, s, e, n = view.viewport_bbox(mapview.DEFAULT_CENTER, 6, 900, 560)
    assert e - w == pytest.approx(900 / (256 * 2 ** 6) * 360)
    assert s < mapview.DEFAULT_CENTER[0] < n


def test_fit_view_contains_the_places():
    points = [(30.1, 47.7), (36.8, 42.1), (32.6, 36.2)]
    (lat, lon), zoom = view.fit_view(points, 900, 600)
    west, south, east, north = view.viewport_bbox((lat, lon), zoom, 900, 600)
    assert all(west < p[1] < east and south < p[0] < north for p in points)
    assert view.fit_view([], 900, 600) is None
    assert view.fit_view([(33.0, 40.0)], 900, 600)[1] == 8  # one place: no closer than the fit's limit


def test_viewport_before_and_after_the_browser_reports():
    center, zoom, size = (34.0, 41.0), 6, (900, 560)
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


def test_csv_of_the_view_is_the_exports_csv(state):
    text = view.export_csv(state, Filters(as_of=date(2014, 6, 20)), "test")
    rows = list(csv.DictReader(text.splitlines()))
    assert sorted(r["id"] for r in rows) == sorted(state["place_id"]) and len(rows) == len(state)
    table = view.places_table(state)
    assert list(table.columns) == list(view.TABLE_COLUMNS.values())


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
    legend = markup.legend_html([("<b>Evil</b>", "#000000")])
    layer = mapview.features_layer(view.map_features(evil, colours, labels),
                                   mapview.layer_options("rabia", 3, True, legend))
    layer.add_to(m)
    assert offline_problems(m) == []
    script = m.get_root().render()
    assert "window.__pwned" in script  # the sentence is there, as text:
    assert "<script>window.__pwned" not in script and "<img src=x" not in script and "<b>Evil" not in script
    assert "${window" not in script
    assert len(re.findall(r'class=\\?"bw-marker', script)) == len(state)
    assert len(re.findall(r'class=\\?"bw-label-text', script)) == len(state)
    assert '"selected": "rabia"' in script and '"action": 3' in script


def test_base_map_script_is_stable_between_runs():
    """Same script on every run, so streamlit-folium keeps the map instead of reloading it."""
    from streamlit_folium import _get_map_string, generate_js_hash

    hashes = set()
    for _ in range(2):
        m = mapview.base_map("offline", "/app/static")
        m.get_root().render()
        hashes.add(generate_js_hash(_get_map_string(m)))
    assert len(hashes) == 1


def test_base_map_is_created_where_it_will_be_shown():
    """streamlit-folium reports the view the map is created at before it applies the asked one: a
    map created at a link's view never reports another (issue 16, the view reset under load)."""
    from streamlit_folium import _get_map_string, generate_js_hash

    def script(**where):
        m = mapview.base_map("offline", "/app/static", **where)
        m.get_root().render()
        return _get_map_string(m)

    linked = script(location=(36.0, 42.5), zoom=8)
    assert "[36.0, 42.5]" in linked and '"zoom": 8' in linked
    assert generate_js_hash(linked) == generate_js_hash(script(location=(36.0, 42.5), zoom=8))
    assert "[34.1, 41.6]" in script() and generate_js_hash(script()) != generate_js_hash(linked)


def test_marker_layer_script_is_stable_between_runs(state, colours, labels):
    """Same places, same layer script: the browser keeps the layer (and an open popup) on a rerun."""
    from streamlit_folium import _get_feature_group_string

    scripts = set()
    for _ in range(2):
        layer = mapview.features_layer(view.map_features(state, colours, labels))
        scripts.add(_get_feature_group_string(layer, mapview.base_map("offline", "/app/static")))
    assert len(scripts) == 1


def test_a_province_outline_is_drawn_in_its_holders_colour():
    import folium

    row = {"place_id": "nineveh", "place": "Nineveh", "kind": "province", "lat": 36.3, "lon": 43.1,
           "party": "isil", "party_label": "ISIL", "status": "controls", "since": None, "last_report": None,
           "staleness_days": 0, "parties": ["isil"], "sources": []}
    square = {"type": "Polygon", "coordinates": [[[42, 35], [44, 35], [44, 37], [42, 37], [42, 35]]]}
    (feature,) = view.map_features(pd.DataFrame([row]), {"isil": "#000000"}, {"isil": "ISIL"},
                                   outlines={"nineveh": square})
    assert feature.outline == square
    m = folium.Map(tiles=None)
    mapview.features_layer([feature]).add_to(m)
    html = m.get_root().render()
    assert '"fillColor": "#000000"' in html and "[42, 35]" in html


# -- uploads ---------------------------------------------------------------------------------
def test_uploads_are_read_by_the_commands_reader():
    batch = b'{"text": "Kurdish Peshmerga forces took control of the Rabia crossing.", "report_date": "2014-06-20"}\n' \
            b'{"title": "no text"}\n'
    items = uploads.read_upload("[x](https://evil.example).jsonl", batch, InputOptions())
    assert [type(i) for i in items] == [Report, Skipped]
    assert items[0].name.startswith("[x](https://evil.example).jsonl") and items[0].report_date == date(2014, 6, 20)
    assert items[1].name.startswith("[x](https://evil.example).jsonl") and "upload" not in items[1].name
    assert isinstance(uploads.read_upload("notes.pdf", b"%PDF", InputOptions())[0], Skipped)
    pasted = uploads.read_pasted("Iraqi forces took the Al-Qaim crossing.", InputOptions(report_date=date(2017, 11, 3)),
                                 "https://example.org/a")
    assert pasted[0].url == "https://example.org/a" and pasted[0].report_date == date(2017, 11, 3)
