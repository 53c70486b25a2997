"""Leaflet layers of ``DivIcon`` markers built in the browser from embedded GeoJSON: a plain one
(:class:`DivIconLayer`, the basemap's country names) and the places layer (:class:`PlacesLayer`).

The places layer is what the user reads: the markers with their hover tooltips and small
popups, a permanent label per place (shown from a zoom on, and hidden where it would collide
with another label or marker, crossings first), the legend as a Leaflet control, the selected
place highlighted (and panned to when it was picked from a list), and a fit to the places the
first time the map is drawn. Popups never pan the map: one that would leave the map is moved
or opened below its marker instead, so clicking a marker never changes the view (or the URL).

All data goes in as JSON, serialised as Jinja's ``tojson`` does (``<``, ``>``, ``&`` and quotes
escaped), so no text in it can end the script; the HTML strings in it are escaped by
:mod:`dashboard.markup`.
"""

from __future__ import annotations

from branca.element import Element, MacroElement
from jinja2 import Template
from jinja2.utils import htmlsafe_json_dumps


class _Verbatim(Element):
    """Text that goes into the page unchanged."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _ScriptLayer(MacroElement):
    """A MacroElement whose script is added to the page as rendered, once."""

    def render(self, **kwargs):
        """Add the script to the page as it is.

        ``MacroElement.render`` would wrap the rendered script in a new Jinja template, reading the
        whole embedded document once more (0.5 s at 2,000 places); the text is final.
        """
        script = self._template.module.__dict__["script"](self, kwargs)
        self.get_root().script.add_child(_Verbatim(script), name=self.get_name())


class DivIconLayer(_ScriptLayer):
    """Many markers as one folium element: a GeoJSON document and a few lines of Leaflet.

    Each Point feature's ``properties.icon`` holds ``L.divIcon`` options (``html``, ``className``,
    ``iconSize``, ``iconAnchor``); ``tooltip`` and ``popup`` (escaped HTML) are bound when present;
    other geometries are drawn with ``properties.style``.

    Parameters
    ----------
    data : dict
        A GeoJSON FeatureCollection.
    marker_options : dict, optional
        Options of every ``L.marker`` (``pane``, ``interactive``, ``keyboard``).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.data_json }}, {
            pointToLayer: function (feature, latlng) {
                const options = Object.assign({}, {{ this.marker_options|tojson }});
                options.icon = L.divIcon(feature.properties.icon);
                return L.marker(latlng, options);
            },
            style: function (feature) { return feature.properties.style || {}; },
            onEachFeature: function (feature, layer) {
                const p = feature.properties;
                if (p.tooltip) { layer.bindTooltip(p.tooltip); }
                if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 300, autoPan: false}); }
            }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data: dict, marker_options: dict | None = None):
        super().__init__()
        self._name = "DivIconLayer"
        self.data = data
        # Serialised once: streamlit-folium renders the script twice a run.
        self.data_json = htmlsafe_json_dumps(data)
        self.marker_options = marker_options or {}


class PlacesLayer(_ScriptLayer):
    """The places: markers, labels, legend, selection and first fit (see the module's docstring).

    Parameters
    ----------
    data : dict
        A GeoJSON FeatureCollection. Point features carry ``place``, ``icon`` (``L.divIcon``
        options), ``tooltip``, ``popup``, ``label`` (HTML) and ``rank`` (label priority, lower
        first); other geometries (province outlines) carry ``style``.
    options : dict
        ``selected`` (a place id or null), ``action`` (a number that changes each time a place
        is picked from a list: the map then pans to it), ``fit`` (fit the places on the first
        draw), ``legend`` (the legend's HTML), ``label_min_zoom`` and ``pan_zoom``.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            const map = {{ this._parent._parent.get_name() }};
            const group = {{ this._parent.get_name() }};
            const data = {{ this.data_json }};
            const opts = {{ this.options_json }};
            const S = window.__bw = window.__bw || {action: null, fitted: false, legendOpen: null,
                                                      popupPlace: null, popupToken: 0};
            S.markers = {}; S.labels = {}; S.half = {}; S.selected = opts.selected;
            if (!map.getPane('bw-labels')) {
                const pane = map.createPane('bw-labels');
                pane.style.zIndex = 620; pane.style.pointerEvents = 'none';
            }
            const layer = L.geoJson(data, {
                pointToLayer: function (feature, latlng) {
                    const p = feature.properties;
                    const marker = L.marker(latlng, {icon: L.divIcon(p.icon), riseOnHover: true});
                    S.markers[p.place] = marker;
                    const half = p.icon.iconSize[0] / 2;
                    S.half[p.place] = half;
                    if (p.label) {
                        const label = L.marker(latlng, {
                            icon: L.divIcon({html: p.label, className: 'bw-label', iconSize: [0, 0],
                                             iconAnchor: [-(half + 4), 0]}),
                            pane: 'bw-labels', interactive: false, keyboard: false});
                        label.addTo(group);
                        S.labels[p.place] = {marker: label, rank: p.rank || 0};
                    }
                    return marker;
                },
                style: function (feature) { return feature.properties.style || {}; },
                onEachFeature: function (feature, layer) {
                    const p = feature.properties;
                    if (p.tooltip) { layer.bindTooltip(p.tooltip, {direction: 'top', offset: [0, -8]}); }
                    if (p.popup) {
                        layer.bindPopup(p.popup, {maxWidth: 280, minWidth: 200, autoPan: false,
                                                  className: 'bw-popup-box'});
                    }
                }
            }).addTo(group);

            // Popups never pan the map: one that would leave it is shifted, or opened below its marker.
            function placePopup(popup) {
                const box = popup.getElement();
                if (!box) { return; }
                const frame = map.getContainer().getBoundingClientRect();
                const anchor = map.latLngToContainerPoint(popup.getLatLng());
                popup.options.offset = L.point(0, 7);
                box.classList.remove('bw-below');
                popup.update();
                const r = box.getBoundingClientRect();
                let dx = 0, dy = 0;
                if (r.top < frame.top + 6) { dy = (frame.top + anchor.y + 14) - r.top; box.classList.add('bw-below'); }
                if (r.left < frame.left + 6) { dx = frame.left + 6 - r.left; }
                else if (r.right > frame.right - 6) { dx = frame.right - 6 - r.right; }
                if (dx || dy) { popup.options.offset = L.point(dx, 7 + dy); popup.update(); }
            }
            // Markers closer than their size are pushed apart on screen (their places do not move),
            // so every one can be seen and clicked at any zoom.
            function spread() {
                const size = map.getSize(), points = [], cell = 40;
                for (const [place, marker] of Object.entries(S.markers)) {
                    const p = map.latLngToContainerPoint(marker.getLatLng());
                    if (p.x < -60 || p.y < -60 || p.x > size.x + 60 || p.y > size.y + 60) { continue; }
                    points.push({place: place, x: p.x, y: p.y, r: S.half[place] + 1, dx: 0, dy: 0});
                }
                for (let round = 0; round < 8; round++) {
                    const grid = new Map();
                    points.forEach((q, i) => {
                        const key = Math.floor((q.x + q.dx) / cell) + ':' + Math.floor((q.y + q.dy) / cell);
                        if (!grid.has(key)) { grid.set(key, []); }
                        grid.get(key).push(i);
                    });
                    let moved = false;
                    points.forEach((a, i) => {
                        const gx = Math.floor((a.x + a.dx) / cell), gy = Math.floor((a.y + a.dy) / cell);
                        for (let x = gx - 1; x <= gx + 1; x++) {
                            for (let y = gy - 1; y <= gy + 1; y++) {
                                for (const j of grid.get(x + ':' + y) || []) {
                                    if (j <= i) { continue; }
                                    const b = points[j];
                                    let vx = (b.x + b.dx) - (a.x + a.dx), vy = (b.y + b.dy) - (a.y + a.dy);
                                    let d = Math.hypot(vx, vy);
                                    const need = a.r + b.r + 3;
                                    if (d >= need) { continue; }
                                    if (d < 0.01) { vx = 1; vy = 0; d = 1; }
                                    const push = (need - d) / 2 + 0.1;
                                    a.dx -= vx / d * push; a.dy -= vy / d * push;
                                    b.dx += vx / d * push; b.dy += vy / d * push;
                                    moved = true;
                                }
                            }
                        }
                    });
                    if (!moved) { break; }
                }
                const shift = {};
                points.forEach(q => { shift[q.place] = Math.abs(q.dx) + Math.abs(q.dy) > 0.5 ? `${q.dx.toFixed(1)}px ${q.dy.toFixed(1)}px` : ''; });
                for (const [place, marker] of Object.entries(S.markers)) {
                    const el = marker.getElement();
                    if (el && el.firstElementChild) { el.firstElementChild.style.translate = shift[place] || ''; }
                    const label = S.labels[place] && S.labels[place].marker.getElement();
                    if (label) { label.style.translate = shift[place] || ''; }
                }
            }
            // Labels: shown from a zoom on, to the right of their marker, or to its left when the right
            // is taken; hidden when neither fits. The selected place's label always shows.
            function declutter() {
                spread();
                const zoom = map.getZoom();
                const entries = Object.entries(S.labels);
                entries.sort((a, b) => (a[0] === S.selected ? -1 : b[0] === S.selected ? 1 : 0)
                                      || a[1].rank - b[1].rank || (a[0] < b[0] ? -1 : 1));
                const frame = map.getContainer().getBoundingClientRect();
                const cell = 64, grid = new Map();
                const keys = (r) => {
                    const out = [];
                    for (let x = Math.floor(r[0] / cell); x <= Math.floor(r[2] / cell); x++) {
                        for (let y = Math.floor(r[1] / cell); y <= Math.floor(r[3] / cell); y++) { out.push(x + ':' + y); }
                    }
                    return out;
                };
                const hits = (r) => keys(r).some(k => (grid.get(k) || []).some(
                    b => r[0] < b[2] && r[2] > b[0] && r[1] < b[3] && r[3] > b[1]));
                const add = (r) => keys(r).forEach(k => { if (!grid.has(k)) { grid.set(k, []); } grid.get(k).push(r); });
                const outside = (r) => r[2] < frame.left || r[0] > frame.right || r[3] < frame.top || r[1] > frame.bottom;
                // Markers are obstacles too: a label never covers another place's marker.
                for (const marker of Object.values(S.markers)) {
                    const el = marker.getElement();
                    if (!el || !el.firstElementChild) { continue; }
                    const r = el.firstElementChild.getBoundingClientRect();
                    const box = [r.left - 1, r.top - 1, r.right + 1, r.bottom + 1];
                    if (!outside(box)) { add(box); }
                }
                const shown = [];
                for (const [place, label] of entries) {
                    const el = label.marker.getElement();
                    if (!el || !el.firstElementChild) { continue; }
                    el.classList.toggle('bw-selected', place === S.selected);
                    el.classList.remove('bw-hidden', 'bw-left');
                    el.firstElementChild.style.transform = '';
                    shown.push([place, el]);
                }
                const rects = shown.map(([, el]) => el.firstElementChild.getBoundingClientRect());
                shown.forEach(([place, el], i) => {
                    const r = rects[i], gap = 2 * S.half[place] + 8, w = r.right - r.left;
                    const right = [r.left - 2, r.top - 1, r.right + 2, r.bottom + 1];
                    const left = [r.left - gap - w - 2, r.top - 1, r.left - gap + 2, r.bottom + 1];
                    let box = null;
                    if (place === S.selected) { box = right; }
                    else if (zoom >= opts.label_min_zoom && !outside(right)) {
                        if (!hits(right)) { box = right; }
                        else if (!hits(left)) {
                            box = left;
                            el.classList.add('bw-left');
                            el.firstElementChild.style.transform = `translate(${-(gap + w)}px, -50%)`;
                        }
                    }
                    el.classList.toggle('bw-hidden', box === null);
                    if (box) { add(box); }
                });
            }
            S.declutter = declutter;
            if (!S.handlers) {
                S.handlers = true;
                let pending = false;
                map.on('zoomend moveend resize', () => {
                    if (pending) { return; }
                    pending = true;
                    requestAnimationFrame(() => { pending = false; S.declutter(); });
                });
                map.on('popupopen', (e) => {
                    const source = e.popup._source;
                    S.popupPlace = source && source.feature ? source.feature.properties.place : null;
                    S.popupToken += 1;
                    if (source && source.closeTooltip) { source.closeTooltip(); }
                    placePopup(e.popup);
                });
                // A popup closed by the layer being replaced is opened again on the new layer below;
                // one the user closed stays closed.
                map.on('popupclose', () => {
                    const token = S.popupToken;
                    setTimeout(() => { if (S.popupToken === token) { S.popupPlace = null; } }, 0);
                });
            }

            if (S.legend) { map.removeControl(S.legend); }
            if (opts.legend) {
                const legend = L.control({position: 'topright'});
                legend.onAdd = function () {
                    const div = L.DomUtil.create('div', 'bw-legend-control');
                    div.innerHTML = opts.legend;
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.disableScrollPropagation(div);
                    const details = div.querySelector('details');
                    if (details) {
                        if (S.legendOpen === null) { S.legendOpen = map.getSize().x >= 700; }
                        details.open = S.legendOpen;
                        details.addEventListener('toggle', () => { S.legendOpen = details.open; });
                    }
                    return div;
                };
                legend.addTo(map);
                S.legend = legend;
            }

            const selected = opts.selected ? S.markers[opts.selected] : null;
            if (selected) { selected.setZIndexOffset(1000); }
            const reopen = S.popupPlace;  // read now: the old layer's popup closed a moment ago
            if (!S.fitted) {
                S.fitted = true;
                const bounds = layer.getBounds();
                if (opts.fit && bounds.isValid()) {
                    // Keep the places clear of the legend in the top right corner.
                    const box = S.legend && S.legendOpen ? S.legend.getContainer() : null;
                    const right = box ? Math.min(box.offsetWidth + 24, map.getSize().x / 3) : 40;
                    map.fitBounds(bounds, {paddingTopLeft: [50, 40], paddingBottomRight: [right, 40],
                                           maxZoom: opts.fit_max_zoom, animate: false});
                }
                S.action = opts.action;
            } else if (opts.action !== S.action) {
                S.action = opts.action;
                if (selected) {
                    map.setView(selected.getLatLng(), Math.max(map.getZoom(), opts.pan_zoom), {animate: true});
                }
            }
            // The layer is on the map after this script: mark the selection and reopen a popup then.
            requestAnimationFrame(() => {
                Object.entries(S.markers).forEach(([place, marker]) => {
                    const el = marker.getElement();
                    if (el && el.firstElementChild) { el.firstElementChild.classList.toggle('bw-selected', place === opts.selected); }
                });
                if (reopen && S.markers[reopen] && !S.markers[reopen].isPopupOpen()) {
                    S.markers[reopen].openPopup();
                }
                S.declutter();
            });
            return layer;
        })();
        {% endmacro %}
    """)

    def __init__(self, data: dict, options: dict):
        super().__init__()
        self._name = "PlacesLayer"
        self.data = data
        self.data_json = htmlsafe_json_dumps(data)
        self.options = options
        self.options_json = htmlsafe_json_dumps(options)
