"""The map renders with no internet: local JS/CSS, offline basemap, real Chromium offline."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import folium
import pytest
from conftest import require

from dashboard import assets
from dashboard.assets import install_static_assets, offline_problems, use_local_assets
from dashboard.basemap import add_offline_basemap, country_borders, tile_layer

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CROSSINGS = [("Al-Qaim", 34.38, 41.09), ("Rabia", 36.80, 42.10), ("Al-Tanf", 33.50, 38.66)]


def _demo_map() -> folium.Map:
    m = folium.Map(location=[34.5, 41.5], zoom_start=5, tiles=None)
    use_local_assets(m, "/app/static")
    add_offline_basemap(m)
    group = folium.FeatureGroup(name="Crossings").add_to(m)
    for name, lat, lon in CROSSINGS:
        folium.CircleMarker(
            [lat, lon], radius=9, color="#b00", fill=True, popup=f"Crossing {name}", tooltip=name
        ).add_to(group)
    return m


# --- unit --------------------------------------------------------------------------------


def test_install_static_assets_copies_nonempty_files(tmp_path):
    files = install_static_assets(tmp_path / "static")
    names = {p.relative_to(tmp_path / "static").as_posix() for p in files}
    assert {"leaflet.js", "leaflet.css", "jquery.min.js", "images/marker-icon.png"} <= names
    assert all(p.is_file() and p.stat().st_size > 0 for p in files)
    assert b"Leaflet 1.9.4" in (tmp_path / "static/leaflet.js").read_bytes()[:200]
    assert b"jQuery v3.7.1" in (tmp_path / "static/jquery.min.js").read_bytes()[:200]


def test_install_static_assets_is_idempotent_and_repairs(tmp_path):
    files = install_static_assets(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in files}
    (tmp_path / "leaflet.css").write_text("broken")
    time.sleep(0.01)  # so an unwanted rewrite would show in mtime
    assert install_static_assets(tmp_path) == files
    changed = {p for p in files if p.stat().st_mtime_ns != before[p]}
    assert changed == {tmp_path / "leaflet.css"}
    assert b".leaflet-container" in (tmp_path / "leaflet.css").read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))


def test_install_static_assets_names_missing_package(tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "_ASSETS", [("no_such_module_xyz", "no-such-dist", "a.js", "a.js")])
    with pytest.raises(RuntimeError, match="no-such-dist"):
        install_static_assets(tmp_path)


def test_use_local_assets_leaves_no_remote_js_css():
    html = _demo_map().get_root().render()
    srcs = re.findall(r'<script[^>]*\bsrc="([^"]*)"', html)
    hrefs = re.findall(r'<link[^>]*\bhref="([^"]*)"', html)
    assert "/app/static/leaflet.js" in srcs and "/app/static/leaflet.css" in hrefs
    assert [u for u in srcs + hrefs if not u.startswith("/app/static/")] == []
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_use_local_assets_default_url_follows_base_url_path(monkeypatch):
    import streamlit.config

    assert use_local_assets(folium.Map()).default_js[0][1] == "/app/static/leaflet.js"
    monkeypatch.setattr(streamlit.config, "get_option", lambda key: "/borderwatch/")
    assert use_local_assets(folium.Map()).default_css[0][1] == "/borderwatch/app/static/leaflet.css"


def test_use_local_assets_does_not_touch_other_maps():
    use_local_assets(folium.Map(), "/x")
    assert folium.Map().default_js[0][1].startswith("https://")


def test_offline_problems():
    m = _demo_map()
    assert offline_problems(m) == []
    assert offline_problems(folium.Map())  # folium's CDN defaults
    folium.Marker([33, 44], icon=folium.Icon(color="red")).add_to(m)
    folium.RegularPolygonMarker([33, 44]).add_to(m)  # brings leaflet-dvf from a CDN
    problems = offline_problems(m)
    assert any("awesome-markers" in p for p in problems)
    assert any("leaflet-dvf" in p for p in problems)


def test_basemap_is_natural_earth_10m_cut_to_the_region(tmp_path):
    from dashboard.basemap import BASEMAP_FILE, REGION_BBOX, write_basemap

    borders = country_borders()
    assert borders.attrs["scale"] == "1:10m"
    path = write_basemap(tmp_path)
    assert path.name == BASEMAP_FILE and write_basemap(tmp_path) == path  # written once
    data = json.loads(path.read_text())
    kinds = {f["properties"]["kind"] for f in data["features"]}
    assert kinds == {"land", "line"} and data["scale"] == "1:10m"
    west, south, east, north = REGION_BBOX
    for feature in data["features"]:
        for lon, lat in _points(feature["geometry"]["coordinates"]):
            assert west - 1e-6 <= lon <= east + 1e-6 and south - 1e-6 <= lat <= north + 1e-6
    assert 300_000 < path.stat().st_size < 3_000_000


def _points(coordinates):
    if isinstance(coordinates[0], (int, float)):
        yield coordinates
    else:
        for part in coordinates:
            yield from _points(part)


def test_country_borders():
    borders = country_borders()
    wanted = {
        "Iraq",
        "Syria",
        "Turkey",
        "Jordan",
        "Saudi Arabia",
        "Kuwait",
        "Iran",
        "Lebanon",
        "Israel",
        "Egypt",
        "Cyprus",
    }
    assert wanted <= set(borders["name"])
    assert borders.crs.to_epsg() == 4326
    assert borders.geometry.is_valid.all()
    assert country_borders() is borders  # cached


def test_tile_layer():
    assert isinstance(tile_layer("osm"), folium.TileLayer)
    assert tile_layer("none") is None and tile_layer(" Offline ") is None
    assert tile_layer() is None  # offline-safe default
    with pytest.raises(ValueError):
        tile_layer("google")


# --- real browser, no internet --------------------------------------------------------------

APP = """
import folium
import streamlit as st
from streamlit_folium import st_folium

from dashboard.assets import offline_problems, use_local_assets
from dashboard.basemap import add_offline_basemap, tile_layer

m = folium.Map(location=[34.5, 41.5], zoom_start=5, tiles=None)
use_local_assets(m)
add_offline_basemap(m)
tile_layer("osm").add_to(m)  # online tiles on top: offline they fail, the basemap shows
for name, lat, lon in {crossings!r}:
    folium.CircleMarker([lat, lon], radius=9, color="#b00", fill=True,
                        popup=f"Crossing {{name}}", tooltip=name).add_to(m)
assert offline_problems(m) == [], offline_problems(m)
st.title("Borderwatch offline map")
st_folium(m, height=500, returned_objects=[])
"""




@pytest.fixture
def playwright_api():
    """Return playwright's sync API, after checking that Chromium is there to drive."""
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        require(False, "playwright is not installed (pip install playwright)")
    return sync_api


@pytest.fixture
def offline_app(tmp_path):
    """Serve a tiny Streamlit app using the offline assets; yield its URL."""
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit/config.toml").write_text("[server]\nenableStaticServing = true\n")
    install_static_assets(tmp_path / "static")
    (tmp_path / "app.py").write_text(textwrap.dedent(APP.format(crossings=CROSSINGS)))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("streamlit did not start:\n" + (tmp_path / "server.log").read_text())
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.2)  # poll interval, not a wait for readiness
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.browser
@pytest.mark.slow
def test_map_renders_offline_in_chromium(playwright_api, offline_app):
    expect = playwright_api.expect
    aborted, broken = [], []

    def no_internet(route):
        if urlparse(route.request.url).hostname != "127.0.0.1":
            aborted.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            page.route("**/*", no_internet)
            page.on("response", lambda r: r.status >= 400 and broken.append(f"{r.status} {r.url}"))
            page.goto(offline_app)
            frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            markers = frame.locator("path.leaflet-interactive")
            expect(markers).to_have_count(3, timeout=30_000)
            # Country fills and border lines, fetched from the app (1:10m), in the basemap pane.
            page.frame(url=lambda u: "st_folium" in u).wait_for_function(
                "() => document.querySelectorAll('.leaflet-borderwatch-basemap-pane path').length >= 80")
            labels = frame.locator(".borderwatch-label > div")  # the outer div is 0x0
            for name in ("Iraq", "Syria", "Turkey", "Jordan"):
                expect(labels.get_by_text(name, exact=True)).to_be_visible()

            seen = set()
            for i in range(3):
                markers.nth(i).click()
                popup = frame.locator(".leaflet-popup-content")
                expect(popup).to_contain_text("Crossing ")
                seen.add(popup.inner_text().strip())
                if i < 2:  # an open popup may cover the next marker
                    frame.locator(".leaflet-popup-close-button").click()
                    expect(popup).to_have_count(0)
            assert seen == {f"Crossing {name}" for name, _, _ in CROSSINGS}
            expect(frame.locator(".leaflet-popup")).to_have_css("opacity", "1")  # fade done

            out = REPO / "test-output"
            out.mkdir(exist_ok=True)
            page.screenshot(path=str(out / "offline_map.png"))
        finally:
            browser.close()

    # Only the OSM tile images may have been cut off; nothing the page needs to run.
    assert [u for u in aborted if urlparse(u).path.endswith((".js", ".css"))] == []
    assert all(urlparse(u).hostname.endswith("tile.openstreetmap.org") for u in aborted), aborted
    assert broken == []
