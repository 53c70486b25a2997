"""Every piece of HTML and CSS the page shows, and the escaping of text that came from outside (pure).

Two kinds of outside text reach the page: report text (evidence, source, title, url) and what a
user typed or linked (query values, file names). Both are shown as text, never as markup:

* in HTML (popups, the detail panel, the legend) through :func:`escape_text`, which also
  escapes the backtick, dollar and backslash because folium places popup HTML inside a
  JavaScript template literal; only ``http(s)`` URLs become links (:func:`link_html`);
* in Streamlit's Markdown elements (toasts, warnings, captions, radio labels) through
  :func:`md_text`, which backslash-escapes every ASCII punctuation character, so a value such
  as ``[Click](https://evil.example) ![t](https://evil.example/p.png)`` shows as typed and
  makes no link and loads no image.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from urllib.parse import urlsplit

from dashboard.style import HALO, STALE_DAYS, MarkerStyle, marker_style, safe_colour, text_colour

_PUNCTUATION = frozenset(string.punctuation)


# -- escaping --------------------------------------------------------------------------------
def escape_text(value) -> str:
    """HTML-escape outside text so it shows as text wherever it lands.

    Examples
    --------
    >>> escape_text('<img src=x onerror="alert(1)"> ${x} `y`')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &#36;{x} &#96;y&#96;'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


_LINKISH = re.compile(r"\S*(?:://|www\.|@)\S*")


def md_text(value) -> str:
    r"""Outside text for a Streamlit Markdown element, shown exactly as typed.

    Every ASCII punctuation character is backslash-escaped (CommonMark lets any of them be), so
    no link, image, emphasis, HTML, directive or formula can start; line breaks become spaces.
    Words a renderer would turn into links by themselves (``https://…``, ``www.…``, addresses
    with ``@``) go in code spans, where nothing is linked.

    Examples
    --------
    >>> print(md_text("**bold** [x](y)"))
    \*\*bold\*\* \[x\]\(y\)
    >>> print(md_text("see https://evil.example/p.png"))
    see `https://evil.example/p.png`
    """
    if value is None:
        return ""
    text = " ".join(str(value).split())
    out, last = [], 0
    for match in _LINKISH.finditer(text):
        out.append(_escaped(text[last:match.start()]))
        out.append(_code_span(match.group()))
        last = match.end()
    out.append(_escaped(text[last:]))
    return "".join(out)


def _escaped(text: str) -> str:
    return "".join("\\" + c if c in _PUNCTUATION else c for c in text)


def _code_span(text: str) -> str:
    """``text`` as a CommonMark code span: a fence longer than any run of backticks in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


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


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, date) else (str(value) if value else "?")


# -- the words of a state ----------------------------------------------------------------------
def _holder(row: Mapping, label_of: Mapping[str, str]) -> str:
    label = label_of.get(row.get("party"), row.get("party_label") or row.get("party") or "?")
    joint = [label_of.get(p, p) for p in (row.get("joint_with") or []) if p]
    return f"{label} jointly with {' and '.join(joint)}" if joint else label


def status_line(row: Mapping, label_of: Mapping[str, str]) -> str:
    """One line saying who holds the place and since when (plain text, not escaped).

    Examples
    --------
    >>> status_line({"status": "controls", "party": "isil", "since": date(2014, 6, 21)},
    ...             {"isil": "Islamic State (ISIL)"})
    'Held by Islamic State (ISIL) since 2014-06-21'
    """
    since = row.get("since")
    since_text = f" since {since_text_of(row)}" if isinstance(since, date) else ""
    if row.get("status") == "split" or row.get("split"):
        return "Sides held by different parties: " + sides_line(row, label_of, with_since=True)
    if row["status"] == "contested":
        names = [label_of.get(p, p) for p in (row.get("parties") or [])]
        return f"Contested ({' vs '.join(names) or _holder(row, label_of)}); latest report {_iso(row.get('latest'))}"
    if row["status"] == "not-government":
        return f"Outside government control{since_text}"
    return f"Held by {_holder(row, label_of)}{since_text}"


def since_text_of(row: Mapping) -> str:
    """The ``since`` date as its precision allows ("2014-06-21", or "mid-2014" when that is all the text said)."""
    phrase = row.get("since_text")
    return str(phrase) if isinstance(phrase, str) and phrase else _iso(row.get("since"))


def sides_line(row: Mapping, label_of: Mapping[str, str], with_since: bool = False) -> str:
    """Each side's holder of a crossing with named sides, or ``""`` when both sides agree (plain text)."""
    sides = [s for s in (row.get("sides") if isinstance(row.get("sides"), (list, tuple)) else [])
             if isinstance(s, Mapping)]
    if len(sides) < 2 or (len({s.get("party") for s in sides}) < 2 and all(s.get("party") for s in sides)):
        return ""
    parts = []
    for side in sides:
        name = side.get("side_name") or side.get("side") or "?"
        if not side.get("party"):
            parts.append(f"{name}: no report")
            continue
        since = f" since {since_text_of(side)}" if with_since and isinstance(side.get("since"), date) else ""
        parts.append(f"{name}: {_holder(side, label_of)}{since}")
    return " · ".join(parts)


# -- popups, tooltips, the detail panel -----------------------------------------------------------
def tooltip_html(row: Mapping, label_of: Mapping[str, str]) -> str:
    """What hovering a marker shows: the name and the status line."""
    return f"<b>{escape_text(row['place'])}</b><br>{escape_text(status_line(row, label_of))}"


def popup_html(row: Mapping, label_of: Mapping[str, str]) -> str:
    """A small popup: name, holder and since, the sides, one line of the newest evidence, its source.

    The full evidence is in the side panel (:func:`details_html`).
    """
    kind = row.get("kind") or ""
    border = row.get("border") or ""
    sources = row.get("sources") or []
    first = sources[0] if sources else {}
    sides = "" if row.get("split") or row.get("status") == "split" else sides_line(row, label_of)
    count = row.get("n_reports")
    source = (f"{escape_text(first.get('source') or 'unknown source')}, report {escape_text(first.get('report_date') or '?')}"
              if first else "no evidence stored")
    return (f'<div class="bw-popup" data-place="{escape_text(row["place_id"])}">'
            f'<b class="bw-name">{escape_text(row.get("place"))}</b> '
            f'<small>{escape_text(kind)}{", " + escape_text(border) if border else ""}</small><br>'
            f'<span class="bw-status">{escape_text(status_line(row, label_of))}</span>'
            f'{"<br><span class=bw-sides>" + escape_text(sides) + "</span>" if sides else ""}'
            f'{"<q class=bw-sentence>" + escape_text(first.get("evidence")) + "</q>" if first else ""}'
            f'<small class="bw-source">{source}'
            f'{f" · {escape_text(count)} report(s) for this holder" if count else ""}</small></div>')


def evidence_html(sources: Sequence[Mapping], label_of: Mapping[str, str], limit: int | None = None) -> str:
    """The claims behind a state as an escaped HTML list: each sentence once, with its source, dates,
    link, and what it says of each party it names."""
    grouped: dict[tuple, list[Mapping]] = {}
    for source in list(sources or []):
        key = (source.get("evidence"), source.get("source"), source.get("report_date"), source.get("url"))
        grouped.setdefault(key, []).append(source)
    items = []
    for (evidence, name, report_date, url), claims in list(grouped.items())[:limit]:
        first = claims[0]
        dates = f"report {escape_text(report_date or '?')}"
        if first.get("event_date") and first.get("event_date") != report_date:
            dates += f", event {escape_text(first.get('event_date'))}"
        says = []
        for claim in claims:
            holder = label_of.get(claim.get("party"), claim.get("party") or "")
            text = {"controls": holder, "contested": f"contested ({holder})",
                    "not-government": "outside government control"}.get(claim.get("status"), holder)
            if text not in says:
                says.append(text)
        link = link_html(url, "link") if safe_url(url) else ""
        items.append(
            '<li class="bw-evidence">'
            f'<q class="bw-sentence">{escape_text(evidence)}</q><br>'
            f"<small>{escape_text(name or 'unknown source')} · {dates} · says: {escape_text('; '.join(says))}"
            f'{" · " + link if link else ""}</small></li>')
    if not items:
        return "<p><em>No evidence stored.</em></p>"
    return f'<ul class="bw-evidence-list">{"".join(items)}</ul>'


def details_html(row: Mapping, label_of: Mapping[str, str], limit: int | None = None) -> str:
    """Escaped HTML for the side panel: name, kind, status and since, sides, then every evidence sentence."""
    kind = row.get("kind") or ""
    border = row.get("border") or ""
    where = f"{kind}{', ' + border if border else ''}"
    sides = "" if row.get("split") or row.get("status") == "split" else sides_line(row, label_of)
    facts = (f"last report {escape_text(_iso(row.get('last_report')))} "
             f"({escape_text(row.get('staleness_days'))} days before the as-of date), "
             f"{escape_text(row.get('n_reports'))} report(s) for the current holder")
    return (f'<div class="bw-details" data-place="{escape_text(row["place_id"])}">'
            f'<b class="bw-name">{escape_text(row.get("place"))}</b> '
            f'<small>({escape_text(where)})</small><br>'
            f'<span class="bw-status">{escape_text(status_line(row, label_of))}</span><br>'
            f'{"<span class=bw-sides>" + escape_text(sides) + "</span><br>" if sides else ""}'
            f"<small>{facts}</small>"
            f"{evidence_html(row.get('sources') or [], label_of, limit)}</div>")


# -- markers, labels, legend -----------------------------------------------------------------
def marker_css(style: MarkerStyle, size: int | None = None) -> str:
    """Inline CSS of a marker (or, with a smaller ``size``, of its legend symbol)."""
    size = size or style.size
    radius = "50%" if style.shape == "circle" else "2px"
    rotate = "transform:rotate(45deg);" if style.shape == "diamond" else ""
    pattern = (f"background-image:{style.pattern};background-size:{style.pattern_size};"
               if style.pattern else "")
    return (f"width:{size}px;height:{size}px;box-sizing:border-box;background-color:{safe_colour(style.colour)};"
            f"{pattern}border:{style.rim_width}px {style.rim_style} {safe_colour(style.rim)};"
            f"border-radius:{radius};{rotate}box-shadow:0 0 0 1px {HALO};")


def _glyph(style: MarkerStyle) -> str:
    if not style.glyph:
        return ""
    # turned back upright inside a diamond
    turn = "transform:rotate(-45deg);" if style.shape == "diamond" else ""
    return (f'<span class="bw-glyph" style="{turn}color:{safe_colour(style.glyph_colour)}">'
            f"{escape(style.glyph)}</span>")


def marker_html(style: MarkerStyle, place_id: str, party: str, status: str, stale: bool) -> str:
    """HTML of a marker icon: a styled ``div`` carrying the place, party, status and colour.

    The ``data-*`` attributes say what a marker means, for tests and for curious users.
    """
    classes = f"bw-marker bw-{style.shape} bw-{escape(style.key)}" + (" bw-stale" if stale else "")
    return (f'<div class="{classes}" data-place="{escape(place_id)}" data-party="{escape(party)}" '
            f'data-status="{escape(status)}" data-key="{escape(style.key)}" data-colour="{escape(style.colour)}" '
            f'style="{escape(marker_css(style))}">{_glyph(style)}</div>')


def label_html(name: str) -> str:
    """The text of a place's permanent label."""
    return f'<span class="bw-label-text">{escape_text(name)}</span>'


def symbol_html(style: MarkerStyle, size: int = 12) -> str:
    """A marker style as a small inline legend symbol."""
    return (f'<span class="bw-symbol bw-{style.shape}" style="{escape(marker_css(style, size))}">'
            f"{_glyph(style)}</span>")


def legend_html(parties: Sequence[tuple[str, str]], stale_days: int = STALE_DAYS, split: bool = False) -> str:
    """The map legend, drawn as a Leaflet control: the parties shown, then shapes and statuses.

    Parameters
    ----------
    parties : sequence of (label, colour)
        The parties on the map, in display order.
    stale_days : int
        The threshold for "stale", named in the legend.
    split : bool
        Whether a crossing with differently held sides is on the map (its key is shown then).
    """
    grey = {"held": "#555555"}
    rows = [f'<div class="bw-legend-party">{symbol_html(marker_style("crossing", "controls", "p", {"p": c}), 11)}'
            f"{escape_text(label)}</div>" for label, c in parties]
    keys = [
        (marker_style("crossing", "controls", "held", grey), "crossing", "a border crossing"),
        (marker_style("province", "controls", "held", grey), "province", "a governorate"),
        (marker_style("crossing", "contested", "a", {"a": "#444444", "b": "#d0d0d0"}, parties=("a", "b")), "contested",
         "reports on the latest date name different holders (stripes: their colours)"),
        *([(marker_style("crossing", "controls", "a", {"a": "#555555", "b": "#bbbbbb"}, sides=("a", "b")),
            "split sides", "each side of the crossing held by a different party")] if split else []),
        (marker_style("crossing", "controls", "unknown", {}), "holder unnamed", "reports say it changed hands "
         "but name no holder"),
        (marker_style("crossing", "not-government", "x", {}), "not government", "outside government control, "
         "holder not named"),
        (marker_style("crossing", "controls", "held", grey, stale=True), f"stale > {int(stale_days)} d",
         f"no report for more than {int(stale_days)} days: dotted, dashed rim"),
    ]
    key_rows = [f'<div class="bw-legend-key" title="{escape(why)}">{symbol_html(style, 13)}{escape(text)}</div>'
                for style, text, why in keys]
    return ('<details class="bw-legend" open><summary>Legend</summary>'
            f'<div class="bw-legend-parties">{"".join(rows) or "<em>no places match the filters</em>"}</div>'
            f'<div class="bw-legend-keys">{"".join(key_rows)}</div></details>')


# CSS inside the map's frame: markers, labels, the selected place, the legend, popups.
MAP_CSS = """
.bw-icon { background: none; border: none; display: flex; align-items: center; justify-content: center; }
.bw-marker { display: flex; align-items: center; justify-content: center; cursor: pointer;
  transition: transform .15s; }
.bw-glyph, .bw-symbol .bw-glyph { font: 700 10px/1 sans-serif; pointer-events: none; }
.bw-marker.bw-selected { outline: 2px solid #000; outline-offset: 2px; box-shadow: 0 0 0 4px #fff, 0 0 0 1px #222 !important; }
.bw-label { background: none; border: none; }
.bw-label-text { position: absolute; left: 0; top: 0; transform: translate(0, -50%); white-space: nowrap;
  font: 600 12px/1.1 sans-serif; color: #1d1d1d; padding: 1px 3px; border-radius: 3px;
  background: rgba(255,255,255,.78); text-shadow: 0 0 2px #fff; pointer-events: none; }
.bw-label.bw-hidden { display: none; }
.bw-label.bw-selected .bw-label-text { background: #1d1d1d; color: #fff; text-shadow: none; font-weight: 700; }
.leaflet-popup-pane { z-index: 850; }
.leaflet-tooltip { max-width: 260px; white-space: normal; }
.bw-popup-box .leaflet-popup-content { margin: 8px 10px; font: 12px/1.35 sans-serif; width: 250px; }
.bw-popup-box.bw-below .leaflet-popup-tip-container { display: none; }
.bw-popup .bw-sentence { display: block; margin-top: 3px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; font-style: italic; }
.bw-popup .bw-source { display: block; color: #555; }
.bw-legend { background: rgba(255,255,255,.94); padding: 4px 8px; border-radius: 6px; max-width: 280px;
  font: 11px/1.4 sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,.35); max-height: 60vh; overflow: auto; }
.bw-legend summary { cursor: pointer; font-weight: 700; }
.bw-legend-keys { margin-top: 4px; padding-top: 4px; border-top: 1px solid #ddd; color: #333;
  display: grid; grid-template-columns: auto auto; column-gap: 8px; }
.bw-legend-party, .bw-legend-key { white-space: nowrap; }
.bw-symbol { display: inline-flex; align-items: center; justify-content: center; vertical-align: -2px;
  margin: 0 6px 0 2px; }
.bw-symbol.bw-diamond { margin: 0 7px 0 3px; }
"""


# -- the Streamlit page -----------------------------------------------------------------------
def chip_css(labels_colours: Sequence[tuple[str, str]]) -> str:
    """CSS that paints the party multiselect's chips in the party colours."""

    def css_string(text: str) -> str:
        return '"' + "".join(c if c.isalnum() or c in " -_()/.,'" else f"\\{ord(c):x} " for c in text) + '"'

    rules = []
    for label, colour in labels_colours:
        colour = safe_colour(colour)
        selector = f'section[data-testid="stSidebar"] span[data-tag][aria-label={css_string(label)}]'
        rules.append(f"{selector} {{background:{colour};color:{text_colour(colour)};}}")
        rules.append(f"{selector} button {{color:{text_colour(colour)};}}")
    return "<style>" + "".join(rules) + "</style>"


NARROW = 1100  # px: below this the side panel goes under the map and the sidebar starts collapsed
MAP_OFFSET = 250  # px of the window's height left for the header and the timeline under the map

PAGE_CSS = f"""<style>
.block-container, [data-testid="stMainBlockContainer"] {{ padding-top: 2.2rem; padding-bottom: 1rem;
  padding-left: 1.25rem; padding-right: 1.25rem; max-width: none; }}
.bw-header {{ display: flex; align-items: baseline; gap: .8rem; flex-wrap: wrap; margin: 0; }}
.bw-header h1 {{ font-size: 1.35rem; margin: 0; padding: 0; }}
.bw-header .bw-asof {{ font-size: 1.05rem; font-weight: 600; }}
.bw-header .bw-counts {{ color: #555; font-size: .9rem; }}
iframe[title="streamlit_folium.st_folium"] {{ height: calc(100vh - {MAP_OFFSET}px) !important; min-height: 380px; }}
.st-key-bw_side {{ max-height: calc(100vh - 110px); overflow-y: auto; }}
.bw-details .bw-sentence {{ font-style: italic; }}
.bw-evidence-list {{ padding-left: 18px; margin: 4px 0; }}
.bw-evidence {{ margin-bottom: 6px; }}
@media (max-width: {NARROW}px) {{
  .st-key-bw_main > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] {{ flex-direction: column; }}
  .st-key-bw_main > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {{
    width: 100% !important; flex: 1 1 100% !important; min-width: 100%; }}
  .st-key-bw_side {{ max-height: none; }}
  .block-container, [data-testid="stMainBlockContainer"] {{ padding-left: .6rem; padding-right: .6rem; }}
}}
</style>"""

# Runs once in the page (no outside text in it): on a narrow window the filter sidebar starts
# collapsed, so the map gets the width. Streamlit's own "auto" only collapses it below 768 px.
COLLAPSE_SIDEBAR_JS = f"""<script>
(() => {{
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  const win = doc.defaultView || window;
  if (win.__bwSidebarChecked) return;
  win.__bwSidebarChecked = true;
  if (win.innerWidth > {NARROW}) return;
  const collapse = () => {{
    if (doc.querySelector('[data-testid="stExpandSidebarButton"]')) return true;  // already collapsed
    const bar = doc.querySelector('section[data-testid="stSidebar"]');
    if (!bar) return false;
    const button = doc.querySelector('[data-testid="stSidebarCollapseButton"] button')
      || bar.querySelector('button[kind="headerNoPadding"]');
    if (!button) return false;
    button.click();
    return true;
  }};
  if (!collapse()) {{
    const watch = new MutationObserver(() => {{ if (collapse()) watch.disconnect(); }});
    watch.observe(doc.body, {{childList: true, subtree: true}});
    setTimeout(() => watch.disconnect(), 15000);
  }}
}})();
</script>"""


COUNTRY_LABEL_STYLE = (
    "position: absolute; transform: translate(-50%, -50%); white-space: nowrap;"
    " font: 600 11px/1 sans-serif; color: #666; letter-spacing: .04em; text-transform: uppercase;"
    " text-shadow: 0 0 3px #fff;"
)


def country_label_html(name: str) -> str:
    """A country's name on the basemap."""
    return f'<div style="{COUNTRY_LABEL_STYLE}">{escape_text(name)}</div>'


def title_html() -> str:
    """The page's title alone (an empty store has no date to show)."""
    return '<div class="bw-header"><h1>Borderwatch</h1></div>'


def header_html(on: date, shown: int, in_view: int, total: int) -> str:
    """The one-line page header: name, as-of date, counts."""
    hidden = total - shown
    return (f'<div class="bw-header"><h1>Borderwatch</h1>'
            f'<span class="bw-asof">as of {on:%-d %B %Y}</span>'
            f'<span class="bw-counts bw-view-summary">{shown} place{"s" if shown != 1 else ""} on the map, '
            f"<b>{in_view} in view</b>{f', {hidden} hidden by filters' if hidden > 0 else ''}</span></div>")


def bbox_caption(bbox: tuple[float, float, float, float]) -> str:
    """The view's box as plain text (under the table and in the export's name)."""
    west, south, east, north = bbox
    return f"View: W {west:.2f}, S {south:.2f}, E {east:.2f}, N {north:.2f}"
