"""The Streamlit page: reads the store and the URL, then lays out the map, the timeline and the panels.

Run it with ``borderwatch serve`` (which sets ``BORDERWATCH_DB``, ``BORDERWATCH_TILES`` and
optionally ``BORDERWATCH_GAZETTEER`` and ``BORDERWATCH_BOUNDARIES``, and serves the map's JS/CSS
and basemap from ``dashboard/static``). The logic is elsewhere: :mod:`dashboard.view` (what is
shown), :mod:`dashboard.markup` (all HTML), :mod:`dashboard.mapview` (the map),
:mod:`dashboard.panels` (the widgets), :mod:`dashboard.urlstate` (the URL).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from functools import partial

import pandas as pd
import streamlit as st
from shapely.geometry import mapping

from dashboard import mapview, markup, panels, urlstate, view
from dashboard.app_runner import STATIC_DIR
from dashboard.assets import install_static_assets
from dashboard.basemap import country_points
from extract.pipeline import EXTRACTOR_VERSION, Extractor
from geodata.export import Filters
from geodata.gazetteer import load_gazetteer, province_boundaries
from geodata.store import ClaimStore, StoreError, resolve_db
from geodata.timeline import as_of, periods, prepare

DB = os.environ.get("BORDERWATCH_DB") or resolve_db(None)
TILES = os.environ.get("BORDERWATCH_TILES", "offline")
EXTRA = os.environ.get("BORDERWATCH_GAZETTEER") or None
BOUNDARIES = os.environ.get("BORDERWATCH_BOUNDARIES") or None  # optional admin-1 polygons
SIDEBAR_WIDTH = 280  # px


# -- reading (cached) --------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _assets() -> None:
    # `borderwatch serve` installs them already; this covers `streamlit run dashboard/app.py`.
    install_static_assets(STATIC_DIR)


@st.cache_resource(show_spinner=False)
def _gazetteer(extra: str | None):
    return load_gazetteer(extra)


@st.cache_resource(show_spinner=False)
def _palette(extra: str | None) -> panels.Palette:
    return panels.Palette.of(_gazetteer(extra))


@st.cache_resource(show_spinner="Reading province boundaries…")
def _outlines(path: str | None, extra: str | None) -> dict:
    """Province id -> simplified GeoJSON geometry, or nothing without a boundary file."""
    if not path:
        return {}
    frame = province_boundaries(_gazetteer(extra), path)
    return {row.id: mapping(row.geometry.simplify(0.01, preserve_topology=True)) for row in frame.itertuples()}


@st.cache_resource(show_spinner=False)
def _country_points() -> dict:
    return country_points()


@st.cache_resource(show_spinner=False)
def _extractor(extra: str | None) -> Extractor:
    return Extractor(_gazetteer(extra))


@st.cache_resource(show_spinner=False)
def _store(db: str) -> ClaimStore:
    return ClaimStore(db, create=True)


def _version(store: ClaimStore) -> tuple:
    """What changes whenever the store does, cheaply: the row counts, then the highest row ids."""
    revision = store.revision()
    return (*_counts(store.db, revision), *revision)


@st.cache_data(show_spinner=False, max_entries=4)
def _counts(db: str, revision: tuple) -> tuple[int, int, int]:
    counts = _store(db).counts()
    return counts["reports"], counts["claims"], counts["corrections"]


# A resource, not data: st.cache_data would hand every rerun its own unpickled copy of all the
# claims (seconds at a million). Nothing downstream changes the frame.
@st.cache_resource(show_spinner="Reading the store…", max_entries=2)
def _claims(db: str, version: tuple) -> tuple[pd.DataFrame, list[date]]:
    store = _store(db)
    return prepare(store.claims_frame()), store.report_dates()


@st.cache_resource(show_spinner=False, max_entries=2)
def _timeline(db: str, version: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every change of control and the reports per date (once per store version)."""
    frame, _ = _claims(db, version)
    return view.change_runs(frame), view.report_counts(frame)


@st.cache_data(show_spinner=False, max_entries=4)
def _present(db: str, version: tuple) -> tuple[set[str], set[str]]:
    """Parties and places that appear in the claims (once per store version, not per rerun)."""
    frame, _ = _claims(db, version)
    return set(frame["party"].unique()), set(frame["place_id"].unique())


@st.cache_data(show_spinner=False, max_entries=256)
def _state(db: str, version: tuple, on: date, extra: str | None) -> pd.DataFrame:
    gaz = _gazetteer(extra)
    frame, _ = _claims(db, version)
    government = {c.government_party for c in gaz.countries.values() if c.government_party}
    return view.complete_state(as_of(frame, on, government), gaz.places, gaz.parties)


def _start() -> tuple:
    """Page setup, the gazetteer and the store, or one line saying why the page cannot start."""
    st.set_page_config(page_title="Borderwatch", page_icon="🗺️", layout="wide", initial_sidebar_state=SIDEBAR_WIDTH)
    st.html(markup.PAGE_CSS)
    st.html(markup.COLLAPSE_SIDEBAR_JS, unsafe_allow_javascript=True)
    _assets()
    try:
        return _gazetteer(EXTRA), _store(DB)
    except (StoreError, ValueError) as error:  # GazetteerError is a ValueError
        st.error(markup.md_text(f"Borderwatch cannot start: {error}"))
        st.stop()


def _clicked_place(shown: pd.DataFrame) -> None:
    """A marker clicked in the browser selects its place, before anything is drawn this run."""
    clicked = (st.session_state.get(mapview.MAP_KEY) or {}).get("last_object_clicked")
    if clicked and clicked != st.session_state.get("last_click"):
        st.session_state["last_click"] = clicked
        hit = view.place_at(shown, clicked)
        if hit:
            st.session_state["w_place"] = hit


# -- the page ----------------------------------------------------------------------------------
def main() -> None:
    """Draw the page once (Streamlit runs this script again on every interaction)."""
    gaz, store = _start()
    palette = _palette(EXTRA)
    panels.show_toasts()
    version = _version(store)
    frame, dates = _claims(store.db, version)
    if not dates:
        st.html(markup.title_html())
        panels.empty_store(store, version[0], palette, _extractor(EXTRA))
        return
    runs, counts = _timeline(store.db, version)
    change_dates = sorted(set(runs["date"]))
    first, last = min(dates[0], *change_dates[:1]), max(dates[-1], *change_dates[-1:])
    panels.seed_from_url(gaz, first, last)

    parties, kinds, borders, stale_days, start, end = panels.filters(gaz, palette, *_present(store.db, version),
                                                                     first, last)
    st.sidebar.caption(markup.md_text(f"Store: {store.label} — {version[0]} reports, {version[1]} claims, "
                                      f"{version[2]} corrections. Tiles: {TILES}."))

    header = st.empty()
    with st.container(key="bw_main"):
        map_column, side = st.columns([3, 1.15], gap="small")
        with map_column:
            map_slot = st.container()
            on = panels.timeline(start or first, end or last, counts, change_dates)
    filters = Filters(as_of=on, date_from=start, date_to=end, parties=tuple(parties), kinds=tuple(kinds),
                      borders=tuple(borders))
    state = _state(store.db, version, on, EXTRA)
    shown = view.visible_places(state, filters)
    _clicked_place(shown)
    selected = st.session_state.get("w_place")

    seeded_center, seeded_zoom = st.session_state.get("map_center"), st.session_state.get("map_zoom")
    guess = (seeded_center, seeded_zoom) if seeded_center else (
        view.fit_view(list(zip(shown["lat"], shown["lon"])), mapview.NOMINAL_WIDTH, mapview.MAP_HEIGHT,
                      max_zoom=mapview.FIT_MAX_ZOOM) or (mapview.DEFAULT_CENTER, mapview.DEFAULT_ZOOM))
    viewport = view.viewport_from_map(st.session_state.get(mapview.MAP_KEY), *guess,
                                      (mapview.NOMINAL_WIDTH, mapview.MAP_HEIGHT))
    origin = st.session_state.setdefault("map_origin", guess)  # where the browser creates the map, once
    features = view.map_features(shown, palette.colours, palette.labels, stale_days, _outlines(BOUNDARIES, EXTRA),
                                 _country_points())
    legend = markup.legend_html(view.legend_parties(shown, gaz.parties), stale_days,
                                split=any(f.style.key == "split" for f in features))
    options = mapview.layer_options(selected, st.session_state.get("select_action", 0), seeded_center is None,
                                    legend)
    with map_slot:
        mapview.show_map(mapview.base_map(TILES, location=origin[0], zoom=origin[1]),
                         mapview.features_layer(features, options), seeded_center,
                         seeded_zoom)

    in_view = view.visible_places(state, filters, bbox=viewport.bbox)
    header.html(markup.header_html(on, len(shown), len(in_view), len(state)))
    with side, st.container(key="bw_side"):
        place_tab, changes_tab = st.tabs(["Place", "Changes"], key="w_side_tab", on_change="rerun")
        with place_tab:
            place = panels.place_panel(state, shown, palette, partial(_history, gaz, frame, on))
        with changes_tab:
            listed = view.changes_until(runs, on, state, filters)
            panels.changes_panel(listed.head(panels.MAX_CHANGES), len(listed), palette, place,
                                 {c.iso2: c.name for c in gaz.countries.values()})

    export_filters = replace(filters, date_from=None, date_to=None, bbox=viewport.bbox)
    table_tab, add_tab, fix_tab = st.tabs(["Places in view", "Add reports", "Corrections"], key="w_tab",
                                          on_change="rerun")
    with table_tab:
        _downloads(in_view, export_filters, on, viewport.bbox)
        st.dataframe(view.places_table(in_view), hide_index=True, key="w_table")
    with add_tab:
        panels.add_reports(store, palette, _extractor(EXTRA))
    with fix_tab:
        panels.corrections(gaz, store, palette, state, place, on)

    center, zoom = (viewport.center, viewport.zoom) if viewport.reported else (seeded_center, seeded_zoom)
    panels.write_url(urlstate.View(filters, center, zoom, place, stale_days))


def _history(gaz, frame: pd.DataFrame, on: date, place: str) -> None:
    bands = view.history_frame(periods(frame, place), gaz.parties)
    panels.history_chart(bands, gaz.places[place].name if place in gaz.places else place, on)


def _downloads(in_view: pd.DataFrame, filters: Filters, on: date, bbox) -> None:
    """The view as GeoJSON and CSV, written by the export's own writers when a button is pressed."""
    left, right, rest = st.columns([2, 2, 5], vertical_alignment="center")
    left.download_button("⬇ GeoJSON of this view", partial(view.export_geojson, in_view, filters, EXTRACTOR_VERSION),
                         file_name=view.export_filename(on, "geojson"), mime="application/geo+json", key="w_geojson",
                         on_click="ignore", help="The places in the map's current view, with the filters and the "
                                                 "as-of date (what `borderwatch export` writes).")
    right.download_button("⬇ CSV of this view", partial(view.export_csv, in_view, filters, EXTRACTOR_VERSION),
                          file_name=view.export_filename(on, "csv"), mime="text/csv", key="w_csv", on_click="ignore",
                          help="The same places as CSV, as `borderwatch export --format csv` writes it.")
    rest.caption(markup.md_text(markup.bbox_caption(bbox)))


main()
