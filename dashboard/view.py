"""From as-of state, filters and viewport to what the page shows: markers, escaped popups, tables, exports (pure).

Everything here takes values and returns values; :mod:`dashboard.app` does the reading,
the widgets and the drawing. Every string that comes from a report (evidence, source, url,
title) is HTML-escaped here, before it reaches a popup, the detail panel or a table.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from pathlib import PurePath
from urllib.parse import urlsplit

import pandas as pd

from dashboard.style import STALE_DAYS, MarkerStyle, is_stale, marker_style, party_colour
from geodata.export import Filters, filter_state, to_geojson, validate_bbox

TILE_SIZE = 256
MAX_EVIDENCE = 3  # sentences in a popup; the detail panel shows all the state's sources


# -- escaping --------------------------------------------------------------------------------
def escape_text(value) -> str:
    """HTML-escape report text so it shows as text wherever it lands.

    Beyond :func:`html.escape`, the backtick, dollar sign and backslash become character
    references too: folium puts popup HTML inside a JavaScript template literal, where
    ``${...}`` would run and a backslash would start an escape.

    Examples
    --------
    >>> escape_text('<img src=x onerror="alert(1)"> ${x} `y`')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &#36;{x} &#96;y&#96;'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def safe_url(url) -> str | None:
    """The url if it is an ``http``/``https`` address with a host, else ``None``.

    Examples
    --------
    >>> safe_url("https://example.org/a?b=1"), safe_url("javascript:alert(1)")
    ('https://example.org/a?b=1', None)
    """
    if not isinstance(url, str) or not url.strip():
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def link_html(url, text: str | None = None) -> str:
    """An escaped link to an http(s) url, or the escaped text alone when the url is not one."""
    good = safe_url(url)
    label = escape_text(text if text is not None else (good or ""))
    if good is None:
        return label
    return f'<a href="{escape_text(good)}" target="_blank" rel="noopener noreferrer">{label}</a>'


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
    known = out["place_id"].map(places.get)
    for column, attribute in (("lat", "lat"), ("lon", "lon"), ("place", "name"), ("kind", "kind")):
        from_gazetteer = known.map(lambda p, a=attribute: getattr(p, a) if p is not None else None)
        if column in ("lat", "lon"):
            out[column] = pd.to_numeric(out[column], errors="coerce").fillna(pd.to_numeric(from_gazetteer))
        else:
            out[column] = from_gazetteer.where(from_gazetteer.notna(), out[column])
    out["border"] = known.map(lambda p: p.border if p is not None else "")
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
    """One place as the map draws it; ``tooltip`` and ``popup`` are escaped HTML."""

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
    outline: dict | None = None  # a province's boundary (GeoJSON geometry) when a boundary file is set


def status_line(row: Mapping, label_of: Mapping[str, str]) -> str:
    """One line saying who holds the place and since when (plain text, not escaped).

    Examples
    --------
    >>> status_line({"status": "controls", "party": "isil", "since": date(2014, 6, 21)},
    ...             {"isil": "Islamic State (ISIL)"})
    'Held by Islamic State (ISIL) since 2014-06-21'
    """
    label = label_of.get(row["party"], row.get("party_label") or row["party"])
    since = row.get("since")
    since_text = f" since {since.isoformat()}" if isinstance(since, date) else ""
    if row["status"] == "contested":
        names = [label_of.get(p, p) for p in (row.get("parties") or [])]
        return f"Contested ({' vs '.join(names) or label}); latest report {_iso(row.get('latest'))}"
    if row["status"] == "not-government":
        return f"Outside government control{since_text}"
    return f"Held by {label}{since_text}"


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, date) else (str(value) if value else "?")


def evidence_html(sources: Sequence[Mapping], label_of: Mapping[str, str], limit: int | None = None) -> str:
    """The claims behind a state as an escaped HTML list: sentence, holder, source, dates, link."""
    items = []
    for source in list(sources or [])[:limit]:
        name = source.get("source") or "unknown source"
        dates = f"report {escape_text(source.get('report_date') or '?')}"
        if source.get("event_date") and source.get("event_date") != source.get("report_date"):
            dates += f", event {escape_text(source.get('event_date'))}"
        holder = label_of.get(source.get("party"), source.get("party") or "")
        link = link_html(source.get("url"), "link") if safe_url(source.get("url")) else ""
        says = {"controls": holder, "contested": f"contested ({holder})",
                "not-government": "outside government control"}.get(source.get("status"), holder)
        items.append(
            '<li class="bw-evidence" style="margin-bottom:6px">'
            f'<q class="bw-sentence">{escape_text(source.get("evidence"))}</q><br>'
            f"<small>{escape_text(name)} · {dates} · says: {escape_text(says)}"
            f'{" · " + link if link else ""}</small></li>')
    if not items:
        return "<p><em>No evidence stored.</em></p>"
    return f'<ul style="padding-left:18px;margin:4px 0">{"".join(items)}</ul>'


def details_html(row: Mapping, label_of: Mapping[str, str], limit: int | None = None) -> str:
    """Escaped HTML for one place: name, kind, status and since, then the evidence sentences."""
    kind = row.get("kind") or ""
    border = row.get("border") or ""
    where = f"{kind}{', ' + border if border else ''}"
    facts = (f"last report {escape_text(_iso(row.get('last_report')))} "
             f"({escape_text(row.get('staleness_days'))} days before the as-of date), "
             f"{escape_text(row.get('n_reports'))} report(s) for the current holder")
    return (f'<div class="bw-details" data-place="{escape_text(row["place_id"])}">'
            f'<b class="bw-name">{escape_text(row.get("place"))}</b> '
            f'<small>({escape_text(where)})</small><br>'
            f'<span class="bw-status">{escape_text(status_line(row, label_of))}</span><br>'
            f"<small>{facts}</small>"
            f"{evidence_html(row.get('sources') or [], label_of, limit)}</div>")


def map_features(state: pd.DataFrame, colours: Mapping[str, str], label_of: Mapping[str, str],
                 stale_days: int = STALE_DAYS, outlines: Mapping[str, dict] | None = None) -> list[MapFeature]:
    """The markers for the places in ``state`` (already filtered), provinces first so crossings sit on top.

    Parameters
    ----------
    state : DataFrame
        Rows of :func:`complete_state`.
    colours, label_of : mapping
        Party id -> colour, party id -> label.
    stale_days : int
        Places whose last report is older than this are faded.
    outlines : mapping, optional
        Province id -> GeoJSON geometry, drawn as a filled polygon under the province's marker.
    """
    outlines = outlines or {}
    features = []
    ordered = state.assign(_order=state["kind"].ne("province")).sort_values(["_order", "place_id"])
    for row in ordered.to_dict("records"):
        stale = is_stale(row.get("staleness_days"), stale_days)
        style = marker_style(row["kind"], row["status"], row["party"], colours,
                             parties=row.get("parties") or (), stale=stale)
        tooltip = (f"<b>{escape_text(row['place'])}</b><br>"
                   f"{escape_text(status_line(row, label_of))}")
        features.append(MapFeature(
            place_id=row["place_id"], name=row["place"], kind=row["kind"], lat=float(row["lat"]),
            lon=float(row["lon"]), party=row["party"], status=row["status"], stale=stale, style=style,
            tooltip=tooltip, popup=details_html(row, label_of, MAX_EVIDENCE),
            outline=outlines.get(row["place_id"]) if row["kind"] == "province" else None))
    return features


def legend_parties(state: pd.DataFrame, parties: Mapping) -> list[tuple[str, str]]:
    """(label, colour) of each party drawn (holders and contesting parties), in the gazetteer's order."""
    shown = set(state["party"]) if len(state) else set()
    if "parties" in state.columns:
        for names in state.loc[state["status"].eq("contested"), "parties"]:
            shown.update(names or [])
    order = list(parties)
    colours = {k: v.colour for k, v in parties.items()}
    return [(parties[p].label if p in parties else p, party_colour(p, colours))
            for p in sorted(shown, key=lambda p: (order.index(p) if p in order else len(order), p))]


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

    Used before the browser has reported the map's real bounds: st_folium's initial
    ``bounds`` are the data's extent, not the view.

    Examples
    --------
    >>> [round(v, 2) for v in viewport_bbox((0.0, 0.0), 1, 512, 512)]
    [-180.0, -85.05, 180.0, 85.05]
    """
    x, y = _project(center[0], center[1], zoom)
    north, west = _unproject(x - width / 2, y - height / 2, zoom)
    south, east = _unproject(x + width / 2, y + height / 2, zoom)
    return clamp_bbox(west, south, east, north)


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
    """The places in view as a flat table (the CSV download has the same columns)."""
    table = state.reindex(columns=list(TABLE_COLUMNS)).rename(columns=TABLE_COLUMNS)
    return table.sort_values(["Kind", "Place"]).reset_index(drop=True)


def export_geojson(state: pd.DataFrame, filters: Filters, extractor_version: str) -> str:
    """The current view as GeoJSON text, in the format of ``borderwatch export`` (see :mod:`geodata.export`)."""
    data = to_geojson(state, filters, extractor_version)
    return json.dumps(data, ensure_ascii=False, indent=1)


def export_filename(as_of: date | None, suffix: str) -> str:
    """File name of a download, carrying the as-of date: ``borderwatch-2014-06-21.geojson``.

    Examples
    --------
    >>> export_filename(date(2014, 6, 21), "csv")
    'borderwatch-2014-06-21.csv'
    """
    return f"borderwatch-{as_of.isoformat() if as_of else 'latest'}.{suffix}"


def csv_text(table: pd.DataFrame) -> str:
    """A table as CSV text (dates ISO)."""
    from geodata.export import CSV_OPTIONS, spreadsheet_safe

    buffer = io.StringIO()
    spreadsheet_safe(table).to_csv(buffer, **CSV_OPTIONS)  # no formulas from report text in Excel
    return buffer.getvalue()


# -- adding reports ----------------------------------------------------------------------------
UPLOAD_TYPES = ("txt", "text", "md", "html", "htm", "xhtml", "jsonl", "ndjson", "csv")


def reports_from_upload(name: str, data: bytes, options) -> list:
    """Reports in one uploaded file, by its suffix (as ``borderwatch extract`` reads files).

    Returns a list of :class:`extract.sources.Report` and :class:`extract.sources.Skipped`.
    """
    from extract.sources import (
        CSV_SUFFIXES,
        HTML_SUFFIXES,
        JSONL_SUFFIXES,
        Skipped,
        UnreadableInput,
        decode,
        make_report,
        read_csv_batch,
        read_jsonl,
    )

    suffix = PurePath(name).suffix.lower()
    try:
        text = decode(data)
    except UnreadableInput as error:
        return [Skipped(name, str(error))]
    if not text.strip():
        return [Skipped(name, "empty file")]
    if suffix in JSONL_SUFFIXES:
        return list(read_jsonl(text.splitlines(), name, options))
    if suffix in CSV_SUFFIXES:
        return list(read_csv_batch(io.StringIO(text, newline=""), name, options))
    is_html = suffix in HTML_SUFFIXES or text.lstrip()[:1] == "<"
    try:
        return [make_report(name, text, is_html, options)]
    except UnreadableInput as error:
        return [Skipped(name, str(error))]


def extract_batch(reports: Iterable, extractor) -> tuple[list[tuple[dict, list]], list]:
    """Extract each report: ``([(store record, claims)], [skipped])``, ready for ``ClaimStore.add_reports``."""
    from extract.batch import report_record
    from extract.sources import Skipped

    batch, skipped = [], []
    for item in reports:
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        claims = extractor.extract(item.text, item.report_date, item.source, item.url)
        batch.append((report_record(item), claims))
    return batch, skipped


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
