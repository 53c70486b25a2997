"""Export: the as-of state (or the claims of a date range) as RFC 7946 GeoJSON, CSV or GeoPackage (pure + writers)."""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

FORMATS = ("geojson", "csv", "gpkg")
FEATURE_PROPERTIES = (
    "id", "name", "kind", "whole", "side", "side_name", "party", "party_label", "party_colour", "joint_with",
    "status", "contested", "contesting_parties", "split", "holders", "since", "since_precision", "since_text",
    "last_report", "latest", "n_reports", "staleness_days", "confidence", "side_holders", "evidence", "source",
    "url", "report_date", "event_date", "event_precision", "sources",
)
"""Properties of a state feature (a place, or one side of a crossing), in this order.

``whole`` is true for a place's own feature (a province, or a crossing as a whole) and false for
one side of a crossing (``side``: the side's country, ``side_name``: its post's name). ``evidence``,
``source``, ``url``, ``report_date``, ``event_date`` and ``event_precision`` are those of the newest
sentence behind the state (all of them are in ``sources``).
"""
DATE_COLUMNS = ("since", "last_report", "latest", "report_date", "event_date")
LIST_COLUMNS = ("joint_with", "contesting_parties", "holders", "parties")


@dataclass(frozen=True)
class Filters:
    """What the user asked to see; recorded in every export so a file says how it was made."""

    as_of: date | None = None
    date_from: date | None = None
    date_to: date | None = None
    parties: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    borders: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None

    def __post_init__(self):
        if self.bbox is not None:
            validate_bbox(self.bbox)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date range is reversed: from {self.date_from} is after to {self.date_to}")

    def describe(self) -> dict:
        """The filters as plain JSON values."""
        data = asdict(self)
        for key in ("as_of", "date_from", "date_to"):
            data[key] = data[key].isoformat() if data[key] else None
        data["parties"], data["kinds"], data["borders"] = list(self.parties), list(self.kinds), list(self.borders)
        data["bbox"] = list(self.bbox) if self.bbox else None
        return data


def validate_bbox(bbox) -> tuple[float, float, float, float]:
    """Check a ``(west, south, east, north)`` box; raise ``ValueError`` naming what is wrong."""
    if len(bbox) != 4:
        raise ValueError(f"bbox needs 4 numbers W,S,E,N, got {len(bbox)}")
    west, south, east, north = (float(v) for v in bbox)
    if any(math.isnan(v) for v in (west, south, east, north)):
        raise ValueError("bbox has a value that is not a number")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise ValueError(f"bbox latitude out of range [-90, 90]: south={south}, north={north}")
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise ValueError(f"bbox longitude out of range [-180, 180]: west={west}, east={east}")
    if west > east:
        raise ValueError(f"bbox west {west} is greater than east {east}")
    if south > north:
        raise ValueError(f"bbox south {south} is greater than north {north}")
    return west, south, east, north


def filter_state(state: pd.DataFrame, filters: Filters, borders_of: dict[str, str] | None = None) -> pd.DataFrame:
    """Rows of ``state`` (or of a claims frame) that pass the party, kind, border and bbox filters.

    A party passes a place it holds on any side, alone or jointly (``holders``).
    """
    mask = pd.Series(True, index=state.index)
    if filters.parties:
        wanted = set(filters.parties)
        mask &= state["party"].isin(filters.parties)
        if "holders" in state.columns:
            mask |= state["holders"].map(lambda held: bool(wanted & set(held)) if isinstance(held, list) else False)
    if filters.kinds:
        mask &= state["kind"].isin(filters.kinds)
    if filters.borders and borders_of is not None:
        mask &= state["place_id"].map(borders_of).isin(filters.borders)
    if filters.bbox:
        west, south, east, north = filters.bbox
        mask &= state["lon"].between(west, east) & state["lat"].between(south, north)
    return state[mask]


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT or value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


@lru_cache(maxsize=1)
def _shipped_colours() -> dict[str, str]:
    from geodata.gazetteer import load_gazetteer

    return {party.id: party.colour for party in load_gazetteer().parties.values()}


def _point(lon, lat) -> dict | None:
    """A GeoJSON Point, or None (an unlocated feature, RFC 7946 section 3.2) for a place with no known point."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def state_features(state: pd.DataFrame, colours: dict[str, str] | None = None, sides: bool = True) -> list[dict]:
    """The properties of each state feature: one per place, then one per reported side of a crossing.

    A claims frame (a range export) gives one feature per claim with the claim's own fields.
    """
    colours = colours if colours is not None else _shipped_colours()
    out = []
    columns = list(state.columns)
    is_state = "sources" in columns
    for values in state.itertuples(index=False, name=None):
        row = dict(zip(columns, values))
        if not is_state:
            out.append(_claim_properties(row, colours))
            continue
        whole = _state_properties(row, colours)
        out.append(whole)
        if sides:
            for entry in row.get("sides") or []:
                if entry.get("party") is not None:
                    out.append(_side_properties(row, entry, whole, colours))
    return out


def _contesting(row: dict) -> list[str]:
    return list(row.get("parties") or []) if row.get("status") == "contested" or row.get("contested") else []


def _newest(sources) -> dict:
    return sources[0] if isinstance(sources, list) and sources else {}


def _state_properties(row: dict, colours: dict) -> dict:
    sources = [{k: _plain(v) for k, v in s.items()} for s in (row.get("sources") or [])]
    newest = _newest(sources)
    sides = row.get("sides") or []
    props = {
        "id": row.get("place_id"), "name": row.get("place_name") or row.get("place"), "kind": row.get("kind"),
        "whole": True, "side": None, "side_name": None, "party": row.get("party"),
        "party_label": row.get("party_label"), "party_colour": colours.get(row.get("party")),
        "joint_with": list(row.get("joint_with") or []), "status": row.get("status"),
        "contested": bool(row.get("contested")), "contesting_parties": _contesting(row),
        "split": bool(row.get("split")), "holders": list(row.get("holders") or []),
        "since": _plain(row.get("since")), "since_precision": row.get("since_precision"),
        "since_text": row.get("since_text"), "last_report": _plain(row.get("last_report")),
        "latest": _plain(row.get("latest")), "n_reports": _plain(row.get("n_reports")),
        "staleness_days": _plain(row.get("staleness_days")), "confidence": _plain(row.get("confidence")),
        "side_holders": {e["side"]: e.get("party") for e in sides} or None,
        "evidence": newest.get("evidence"), "source": newest.get("source"), "url": newest.get("url"),
        "report_date": newest.get("report_date"), "event_date": newest.get("event_date"),
        "event_precision": newest.get("event_precision"), "sources": sources,
    }
    props["_geometry"] = _point(row.get("lon"), row.get("lat"))
    return props


def _side_properties(row: dict, entry: dict, whole: dict, colours: dict) -> dict:
    sources = [s for s in whole["sources"] if s.get("side") in (None, entry["side"])
               and entry.get("party") in (s.get("parties") or [s.get("party")])] or whole["sources"]
    newest = _newest(sources)
    props = dict(whole)
    props.update({
        "whole": False, "side": entry["side"], "side_name": entry.get("side_name"), "party": entry["party"],
        "party_label": entry.get("party_label"), "party_colour": colours.get(entry["party"]),
        "joint_with": list(entry.get("joint_with") or []), "status": entry.get("status"),
        "contested": bool(entry.get("contested")), "contesting_parties": _contesting(entry), "split": False,
        "holders": sorted({entry["party"], *(entry.get("joint_with") or [])} - {"unknown"}),
        "since": _plain(entry.get("since")), "since_precision": entry.get("since_precision"),
        "since_text": entry.get("since_text"), "last_report": _plain(entry.get("last_report")),
        "latest": _plain(entry.get("latest")), "n_reports": _plain(entry.get("n_reports")),
        "staleness_days": _plain(entry.get("staleness_days")), "confidence": _plain(entry.get("confidence")),
        "side_holders": None, "evidence": newest.get("evidence"), "source": newest.get("source"),
        "url": newest.get("url"), "report_date": newest.get("report_date"),
        "event_date": newest.get("event_date"), "event_precision": newest.get("event_precision"),
        "sources": sources,
    })
    return props


def _claim_properties(row: dict, colours: dict) -> dict:
    props = {"id": row.get("place_id"), "name": row.get("place_name") or row.get("place") or row.get("place_id")}
    for key in ("kind", "side", "party", "party_label", "status", "event_date", "event_precision", "report_date",
                "evidence", "source", "url", "claim_key", "report_id", "confidence", "rule"):
        if key in row:
            props[key] = _plain(row[key])
    props["party_colour"] = colours.get(row.get("party"))
    props["_geometry"] = _point(row.get("lon"), row.get("lat"))
    props["_id"] = row.get("claim_key") or row.get("place_id")
    return props


def to_geojson(state: pd.DataFrame, filters: Filters = Filters(), extractor_version: str = "",
               colours: dict[str, str] | None = None, sides: bool = True) -> dict:
    """A FeatureCollection (RFC 7946: WGS84, lon/lat order): one Point per place, then one per side.

    A crossing's own feature (``whole: true``) says who holds the crossing as a whole (``split``
    when its sides are held by different parties, with ``side_holders``); each side with a report
    has its own feature (``whole: false``, ``side``, ``side_name``) at the crossing's point, with
    id ``place/SIDE``. A place with no known point is written with a null geometry, never NaN.
    The top-level ``borderwatch`` member records the filters and the extractor version, so the
    file says what view it is. ``colours`` (party id -> colour) defaults to the shipped gazetteer's.

    Examples
    --------
    >>> import pandas as pd
    >>> row = dict(place_id="rabia", place_name="Rabia", kind="crossing", lat=36.8, lon=42.1,
    ...            party="krg", party_label="Peshmerga", status="controls", sources=[])
    >>> to_geojson(pd.DataFrame([row]))["features"][0]["geometry"]
    {'type': 'Point', 'coordinates': [42.1, 36.8]}
    """
    features = []
    for props in state_features(state, colours, sides):
        geometry = props.pop("_geometry")
        ident = props.pop("_id", None) or (props["id"] if props.get("whole", True) else f"{props['id']}/{props['side']}")
        features.append({"type": "Feature", "id": ident, "geometry": geometry, "properties": props})
    return {
        "type": "FeatureCollection",
        "features": features,
        "borderwatch": {**filters.describe(), "extractor_version": extractor_version,
                        "features": len(features)},
    }


def to_table(state: pd.DataFrame, colours: dict[str, str] | None = None, sides: bool = True) -> pd.DataFrame:
    """The export's features as flat rows for CSV and GeoPackage: ``lon``/``lat`` columns, ``sources`` as JSON.

    Dates are ``datetime.date`` (ISO text in CSV, date columns in a GeoPackage); lists are
    ``|``-joined; ``side_holders`` is ``SIDE:party`` pairs, ``|``-joined.
    """
    rows = []
    for props in state_features(state, colours, sides):
        geometry = props.pop("_geometry")
        props.pop("_id", None)
        lon, lat = geometry["coordinates"] if geometry else (None, None)
        rows.append({**props, "lon": lon, "lat": lat})
    columns = list(FEATURE_PROPERTIES) + ["lon", "lat"] if "sources" in state.columns else None
    table = pd.DataFrame(rows, columns=columns) if columns else pd.DataFrame(rows)
    if table.empty and columns is None:
        table = pd.DataFrame(columns=["id", "name", "lon", "lat"])
    if "sources" in table.columns:
        # the same values as the GeoJSON's sources (no NaN: that is not JSON)
        table["sources"] = table["sources"].map(lambda s: json.dumps(s, ensure_ascii=False, default=str)
                                                if isinstance(s, list) else s)
    for column in LIST_COLUMNS:
        if column in table.columns:
            table[column] = table[column].map(lambda s: "|".join(s) if isinstance(s, list) else s)
    if "side_holders" in table.columns:
        table["side_holders"] = table["side_holders"].map(
            lambda d: "|".join(f"{k}:{v or ''}" for k, v in d.items()) if isinstance(d, dict) else None)
    for column in DATE_COLUMNS:
        if column in table.columns:
            table[column] = table[column].map(lambda d: date.fromisoformat(d) if isinstance(d, str) and d else None)
    return table


# Every text cell quoted: a bare carriage return in report text must not end a row for any reader.
CSV_OPTIONS = {"index": False, "quoting": csv.QUOTE_NONNUMERIC}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_ready(table: pd.DataFrame) -> pd.DataFrame:
    """The table as CSV cells: booleans ``true``/``false`` (as JSON and GIS tools read them), dates ISO."""
    out = table.copy()
    for number in range(out.shape[1]):
        column = out.iloc[:, number]
        if column.dtype == bool or (column.dtype == object and len(column) and
                                    column.map(lambda v: isinstance(v, (bool, np.bool_)) or v is None).all()
                                    and column.map(lambda v: isinstance(v, (bool, np.bool_))).any()):
            out.isetitem(number, column.map(lambda v: None if v is None else ("true" if v else "false")))
        elif column.dtype == object:
            out.isetitem(number, column.map(lambda v: v.isoformat() if isinstance(v, date) else v))
    return spreadsheet_safe(out)


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """The table with text cells that a spreadsheet would run as a formula quoted by a leading ``'``.

    CSV files are opened in Excel and LibreOffice, which treat ``=``, ``+``, ``-``, ``@`` (and a
    leading tab or carriage return) as the start of a formula (OWASP "CSV injection"); report text,
    sources and titles are not trusted. Numbers stay numbers.

    Examples
    --------
    >>> spreadsheet_safe(pd.DataFrame({"source": ["=1+1", "AFP"], "n": [-1, 2]})).to_dict("list")
    {'source': ["'=1+1", 'AFP'], 'n': [-1, 2]}
    """
    out = table.copy()
    for number in range(out.shape[1]):
        column = out.iloc[:, number]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out.isetitem(number, column.map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v))
    return out


def _atomic_target(path: Path) -> Path:
    """A temporary file beside ``path``, so a failed export leaves no partial file behind."""
    if not path.parent.exists():
        raise OSError(f"folder {path.parent} does not exist")
    # same suffix: GDAL's GeoPackage driver warns about (and QGIS dislikes) any other extension
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    return Path(name)


def write_export(state: pd.DataFrame, path: str | Path | None, fmt: str, filters: Filters,
                 extractor_version: str = "", stdout=None, colours: dict[str, str] | None = None) -> int:
    """Write the export in ``fmt`` to ``path`` (or ``stdout`` for geojson/csv), all or nothing; return the feature count.

    GeoJSON is written strictly (no NaN); CSV has ``lon``/``lat`` columns, ISO dates and
    ``true``/``false``; a GeoPackage has real date and boolean columns and the same fields.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "gpkg" and path is None:
        raise ValueError("a GeoPackage needs an output file (-o FILE)")
    if path is None:
        if fmt == "geojson":
            collection = to_geojson(state, filters, extractor_version, colours)
            json.dump(collection, stdout, ensure_ascii=False, allow_nan=False)
            stdout.write("\n")
            return len(collection["features"])
        table = to_table(state, colours)
        csv_ready(table).to_csv(stdout, **CSV_OPTIONS)
        return len(table)
    path = Path(path)
    temp = _atomic_target(path)
    try:
        if fmt == "geojson":
            collection = to_geojson(state, filters, extractor_version, colours)
            temp.write_text(json.dumps(collection, ensure_ascii=False, allow_nan=False), encoding="utf-8")
            count = len(collection["features"])
        else:
            table = to_table(state, colours)
            count = len(table)
            if fmt == "csv":
                csv_ready(table).to_csv(temp, **CSV_OPTIONS)
            else:
                _write_gpkg(table, temp)
        os.replace(temp, path)
        return count
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _write_gpkg(table: pd.DataFrame, temp: Path) -> None:
    """A GeoPackage layer ``borderwatch``: Date columns for dates, Boolean for flags, null geometry when unlocated."""
    import geopandas as gpd
    from shapely.geometry import Point

    import pyarrow as pa

    frame = table.copy()
    for column in DATE_COLUMNS:  # through Arrow: a GeoPackage DATE column, not text or a midnight DATETIME
        if column in frame.columns:
            frame[column] = pd.array([d if isinstance(d, date) else None for d in frame[column]],
                                     dtype=pd.ArrowDtype(pa.date32()))
    for column in ("whole", "contested", "split"):
        if column in frame.columns:
            frame[column] = frame[column].astype(bool)
    geometry = [Point(lon, lat) if pd.notna(lon) and pd.notna(lat) else None
                for lon, lat in zip(frame["lon"], frame["lat"])]
    layer = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    temp.unlink()
    layer.to_file(temp, driver="GPKG", layer="borderwatch", use_arrow=True)
