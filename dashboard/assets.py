"""Local copies of the JS/CSS and the basemap the folium map needs, so it renders with no internet."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import folium

# Leaflet 1.9.4 as shipped by django-js-lib-leaflet (plain files: Django is never imported).
# leaflet.css points at images/ relative to itself (layer control, default marker icon).
_LEAFLET_FILES = ["leaflet.js", "leaflet.css"] + [
    f"images/{name}.png"
    for name in ("layers", "layers-2x", "marker-icon", "marker-icon-2x", "marker-shadow")
]

# (import name, PyPI distribution, path inside the package, path in static_dir).
# No third-party file is committed: they are copied at run time from these packages.
_ASSETS: list[tuple[str, str, str, str]] = [
    *(
        ("js_lib_leaflet", "django-js-lib-leaflet", f"static/js_lib_leaflet/{f}", f)
        for f in _LEAFLET_FILES
    ),
    # folium's Popup template builds its content with $(`...`)[0], and GeoJson loaded by
    # URL uses $.ajax, so jQuery is required. XStatic-jQuery 3.7.1 is the version folium pins.
    ("xstatic.pkg.jquery", "XStatic-jQuery", "data/jquery.min.js", "jquery.min.js"),
]

# What the map loads, replacing folium's six CDN CSS and four CDN JS defaults. Dropped on
# purpose: bootstrap (JS+CSS), glyphicons, font-awesome and Leaflet.awesome-markers (JS+CSS,
# rotate CSS) -- only folium.Icon uses them; draw markers with CircleMarker or DivIcon instead.
_JS = [("leaflet", "leaflet.js"), ("jquery", "jquery.min.js")]
_CSS = [("leaflet_css", "leaflet.css")]


def install_static_assets(static_dir: Path) -> list[Path]:
    """Copy the map's JS/CSS (and Leaflet's images) from installed packages into a folder, and write the basemap.

    Idempotent: a file whose content is already identical is not rewritten. Writes go
    through a temporary file and a rename, so a server reading the folder never sees half
    a file.

    Parameters
    ----------
    static_dir : Path
        Folder Streamlit serves (``static/`` next to the app script, with
        ``server.enableStaticServing = true``). Created if missing.

    Returns
    -------
    list of Path
        Every asset in ``static_dir``, whether it was copied now or was already up to date.

    Raises
    ------
    RuntimeError
        If a package that ships an asset is not installed, or no longer ships the file.
    """
    static_dir = Path(static_dir)
    installed = []
    for module, dist, src_rel, dest_rel in _ASSETS:
        data = packaged_file(module, dist, src_rel, "offline map assets").read_bytes()
        dest = static_dir / dest_rel
        if not (dest.is_file() and dest.read_bytes() == data):
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, dest)
        installed.append(dest)
    from dashboard.basemap import write_basemap  # here: basemap itself imports this module

    installed.append(write_basemap(static_dir))
    return installed


def packaged_file(module: str, dist: str, path: str, purpose: str):
    """A data file shipped inside an installed package, or a ``RuntimeError`` naming the package.

    Parameters
    ----------
    module, dist : str
        The import name and the PyPI name of the package.
    path : str
        The file's path inside the package.
    purpose : str
        What needs it, for the error message ("offline map assets").
    """
    try:
        found = resources.files(module).joinpath(path)
    except ModuleNotFoundError as exc:
        raise RuntimeError(f"{purpose} need the PyPI package {dist!r} (pip install {dist})") from exc
    if not found.is_file():
        raise RuntimeError(f"package {dist!r} no longer ships {path}; pin its version")
    return found


def static_base_url() -> str:
    """Return the URL path where Streamlit serves the app's ``static/`` folder.

    Returns
    -------
    str
        ``/app/static``, prefixed by ``server.baseUrlPath`` when the app runs under one.
    """
    from streamlit import config  # local import: assets stay usable without a Streamlit runtime

    prefix = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{prefix}/app/static" if prefix else "/app/static"


def use_local_assets(m: folium.Map, base_url: str | None = None) -> folium.Map:
    """Make the map load its JS/CSS from the app itself instead of CDNs.

    Parameters
    ----------
    m : folium.Map
        The map; changed in place.
    base_url : str, optional
        URL of the folder filled by :func:`install_static_assets`. Defaults to
        :func:`static_base_url`. It must be root-relative (``/app/static``) or absolute:
        streamlit-folium adds the ``<script>``/``<link>`` tags inside its component iframe,
        whose page is ``/component/streamlit_folium.st_folium/index.html``, so a relative
        ``app/static`` would resolve under ``/component/...`` and 404.

    Returns
    -------
    folium.Map
        The same map, for chaining.
    """
    base = (static_base_url() if base_url is None else base_url).rstrip("/")
    # Instance attributes, not m.add_js_link(): that edits folium's module-level lists in
    # place, which every Map in the process shares. streamlit-folium reads these attributes
    # to build its js_links/css_links, and folium's own render() reads them for the header.
    m.default_js = [(name, f"{base}/{file}") for name, file in _JS]
    m.default_css = [(name, f"{base}/{file}") for name, file in _CSS]
    return m


def offline_problems(m: folium.Map) -> list[str]:
    """List what would stop the map from rendering with no internet.

    Walks the map the way streamlit-folium does (every element's ``default_js`` and
    ``default_css``), so elements and plugins that bring their own CDN files are caught,
    e.g. ``RegularPolygonMarker`` (leaflet-dvf) or ``MarkerCluster``; and flags
    ``folium.Icon``, whose Leaflet.awesome-markers script :func:`use_local_assets` drops.

    Parameters
    ----------
    m : folium.Map
        The map, with all its layers added.

    Returns
    -------
    list of str
        Remote URLs (``http://``, ``https://``, ``//``) and unsupported elements; empty when
        the map is offline-safe.
    """
    problems, stack = [], [m]
    while stack:
        el = stack.pop()
        for _, url in [*getattr(el, "default_js", []), *getattr(el, "default_css", [])]:
            if url.startswith(("http://", "https://", "//")) and url not in problems:
                problems.append(url)
        if isinstance(el, folium.Icon):
            problems.append(f"{el.get_name()}: folium.Icon needs Leaflet.awesome-markers")
        stack.extend(getattr(el, "_children", {}).values())
    return problems
