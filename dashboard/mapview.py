"""The folium map: an offline base map the browser loads once, and one layer of place markers per view.

streamlit-folium keeps the map in the browser as long as the base map's script is the same
(it keys the component on a hash of that script); the markers go in a separate
``feature_group_to_add`` that it swaps in place, and ``center``/``zoom`` are only applied when
they change. So moving the timeline slider or changing a filter redraws the markers without
reloading the map, and the user's pan and zoom survive.

The base map is rebuilt (not cached as an object) on each run, from cached data: folium
elements are not idempotent under repeated rendering (a ``DivIcon`` adds its ``setIcon`` call
and a ``GeoJson`` its ``addTo`` again on every render), so a cached map would change its script,
and with it the hash, on every run -- reloading the map each time. Rebuilding costs about
15 ms and rendering about 80 ms; the browser never sees the difference.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium

from dashboard.assets import use_local_assets
from dashboard.basemap import add_offline_basemap, tile_layer
from dashboard.divicons import DivIconLayer
from dashboard.style import marker_html
from dashboard.view import MapFeature

MAP_HEIGHT = 560
NOMINAL_WIDTH = 900  # px; the wide layout's map column on a laptop, for the pre-report viewport guess
DEFAULT_CENTER = (34.1, 41.6)  # the Iraq-Syria border, with Jordan, Turkey and Iran in view
DEFAULT_ZOOM = 6
# What the app reads back. Panning changes bounds/center/zoom together (one rerun); a click
# on a marker changes last_object_clicked. Nothing else (drawings, tooltips) reruns the app.
RETURNED_OBJECTS = ["bounds", "zoom", "center", "last_object_clicked"]
LAYER_NAME = "Places"


def base_map(tiles: str = "offline", static_url: str | None = None) -> folium.Map:
    """The map without markers: country fills, borders and names, optional tiles, local JS/CSS.

    Parameters
    ----------
    tiles : str
        ``"offline"`` (borders only) or ``"osm"`` (OpenStreetMap tiles over the borders).
    static_url : str, optional
        Where the app serves Leaflet (see :func:`dashboard.assets.use_local_assets`).

    Returns
    -------
    folium.Map
    """
    m = folium.Map(location=list(DEFAULT_CENTER), zoom_start=DEFAULT_ZOOM, tiles=None, min_zoom=3,
                   max_zoom=13, control_scale=True, world_copy_jump=False)
    add_offline_basemap(m)
    layer = tile_layer(tiles)
    if layer is not None:
        layer.add_to(m)
    use_local_assets(m, static_url)
    return m


def features_layer(features: Sequence[MapFeature]) -> folium.FeatureGroup:
    """One marker per place: a diamond for a crossing, a circle for a province, with tooltip and popup.

    All places go in one :class:`~dashboard.divicons.DivIconLayer`: one folium element per place
    (a ``Marker`` with its ``DivIcon``, ``Tooltip`` and ``Popup``) made streamlit-folium render
    four Jinja templates per place on every rerun, about 1.3 s at 2,000 places. ``DivIcon``
    markers, not ``folium.Icon`` (Font Awesome from a CDN) nor ``RegularPolygonMarker``
    (leaflet-dvf from a CDN), keep the map offline. Tooltip and popup HTML is escaped by
    :mod:`dashboard.view`.
    """
    group = folium.FeatureGroup(name=LAYER_NAME, control=False)
    items = []
    for feature in features:
        size = feature.style.size + 2 * feature.style.outline_width
        if feature.outline is not None:  # a province's polygon, in its holder's colour, under the marker
            colour = feature.style.colour
            style = {"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.08 if feature.stale else 0.25}
            items.append({"type": "Feature", "geometry": feature.outline,
                          "properties": {"place": feature.place_id, "tooltip": feature.tooltip, "style": style}})
        icon = {"html": marker_html(feature.style, feature.place_id, feature.party, feature.status, feature.stale),
                "className": "bw-icon", "iconSize": [size, size], "iconAnchor": [size // 2, size // 2]}
        items.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [feature.lon, feature.lat]},
                      "properties": {"place": feature.place_id, "tooltip": feature.tooltip, "popup": feature.popup,
                                     "icon": icon}})
    if items:
        DivIconLayer({"type": "FeatureCollection", "features": items}).add_to(group)
    return group


def show_map(m: folium.Map, layer: folium.FeatureGroup, center: tuple[float, float], zoom: int,
             height: int = MAP_HEIGHT) -> dict:
    """Draw the map in the page with its marker layer; return what the browser reports.

    Parameters
    ----------
    m : folium.Map
        From :func:`base_map`; the same script on every run keeps the browser's map alive.
    layer : folium.FeatureGroup
        From :func:`features_layer`; swapped in place when it changes.
    center, zoom
        The view to open with. Keep them constant in a session: streamlit-folium re-applies
        them whenever they change, which would undo the user's panning.

    Returns
    -------
    dict
        ``bounds``, ``zoom``, ``center`` and ``last_object_clicked`` (only ``bounds``, ``zoom``
        and ``last_object_clicked`` -- with the data's extent as bounds -- until the map has
        loaded in a browser).
    """
    from streamlit_folium import st_folium

    return st_folium(m, height=height, use_container_width=True, returned_objects=RETURNED_OBJECTS,
                     center=list(center), zoom=zoom, feature_group_to_add=layer) or {}
