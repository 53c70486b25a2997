"""The folium map: an offline base map the browser loads once, and one layer of places per view.

streamlit-folium keeps the map in the browser as long as the base map's script is the same
(it keys the component on a hash of that script); the places go in a separate
``feature_group_to_add`` that it swaps in place, and ``center``/``zoom`` are only applied when
they change. So moving the timeline slider or changing a filter redraws the markers without
reloading the map, and the user's pan and zoom survive.

The base map is rebuilt (not cached as an object) on each run, from cached data: folium
elements are not idempotent under repeated rendering (a ``GeoJson`` adds its ``addTo`` again on
every render), so a cached map would change its script, and with it the hash, on every run --
reloading the map each time.

The map fills the window's height: the page's CSS sizes the component's frame
(:data:`dashboard.markup.PAGE_CSS`) and the map inside follows it.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium

from dashboard.assets import use_local_assets
from dashboard.basemap import add_offline_basemap, tile_layer
from dashboard.divicons import PlacesLayer
from dashboard.markup import MAP_CSS, marker_html
from dashboard.view import MapFeature

MAP_HEIGHT = 620  # px: what st_folium is told; the page's CSS then sets the frame to the window's height
NOMINAL_WIDTH = 900  # px; the wide layout's map on a laptop, for the viewport guess before the browser reports
DEFAULT_CENTER = (34.1, 41.6)  # the Iraq-Syria border, with Jordan, Turkey and Iran in view
DEFAULT_ZOOM = 6
MAX_ZOOM = 13
FIT_MAX_ZOOM = 8  # the first fit to the places never zooms in further than this
LABEL_MIN_ZOOM = 5  # place labels show from this zoom on (decluttered)
PAN_ZOOM = 7  # picking a place from a list pans to it, zooming in to at least this
# What the app reads back. Panning changes bounds/center/zoom together (one rerun); a click
# on a marker changes last_object_clicked. Nothing else (drawings, tooltips) reruns the app.
RETURNED_OBJECTS = ["bounds", "zoom", "center", "last_object_clicked"]
LAYER_NAME = "Places"
MAP_KEY = "w_map"  # the map's value in the session state, read at the start of each run

# Inside the map's frame: the map follows the frame's height, which the page's CSS sets.
FRAME_CSS = "html, body { height: 100%; margin: 0; } #map_div { height: 100vh !important; width: 100% !important; }"


def base_map(tiles: str = "offline", static_url: str | None = None,
             location: tuple[float, float] = DEFAULT_CENTER, zoom: int = DEFAULT_ZOOM) -> folium.Map:
    """The map without places: country fills, borders and names, optional tiles, local JS/CSS.

    Parameters
    ----------
    tiles : str
        ``"offline"`` (borders only) or ``"osm"`` (OpenStreetMap tiles over the borders).
    static_url : str, optional
        Where the app serves Leaflet and the basemap (see :func:`dashboard.assets.use_local_assets`).
    location, zoom
        Where the map is created. streamlit-folium reports the map's view the moment it creates it,
        before it applies the view asked for: a map created elsewhere than it will be shown sends
        that other view to the app first (and again whenever the browser re-creates the map). Keep
        them constant in a session: they are part of the script whose hash keeps the map alive.

    Returns
    -------
    folium.Map
    """
    m = folium.Map(location=[float(location[0]), float(location[1])], zoom_start=int(zoom), tiles=None, min_zoom=3,
                   max_zoom=MAX_ZOOM, control_scale=True, world_copy_jump=False)
    m.get_root().header.add_child(folium.Element(f"<style>{FRAME_CSS}{MAP_CSS}</style>"), name="borderwatch_css")
    add_offline_basemap(m, static_url)
    layer = tile_layer(tiles)
    if layer is not None:
        layer.add_to(m)
    use_local_assets(m, static_url)
    return m


def layer_options(selected: str | None = None, action: int = 0, fit: bool = True, legend: str = "") -> dict:
    """The places layer's options (see :class:`dashboard.divicons.PlacesLayer`)."""
    return {"selected": selected, "action": action, "fit": fit, "legend": legend, "label_min_zoom": LABEL_MIN_ZOOM,
            "pan_zoom": PAN_ZOOM, "fit_max_zoom": FIT_MAX_ZOOM}


def features_layer(features: Sequence[MapFeature], options: dict | None = None) -> folium.FeatureGroup:
    """The places as one layer: a marker per place (diamond for a crossing, circle for a province),
    its label, hover tooltip and small popup, province outlines under them, and the legend.

    All places go in one :class:`~dashboard.divicons.PlacesLayer`: one folium element per place
    (a ``Marker`` with its ``DivIcon``, ``Tooltip`` and ``Popup``) made streamlit-folium render
    four Jinja templates per place on every rerun, about 1.3 s at 2,000 places. ``DivIcon``
    markers, not ``folium.Icon`` (Font Awesome from a CDN), keep the map offline. Tooltip,
    popup, label and legend HTML is escaped by :mod:`dashboard.markup`.
    """
    group = folium.FeatureGroup(name=LAYER_NAME, control=False)
    items = []
    for feature in features:
        # The icon's box is what the marker covers on screen: a diamond is a square turned by 45 degrees.
        size = (round(feature.style.size * 1.414) if feature.style.shape == "diamond" else feature.style.size) + 4
        if feature.outline is not None:  # a province's polygon, in its holder's colour, under the marker
            colour = feature.style.colour
            style = {"color": colour, "weight": 1, "dashArray": "4 3" if feature.stale else None,
                     "fillColor": colour, "fillOpacity": 0.2}
            items.append({"type": "Feature", "geometry": feature.outline,
                          "properties": {"place": feature.place_id, "tooltip": feature.tooltip, "style": style}})
        icon = {"html": marker_html(feature.style, feature.place_id, feature.party, feature.status, feature.stale),
                "className": "bw-icon", "iconSize": [size, size], "iconAnchor": [size // 2, size // 2]}
        items.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [feature.lon, feature.lat]},
                      "properties": {"place": feature.place_id, "tooltip": feature.tooltip, "popup": feature.popup,
                                     "label": feature.label, "rank": feature.rank, "icon": icon}})
    PlacesLayer({"type": "FeatureCollection", "features": items}, options or layer_options()).add_to(group)
    return group


def show_map(m: folium.Map, layer: folium.FeatureGroup, center: tuple[float, float] | None, zoom: int | None,
             height: int = MAP_HEIGHT, key: str | None = MAP_KEY) -> dict:
    """Draw the map in the page with its places layer; return what the browser reports.

    Parameters
    ----------
    m : folium.Map
        From :func:`base_map`; the same script on every run keeps the browser's map alive.
    layer : folium.FeatureGroup
        From :func:`features_layer`; swapped in place when it changes.
    center, zoom
        A view to open with (from a link), or None to fit the places. Keep them constant in a
        session: streamlit-folium re-applies them whenever they change, which would undo the
        user's panning.
    key : str
        Where the browser's report is kept in the session state, so the next run can read it
        before drawing.

    Returns
    -------
    dict
        ``bounds``, ``zoom``, ``center`` and ``last_object_clicked`` (only ``bounds``, ``zoom``
        and ``last_object_clicked`` -- with the data's extent as bounds -- until the map has
        loaded in a browser).
    """
    from streamlit_folium import st_folium

    return st_folium(m, key=key, height=height, use_container_width=True, returned_objects=RETURNED_OBJECTS,
                     center=list(center) if center else None, zoom=zoom, feature_group_to_add=layer) or {}
