"""The Streamlit page: reads the store and the URL, draws widgets, map and panels (logic: view, filters, mapview).

Run it with ``borderwatch serve`` (which sets ``BORDERWATCH_DB``, ``BORDERWATCH_TILES`` and
optionally ``BORDERWATCH_GAZETTEER``, and serves the map's JS/CSS from ``dashboard/static``).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st
from shapely.geometry import mapping

from dashboard import urlstate
from dashboard import mapview, view
from dashboard.app_runner import STATIC_DIR
from dashboard.assets import install_static_assets
from dashboard.style import chip_css, legend_html, swatch_html
from extract.pipeline import EXTRACTOR_VERSION, Extractor
from extract.sources import InputOptions
from geodata.export import Filters
from geodata.gazetteer import load_gazetteer, province_boundaries
from geodata.store import ClaimStore, StoreError, resolve_db
from geodata.timeline import as_of, periods, prepare

PLAY_SECONDS = 1.5

DB = os.environ.get("BORDERWATCH_DB") or resolve_db(None)
TILES = os.environ.get("BORDERWATCH_TILES", "offline")
EXTRA = os.environ.get("BORDERWATCH_GAZETTEER") or None
BOUNDARIES = os.environ.get("BORDERWATCH_BOUNDARIES") or None  # optional admin-1 polygons


# -- reading (cached) --------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _assets() -> None:
    # `borderwatch serve` installs them already; this covers `streamlit run dashboard/app.py`.
    install_static_assets(STATIC_DIR)


@st.cache_resource(show_spinner=False)
def _gazetteer(extra: str | None):
    return load_gazetteer(extra)


@st.cache_resource(show_spinner="Reading province boundaries…")
def _outlines(path: str | None, extra: str | None) -> dict:
    """Province id -> simplified GeoJSON geometry, or nothing without a boundary file."""
    if not path:
        return {}
    frame = province_boundaries(_gazetteer(extra), path)
    return {row.id: mapping(row.geometry.simplify(0.01, preserve_topology=True)) for row in frame.itertuples()}


@st.cache_resource(show_spinner=False)
def _extractor(extra: str | None) -> Extractor:
    return Extractor(_gazetteer(extra))


@st.cache_resource(show_spinner=False)
def _store(db: str) -> ClaimStore:
    return ClaimStore(db, create=True)


def _version(store: ClaimStore) -> tuple:
    """What changes whenever the store does, cheaply: the highest row ids, then the row counts."""
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


# -- session start: the URL seeds the widgets --------------------------------------------------
def _seed_from_url(gaz) -> None:
    borders = {p.border for p in gaz.places.values()}
    seeded, problems = urlstate.parse_params(st.query_params.to_dict(), parties=gaz.parties, borders=borders)
    f = seeded.filters
    st.session_state.update({
        "seeded": seeded, "url_problems": problems,
        "w_parties": list(f.parties), "w_kinds": list(f.kinds), "w_borders": list(f.borders),
        "w_range": bool(f.date_from or f.date_to), "w_from": f.date_from, "w_to": f.date_to,
        "w_stale": seeded.stale_days, "w_place": seeded.place,
        "map_center": seeded.center or mapview.DEFAULT_CENTER,
        "map_zoom": seeded.zoom or mapview.DEFAULT_ZOOM,
        "want_as_of": f.as_of, "playing": False,
    })


def _toggle_play(steps: list[date]) -> None:
    playing = not st.session_state.get("playing", False)
    st.session_state["playing"] = playing
    if playing and st.session_state.get("w_as_of") == steps[-1]:
        st.session_state["pending_as_of"] = steps[0]  # play from the start when at the end


# -- sidebar -------------------------------------------------------------------------------------
def _timeline(dates: list[date]) -> tuple[date, date | None, date | None]:
    """Range, slider and play control; returns (as-of date, range start, range end)."""
    st.sidebar.subheader("Timeline")
    use_range = st.sidebar.checkbox("Limit the timeline to a date range", key="w_range")
    start = end = None
    if use_range:
        left, right = st.sidebar.columns(2)
        if st.session_state.get("w_from") is None:
            st.session_state["w_from"] = dates[0]
        if st.session_state.get("w_to") is None:
            st.session_state["w_to"] = dates[-1]
        start = left.date_input("From", key="w_from", min_value=date(1990, 1, 1))
        end = right.date_input("To", key="w_to", min_value=date(1990, 1, 1))
        if start and end and start > end:
            st.sidebar.warning("The range's start is after its end; showing all dates.")
            start = end = None
    steps = urlstate.timeline_steps(dates, start, end)
    if not steps:
        st.sidebar.warning("No report dates in that range; showing all dates.")
        steps, start, end = dates, None, None
    if "pending_as_of" in st.session_state:
        st.session_state["w_as_of"] = st.session_state.pop("pending_as_of")
    if st.session_state.get("w_as_of") not in steps:
        wanted = st.session_state.pop("want_as_of", None) or st.session_state.get("w_as_of")
        st.session_state["w_as_of"] = urlstate.snap_date(wanted, steps)
    if len(steps) == 1:
        st.sidebar.caption(f"One report date: {steps[0].isoformat()}")
        return steps[0], start, end
    on = st.sidebar.select_slider("As of (report dates)", options=steps, key="w_as_of",
                                  format_func=lambda d: d.isoformat(),
                                  help="Each step is a date on which a stored report was published.")
    playing = st.session_state.get("playing", False)
    st.sidebar.button("⏸ Pause" if playing else "▶ Play", key="w_play", on_click=_toggle_play, args=(steps,),
                      help="Step through the report dates.")
    if playing:
        _player(steps, on)
    return on, start, end


def _player(steps: list[date], on: date) -> None:
    """While playing, a fragment ticks every few seconds and moves the slider one step."""
    st.session_state["player_armed"] = True

    @st.fragment(run_every=PLAY_SECONDS)
    def tick():
        if st.session_state.pop("player_armed", False):
            return  # the run that defined the fragment; the timer's runs advance
        index = steps.index(on) if on in steps else -1
        if index + 1 < len(steps):
            st.session_state["pending_as_of"] = steps[index + 1]
        else:
            st.session_state["playing"] = False
        st.rerun()

    tick()


def _filters(gaz, present_parties: set[str], present_places: set[str]) -> tuple[list[str], list[str], list[str], int]:
    st.sidebar.subheader("Filters")
    colours = {p: gaz.parties[p].colour for p in gaz.parties}
    present = present_parties | set(st.session_state.get("w_parties") or [])
    party_options = [p for p in gaz.parties if p in present] + sorted(present - set(gaz.parties))
    label = {p: (gaz.parties[p].label if p in gaz.parties else p) for p in party_options}
    parties = st.sidebar.multiselect("Controlling party", party_options, key="w_parties",
                                     format_func=label.get, placeholder="All parties")
    # One block with the swatches, so the chip colours stay in the sidebar's flow (a style-only
    # st.html goes to a separate container).
    st.sidebar.html(chip_css([(label[p], colours.get(p, "#777777")) for p in party_options]) + "".join(
        f'<div style="font-size:0.8rem;line-height:1.5;{"" if not parties or p in parties else "opacity:.35"}">'
        f"{swatch_html(colours.get(p, '#777777'))}{view.escape_text(label[p])}</div>"
        for p in party_options))
    border_of = {p.id: p.border for p in gaz.places.values()}
    present_borders = {border_of.get(p, "") for p in present_places} - {""}
    border_options = sorted(present_borders | set(st.session_state.get("w_borders") or []),
                            key=lambda b: (b.count("-") == 0, b))
    borders = st.sidebar.multiselect(
        "Border (country pair; a province's country)", border_options, key="w_borders",
        placeholder="All borders")
    kinds = st.sidebar.multiselect("Kind", list(urlstate.KINDS), key="w_kinds", placeholder="Crossings and provinces")
    stale = st.sidebar.number_input("Fade places with no report for more than (days)", min_value=1,
                                    max_value=3650, step=30, key="w_stale")
    return parties, kinds, borders, int(stale)


# -- panels ------------------------------------------------------------------------------------
def _details(gaz, state: pd.DataFrame, shown: pd.DataFrame) -> str | None:
    """The selected place: status, since and evidence; returns its id."""
    label_of = {p: gaz.parties[p].label for p in gaz.parties}
    options = list(shown.sort_values(["kind", "place"])["place_id"])
    selected = st.session_state.get("w_place")
    if selected and selected not in options and selected in set(state["place_id"]):
        options.append(selected)  # keep a selection the filters now hide, and say so below
    if selected not in options:
        st.session_state["w_place"] = None
    names = dict(zip(state["place_id"], state["place"]))
    place = st.selectbox("Place (or click a marker)", options, key="w_place", index=None,
                         format_func=lambda p: names.get(p, p), placeholder="Choose a place")
    if not place:
        st.caption("Click a marker on the map to see who holds it, since when, and the reports that say so.")
        return None
    row = state.loc[state["place_id"] == place].iloc[0].to_dict()
    if place not in set(shown["place_id"]):
        st.caption("This place is hidden by the current filters.")
    st.html(view.details_html(row, label_of))
    return place


def _history(gaz, frame: pd.DataFrame, place: str | None, on: date) -> None:
    if not place:
        st.caption("Select a place to see its control periods.")
        return
    bands = view.history_frame(periods(frame, place), gaz.parties)
    if bands.empty:
        st.caption("No dated claims for this place.")
        return
    holders = list(dict.fromkeys(bands["holder"]))
    colours = [bands.loc[bands["holder"] == h, "colour"].iloc[0] for h in holders]
    name = gaz.places[place].name if place in gaz.places else place
    chart = alt.Chart(bands).mark_bar(cornerRadius=2).encode(
        x=alt.X("start:T", title=None), x2="end:T",
        y=alt.Y("holder:N", title=None, sort=holders, scale=alt.Scale(paddingInner=0.35),
                axis=alt.Axis(labelLimit=260, labelOverlap=False)),
        color=alt.Color("holder:N", scale=alt.Scale(domain=holders, range=colours), legend=None),
        tooltip=[alt.Tooltip("holder:N", title="Holder"), alt.Tooltip("status:N", title="Status"),
                 alt.Tooltip("start:T", title="From"), alt.Tooltip("end:T", title="To"),
                 alt.Tooltip("reports:Q", title="Reports")],
    )
    rule = alt.Chart(pd.DataFrame({"as_of": [pd.Timestamp(on)]})).mark_rule(color="#d7191c", strokeDash=[4, 3]) \
        .encode(x="as_of:T")
    plot_height = 34 * len(holders)
    st.altair_chart((chart + rule).properties(title=f"{name}: control periods", height=plot_height),
                    width="stretch", height=plot_height + 70)  # + title and date axis
    st.caption("Bands run from one reported change of holder to the next; the dashed line is the as-of date.")


def _add_reports(gaz, store: ClaimStore) -> None:
    st.markdown("Upload report files (text, HTML, JSON Lines or CSV batches) or paste a report. "
                "The claims found are shown first; nothing is stored until you save.")
    files = st.file_uploader("Report files", type=list(view.UPLOAD_TYPES), accept_multiple_files=True,
                             key="w_upload")
    text = st.text_area("…or paste a report", key="w_paste", height=140)
    left, middle, right = st.columns(3)
    report_date = left.date_input("Report date", value=None, key="w_report_date",
                                  help="Leave empty to take it from the page's metadata or dateline.")
    source = middle.text_input("Source", key="w_source", placeholder="e.g. AFP")
    url = right.text_input("Link (pasted report)", key="w_url", placeholder="https://…")
    if st.button("Preview claims", key="w_preview"):
        if not (files or text.strip()):
            st.warning("Choose files or paste a report first.")
            return
        options = InputOptions(report_date=report_date, source=source.strip())
        reports = []
        for upload in files or []:
            reports += view.reports_from_upload(upload.name, upload.getvalue(), options)
        if text.strip():
            from extract.sources import make_report

            fields = {"url": url.strip()} if view.safe_url(url) else {}
            reports.append(make_report("pasted report", text, text.lstrip()[:1] == "<", options, fields))
        st.session_state["pending"] = view.extract_batch(reports, _extractor(EXTRA))
    pending = st.session_state.get("pending")
    if not pending:
        return
    batch, skipped = pending
    label_of = {p: gaz.parties[p].label for p in gaz.parties}
    for skip in skipped:
        st.warning(f"Skipped {skip.name}: {skip.reason}")
    undated = [record["name"] for record, _ in batch if record.get("report_date") is None]
    if undated:
        st.warning(f"No report date for {', '.join(undated)}: its claims cannot be placed on the timeline. "
                   "Give a report date above and preview again.")
    preview = view.preview_frame(batch, label_of)
    st.write(f"{len(batch)} report(s), {len(preview)} claim(s) found.")
    st.dataframe(preview, hide_index=True, key="w_preview_table")
    if batch and st.button(f"Save {len(batch)} report(s) to the store", type="primary", key="w_save"):
        try:
            result = store.add_reports(batch)
        except StoreError as error:
            st.error(str(error))
            return
        st.session_state.pop("pending", None)
        st.session_state["flash"] = (f"Saved {result.added} report(s) with {result.claims} claim(s)"
                                     f"{f'; {result.duplicates} already stored' if result.duplicates else ''}.")
        st.rerun()


def _corrections(gaz, store: ClaimStore, state: pd.DataFrame, place: str | None, on: date) -> None:
    author = os.environ.get("USER", "")
    left, right = st.columns(2)
    with left:
        st.markdown("**Reject a claim** of the selected place")
        sources = []
        if place:
            sources = state.loc[state["place_id"] == place, "sources"].iloc[0] or []
        keyed = {s["claim_key"]: s for s in sources if not str(s.get("claim_key", "")).startswith("correction-")}
        if not keyed:
            st.caption("Select a place with extracted claims first.")
        else:
            label_of = {p: gaz.parties[p].label for p in gaz.parties}
            key = st.selectbox("Claim", list(keyed), key="w_reject_claim", format_func=lambda k: (
                f"{keyed[k].get('report_date')} · {label_of.get(keyed[k]['party'], keyed[k]['party'])} · "
                f"{(keyed[k].get('evidence') or '')[:90]}"))
            note = st.text_input("Why", key="w_reject_note")
            if st.button("Reject this claim", key="w_reject"):
                number = store.add_correction("reject", claim_key=key, note=note, author=author)
                st.session_state["flash"] = f"Correction {number}: claim rejected; the map no longer uses it."
                st.rerun()
    with right:
        st.markdown("**Set who held a place** on a date")
        with st.form("set_holder", border=False):
            place_ids = sorted(gaz.places, key=lambda p: gaz.places[p].name)
            target = st.selectbox("Place", place_ids, index=place_ids.index(place) if place in place_ids else 0,
                                  format_func=lambda p: f"{gaz.places[p].name} ({gaz.places[p].kind})")
            party_ids = list(gaz.parties)
            party = st.selectbox("Holder", party_ids, format_func=lambda p: gaz.parties[p].label, key="w_set_party")
            when = st.date_input("On", value=on)
            note = st.text_input("Note (source, reason)", key="w_set_note")
            if st.form_submit_button("Save correction", key="w_set_save"):
                number = store.add_correction("set", place_id=target, party=party, event_date=when,
                                              note=note, author=author)
                st.session_state["flash"] = (f"Correction {number}: {gaz.places[target].name} held by "
                                             f"{gaz.parties[party].label} on {when.isoformat()}.")
                st.rerun()


def _empty_store(gaz, store: ClaimStore, reports: int) -> None:
    opening = ("The store has no reports yet." if not reports else
               f"The store has {_count(reports, 'report')} but none with a report date, so there is no "
               "timeline to show. Add dated reports (or give a report date when you add them).")
    st.info(
        f"{opening} Add some below (upload files or paste a report), or from a "
        f"terminal:\n\n```\nborderwatch extract REPORTS_FOLDER --db {store.db}\n```\n\n"
        "To look around first, load the demo reports (our own summaries of documented 2014–2017 "
        "events, sources cited in `dashboard/demo/SOURCES.md`).")
    if st.button("Load the demo reports", key="w_demo"):
        from dashboard.demo_data import load_demo

        result = load_demo(store)
        st.session_state["flash"] = f"Loaded {result.added} demo reports ({result.claims} claims)."
        st.rerun()
    st.subheader("Add reports")
    _add_reports(gaz, store)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# -- the page ----------------------------------------------------------------------------------
def main() -> None:
    """Draw the page once (Streamlit runs this script again on every interaction)."""
    st.set_page_config(page_title="Borderwatch", page_icon="🗺️", layout="wide")
    _assets()
    try:
        gaz = _gazetteer(EXTRA)
        store = _store(DB)
    except (StoreError, ValueError) as error:  # GazetteerError is a ValueError
        st.error(f"Borderwatch cannot start: {error}")
        st.stop()
    st.title("Borderwatch")
    st.caption("Who controls which border crossing, and since when — from news reports.")
    if "flash" in st.session_state:
        st.success(st.session_state.pop("flash"))
    if "seeded" not in st.session_state:
        _seed_from_url(gaz)
    for problem in st.session_state.get("url_problems", []):
        st.warning(f"Link: {problem}")

    version = _version(store)
    frame, dates = _claims(store.db, version)
    if not dates:
        _empty_store(gaz, store, version[0])
        return

    on, start, end = _timeline(dates)
    parties, kinds, borders, stale_days = _filters(gaz, *_present(store.db, version))
    st.sidebar.caption(f"Store: `{store.label}` — {version[0]} reports, {version[1]} claims, "
                       f"{version[2]} corrections. Tiles: {TILES}.")

    filters = Filters(as_of=on, date_from=start, date_to=end, parties=tuple(parties), kinds=tuple(kinds),
                      borders=tuple(borders))
    state = _state(store.db, version, on, EXTRA)
    shown = view.visible_places(state, filters)
    label_of = {p: gaz.parties[p].label for p in gaz.parties}
    colours = {p: gaz.parties[p].colour for p in gaz.parties}

    st.subheader(f"As of {on:%d %B %Y}")
    map_column, side = st.columns([5, 2], gap="medium")
    with map_column:
        layer = mapview.features_layer(view.map_features(shown, colours, label_of, stale_days,
                                                         _outlines(BOUNDARIES, EXTRA)))
        returned = mapview.show_map(mapview.base_map(TILES), layer, st.session_state["map_center"],
                                    st.session_state["map_zoom"])
        viewport = view.viewport_from_map(returned, st.session_state["map_center"], st.session_state["map_zoom"],
                                          (mapview.NOMINAL_WIDTH, mapview.MAP_HEIGHT))
        clicked = returned.get("last_object_clicked")
        if clicked and clicked != st.session_state.get("last_click"):
            st.session_state["last_click"] = clicked
            hit = view.place_at(shown, clicked)
            if hit:
                st.session_state["w_place"] = hit
        st.html(legend_html(view.legend_parties(shown, gaz.parties), stale_days))

    in_view = view.visible_places(state, filters, bbox=viewport.bbox)
    with side:
        st.markdown("**Selected place**")
        place = _details(gaz, state, shown)

    west, south, east, north = viewport.bbox
    st.markdown(
        f'<span class="bw-view-summary">{_count(len(shown), "place")} on the map, <b>{len(in_view)} in view</b> '
        f"(W {west:.2f}, S {south:.2f}, E {east:.2f}, N {north:.2f})</span>", unsafe_allow_html=True)
    # The export is the as-of state; from/to only narrowed the slider. In the export format a
    # from/to means "the claims of a range" (borderwatch export --from/--to), so leave them out.
    export_filters = replace(filters, date_from=None, date_to=None, bbox=viewport.bbox)
    # Written when the button is pressed, not on every slider move (0.1 s at 2,000 places).
    geojson = partial(view.export_geojson, in_view, export_filters, EXTRACTOR_VERSION)
    st.session_state["export_geojson"] = geojson  # what the button serves; read back by tests
    table = view.places_table(in_view)
    down_left, down_right, _ = st.columns([2, 2, 5])
    down_left.download_button("⬇ GeoJSON of this view", geojson, file_name=view.export_filename(on, "geojson"),
                              mime="application/geo+json", key="w_geojson", on_click="ignore",
                              help="The places in the map's current view, with the filters and as-of date.")
    down_right.download_button("⬇ CSV of the table", partial(view.csv_text, table),
                               file_name=view.export_filename(on, "csv"), mime="text/csv", key="w_csv",
                               on_click="ignore")

    tab_table, tab_history, tab_add, tab_fix = st.tabs(["Places in view", "History", "Add reports", "Corrections"])
    with tab_table:
        st.dataframe(table, hide_index=True, key="w_table")
    with tab_history:
        _history(gaz, frame, place, on)
    with tab_add:
        _add_reports(gaz, store)
    with tab_fix:
        _corrections(gaz, store, state, place, on)

    current = urlstate.View(filters, viewport.center, viewport.zoom, place, stale_days)
    params = urlstate.to_params(current)
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)


main()
