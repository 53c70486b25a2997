"""The Streamlit page's logic through streamlit.testing.v1.AppTest: the timeline, filters, URL and bad links,
the changes panel, toasts, tabs that keep their state, uploads and corrections."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest_browser import DATES, FIRST, INJECTION, LATEST, XSS_PLACE, build_store
from streamlit.testing.v1 import AppTest

from dashboard import markup, mapview, urlstate, view
from geodata.store import ClaimStore

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
# "Iraqi forces recaptured the Al-Qaim crossing" sets the Iraqi side only: Albu Kamal stays ISIL's.
NOW = {**LATEST, "al-qaim": "split"}
EVIL = "[Click](https://evil.example) ![t](https://evil.example/p.png)"


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory, extractor) -> Path:
    """The test reports, extracted by the real extractor (read-only: tests that write copy it)."""
    return build_store(tmp_path_factory.mktemp("app") / "store.db", extractor)


@pytest.fixture
def store_copy(filled_store, tmp_path) -> Path:
    """A private copy of the filled store, for tests that add reports or corrections."""
    target = tmp_path / "store.db"
    ClaimStore(filled_store).engine.dispose()
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
        at.query_params[key.rstrip("_")] = value
    return at.run()


def _holders(at: AppTest, gazetteer) -> dict[str, str]:
    """The places in view and their holders, from the table under the map ("split" for split sides)."""
    table = next(d.value for d in at.dataframe if "Holder" in d.value.columns and "Id" in d.value.columns)
    party_of = {p.label: p.id for p in gazetteer.parties.values()}
    return {i: party_of.get(h, "split" if " / " in h else h) for i, h in zip(table["Id"], table["Holder"])}


def _html(at: AppTest) -> str:
    """The HTML the page shows (not its own style sheet and script)."""
    return "\n".join(e.proto.body for e in at.get("html") if e.proto.body not in (markup.PAGE_CSS,
                                                                                 markup.COLLAPSE_SIDEBAR_JS))


def _day(microseconds: float) -> date:
    """A date slider's bound as AppTest reports it (microseconds since 1970)."""
    return date(1970, 1, 1) + timedelta(microseconds=microseconds)


def _toasts(at: AppTest) -> list[str]:
    return [t.value for t in at.toast]


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_opens_on_the_latest_date_fitted_to_the_places(filled_store, monkeypatch, gazetteer):
    at = _ok(_app(filled_store, monkeypatch))
    assert at.slider(key="w_as_of").value == DATES[-1]
    assert _holders(at, gazetteer) == NOW
    assert dict(at.query_params) == {"as_of": DATES[-1].isoformat()}  # no map= until the user moves the map
    assert "4 places on the map" in _html(at) and "4 in view" in _html(at)
    # Before the browser reports, the view is the fit to the places the browser will make.
    points = [(gazetteer.places[p].lat, gazetteer.places[p].lon) for p in LATEST]
    (lat, lon), zoom = view.fit_view(points, mapview.NOMINAL_WIDTH, mapview.MAP_HEIGHT,
                                     max_zoom=mapview.FIT_MAX_ZOOM)
    box = view.viewport_bbox((lat, lon), zoom, mapview.NOMINAL_WIDTH, mapview.MAP_HEIGHT)
    assert any(markup.md_text(markup.bbox_caption(box)) == c.value for c in at.caption)


def test_slider_moves_over_real_time(filled_store, monkeypatch, gazetteer):
    at = _app(filled_store, monkeypatch)
    slider = at.slider(key="w_as_of")
    assert (_day(slider.min), _day(slider.max)) == (date(2014, 6, 14), DATES[-1])  # first event to last report
    _ok(slider.set_value(DATES[0]).run())
    assert _holders(at, gazetteer) == FIRST
    assert at.query_params["as_of"] == DATES[0].isoformat()
    _ok(at.slider(key="w_as_of").set_value(date(2016, 1, 1)).run())  # any day, not only report dates
    assert _holders(at, gazetteer)["al-qaim"] == "isil"
    _ok(at.slider(key="w_as_of").set_value(DATES[-1]).run())
    assert _holders(at, gazetteer)["al-qaim"] == "split"


def test_change_buttons_step_between_changes_of_control(filled_store, monkeypatch):
    at = _app(filled_store, monkeypatch)
    _ok(at.button(key="w_prev").click().run())
    assert at.slider(key="w_as_of").value == date(2017, 11, 3)  # Al-Qaim retaken, two days before the last report
    _ok(at.button(key="w_prev").click().run())
    assert at.slider(key="w_as_of").value == date(2015, 5, 24)  # Al-Waleed
    _ok(at.button(key="w_next").click().run())
    assert at.slider(key="w_as_of").value == date(2017, 11, 3)


def test_changes_panel_follows_the_slider_and_selects_a_place(filled_store, monkeypatch):
    at = _app(filled_store, monkeypatch, as_of="2014-06-22")
    changes = at.radio(key="w_changes")
    assert [o.split(" · ")[1].split("\\:")[0] for o in changes.options] == ["Rabia", "Al\\-Qaim"]
    _ok(at.slider(key="w_as_of").set_value(DATES[-1]).run())
    changes = at.radio(key="w_changes")
    assert len(changes.options) == 5 and changes.options[0].startswith("2017\\-11\\-03 · Al\\-Qaim")
    before = at.session_state["select_action"]
    _ok(changes.set_value(f"{XSS_PLACE}|2015-05-24|syrian-opposition|1").run())  # Al-Waleed, second newest
    assert at.selectbox(key="w_place").value == XSS_PLACE and at.query_params["place"] == XSS_PLACE
    assert at.session_state["select_action"] == before + 1  # the map pans to it
    assert at.session_state["w_side_tab"] == "Place" and at.radio(key="w_changes").value is None


def test_a_split_crossing_names_each_sides_holder(filled_store, monkeypatch, gazetteer):
    at = _app(filled_store, monkeypatch)
    _ok(at.selectbox(key="w_place").set_value("al-qaim").run())
    html = _html(at)
    isil, iraq = gazetteer.parties["isil"].label, gazetteer.parties["iraq-gov"].label
    assert (f"Sides held by different parties: Al-Qaim: {iraq} since 2017-11-03 · Albu Kamal: {isil} since "
            "2014-06-14") in html.replace("&#x27;", "'")
    changes = at.radio(key="w_changes").options
    assert changes[0] == markup.md_text(f"▸ 2017-11-03 · Al-Qaim (Iraq side): {isil} → {iraq} · Test Wire")


def test_party_filter_hides_other_parties(filled_store, monkeypatch, gazetteer):
    at = _app(filled_store, monkeypatch)
    _ok(at.multiselect(key="w_parties").set_value(["isil"]).run())
    # a split crossing with one side ISIL's is shown too
    assert _holders(at, gazetteer) == {p: h for p, h in NOW.items() if h == "isil" or p == "al-qaim"}
    assert at.query_params["party"] == "isil"
    _ok(at.multiselect(key="w_kinds").set_value(["crossing"]).run())
    assert _holders(at, gazetteer) == {"al-qaim": "split"}


def test_url_reproduces_the_view(filled_store, monkeypatch, gazetteer):
    # Zoomed on Rabia and Nineveh, on 2014-06-20, ISIL and Peshmerga only.
    at = _ok(_app(filled_store, monkeypatch, as_of="2014-06-20", party="isil,krg", map="36.5,42.5,8",
                  place="rabia"))
    assert at.slider(key="w_as_of").value == date(2014, 6, 20)
    assert at.multiselect(key="w_parties").value == ["isil", "krg"]
    assert at.selectbox(key="w_place").value == "rabia"
    assert _holders(at, gazetteer) == {"rabia": "krg"}  # Al-Qaim (ISIL then) is outside this view
    box = view.viewport_bbox((36.5, 42.5), 8, mapview.NOMINAL_WIDTH, mapview.MAP_HEIGHT)
    assert any(markup.md_text(markup.bbox_caption(box)) == c.value for c in at.caption)
    assert at.query_params["map"] == "36.5,42.5,8" and at.query_params["place"] == "rabia"
    assert _toasts(at) == []


def test_bad_link_values_are_named_once_as_text(filled_store, monkeypatch, gazetteer):
    at = _ok(_app(filled_store, monkeypatch, as_of=EVIL, party="martians,venusians", place="nowhere",
                  stale="-1"))
    toasts = _toasts(at)
    assert len(toasts) == 4 and at.warning.len == 0  # one toast per bad parameter, nothing pushed into the page
    assert any("martians" in t and "venusians" in t for t in toasts) and any("nowhere" in t for t in toasts)
    evil = next(t for t in toasts if "evil" in t)
    said = next(p for p in urlstate.parse_params({"as_of": EVIL})[1])
    assert evil == markup.md_text(f"Link: {said}") and EVIL[:40] in said
    outside_code = re.sub(r"`[^`]*`", "", evil)
    assert "](" not in outside_code and "![" not in outside_code  # link syntax only inside code spans
    assert _holders(at, gazetteer) == NOW
    assert dict(at.query_params) == {"as_of": DATES[-1].isoformat()}  # the URL keeps what was used
    _ok(at.multiselect(key="w_kinds").set_value(["crossing"]).run())
    assert _toasts(at) == []  # said once, for that link only


def test_old_dates_in_a_link_are_bounded(filled_store, monkeypatch):
    at = _ok(_app(filled_store, monkeypatch, from_="1980-01-01", to="2030-01-01", as_of="1985-05-05"))
    assert at.checkbox(key="w_range").value
    assert at.date_input(key="w_from").value == date(2014, 6, 14) and at.date_input(key="w_to").value == DATES[-1]
    assert at.slider(key="w_as_of").value == date(2014, 6, 14)
    assert sum("1980-01-01" in t.replace("\\", "") for t in _toasts(at)) == 1


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
    assert at.session_state["select_action"] == 1  # picked from the list: the map pans to it


def test_play_button_starts_and_stops(filled_store, monkeypatch):
    at = _app(filled_store, monkeypatch)
    _ok(at.button(key="w_play").click().run())
    assert at.session_state["playing"] and at.button(key="w_play").label == "Pause"
    assert at.slider(key="w_as_of").value == date(2014, 6, 14)  # at the end, Play starts over
    _ok(at.button(key="w_play").click().run())
    assert not at.session_state["playing"]


def test_add_report_preview_then_save(store_copy, monkeypatch):
    at = _app(store_copy, monkeypatch)
    at.text_area(key="w_paste").input("Syrian Democratic Forces took control of the Rabia crossing on Monday.")
    at.date_input(key="w_report_date").set_value(date(2018, 1, 10))
    at.text_input(key="w_source").input("Our [notes](https://evil.example)")
    _ok(at.button(key="w_preview").click().run())
    preview = next(d.value for d in at.dataframe if "Evidence" in d.value.columns)
    assert list(preview["Place"]) == ["Rabia"] and "Syrian Democratic Forces" in preview["Holder"].iloc[0]
    assert ClaimStore(store_copy).counts()["reports"] == len(DATES)  # nothing stored yet
    _ok(at.button(key="w_save").click().run())
    assert ClaimStore(store_copy).counts()["reports"] == len(DATES) + 1
    assert any("Saved 1 report" in t for t in _toasts(at))
    assert _day(at.slider(key="w_as_of").max) == date(2018, 1, 10)


def test_upload_reads_files_like_the_command(store_copy, monkeypatch):
    from dashboard import uploads
    from extract.sources import InputOptions

    items = uploads.read_upload("batch.csv", b"text,report_date,source\n"
                                b"\"Iraqi forces retook the Al-Qaim crossing.\",2017-11-04,Wire\n", InputOptions())
    assert len(items) == 1 and items[0].report_date == date(2017, 11, 4) and items[0].name.startswith("batch.csv")


def test_tabs_keep_their_state_across_a_save(store_copy, monkeypatch):
    at = _app(store_copy, monkeypatch)
    at.session_state["w_tab"] = "Corrections"
    _ok(at.run())
    at.selectbox(key="w_set_place").set_value("rabia")
    at.selectbox(key="w_set_party").set_value("sdf")
    _ok(at.button(key="w_set_save").click().run())
    assert at.session_state["w_tab"] == "Corrections"
    assert any("Rabia held by" in t for t in _toasts(at))


def test_corrections_change_the_map(store_copy, monkeypatch, gazetteer):
    at = _app(store_copy, monkeypatch)
    _ok(at.selectbox(key="w_place").set_value("al-qaim").run())
    at.text_input(key="w_reject_note").input("misread")
    _ok(at.button(key="w_reject").click().run())
    assert _holders(at, gazetteer)["al-qaim"] == "isil"  # the recapture claim is rejected
    assert len(ClaimStore(store_copy).corrections_frame()) == 1
    assert any("rejected" in t for t in _toasts(at))

    at.selectbox(key="w_set_place").set_value("rabia")
    at.selectbox(key="w_set_party").set_value("isil")  # not a state's own forces: both sides
    at.text_input(key="w_set_note").input("seen on the ground")
    _ok(at.button(key="w_set_save").click().run())
    assert _holders(at, gazetteer)["rabia"] == "isil"
    fixes = ClaimStore(store_copy).corrections_frame()
    assert list(fixes["action"]) == ["reject", "set"] and fixes["note"].iloc[1] == "seen on the ground"


def test_empty_store_says_how_to_add_reports(tmp_path, monkeypatch, gazetteer):
    at = _ok(_app(tmp_path / "empty.db", monkeypatch))
    text = " ".join(i.value for i in at.info)
    assert "borderwatch extract" in text and "demo" in text
    assert at.text_area(key="w_paste") is not None
    _ok(at.button(key="w_demo").click().run())
    assert at.slider(key="w_as_of").value is not None and len(_holders(at, gazetteer)) > 0
    assert any("Loaded" in t for t in _toasts(at))


def test_serve_command_installs_offline_assets():
    from dashboard.app_runner import APP as app_path
    from dashboard.app_runner import STATIC_DIR, streamlit_command
    from dashboard.basemap import BASEMAP_FILE

    command = streamlit_command("127.0.0.1", 8599)
    assert command[1:5] == ["-m", "streamlit", "run", str(app_path)]
    options = dict(zip(command[5::2], command[6::2]))
    assert options["--server.address"] == "127.0.0.1" and options["--server.port"] == "8599"
    assert options["--server.enableStaticServing"] == "true" and options["--browser.gatherUsageStats"] == "false"
    assert (STATIC_DIR / "leaflet.js").stat().st_size > 0 and (STATIC_DIR / "leaflet.css").is_file()
    assert (STATIC_DIR / BASEMAP_FILE).stat().st_size > 100_000


def test_date_range_narrows_the_timeline(filled_store, monkeypatch):
    at = _ok(_app(filled_store, monkeypatch, from_="2014-06-16", to="2015-12-31"))
    assert at.checkbox(key="w_range").value
    slider = at.slider(key="w_as_of")
    assert (_day(slider.min), _day(slider.max)) == (date(2014, 6, 16), date(2015, 12, 31))
    assert slider.value == date(2015, 12, 31)
    assert at.query_params["from"] == "2014-06-16" and at.query_params["to"] == "2015-12-31"
    _ok(at.checkbox(key="w_range").uncheck().run())
    assert _day(at.slider(key="w_as_of").max) == DATES[-1] and "from" not in at.query_params


def test_runs_with_a_province_boundary_file(filled_store, monkeypatch, tmp_path, gazetteer):
    import geopandas as gpd
    from shapely.geometry import box

    nineveh = gazetteer.place("nineveh")
    path = tmp_path / "admin1.geojson"
    gpd.GeoDataFrame({"ISO": ["IQ-NI"]}, geometry=[box(nineveh.lon - 1, nineveh.lat - 1, nineveh.lon + 1,
                                                        nineveh.lat + 1)], crs=4326).to_file(path)
    at = _ok(_app(filled_store, monkeypatch, env_BORDERWATCH_BOUNDARIES=str(path)))
    assert _holders(at, gazetteer) == NOW
