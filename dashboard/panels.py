"""The page's widgets and panels (Streamlit): filters, the timeline, the side panel, the tabs.

:mod:`dashboard.app` reads the store and calls these in order. Text from outside (report text,
query values, file names) reaches Markdown elements only through
:func:`dashboard.markup.md_text` and HTML only through :mod:`dashboard.markup`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import markup, uploads, urlstate, view
from dashboard.style import STALE_DAYS
from extract.sources import InputOptions
from geodata.store import StoreError

PLAY_SECONDS = 1.5
MAX_CHANGES = 200  # rows in the changes panel (the newest)
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)  # dates an extracted report may carry


@dataclass(frozen=True)
class Palette:
    """The one label and colour of each party, from the gazetteer."""

    labels: dict
    colours: dict

    @classmethod
    def of(cls, gazetteer) -> Palette:
        return cls({p: gazetteer.parties[p].label for p in gazetteer.parties},
                   {p: gazetteer.parties[p].colour for p in gazetteer.parties})


# -- feedback --------------------------------------------------------------------------------
def say(message: str, error: bool = False) -> None:
    """Show a message as a toast after the next rerun (it survives the rerun and the page's redraw)."""
    st.session_state.setdefault("flash", []).append((message, error))


def show_toasts() -> None:
    """The messages left by the last run, as toasts; every message is shown as text."""
    for message, error in st.session_state.pop("flash", []):
        st.toast(markup.md_text(message), icon="⚠️" if error else "✅", duration="long" if error else "short")


# -- the URL ----------------------------------------------------------------------------------
def seed_from_url(gaz, first: date, last: date) -> None:
    """Set the widgets from the page's URL once, when the session starts (a link opened, edited or reloaded).

    Each unusable parameter is said once, as a toast; the URL is then rewritten without it. Later
    runs never read the URL again: a run may carry the address bar of a moment ago (before the
    last run's rewrite reached it), which would undo what the user just did.
    """
    if "url_seeded" in st.session_state:
        return
    params = st.query_params.to_dict()
    borders = {p.border for p in gaz.places.values()}
    seeded, problems = urlstate.parse_params(params, parties=gaz.parties, borders=borders, places=gaz.places)
    seeded, bounded = urlstate.bound_dates(seeded, first, last)
    f = seeded.filters
    st.session_state.update({
        "w_parties": list(f.parties), "w_kinds": list(f.kinds), "w_borders": list(f.borders),
        "w_range": bool(f.date_from or f.date_to), "w_from": f.date_from or first, "w_to": f.date_to or last,
        "w_stale": seeded.stale_days, "w_place": seeded.place, "w_as_of": f.as_of or last,
        "map_center": seeded.center, "map_zoom": seeded.zoom, "playing": False,
        "select_action": st.session_state.get("select_action", 0), "url_seeded": True,
    })
    for problem in problems + bounded:
        st.toast(markup.md_text(f"Link: {problem}"), icon="⚠️", duration="long")


def write_url(current: urlstate.View) -> None:
    """Put the current view in the URL, so it can be shared."""
    params = urlstate.to_params(current)
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)


# -- sidebar ----------------------------------------------------------------------------------
def filters(gaz, palette: Palette, present_parties: set[str], present_places: set[str],
            first: date, last: date) -> tuple[list[str], list[str], list[str], int, date | None, date | None]:
    """The filter sidebar; returns parties, kinds, borders, stale days and the timeline's range."""
    bar = st.sidebar
    bar.subheader("Filters")
    present = present_parties | set(st.session_state.get("w_parties") or [])
    options = [p for p in gaz.parties if p in present] + sorted(present - set(gaz.parties))
    label = {p: palette.labels.get(p, p) for p in options}
    parties = bar.multiselect("Controlling party", options, key="w_parties", format_func=label.get,
                              placeholder="All parties")
    bar.html(markup.chip_css([(label[p], palette.colours.get(p, "#777777")) for p in options]))
    border_of = {p.id: p.border for p in gaz.places.values()}
    present_borders = {border_of.get(p, "") for p in present_places} - {""}
    border_options = sorted(present_borders | set(st.session_state.get("w_borders") or []),
                            key=lambda b: (b.count("-") == 0, b))
    borders = bar.multiselect("Border (country pair; a province's country)", border_options, key="w_borders",
                              placeholder="All borders")
    kinds = bar.multiselect("Kind", list(urlstate.KINDS), key="w_kinds", placeholder="Crossings and provinces")
    stale = bar.number_input("Stale after (days without a report)", min_value=1, max_value=3650, step=30,
                             key="w_stale", help="Places with no report for longer are drawn dotted, "
                                                 "with a dashed rim.")
    bar.subheader("Timeline")
    start = end = None
    if bar.checkbox("Limit the timeline to a date range", key="w_range"):
        for name in ("w_from", "w_to"):  # always inside the store's dates, whatever a link said
            value = st.session_state.get(name)
            if not isinstance(value, date):
                st.session_state[name] = first if name == "w_from" else last
            elif not first <= value <= last:
                st.session_state[name] = min(max(value, first), last)
        left, right = bar.columns(2)
        start = left.date_input("From", key="w_from", min_value=first, max_value=last)
        end = right.date_input("To", key="w_to", min_value=first, max_value=last)
        if start and end and start > end:
            bar.warning("The range's start is after its end; showing all dates.")
            start = end = None
    return parties, kinds, borders, int(stale or STALE_DAYS), start, end


# -- the timeline -----------------------------------------------------------------------------
def _set_as_of(day: date) -> None:
    st.session_state["pending_as_of"] = day


def _toggle_play(first: date) -> None:
    playing = not st.session_state.get("playing", False)
    st.session_state["playing"] = playing
    if playing and st.session_state.get("w_as_of") == st.session_state.get("timeline_last"):
        st.session_state["pending_as_of"] = first  # play from the start when at the end


# Cached: altair validates a chart against the Vega-Lite schema, which cost a third of each rerun
# (a slider move). Only the rule's date changes from run to run; each run gets its own copy.
@st.cache_data(show_spinner=False, max_entries=16)
def _histogram_spec(counts: pd.DataFrame, lo: date, hi: date) -> dict:
    """The reports-per-period bars with a rule layer for the as-of date (its data set per run)."""
    bins = view.histogram(counts, lo, hi, bins=72)
    bins = bins[bins["reports"] > 0]
    scale = alt.Scale(domain=[pd.Timestamp(lo).isoformat(), pd.Timestamp(hi + timedelta(days=1)).isoformat()])
    axis = alt.Axis(format="%Y", tickCount="year", labelFontSize=10, grid=False, title=None)
    bars = alt.Chart(bins).mark_bar(color="#6b6b6b").encode(
        x=alt.X("start:T", scale=scale, axis=axis), x2="end:T",
        y=alt.Y("reports:Q", title=None, axis=None), y2=alt.datum(0),
        tooltip=[alt.Tooltip("start:T", title="From"), alt.Tooltip("end:T", title="To"),
                 alt.Tooltip("reports:Q", title="Reports")])
    rule = alt.Chart(pd.DataFrame({"on": [pd.Timestamp(lo)]})).mark_rule(color="#000", strokeWidth=2).encode(
        x=alt.X("on:T", scale=scale, axis=axis))
    return (bars + rule).properties(height=42).configure_view(strokeWidth=0).to_dict()


def timeline(lo: date, hi: date, counts: pd.DataFrame, change_dates: list[date]) -> date:
    """The histogram of reports, the as-of slider over real time, play and step buttons; returns the date."""
    st.session_state["timeline_last"] = hi
    if "pending_as_of" in st.session_state:
        st.session_state["w_as_of"] = st.session_state.pop("pending_as_of")
    # Written only when it must change: writing a widget's own value would undo a move the user
    # made while this run was on its way.
    wanted = st.session_state.get("w_as_of")
    if not isinstance(wanted, date) or not lo <= wanted <= hi:
        st.session_state["w_as_of"] = min(max(wanted, lo), hi) if isinstance(wanted, date) else hi
    if lo == hi:
        st.caption(f"One report date: {lo.isoformat()}")
        return lo
    on = st.session_state["w_as_of"]
    left, right = st.columns([5, 2], vertical_alignment="bottom")
    with left:
        spec = _histogram_spec(counts, lo, hi)
        spec["layer"][1]["data"] = {"values": [{"on": pd.Timestamp(on).isoformat()}]}
        st.vega_lite_chart(spec, width="stretch", height=64)
        on = st.slider("As of", min_value=lo, max_value=hi, step=timedelta(days=1), key="w_as_of",
                       format="YYYY-MM-DD", label_visibility="collapsed",
                       help="The map shows who held each place on this date. Bars: reports per period.")
    with right:
        earlier = view.neighbour(change_dates, on, forward=False)
        later = view.neighbour(change_dates, on, forward=True)
        back, play, forth = st.columns([1, 1.6, 1])
        back.button("", icon=":material/skip_previous:", key="w_prev", disabled=earlier is None,
                    on_click=_set_as_of, args=(earlier,), help="Previous change of control", width="stretch")
        playing = st.session_state.get("playing", False)
        play.button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
                    key="w_play", on_click=_toggle_play, args=(lo,), width="stretch",
                    help="Stop" if playing else "Step through time, stopping at every change of control")
        forth.button("", icon=":material/skip_next:", key="w_next", disabled=later is None, on_click=_set_as_of,
                     args=(later,), help="Next change of control", width="stretch")
    if playing:
        _player(view.play_steps(lo, hi, change_dates), on)
    return on


def _player(steps: list[date], on: date) -> None:
    """While playing, a fragment ticks every few seconds and moves the date one step on."""
    st.session_state["player_armed"] = True

    @st.fragment(run_every=PLAY_SECONDS)
    def tick():
        if st.session_state.pop("player_armed", False):
            return  # the run that defined the fragment; the timer's runs advance
        later = view.neighbour(steps, on, forward=True)
        if later is None:
            st.session_state["playing"] = False
        else:
            st.session_state["pending_as_of"] = later
        st.rerun()

    tick()


# -- the side panel ---------------------------------------------------------------------------
def _picked() -> None:
    """A place picked from the list: the map pans to it."""
    st.session_state["select_action"] = st.session_state.get("select_action", 0) + 1


def _change_picked(places: dict) -> None:
    choice = st.session_state.get("w_changes")
    if choice in places:
        st.session_state["w_place"] = places[choice]
        st.session_state["w_side_tab"] = "Place"
        _picked()
    st.session_state["w_changes"] = None  # a list of links, not a setting


def place_panel(state: pd.DataFrame, shown: pd.DataFrame, palette: Palette, history) -> str | None:
    """The selected place: who holds it since when, every sentence that says so, its history."""
    names = dict(zip(state["place_id"], state["place"]))
    options = sorted(names, key=lambda p: (names[p] or p).lower())
    if st.session_state.get("w_place") not in names:
        st.session_state["w_place"] = None
    place = st.selectbox("Place (or click a marker)", options, key="w_place", index=None,
                         format_func=lambda p: names.get(p, p), placeholder="Choose a place", on_change=_picked)
    if not place:
        st.caption("Click a marker, or choose a place, to see who holds it, since when, and the reports that "
                   "say so.")
        return None
    row = state.loc[state["place_id"] == place].iloc[0].to_dict()
    if place not in set(shown["place_id"]):
        st.caption("This place is hidden by the current filters.")
    st.html(markup.details_html(row, palette.labels))
    history(place)
    return place


def changes_panel(changes: pd.DataFrame, total: int, palette: Palette, selected: str | None,
                  countries: dict | None = None) -> None:
    """Each change of control up to the as-of date, newest first; picking one selects its place."""
    if changes.empty:
        st.caption("No change of control reported up to this date (for the places the filters show).")
        return
    keys = [f"{r.place_id}|{r.date.isoformat()}|{r.party}|{i}" for i, r in enumerate(changes.itertuples())]
    places = dict(zip(keys, changes["place_id"]))
    lines = {k: ("▸ " if places[k] == selected else "") + markup.md_text(view.change_line(row, palette.labels, countries))
             for k, row in zip(keys, changes.to_dict("records"))}
    if total > len(changes):
        st.caption(f"The {len(changes)} most recent of {total} changes.")
    st.radio("Changes of control, newest first (pick one to see the place)", keys, key="w_changes", index=None,
             format_func=lines.get, on_change=_change_picked, args=(places,), label_visibility="collapsed")


def history_chart(bands: pd.DataFrame, name: str, on: date) -> None:
    """A place's control periods as bands, with the as-of date as a line."""
    if bands.empty:
        st.caption("No dated claims for this place.")
        return
    holders = list(dict.fromkeys(bands["holder"]))
    colours = [bands.loc[bands["holder"] == h, "colour"].iloc[0] for h in holders]
    chart = alt.Chart(bands).mark_bar(cornerRadius=2, stroke="#222", strokeWidth=0.5).encode(
        x=alt.X("start:T", title=None), x2="end:T",
        y=alt.Y("holder:N", title=None, sort=holders, scale=alt.Scale(paddingInner=0.35),
                axis=alt.Axis(labelLimit=160, labelOverlap=False)),
        color=alt.Color("holder:N", scale=alt.Scale(domain=holders, range=colours), legend=None),
        tooltip=[alt.Tooltip("holder:N", title="Holder"), alt.Tooltip("status:N", title="Status"),
                 alt.Tooltip("start:T", title="From"), alt.Tooltip("end:T", title="To"),
                 alt.Tooltip("reports:Q", title="Reports")],
    )
    rule = alt.Chart(pd.DataFrame({"as_of": [pd.Timestamp(on)]})).mark_rule(color="#000", strokeDash=[4, 3]) \
        .encode(x="as_of:T")
    plot_height = 30 * len(holders)
    st.altair_chart((chart + rule).properties(title="Control periods", height=plot_height), width="stretch",
                    height=plot_height + 70)
    st.caption("Bands run from one reported change of holder to the next; the dashed line is the as-of date.")


# -- adding reports, corrections --------------------------------------------------------------
def add_reports(store, palette: Palette, extractor) -> None:
    """Upload files or paste a report, preview the claims found, then save them."""
    st.markdown("Upload report files (text, HTML, JSON Lines or CSV batches) or paste a report. They are read "
                "as `borderwatch extract` reads files; the claims found are shown first and nothing is "
                "stored until you save.")
    files = st.file_uploader("Report files", type=list(uploads.UPLOAD_TYPES), accept_multiple_files=True,
                             key="w_upload")
    text = st.text_area("…or paste a report", key="w_paste", height=140)
    left, middle, right = st.columns(3)
    report_date = left.date_input("Report date", value=None, key="w_report_date", min_value=EARLIEST,
                                  max_value=LATEST,
                                  help="Leave empty to take it from the page's metadata or dateline.")
    source = middle.text_input("Source", key="w_source", placeholder="e.g. AFP")
    url = right.text_input("Link (pasted report)", key="w_url", placeholder="https://…")
    if st.button("Preview claims", key="w_preview"):
        if not (files or text.strip()):
            st.toast("Choose files or paste a report first.", icon="⚠️")
            return
        options = InputOptions(report_date=report_date, source=source.strip())
        items = []
        for upload in files or []:
            items += uploads.read_upload(upload.name, upload.getvalue(), options)
        if text.strip():
            items += uploads.read_pasted(text, options, markup.safe_url(url))
        st.session_state["pending"] = uploads.extract(items, extractor)
    pending = st.session_state.get("pending")
    if not pending:
        return
    batch, skipped = pending
    for skip in skipped:
        st.warning(markup.md_text(f"Skipped {skip.name}: {skip.reason}"))
    undated = [record["name"] for record, _ in batch if record.get("report_date") is None]
    if undated:
        st.warning(markup.md_text(f"No report date for {', '.join(undated)}: its claims cannot be placed on the "
                                  "timeline. Give a report date above and preview again."))
    preview = view.preview_frame(batch, palette.labels)
    st.write(f"{len(batch)} report(s), {len(preview)} claim(s) found.")
    st.dataframe(preview, hide_index=True, key="w_preview_table")
    if batch and st.button(f"Save {len(batch)} report(s) to the store", type="primary", key="w_save"):
        try:
            result = store.add_reports(batch)
        except StoreError as error:
            say(f"Not saved: {error}", error=True)
            st.rerun()
        st.session_state.pop("pending", None)
        say(f"Saved {result.added} report(s) with {result.claims} claim(s)"
            f"{f'; {result.duplicates} already stored' if result.duplicates else ''}.")
        st.rerun()


def corrections(gaz, store, palette: Palette, state: pd.DataFrame, place: str | None, on: date) -> None:
    """Reject a claim of the selected place, or set who held a place on a date."""
    author = os.environ.get("USER", "")
    left, right = st.columns(2)
    with left:
        st.markdown("**Reject a claim** of the selected place")
        sources = []
        if place and place in set(state["place_id"]):
            sources = state.loc[state["place_id"] == place, "sources"].iloc[0] or []
        keyed = {s["claim_key"]: s for s in sources if not str(s.get("claim_key", "")).startswith("correction-")}
        if not keyed:
            st.caption("Select a place with extracted claims first.")
        else:
            key = st.selectbox("Claim", list(keyed), key="w_reject_claim", format_func=lambda k: (
                f"{keyed[k].get('report_date')} · {palette.labels.get(keyed[k]['party'], keyed[k]['party'])} · "
                f"{(keyed[k].get('evidence') or '')[:90]}"))
            note = st.text_input("Why", key="w_reject_note")
            if st.button("Reject this claim", key="w_reject"):
                try:
                    number = store.add_correction("reject", claim_key=key, note=note, author=author)
                except StoreError as error:
                    say(f"Not saved: {error}", error=True)
                else:
                    say(f"Correction {number}: claim rejected; the map no longer uses it.")
                st.rerun()
    with right:
        st.markdown("**Set who held a place** on a date")
        with st.form("set_holder", border=False):
            place_ids = sorted(gaz.places, key=lambda p: gaz.places[p].name)
            target = st.selectbox("Place", place_ids, index=place_ids.index(place) if place in place_ids else 0,
                                  format_func=lambda p: f"{gaz.places[p].name} ({gaz.places[p].kind})",
                                  key="w_set_place")
            party = st.selectbox("Holder", list(gaz.parties), format_func=palette.labels.get, key="w_set_party")
            when = st.date_input("On", value=on, min_value=EARLIEST, max_value=LATEST, key="w_set_date")
            note = st.text_input("Note (source, reason)", key="w_set_note")
            if st.form_submit_button("Save correction", key="w_set_save"):
                try:
                    number = store.add_correction("set", place_id=target, party=party, event_date=when, note=note,
                                                  author=author)
                except StoreError as error:
                    say(f"Not saved: {error}", error=True)
                else:
                    say(f"Correction {number}: {gaz.places[target].name} held by {palette.labels[party]} "
                        f"on {when.isoformat()}.")
                st.rerun()


def empty_store(store, reports: int, palette: Palette, extractor) -> None:
    """What an empty store (or one with no dated report) says, with the demo and the upload form."""
    opening = ("The store has no reports yet." if not reports else
               f"The store has {reports} report(s) but none with a report date, so there is no timeline to "
               "show. Add dated reports (or give a report date when you add them).")
    st.info(f"{opening} Add some below (upload files or paste a report), or from a terminal:\n\n"
            f"```\nborderwatch extract REPORTS_FOLDER --db {str(store.db).replace('`', '')}\n```\n\n"
            "To look around first, load the demo reports (our own summaries of documented 2014–2017 "
            "events, sources cited in `dashboard/demo/SOURCES.md`).")
    if st.button("Load the demo reports", key="w_demo"):
        from dashboard.demo_data import load_demo

        result = load_demo(store)
        say(f"Loaded {result.added} demo reports ({result.claims} claims).")
        st.rerun()
    st.subheader("Add reports")
    add_reports(store, palette, extractor)
