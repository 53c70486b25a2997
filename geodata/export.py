"""Export: the as-of state (or the claims of a date range) as RFC 7946 GeoJSON, CSV or GeoPackage (pure + writers)."""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import pandas as pd

FORMATS = ("geojson", "csv", "gpkg")
FEATURE_PROPERTIES = ("id", "name", "kind", "side", "party", "party_label", "status", "since",
                      "last_report", "contested", "n_reports", "staleness_days", "confidence", "sources")


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
    """Rows of ``state`` (or of a claims frame) that pass the party, kind, border and bbox filters."""
    mask = pd.Series(True, index=state.index)
    if filters.parties:
        mask &= state["party"].isin(filters.parties)
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
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def to_geojson(state: pd.DataFrame, filters: Filters = Filters(), extractor_version: str = "") -> dict:
    """A FeatureCollection (RFC 7946: WGS84, lon/lat order), one Point feature per place.

    The top-level ``borderwatch`` member records the filters and the extractor version, so the
    file says what view it is.

    Examples
    --------
    >>> import pandas as pd
    >>> row = dict(place_id="rabia", place="Rabia", kind="crossing", side=None, lat=36.8, lon=42.1,
    ...            party="krg", party_label="Peshmerga", status="controls", since=None,
    ...            last_report=None, contested=False, n_reports=1, staleness_days=0,
    ...            confidence=0.9, sources=[])
    >>> to_geojson(pd.DataFrame([row]))["features"][0]["geometry"]
    {'type': 'Point', 'coordinates': [42.1, 36.8]}
    """
    features = []
    columns = list(state.columns)
    for values in state.itertuples(index=False, name=None):
        row = dict(zip(columns, values))
        properties = {"id": row.get("place_id"), "name": row.get("place")}
        for key in FEATURE_PROPERTIES[2:]:
            if key in row:
                properties[key] = _plain(row[key])
        for key in ("event_date", "report_date", "evidence", "source", "url", "claim_key", "report_id"):
            if key in row and key not in properties:  # a claims export carries each claim's own fields
                properties[key] = _plain(row[key])
        if isinstance(properties.get("sources"), list):
            properties["sources"] = [{k: _plain(v) for k, v in s.items()} for s in properties["sources"]]
        features.append({
            "type": "Feature",
            "id": row.get("claim_key") or row.get("place_id"),
            "geometry": {"type": "Point", "coordinates": [round(float(row["lon"]), 6), round(float(row["lat"]), 6)]},
            "properties": properties,
        })
    return {
        "type": "FeatureCollection",
        "features": features,
        "borderwatch": {**filters.describe(), "extractor_version": extractor_version,
                        "features": len(features)},
    }


def to_table(state: pd.DataFrame) -> pd.DataFrame:
    """The export's fields as flat columns (``sources`` as a JSON string) for CSV and GeoPackage."""
    # A range export holds claims, whose store row id would clash with the place's id.
    table = state.drop(columns=["id"], errors="ignore").rename(columns={"place_id": "id", "place": "name"})
    if "sources" in table.columns:
        # the same values as the GeoJSON's sources (no NaN: that is not JSON)
        table["sources"] = table["sources"].map(lambda s: json.dumps(
            [{k: _plain(v) for k, v in item.items()} for item in s] if isinstance(s, list) else s,
            ensure_ascii=False, default=str))
    if "parties" in table.columns:
        table["parties"] = table["parties"].map(lambda s: "|".join(s) if isinstance(s, list) else s)
    for column in ("since", "last_report", "latest", "report_date", "event_date"):
        if column in table.columns:
            table[column] = table[column].map(lambda d: d.isoformat() if isinstance(d, date) else d)
    return table


# Every text cell quoted: a bare carriage return in report text must not end a row for any reader.
CSV_OPTIONS = {"index": False, "quoting": csv.QUOTE_NONNUMERIC}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
                 extractor_version: str = "", stdout=None) -> None:
    """Write the export in ``fmt`` to ``path`` (or ``stdout`` for geojson/csv), all or nothing."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "gpkg" and path is None:
        raise ValueError("a GeoPackage needs an output file (-o FILE)")
    if path is None:
        if fmt == "geojson":
            json.dump(to_geojson(state, filters, extractor_version), stdout, ensure_ascii=False)
            stdout.write("\n")
        else:
            spreadsheet_safe(to_table(state)).to_csv(stdout, **CSV_OPTIONS)
        return
    path = Path(path)
    temp = _atomic_target(path)
    try:
        if fmt == "geojson":
            temp.write_text(json.dumps(to_geojson(state, filters, extractor_version), ensure_ascii=False),
                            encoding="utf-8")
        elif fmt == "csv":
            spreadsheet_safe(to_table(state)).to_csv(temp, **CSV_OPTIONS)
        else:
            import geopandas as gpd

            table = to_table(state)
            frame = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs="EPSG:4326")
            temp.unlink()
            frame.to_file(temp, driver="GPKG", layer="borderwatch")
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
