"""The Streamlit page's logic through streamlit.testing.v1.AppTest: slider, filters, URL, export, forms."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest_browser import DATES, FIRST, INJECTION, LATEST, XSS_PLACE, build_store
from streamlit.testing.v1 import AppTest

from dashboard import mapview, view
from geodata.store import ClaimStore

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory, extractor) -> Path:
    """The test reports, extracted by the real extractor (read-only: tests that write copy it)."""
    return build_store(tmp_path_factory.mktemp("app") / "store.db", extractor)


@pytest.fixture
def store_copy(filled_store, tmp_path) -> Path:
    """A private copy of the filled store, for tests that add reports or corrections."""
    target = tmp_path / "store.db"
    ClaimStore(filled_store).engine.dispose()
    import sqlite3

    with sqlite3.connect(filled_store) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


def _app(db: Path, monkeypatch, **params) -> AppTest:
    monkeypatch.setenv("BORDERWATCH_DB", str(db))
    monkeypatch.setenv("BORDERWATCH_TILES", "offline")
    monkeypatch.delenv("BORDERWATCH_GAZETTEER", raising=False)
    monkeypatch.delenv("BORDERWATCH_BOUNDARIES", raising=False)
    for key in [k for k in params if k.startswith("env_")]:
        monkeypatch.setenv(key[4:], params.pop(key))
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _export(at: AppTest) -> dict:
    return json.loads(at.session_state["export_geojson"]())


def _holders(at: AppTest) -> dict[str, str]:
    return {f["properties"]["id"]: f["properties"]["party"] for f in _export(at)["features"]}


def _html(at: AppTest) -> str:
    return "\n".join(element.proto.body for element in at.get("html"))


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_opens_on_the_latest_date_with_every_place(filled_store, monkeypatch):
    at = _ok(_app(filled_store, monkeypatch))
    assert at.select_slider(key="w_as_of").value == DATES[-1]
    assert _holders(at) == LATEST
    assert at.query_params["as_of"] == DATES[-1].isoformat()
    assert "4 places on the map" in at.markdown[-1].value or any(
        "4 places on the map" in m.value for m in at.markdown)
    export = _export(at)
    assert export["borderwatch"]["as_of"] == DATES[-1].isoformat()
    # Before the browser reports, the viewport is the initial view computed from centre and zoom.
    expected = view.viewport_bbox(mapview.DEFAULT_CENTER, mapview.DEFAULT_ZOOM,
                                  mapview.NOMINAL_WIDTH, mapview.MAP_HEIGHT)
    assert export["borderwatch"]["bbox"] == list(expected)


def test_slider_moves_the_state(filled_store, monkeypatch):
    at = _app(filled_store, monkeypatch)
    _ok(at.select_slider(key="w_as_of").set_value(DATES[0]).run())
    assert _holders(at) == FIRST
    assert at.query_params["as_of"] == DATES[0].isoformat()
    _ok(at.select_slider(key="w_as_of").set_value(DATES[-1]).run())
    assert _holders(at)["al-qaim"] == "iraq-gov"


def test_party_filter_hides_other_parties(filled_store, monkeypatch):
    at = _app(filled_store, monkeypatch)
    _ok(at.multiselect(key="w_parties").set_value(["isil"]).run())
    assert _holders(at) == {p: h for p, h in LATEST.items() if h == "isil"}
    assert at.query_params["party"] == "isil"
    assert _export(at)["borderwatch"]["parties"] == ["isil"]
    _ok(at.multiselect(key="w_kinds").set_value(["crossing"]).run())
    assert _holders(at) == {}


def test_url_reproduces_the_view(filled_store, monkeypatch):
    # Zoomed on Rabia and Nineveh, on 2014-06-20, ISIL and Peshmerga only.
    at = _ok(_app(filled_store, monkeypatch, as_of="2014-06-20", party="isil,krg", map="36.5,42.5,8",
                  place="rabia"))
    assert at.select_slider(key="w_as_of").value == date(2014, 6, 20)
    assert at.multiselect(key="w_parties").value == ["isil", "krg"]
    assert at.selectbox(key="w_place").value == "rabia"
    export = _export(at)
    assert _holders(at) == {"rabia": "krg"}  # Al-Qaim (ISIL then) is outside this view
    assert export["borderwatch"]["bbox"] == list(view.viewport_bbox((36.5, 42.5), 8, mapview.NOMINAL_WIDTH,
                                                                      mapview.MAP_HEIGHT))
    assert at.query_params["map"] == "36.5,42.5,8" and at.query_params["place"] == "rabia"


def test_bad_link_values_are_named_not_fatal(filled_store, monkeypatch):
    at = _ok(_app(filled_store, monkeypatch, as_of="yesterday", party="martians"))
    warnings = " ".join(w.value for w in at.warning)
    assert "yesterday" in warnings and "martians" in warnings
    assert _holders(at) == LATEST


def test_selected_place_shows_escaped_evidence(filled_store, monkeypatch):
    at = _app(filled_store, monkeypatch)
    _ok(at.selectbox(key="w_place").set_value(XSS_PLACE).run())
    html = _html(at)
    assert "Syrian rebels seized the Al-Waleed crossing" in html
    assert INJECTION not in html and "<script" not in html and "<img" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "javascript:" not in html.replace("window.__pwned", "")  # the javascript: url is not linked
    assert "Test &lt;b&gt;Herald&lt;/b&gt;" in html
    assert at.query_params["place"] == XSS_PLACE


def test_play_button_starts_and_stops(filled_store, monkeypatch):
    at = _app(filled_store, monkeypatch)
    _ok(at.button(key="w_play").click().run())
    assert at.session_state["playing"] and at.button(key="w_play").label.endswith("Pause")
    # At the last date, Play starts over from the first.
    assert at.select_slider(key="w_as_of").value == DATES[0]
    _ok(at.button(key="w_play").click().run())
    assert not at.session_state["playing"]


def test_add_report_preview_then_save(store_copy, monkeypatch):
    at = _app(store_copy, monkeypatch)
    at.text_area(key="w_paste").input("Syrian Democratic Forces took control of the Rabia crossing on Monday.")
    at.date_input(key="w_report_date").set_value(date(2018, 1, 10))
    at.text_input(key="w_source").input("Our notes")
    _ok(at.button(key="w_preview").click().run())
    preview = next(d.value for d in at.dataframe if "Evidence" in d.value.columns)
    assert list(preview["Place"]) == ["Rabia"] and "Syrian Democratic Forces" in preview["Holder"].iloc[0]
    assert ClaimStore(store_copy).counts()["reports"] == len(DATES)  # nothing stored yet
    _ok(at.button(key="w_save").click().run())
    assert ClaimStore(store_copy).counts()["reports"] == len(DATES) + 1
    assert any("Saved 1 report" in s.value for s in at.success)
    assert at.select_slider(key="w_as_of").options[-1] == "2018-01-10"


def test_corrections_change_the_map(store_copy, monkeypatch):
    at = _app(store_copy, monkeypatch)
    _ok(at.selectbox(key="w_place").set_value("al-qaim").run())
    at.text_input(key="w_reject_note").input("misread")
    _ok(at.button(key="w_reject").click().run())
    assert _holders(at)["al-qaim"] == "isil"  # the recapture claim is rejected
    assert len(ClaimStore(store_copy).corrections_frame()) == 1

    place = next(s for s in at.selectbox if s.label == "Place")
    place.set_value("rabia")
    at.selectbox(key="w_set_party").set_value("sdf")
    at.text_input(key="w_set_note").input("seen on the ground")
    _ok(at.button(key="w_set_save").click().run())
    assert _holders(at)["rabia"] == "sdf"
    fixes = ClaimStore(store_copy).corrections_frame()
    assert list(fixes["action"]) == ["reject", "set"] and fixes["note"].iloc[1] == "seen on the ground"


def test_empty_store_says_how_to_add_reports(tmp_path, monkeypatch):
    at = _ok(_app(tmp_path / "empty.db", monkeypatch))
    text = " ".join(i.value for i in at.info)
    assert "borderwatch extract" in text and "demo" in text
    assert at.text_area(key="w_paste") is not None
    _ok(at.button(key="w_demo").click().run())
    assert at.select_slider(key="w_as_of").value is not None and len(_export(at)["features"]) > 0


def test_serve_command_installs_offline_assets():
    from dashboard.app_runner import APP as app_path
    from dashboard.app_runner import STATIC_DIR, streamlit_command

    command = streamlit_command("127.0.0.1", 8599)
    assert command[1:5] == ["-m", "streamlit", "run", str(app_path)]
    options = dict(zip(command[5::2], command[6::2]))
    assert options["--server.address"] == "127.0.0.1" and options["--server.port"] == "8599"
    assert options["--server.enableStaticServing"] == "true" and options["--browser.gatherUsageStats"] == "false"
    assert (STATIC_DIR / "leaflet.js").stat().st_size > 0 and (STATIC_DIR / "leaflet.css").is_file()


def test_date_range_narrows_the_timeline(filled_store, monkeypatch):
    at = _ok(_app(filled_store, monkeypatch, **{"from": "2014-06-16", "to": "2015-12-31"}))
    assert at.checkbox(key="w_range").value
    assert at.select_slider(key="w_as_of").options == [d.isoformat() for d in DATES[1:4]]
    assert at.select_slider(key="w_as_of").value == DATES[3]
    assert at.query_params["from"] == "2014-06-16" and at.query_params["to"] == "2015-12-31"
    assert _export(at)["borderwatch"]["date_from"] is None  # the export is the as-of state, not a range
    _ok(at.checkbox(key="w_range").uncheck().run())
    assert len(at.select_slider(key="w_as_of").options) == len(DATES) and "from" not in at.query_params


def test_runs_with_a_province_boundary_file(filled_store, monkeypatch, tmp_path, gazetteer):
    import geopandas as gpd
    from shapely.geometry import box

    nineveh = gazetteer.place("nineveh")
    path = tmp_path / "admin1.geojson"
    gpd.GeoDataFrame({"ISO": ["IQ-NI"]}, geometry=[box(nineveh.lon - 1, nineveh.lat - 1, nineveh.lon + 1,
                                                        nineveh.lat + 1)], crs=4326).to_file(path)
    at = _ok(_app(filled_store, monkeypatch, env_BORDERWATCH_BOUNDARIES=str(path)))
    assert _holders(at) == LATEST
