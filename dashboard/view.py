"""From as-of state, claims, filters and viewport to what the page shows (pure): markers, the changes
of control, the timeline's histogram and steps, the viewport, tables and exports.

Everything here takes values and returns values; :mod:`dashboard.app` does the reading and the
widgets, :mod:`dashboard.markup` writes the HTML.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from dashboard import markup
from dashboard.style import STALE_DAYS, MarkerStyle, is_stale, marker_style, party_colour
from geodata.export import Filters, filter_state, to_geojson, validate_bbox, write_export

TILE_SIZE = 256


# -- state for the map -----------------------------------------------------------------------
def complete_state(state: pd.DataFrame, places: Mapping, parties: Mapping) -> pd.DataFrame:
    """Add ``border`` and fill what corrections leave out from the gazetteer.

    A ``set`` correction on a place with no extracted claims has no coordinates and carries the
    party id as its label; the gazetteer knows both.

    Parameters
    ----------
    state : DataFrame
        :func:`geodata.timeline.as_of` output.
    places : mapping
        Place id -> :class:`geodata.gazetteer.Place`.
    parties : mapping
        Party id -> :class:`geodata.gazetteer.Party`.
    """
    out = state.copy()
    if "place_name" in out.columns:  # the state's name column (``place`` is kept for older callers)
        out["place"] = out["place_name"]
    known = out["place_id"].map(places.get)
    for column, attribute in (("lat", "lat"), ("lon", "lon"), ("place", "name"), ("kind", "kind")):
        from_gazetteer = known.map(lambda p, a=attribute: getattr(p, a) if p is not None else None)
        if column not in out.columns:
            out[column] = from_gazetteer
        elif column in ("lat", "lon"):
            out[column] = pd.to_numeric(out[column], errors="coerce").fillna(pd.to_numeric(from_gazetteer))
        else:
            out[column] = from_gazetteer.where(from_gazetteer.notna(), out[column])
    out["border"] = known.map(lambda p: p.border if p is not None else "")
    if "party_label" not in out.columns:
        out["party_label"] = out["party"]
    out["party_label"] = [parties[p].label if p in parties else label
                          for p, label in zip(out["party"], out["party_label"])]
    return out[out["lat"].notna() & out["lon"].notna()].reset_index(drop=True)


def visible_places(state: pd.DataFrame, filters: Filters, borders_of: Mapping[str, str] | None = None,
                   bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
    """Places that pass the party, kind and border filters, and lie in ``bbox`` when one is given.

    The map draws the places without a box (so panning needs no redraw); the table and the
    export use the viewport's box, so they hold exactly what the user sees.
    """
    filtered = Filters(parties=filters.parties, kinds=filters.kinds, borders=filters.borders, bbox=bbox)
    borders = dict(borders_of) if borders_of is not None else (
        dict(zip(state["place_id"], state["border"])) if "border" in state.columns else None)
    return filter_state(state, filtered, borders).reset_index(drop=True)


@dataclass(frozen=True)
class MapFeature:
    """One place as the map draws it; ``tooltip``, ``popup`` and ``label`` are escaped HTML."""

    place_id: str
    name: str
    kind: str
    lat: float
    lon: float
    party: str
    status: str
    stale: bool
    style: MarkerStyle
    tooltip: str
    popup: str
    label: str = ""
    outline: dict | None = None  # a province's boundary (GeoJSON geometry) when a boundary file is set
    rank: int = 0  # label priority when labels collide: lower wins


def held_sides(row: Mapping) -> list[Mapping]:
    """The sides of a crossing that some report gives a holder (the state's ``sides`` entries)."""
    sides = row.get("sides")
    if not isinstance(sides, (list, tuple)):
        return []
    return [s for s in sides if isinstance(s, Mapping) and s.get("party")]


def split_halves(row: Mapping, country_points: Mapping[str, tuple[float, float]] | None = None
                 ) -> tuple[list[str], float]:
    """The holders of a split crossing's two sides, and the compass angle from the first side's country
    to the second's (so each half of the marker faces its own side); ``([], 90)`` when not split."""
    sides = held_sides(row)
    if not (row.get("split") or row.get("status") == "split") or len({s["party"] for s in sides}) < 2:
        return [], 90.0
    first, second = sides[0], sides[1]
    points = country_points or {}
    a, b = points.get(first.get("side")), points.get(second.get("side"))
    angle = math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360 if a and b else 90.0
    return [first["party"], second["party"]], angle


def map_features(state: pd.DataFrame, colours: Mapping[str, str], label_of: Mapping[str, str],
                 stale_days: int = STALE_DAYS, outlines: Mapping[str, dict] | None = None,
                 country_points: Mapping[str, tuple[float, float]] | None = None) -> list[MapFeature]:
    """The markers for the places in ``state`` (already filtered), provinces first so crossings sit on top.

    Parameters
    ----------
    state : DataFrame
        Rows of :func:`complete_state`.
    colours, label_of : mapping
        Party id -> colour, party id -> label.
    stale_days : int
        Places whose last report is older than this are drawn as stale.
    outlines : mapping, optional
        Province id -> GeoJSON geometry, drawn as a filled polygon under the province's marker.
    country_points : mapping, optional
        Country code -> (lon, lat), to turn each half of a split crossing toward its side.
    """
    outlines = outlines or {}
    features = []
    ordered = state.assign(_order=state["kind"].ne("province")).sort_values(["_order", "place_id"])
    for row in ordered.to_dict("records"):
        stale = is_stale(row.get("staleness_days"), stale_days)
        halves, angle = split_halves(row, country_points)
        style = marker_style(row["kind"], row["status"], row["party"], colours,
                             parties=row.get("parties") or (), stale=stale, sides=halves, split_angle=angle)
        # Labels: crossings before provinces, then fresh news before old, then by name.
        rank = (0 if row["kind"] == "crossing" else 2) + (1 if stale else 0)
        features.append(MapFeature(
            place_id=row["place_id"], name=row["place"], kind=row["kind"], lat=float(row["lat"]),
            lon=float(row["lon"]), party=row["party"], status=row["status"], stale=stale, style=style,
            tooltip=markup.tooltip_html(row, label_of), popup=markup.popup_html(row, label_of),
            label=markup.label_html(row["place"]), rank=rank,
            outline=outlines.get(row["place_id"]) if row["kind"] == "province" else None))
    return features


def legend_parties(state: pd.DataFrame, parties: Mapping) -> list[tuple[str, str]]:
    """(label, colour) of each party drawn (holders and contesting parties), in the gazetteer's order."""
    shown = set(state["party"]) if len(state) else set()
    if "parties" in state.columns:
        for names in state.loc[state["status"].eq("contested"), "parties"]:
            shown.update(names or [])
    if "sides" in state.columns:
        for row in state.loc[state["status"].eq("split"), ["sides"]].to_dict("records"):
            shown.update(s["party"] for s in held_sides(row))
    shown.discard(None)
    shown.discard("split")
    order = list(parties)
    colours = {k: v.colour for k, v in parties.items()}
    return [(parties[p].label if p in parties else p, party_colour(p, colours))
            for p in sorted(shown, key=lambda p: (order.index(p) if p in order else len(order), p))]


# -- changes of control ------------------------------------------------------------------------
CHANGE_COLUMNS = ["date", "date_text", "place_id", "side", "from_party", "party", "status", "source", "report_date",
                  "evidence", "url", "is_correction"]


def change_runs(claims: pd.DataFrame) -> pd.DataFrame:
    """Every start of a run of one holder, per place, with the holder before it and the claim that began it.

    ``claims`` is :func:`geodata.timeline.prepare`'s frame; computed once per store version. The
    first run of a place has no ``from_party`` (its first report).
    """
    needed = {"run", "run_start", "day_party", "day_status", "backs_run", "effective", "place_id"}
    if claims is None or claims.empty or not needed <= set(claims.columns):
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    starts = claims[claims["backs_run"].to_numpy(dtype=bool) & claims["effective"].eq(claims["run_start"]).to_numpy()]
    if "is_correction" in starts.columns:  # a correction that starts a run is the reason for it
        starts = starts.sort_values(["run", "is_correction"], ascending=[True, False], kind="mergesort")
    # One history per track (each side of a crossing has its own; see geodata.timeline).
    track = "_track" if "_track" in starts.columns else "place_id"
    first = starts.drop_duplicates("run", keep="first").sort_values([track, "run_start"], kind="mergesort")
    out = pd.DataFrame({
        "date": pd.to_datetime(first["run_start"]).dt.date.to_numpy(),
        "place_id": first["place_id"].to_numpy(),
        "side": first["track_side"].to_numpy() if "track_side" in first.columns else None,
        "party": first["day_party"].to_numpy(),
        "status": first["day_status"].to_numpy(),
        "from_party": first.groupby(track)["day_party"].shift().to_numpy(),
    })
    for column in ("source", "report_date", "event_date", "evidence", "url", "is_correction"):
        out[column] = first[column].to_numpy() if column in first.columns else None
    # The same change on every side of a crossing is one change of the whole crossing (side None).
    sides_of = (claims.groupby("place_id")["track_side"].nunique() if "track_side" in claims.columns
                else pd.Series(dtype=int))
    same = ["date", "place_id", "party", "status", "from_party"]
    on_sides = out.fillna({"from_party": ""}).groupby(same, sort=False)["place_id"].transform("size")
    whole = on_sides.to_numpy() >= out["place_id"].map(sides_of).fillna(1).to_numpy()
    out.loc[whole | out["side"].eq(""), "side"] = None
    out = out[~(whole & out.fillna({"from_party": ""}).duplicated(same))].sort_values(
        ["place_id", "date"], kind="mergesort").reset_index(drop=True)
    out["date_text"] = [_date_text(d, e, r) for d, e, r in zip(out["date"], out["event_date"], out["report_date"])]
    return out[CHANGE_COLUMNS]


def _date_text(day: date, event_date, report_date) -> str:
    """A change's date as precise as the claim is: the event's day, or "by" the report's date."""
    if isinstance(event_date, date) or (isinstance(event_date, str) and event_date):
        return day.isoformat()
    return f"by {day.isoformat()} (report date)"


def changes_until(runs: pd.DataFrame, on: date, places: pd.DataFrame, filters: Filters | None = None,
                  limit: int | None = None) -> pd.DataFrame:
    """The changes of control up to ``on``, newest first, at places that pass the filters.

    Parameters
    ----------
    runs : DataFrame
        :func:`change_runs`.
    on : date
        The as-of date.
    places : DataFrame
        Place facts with ``place_id``, ``place``, ``kind`` and ``border`` (the as-of state).
    filters : Filters, optional
        Kind and border filters apply to the place; a party filter keeps changes to or from a party.
    limit : int, optional
        At most this many rows (the newest).
    """
    if runs.empty:
        return runs.assign(place=[], kind=[])
    out = runs[runs["date"] <= on]
    facts = places.drop_duplicates("place_id").set_index("place_id")
    keep = set(facts.index)
    if filters is not None:
        chosen = facts
        if filters.kinds:
            chosen = chosen[chosen["kind"].isin(filters.kinds)]
        if filters.borders:
            chosen = chosen[chosen["border"].isin(filters.borders)]
        keep = set(chosen.index)
        if filters.parties:
            out = out[out["party"].isin(filters.parties) | out["from_party"].isin(filters.parties)]
    out = out[out["place_id"].isin(keep)]
    out = out.sort_values(["date", "place_id"], ascending=[False, True], kind="mergesort")
    if limit is not None:
        out = out.head(limit)
    side_names = {}
    if "sides" in facts.columns:
        for place_id, sides in facts["sides"].items():
            for side in sides if isinstance(sides, (list, tuple)) else []:
                side_names[(place_id, side.get("side"))] = side.get("side_name") or side.get("side")
    sides = out["side"] if "side" in out.columns else pd.Series([None] * len(out), index=out.index)
    return out.assign(place=out["place_id"].map(facts["place"]).to_numpy(),
                      kind=out["place_id"].map(facts["kind"]).to_numpy(),
                      side_name=[side_names.get((p, s)) if isinstance(s, str) and s else None
                                 for p, s in zip(out["place_id"], sides)]).reset_index(drop=True)


def change_line(row: Mapping, label_of: Mapping[str, str], countries: Mapping[str, str] | None = None) -> str:
    """One change as plain text: ``2017-11-03 · Al-Qaim (Iraq side): ISIL → Iraqi government forces · AFP``.

    A change on one side of a crossing names the side (and the side's own name when it has one).
    """

    def name(party, status="controls"):
        if party is None or (isinstance(party, float) and math.isnan(party)):
            return "first report"
        if status == "not-government":
            return "outside government control"
        return label_of.get(party, party)

    source = row.get("source") or ""
    place = row.get("place") or row["place_id"]
    code = row.get("side")
    where = place
    if isinstance(code, str) and code:
        country = (countries or {}).get(code, code)
        side = row.get("side_name")
        where = (f"{place} ({side}, {country} side)" if isinstance(side, str) and side and side != place
                 else f"{place} ({country} side)")
    return (f"{row['date_text']} · {where}: {name(row.get('from_party'))} → "
            f"{name(row['party'], row.get('status'))}{' · ' + source if source else ''}")


# -- the timeline ------------------------------------------------------------------------------
def report_counts(claims: pd.DataFrame) -> pd.DataFrame:
    """Reports per report date (reports that gave at least one claim): ``report_date``, ``reports``."""
    if claims is None or claims.empty or "report_id" not in claims.columns:
        return pd.DataFrame({"report_date": [], "reports": []})
    reports = claims.drop_duplicates("report_id")
    reports = reports[reports["report_date"].notna()]
    counts = reports.groupby("report_date").size()
    return pd.DataFrame({"report_date": list(counts.index), "reports": counts.to_numpy()})


def histogram(counts: pd.DataFrame, first: date, last: date, bins: int = 60) -> pd.DataFrame:
    """Reports per bin of equal length between ``first`` and ``last``: ``start``, ``end``, ``reports``.

    Examples
    --------
    >>> counts = pd.DataFrame({"report_date": [date(2014, 1, 1), date(2014, 1, 2), date(2014, 12, 31)],
    ...                        "reports": [2, 1, 4]})
    >>> h = histogram(counts, date(2014, 1, 1), date(2014, 12, 31), bins=2)
    >>> list(h["reports"])
    [3, 4]
    """
    span = max((last - first).days + 1, 1)
    bins = max(1, min(bins, span))
    width = span / bins
    starts = [first + timedelta(days=round(i * width)) for i in range(bins)]
    ends = [*starts[1:], last + timedelta(days=1)]
    totals = [0] * bins
    for day, number in zip(counts["report_date"], counts["reports"]):
        if isinstance(day, date) and first <= day <= last:
            totals[min(bins - 1, int((day - first).days / width))] += int(number)
    return pd.DataFrame({"start": pd.to_datetime(starts), "end": pd.to_datetime(ends), "reports": totals})


def play_steps(first: date, last: date, change_dates: Sequence[date], steps: int = 40) -> list[date]:
    """Dates Play shows in turn: every change of control, and even steps of time between them.

    Examples
    --------
    >>> play_steps(date(2014, 1, 1), date(2014, 1, 11), [date(2014, 1, 4)], steps=2)
    [datetime.date(2014, 1, 1), datetime.date(2014, 1, 4), datetime.date(2014, 1, 6), datetime.date(2014, 1, 11)]
    """
    span = (last - first).days
    even = {first + timedelta(days=round(span * i / max(steps, 1))) for i in range(steps + 1)}
    return sorted(even | {d for d in change_dates if first <= d <= last})


def neighbour(dates: Sequence[date], on: date, forward: bool) -> date | None:
    """The first date after ``on`` (or the last before it), or None.

    Examples
    --------
    >>> days = [date(2014, 1, 1), date(2014, 5, 1)]
    >>> neighbour(days, date(2014, 2, 1), True), neighbour(days, date(2014, 2, 1), False)
    (datetime.date(2014, 5, 1), datetime.date(2014, 1, 1))
    """
    if forward:
        return next((d for d in sorted(dates) if d > on), None)
    return next((d for d in sorted(dates, reverse=True) if d < on), None)


# -- viewport ---------------------------------------------------------------------------------
def _project(lat: float, lon: float, zoom: float) -> tuple[float, float]:
    """Web Mercator world pixel of a point at a zoom level (Leaflet's EPSG:3857 with 256 px tiles)."""
    scale = TILE_SIZE * 2 ** zoom
    lat = max(min(lat, 85.0511287798), -85.0511287798)
    x = (lon + 180.0) / 360.0 * scale
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale
    return x, y


def _unproject(x: float, y: float, zoom: float) -> tuple[float, float]:
    scale = TILE_SIZE * 2 ** zoom
    lon = x / scale * 360.0 - 180.0
    n = math.pi - 2 * math.pi * y / scale
    lat = math.degrees(math.atan(math.sinh(n)))
    return lat, lon


def clamp_bbox(west: float, south: float, east: float, north: float) -> tuple[float, float, float, float]:
    """A viewport box cut to valid longitudes and latitudes (a map panned past 180° gives more)."""
    west, east = max(-180.0, min(180.0, west)), max(-180.0, min(180.0, east))
    south, north = max(-90.0, min(90.0, south)), max(-90.0, min(90.0, north))
    return validate_bbox((round(west, 6), round(south, 6), round(east, 6), round(north, 6)))


def viewport_bbox(center: tuple[float, float], zoom: float, width: int,
                  height: int) -> tuple[float, float, float, float]:
    """The ``(west, south, east, north)`` a Leaflet map of ``width`` x ``height`` px shows.

    Examples
    --------
    >>> [round(v, 2) for v in viewport_bbox((0.0, 0.0), 1, 512, 512)]
    [-180.0, -85.05, 180.0, 85.05]
    """
    x, y = _project(center[0], center[1], zoom)
    north, west = _unproject(x - width / 2, y - height / 2, zoom)
    south, east = _unproject(x + width / 2, y + height / 2, zoom)
    return clamp_bbox(west, south, east, north)


def fit_view(points: Sequence[tuple[float, float]], width: int, height: int, padding: int = 40,
             min_zoom: int = 3, max_zoom: int = 8) -> tuple[tuple[float, float], int] | None:
    """Centre and zoom of Leaflet's ``fitBounds`` over ``(lat, lon)`` points, or None without points.

    The map fits the places on first load in the browser; this gives the same view before the
    browser has reported its bounds.

    Examples
    --------
    >>> (lat, lon), zoom = fit_view([(33.0, 40.0), (37.0, 42.0)], 900, 560)
    >>> round(lat, 2), lon, zoom
    (35.02, 41.0, 7)
    """
    if not points:
        return None
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    zoom = max_zoom
    while zoom > min_zoom:
        x0, y0 = _project(north, west, zoom)
        x1, y1 = _project(south, east, zoom)
        if x1 - x0 <= width - 2 * padding and y1 - y0 <= height - 2 * padding:
            break
        zoom -= 1
    x0, y0 = _project(north, west, zoom)
    x1, y1 = _project(south, east, zoom)
    lat, lon = _unproject((x0 + x1) / 2, (y0 + y1) / 2, zoom)
    return (lat, lon), zoom


def bounds_bbox(bounds: Mapping | None) -> tuple[float, float, float, float] | None:
    """st_folium's ``bounds`` (``_southWest``/``_northEast``) as ``(west, south, east, north)``, or None."""
    try:
        sw, ne = bounds["_southWest"], bounds["_northEast"]
        values = (float(sw["lng"]), float(sw["lat"]), float(ne["lng"]), float(ne["lat"]))
    except (KeyError, TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in values):
        return None
    return clamp_bbox(*values)


@dataclass(frozen=True)
class Viewport:
    """Where the map is: centre, zoom and the box it shows; ``reported`` if the browser said so."""

    center: tuple[float, float]
    zoom: int
    bbox: tuple[float, float, float, float]
    reported: bool


def viewport_from_map(returned: Mapping | None, center: tuple[float, float], zoom: int,
                      size: tuple[int, int]) -> Viewport:
    """The current viewport from st_folium's return value, or the initial view until it reports.

    st_folium's default return value (before the map has loaded in a browser, and always under
    ``AppTest``) has no ``center`` and carries the data's extent as ``bounds``; the real view is
    then the one the map was opened with, computed from ``center``, ``zoom`` and ``size``.
    """
    if returned and returned.get("center") and bounds_bbox(returned.get("bounds")):
        c = returned["center"]
        try:
            lat, lng = float(c["lat"]), float(c["lng"])
            reported_zoom = int(returned.get("zoom") or zoom)
        except (KeyError, TypeError, ValueError):
            pass
        else:
            lng = ((lng + 180.0) % 360.0) - 180.0
            return Viewport((max(-85.0, min(85.0, lat)), lng), reported_zoom,
                            bounds_bbox(returned["bounds"]), True)
    return Viewport(center, zoom, viewport_bbox(center, zoom, *size), False)


def place_at(state: pd.DataFrame, latlng: Mapping | None, tolerance: float = 1e-4) -> str | None:
    """The place whose marker is at a clicked position (Leaflet reports a marker's own position)."""
    if not latlng or not len(state):
        return None
    try:
        lat, lng = float(latlng["lat"]), float(latlng["lng"])
    except (KeyError, TypeError, ValueError):
        return None
    distance = (state["lat"] - lat).abs() + (state["lon"] - lng).abs()
    best = distance.idxmin()
    return state.loc[best, "place_id"] if distance[best] <= tolerance else None


# -- history, table, export ------------------------------------------------------------------
def history_frame(periods: pd.DataFrame, parties: Mapping) -> pd.DataFrame:
    """Control periods as chart bands: ``holder``, ``status``, ``start``, ``end`` (at least a day), ``colour``."""
    if periods is None or periods.empty:
        return pd.DataFrame(columns=["holder", "party", "status", "start", "end", "colour", "reports"])
    out = periods.copy()
    out["holder"] = out["party"].map(lambda p: parties[p].label if p in parties else p)
    out["colour"] = out["party"].map(lambda p: party_colour(p, {k: v.colour for k, v in parties.items()}))
    out["end"] = [max(e, s + timedelta(days=1)) for s, e in zip(out["start"], out["end"])]
    out["start"] = pd.to_datetime(out["start"])
    out["end"] = pd.to_datetime(out["end"])
    return out[["holder", "party", "status", "start", "end", "colour", "reports"]]


TABLE_COLUMNS = {
    "place": "Place", "place_id": "Id", "kind": "Kind", "border": "Border", "party_label": "Holder",
    "status": "Status", "since": "Since", "last_report": "Last report",
    "staleness_days": "Days since report", "n_reports": "Reports",
}


def places_table(state: pd.DataFrame) -> pd.DataFrame:
    """The places in view as a flat table, for reading on the page."""
    table = state.reindex(columns=list(TABLE_COLUMNS)).rename(columns=TABLE_COLUMNS)
    return table.sort_values(["Kind", "Place"]).reset_index(drop=True)


def export_geojson(state: pd.DataFrame, filters: Filters, extractor_version: str) -> str:
    """The current view as GeoJSON text, in the format of ``borderwatch export`` (see :mod:`geodata.export`)."""
    data = to_geojson(state, filters, extractor_version)
    return json.dumps(data, ensure_ascii=False, indent=1)


def export_csv(state: pd.DataFrame, filters: Filters, extractor_version: str = "") -> str:
    """The current view as CSV text, written by the same writer as ``borderwatch export --format csv``."""
    buffer = io.StringIO()
    write_export(state, None, "csv", filters, extractor_version, stdout=buffer)
    return buffer.getvalue()


def csv_text(table: pd.DataFrame) -> str:
    """A table as CSV text, with spreadsheet formulas neutralised."""
    from geodata.export import CSV_OPTIONS, spreadsheet_safe

    buffer = io.StringIO()
    spreadsheet_safe(table).to_csv(buffer, **CSV_OPTIONS)
    return buffer.getvalue()


def export_filename(as_of: date | None, suffix: str) -> str:
    """File name of a download, carrying the as-of date: ``borderwatch-2014-06-21.geojson``.

    Examples
    --------
    >>> export_filename(date(2014, 6, 21), "csv")
    'borderwatch-2014-06-21.csv'
    """
    return f"borderwatch-{as_of.isoformat() if as_of else 'latest'}.{suffix}"


def preview_frame(batch: Sequence[tuple[dict, Sequence]], label_of: Mapping[str, str]) -> pd.DataFrame:
    """The claims of a batch, one row each, for the user to check before saving."""
    rows = []
    for record, claims in batch:
        for claim in claims:
            rows.append({"Report": record.get("name") or record.get("title") or "",
                         "Report date": claim.report_date, "Place": claim.place,
                         "Holder": label_of.get(claim.party, claim.party_label), "Status": claim.status,
                         "Event date": claim.event_date, "Confidence": claim.confidence,
                         "Evidence": claim.evidence})
    return pd.DataFrame(rows, columns=["Report", "Report date", "Place", "Holder", "Status", "Event date",
                                       "Confidence", "Evidence"])
