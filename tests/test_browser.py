"""End to end: `borderwatch serve` on 127.0.0.1, driven in Debian's Chromium through Playwright.

What a user would check: markers and their colours, the slider, the party filter, a click on a
marker, the GeoJSON download of the view, an injected script staying text, and a page that
needs nothing but 127.0.0.1. Every request elsewhere is aborted and recorded; a test fails if
the page tried one, if a response was not ok, or if the page threw.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest_browser import (
    DATES,
    FIRST,
    LATEST,
    XSS_PLACE,
    XSS_SENTENCE_START,
    dashboard_on_test_store,
)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "test-output" / "browser"
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
TIMEOUT = 30_000  # ms; a rerun takes well under a second here, the first page load a few seconds


@pytest.fixture(scope="module")
def server(chromium, tmp_path_factory, extractor):
    with dashboard_on_test_store(tmp_path_factory, extractor, "browser", OUT) as url:
        yield url


class Dashboard:
    """One browser tab on the dashboard, with the checks every test shares."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base
        self.left_host: list[str] = []  # requests the page tried to send beyond 127.0.0.1
        self.bad: list[str] = []  # responses that were not ok, requests that failed
        self.errors: list[str] = []  # uncaught exceptions in the page
        page.route("**/*", self._route)
        page.on("response", lambda r: r.status >= 400 and self.bad.append(f"{r.status} {r.url}"))
        page.on("requestfailed", lambda r: r.url.startswith(base) and self.bad.append(f"failed {r.url}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.map = page.frame_locator(MAP_FRAME)

    def _route(self, route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.left_host.append(route.request.url)
            route.abort()

    def open(self, query: str = "") -> Dashboard:
        self.page.goto(f"{self.base}/{query}")
        self.map.locator(".bw-marker").first.wait_for(timeout=60_000)
        return self

    def marker(self, place: str):
        return self.map.locator(f'.bw-marker[data-place="{place}"]')

    def markers(self) -> dict[str, dict]:
        """Every marker: its colour as drawn (computed CSS), data colour, and whether it is in view."""
        found = self.map.locator(".bw-marker").evaluate_all("""els => {
            const box = document.getElementById('map_div').getBoundingClientRect();
            return els.map(e => {
                const r = e.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
                return {place: e.dataset.place, colour: e.dataset.colour, party: e.dataset.party,
                        drawn: getComputedStyle(e).backgroundColor,
                        in_view: x >= box.left && x <= box.right && y >= box.top && y <= box.bottom};
            });
        }""")
        return {m["place"]: m for m in found}

    def wait_param(self, key: str, value: str, regex: bool = False) -> None:
        """Wait until the page URL's query parameter ``key`` is ``value`` (or matches it as a regex).

        The URL is written at the end of a run, so it can trail what is already drawn.
        """
        self.page.wait_for_function(
            """([k, v, regex]) => {
                const got = new URLSearchParams(location.search).get(k);
                return regex ? got !== null && new RegExp('^(' + v + ')$').test(got) : got === v;
            }""", arg=[key, value, regex], timeout=TIMEOUT)

    def map_frame(self):
        return next(f for f in self.page.frames if "st_folium" in f.url)

    def check_clean(self) -> None:
        assert self.left_host == [], f"the page tried to leave 127.0.0.1: {self.left_host}"
        assert self.bad == [], f"requests that were not ok: {self.bad}"
        assert self.errors == [], f"errors in the page: {self.errors}"


@pytest.fixture
def dashboard(request, browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    board = Dashboard(page, server)
    failed_before = request.session.testsfailed
    yield board
    try:
        if request.session.testsfailed > failed_before:
            page.screenshot(path=str(OUT / f"{request.node.name}-failure.png"), full_page=True)
        board.check_clean()
    finally:
        context.close()


def _rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (0, 2, 4)))


def _expect_holders(board: Dashboard, holders: dict[str, str], colours: dict[str, str]) -> None:
    """Wait until exactly these places are drawn, each in its holder's colour."""
    from playwright.sync_api import expect

    expect(board.map.locator(".bw-marker")).to_have_count(len(holders))
    for place, party in holders.items():
        expect(board.marker(place)).to_have_attribute("data-colour", colours[party])
    drawn = board.markers()
    assert {p: m["drawn"] for p, m in drawn.items()} == {p: _rgb(colours[h]) for p, h in holders.items()}


@pytest.fixture(scope="module")
def colours(gazetteer) -> dict[str, str]:
    return {p.id: p.colour for p in gazetteer.parties.values()}


def test_markers_and_colours(dashboard, colours):
    board = dashboard.open()
    _expect_holders(board, LATEST, colours)
    shapes = board.map.locator(".bw-marker").evaluate_all("els => els.map(e => [e.dataset.place, e.className])")
    assert {p for p, c in shapes if "bw-circle" in c} == {"nineveh"}  # the province; crossings are diamonds
    board.wait_param("as_of", DATES[-1].isoformat())
    # Country borders and names come from the offline basemap.
    assert board.map.locator(".borderwatch-label", has_text="Iraq").count() == 1
    board.page.screenshot(path=str(OUT / "dashboard.png"), full_page=True)


def test_slider_changes_colour_on_the_claims_date_and_survives_reload(dashboard, colours):
    board = dashboard.open()
    # Pan the map, and mark its page: the slider must update the markers in place, not reload the map.
    frame = board.map_frame()
    frame.evaluate("() => { window.__probe = 42; window.map.panBy([120, 0], {animate: false}); }")
    center = frame.evaluate("() => window.map.getCenter()")
    slider = board.page.get_by_role("slider", name="As of (report dates)")
    slider.focus()
    board.page.keyboard.press("Home")
    board.wait_param("as_of", DATES[0].isoformat())
    _expect_holders(board, FIRST, colours)  # Al-Qaim: ISIL on the first date
    assert board.map_frame().evaluate("() => [window.__probe, window.map.getCenter()]") == [42, center]
    board.page.reload()
    board.map.locator(".bw-marker").first.wait_for()
    assert slider.get_attribute("aria-valuetext") == DATES[0].isoformat()
    _expect_holders(board, FIRST, colours)
    slider.focus()
    board.page.keyboard.press("End")
    board.wait_param("as_of", DATES[-1].isoformat())
    _expect_holders(board, LATEST, colours)  # Al-Qaim: retaken by Iraqi forces
    # Play starts over from the first date and steps on by itself; Pause stops it.
    board.page.get_by_role("button", name="Play").click()
    board.wait_param("as_of", DATES[1].isoformat())
    board.page.get_by_role("button", name="Pause").click()
    board.page.get_by_role("button", name="Play").wait_for()
    stopped_at = slider.get_attribute("aria-valuetext")
    assert stopped_at in {d.isoformat() for d in DATES[1:3]}


def test_party_filter_hides_other_parties(dashboard, colours, gazetteer):
    board = dashboard.open()
    box = board.page.get_by_role("combobox", name="Controlling party")
    box.click()
    box.fill("Islamic State")
    board.page.get_by_role("option", name=gazetteer.parties["isil"].label).click()
    board.page.keyboard.press("Escape")
    board.wait_param("party", "isil")
    _expect_holders(board, {p: h for p, h in LATEST.items() if h == "isil"}, colours)
    chip = board.page.locator(f'span[data-tag][aria-label="{gazetteer.parties["isil"].label}"]')
    assert chip.evaluate("e => getComputedStyle(e).backgroundColor") == _rgb(colours["isil"])


def test_click_shows_evidence_and_injected_script_stays_text(dashboard):
    from playwright.sync_api import expect

    board = dashboard.open()
    board.marker(XSS_PLACE).click()
    popup = board.map.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(XSS_SENTENCE_START)
    expect(popup).to_contain_text("<script>window.__pwned=1</script>")  # shown as text
    details = board.page.locator(".bw-details")
    expect(details).to_contain_text(XSS_SENTENCE_START)
    expect(details).to_contain_text('<img src=x onerror="window.__pwned=1">')
    expect(details).to_contain_text("Held by Syrian opposition")
    expect(details).to_contain_text("since 2015-05-24")
    board.wait_param("place", XSS_PLACE)
    # Nothing ran, in the page or in the map's frame; no element came from the report.
    for frame in board.page.frames:
        assert frame.evaluate("() => typeof window.__pwned") == "undefined", frame.url
    assert details.locator("script, img").count() == 0 and popup.locator("script, img").count() == 0
    assert details.locator("a").count() == 0  # its url is javascript:, so no link
    # A report with an http(s) url gets a link.
    board.page.get_by_role("combobox", name="Place (or click a marker)").click()
    board.page.get_by_role("option", name="Rabia").click()
    expect(details.locator("a")).to_have_attribute("href", "https://example.org/wire/2")
    board.page.screenshot(path=str(OUT / "evidence.png"), full_page=True)


def test_geojson_download_holds_exactly_the_visible_places(dashboard, tmp_path):
    import geopandas as gpd
    from playwright.sync_api import expect

    # Zoomed on Rabia and Nineveh: Al-Qaim and Al-Waleed are drawn but outside the view.
    board = dashboard.open("?map=36.0,42.5,8")
    expect(board.map.locator(".bw-marker")).to_have_count(len(LATEST))
    west, south, east, north = board.map_frame().evaluate(
        "() => { const b = window.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }")
    # The app has the browser's viewport once its summary shows the same box.
    expect(board.page.locator(".bw-view-summary")).to_contain_text(
        f"W {west:.2f}, S {south:.2f}, E {east:.2f}, N {north:.2f}")
    visible = {p for p, m in board.markers().items() if m["in_view"]}
    assert visible == {"rabia", "nineveh"}
    with board.page.expect_download() as download_info:
        board.page.get_by_role("button", name="GeoJSON of this view").click()
    download = download_info.value
    assert download.suggested_filename == f"borderwatch-{DATES[-1].isoformat()}.geojson"
    target = OUT / download.suggested_filename
    download.save_as(target)
    frame = gpd.read_file(target)
    assert set(frame["id"]) == visible
    assert dict(zip(frame["id"], frame["party"])) == {p: LATEST[p] for p in visible}
    meta = json.loads(target.read_text())["borderwatch"]
    assert meta["as_of"] == DATES[-1].isoformat()
    assert meta["bbox"] == pytest.approx([west, south, east, north], abs=1e-5)
    board.wait_param("map", r"36\.\d+,42\.\d+,8", regex=True)
