"""Offline basemap: Natural Earth country borders and names, drawn without a tile server."""

from __future__ import annotations

from functools import lru_cache
from html import escape

import folium
import geopandas as gpd

from dashboard.assets import packaged_file
from dashboard.divicons import DivIconLayer

# lon/lat box of the countries kept: the eastern Mediterranean to Iran, the Caucasus to
# Yemen. Whole countries that touch it are kept (no clipping, which would draw fake
# borders along the box); the world file is ~460 kB as GeoJSON, this region ~110 kB.
REGION_BBOX = (20.0, 10.0, 65.0, 48.0)

# Natural Earth 1:110m admin-0 (public domain), as shipped by pyogrio -- already a
# dependency, as geopandas' file reader -- among its test fixtures ("copied from GeoPandas").
_NE_PACKAGE = "pyogrio"
_NE_PATH = "tests/fixtures/naturalearth_lowres/naturalearth_lowres.shp"

# Leaflet panes: tilePane is z-index 200, overlayPane (markers, claims) 400. The basemap
# sits at 150, under the tiles: online, OSM tiles cover it; offline, failed tiles leave it
# visible. pointer-events off, so it never takes a click or hover from the layers above.
# Labels get their own pane above the fills: inside one pane, Leaflet gives each marker a
# z-index from its pixel y, which is negative for labels north of the initial view's top,
# and those then hide behind the fills' SVG.
_PANE = "borderwatch-basemap"
_LABEL_PANE = "borderwatch-labels"

_LAND = {"fillColor": "#f4f1ea", "fillOpacity": 1.0, "color": "#7a7a7a", "weight": 1.2}
_SEA = "#d7e6ef"
# Absolute, so the div sizes to its text (the marker icon itself is 0x0), centred on the point.
_LABEL_STYLE = (
    "position: absolute; transform: translate(-50%, -50%); white-space: nowrap;"
    " font: 600 11px/1 sans-serif; color: #555; text-shadow: 0 0 3px #fff;"
)


@lru_cache(maxsize=1)
def country_borders() -> gpd.GeoDataFrame:
    """Country polygons of the region around Iraq and Syria, with their names.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name`` (Natural Earth short name, e.g. ``"Iraq"``, ``"N. Cyprus"``),
        ``iso_a3`` (``"-99"`` where Natural Earth has none) and ``geometry`` (EPSG:4326).
        Cached and shared between callers: copy it before changing it.

    Raises
    ------
    RuntimeError
        If the package that ships the Natural Earth file is missing or no longer ships it.
    """
    shp = packaged_file(_NE_PACKAGE, _NE_PACKAGE, _NE_PATH, "country borders")
    world = gpd.read_file(str(shp))
    xmin, ymin, xmax, ymax = REGION_BBOX
    region = world.cx[xmin:xmax, ymin:ymax]
    return region[["name", "iso_a3", "geometry"]].sort_values("name").reset_index(drop=True)


def add_offline_basemap(m: folium.Map) -> None:
    """Draw country fills, border lines and country names under everything else.

    Create the map with ``tiles=None`` and add :func:`tile_layer` after this, if at all.

    Parameters
    ----------
    m : folium.Map
        The map; layers are added in place.
    """
    folium.map.CustomPane(_PANE, z_index=150, pointer_events=False).add_to(m)
    folium.map.CustomPane(_LABEL_PANE, z_index=160, pointer_events=False).add_to(m)
    # Without tiles, the map's own background is what shows between countries: make it sea.
    m.get_root().header.add_child(
        folium.Element(f"<style>.leaflet-container {{ background: {_SEA}; }}</style>"),
        name="borderwatch_sea",
    )
    borders = country_borders()
    folium.GeoJson(
        borders,
        name="Country borders",
        style_function=lambda _feature: _LAND,
        control=False,
        pane=_PANE,
        interactive=False,  # no leaflet-interactive paths: clicks go to the markers
    ).add_to(m)
    # Permanent labels as DivIcon markers: tooltips would need hover and interactive paths.
    labels = folium.FeatureGroup(name="Country names", control=False).add_to(m)
    features = []
    for name, geom in zip(borders["name"], borders.geometry, strict=True):
        pt = geom.representative_point()  # inside the polygon, unlike the centroid
        icon = {"html": f'<div style="{_LABEL_STYLE}">{escape(name)}</div>', "iconSize": [0, 0],
                "className": "borderwatch-label"}
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [pt.x, pt.y]},
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
