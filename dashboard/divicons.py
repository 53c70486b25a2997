"""One Leaflet layer of ``DivIcon`` markers (and optional shapes), built in the browser from embedded GeoJSON."""

from __future__ import annotations

from branca.element import Element, MacroElement
from jinja2 import Template
from jinja2.utils import htmlsafe_json_dumps


class DivIconLayer(MacroElement):
    """Many markers as one folium element: a GeoJSON document and a few lines of Leaflet.

    Each Point feature's ``properties.icon`` holds ``L.divIcon`` options (``html``, ``className``,
    ``iconSize``, ``iconAnchor``); ``tooltip`` and ``popup`` (HTML, escaped by the caller) are bound
    when present; other geometries are drawn with ``properties.style``. The data is serialised as
    Jinja's ``tojson`` does, escaping ``<``, ``>``, ``&`` and quotes, so no text in it can end the script.

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
                if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 360}); }
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

    def render(self, **kwargs):
        """Add the script to the page as it is.

        ``MacroElement.render`` would wrap the rendered script in a new Jinja template, reading the
        whole embedded document once more (0.5 s at 2,000 places); the text is final.
        """
        script = self._template.module.__dict__["script"](self, kwargs)
        self.get_root().script.add_child(_Verbatim(script), name=self.get_name())


class _Verbatim(Element):
    """Text that goes into the page unchanged."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text
