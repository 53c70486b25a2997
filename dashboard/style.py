"""How the map draws a place: party colour, marker shape per kind, contested / not-government / stale styles (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

STALE_DAYS = 180
"""Default age (days since the last report) after which a place is drawn faded."""

FALLBACK_COLOUR = "#777777"
CONTESTED_OUTLINE = "#d7191c"
SHAPES = {"crossing": "diamond", "province": "circle"}
_HEX = set("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class MarkerStyle:
    """What one marker looks like, independent of any drawing library.

    ``fill`` is a CSS background (a colour, or stripes for a contested place); ``colour`` is
    the controlling party's colour, which tests and the legend read back.
    """

    shape: str  # "diamond" | "circle"
    colour: str
    fill: str
    outline: str
    outline_style: str  # "solid" | "dashed"
    outline_width: int
    opacity: float
    size: int


def safe_colour(value: str | None) -> str:
    """Return ``value`` if it is a ``#rgb``/``#rrggbb`` colour, else the fallback grey.

    Colours end up inside inline CSS; anything else (a user gazetteer's typo, or worse) must
    not reach the page.

    Examples
    --------
    >>> safe_colour("#0072B2"), safe_colour("red;background:url(x)")
    ('#0072B2', '#777777')
    """
    if isinstance(value, str) and value.startswith("#") and len(value) in (4, 7) and set(value[1:]) <= _HEX:
        return value
    return FALLBACK_COLOUR


def party_colour(party: str, colours: Mapping[str, str]) -> str:
    """The map colour of a party id, from ``colours`` (party id -> ``#rrggbb``); grey if unknown."""
    return safe_colour(colours.get(party))


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (WCAG relative luminance).

    Examples
    --------
    >>> text_colour("#000000"), text_colour("#F0E442")
    ('#ffffff', '#000000')
    """
    colour = safe_colour(background).lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = []
    for i in (0, 2, 4):
        c = int(colour[i:i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    return "#000000" if luminance > 0.179 else "#ffffff"


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (for attribute selectors)."""
    return '"' + "".join(c if c.isalnum() or c in " -_()/.,'" else f"\\{ord(c):x} " for c in text) + '"'


def chip_css(labels_colours: Sequence[tuple[str, str]]) -> str:
    """CSS that paints the party multiselect's chips and options in the party colours.

    Streamlit's multiselect chips carry the option label as ``aria-label``; options in the
    open list are ``role="option"`` elements whose text is the label.
    """
    rules = []
    for label, colour in labels_colours:
        colour = safe_colour(colour)
        rules.append(f'section[data-testid="stSidebar"] span[data-tag][aria-label={_css_string(label)}] '
                     f"{{background:{colour};color:{text_colour(colour)};}}")
        rules.append(f'section[data-testid="stSidebar"] span[data-tag][aria-label={_css_string(label)}] button '
                     f"{{color:{text_colour(colour)};}}")
    return "<style>" + "".join(rules) + "</style>"


def is_stale(staleness_days, stale_days: int = STALE_DAYS) -> bool:
    """Whether the latest report on a place is older than ``stale_days`` (unknown age: not stale)."""
    try:
        return int(staleness_days) > stale_days
    except (TypeError, ValueError):
        return False


def marker_style(kind: str, status: str, party: str, colours: Mapping[str, str], *,
                 parties: Sequence[str] = (), stale: bool = False) -> MarkerStyle:
    """Style of one place's marker.

    Parameters
    ----------
    kind : str
        ``crossing`` (diamond) or ``province`` (circle).
    status : str
        ``controls`` (solid fill in the party colour), ``contested`` (stripes of the parties
        claimed on the latest date, red outline) or ``not-government`` (hollow, dashed outline).
    party : str
        The controlling party id.
    colours : mapping
        Party id -> colour.
    parties : sequence of str
        For a contested place, the parties claimed on the latest date.
    stale : bool
        Faded when the information is old.

    Returns
    -------
    MarkerStyle

    Examples
    --------
    >>> marker_style("crossing", "controls", "isil", {"isil": "#000000"}).fill
    '#000000'
    """
    colour = party_colour(party, colours)
    shape = SHAPES.get(kind, "circle")
    size = 17 if shape == "diamond" else 15
    opacity = 0.4 if stale else 1.0
    if status == "contested":
        stripes = [party_colour(p, colours) for p in parties] or [colour]
        if len(stripes) == 1:
            stripes.append("#ffffff")
        step = 3
        stops = ", ".join(f"{c} {i * step}px {(i + 1) * step}px" for i, c in enumerate(stripes))
        # Diagonal on screen: the diamond is a square turned by 45 degrees, the circle is not.
        angle = "0deg" if shape == "diamond" else "45deg"
        fill = f"repeating-linear-gradient({angle}, {stops})"
        return MarkerStyle(shape, colour, fill, CONTESTED_OUTLINE, "solid", 3, opacity, size + 2)
    if status == "not-government":
        return MarkerStyle(shape, colour, "#ffffff", colour, "dashed", 3, opacity, size)
    return MarkerStyle(shape, colour, colour, "#ffffff", "solid", 2, opacity, size)


def marker_html(style: MarkerStyle, place_id: str, party: str, status: str, stale: bool) -> str:
    """HTML of a marker icon: a styled ``div`` carrying the place, party, status and colour.

    The ``data-*`` attributes let tests (and curious users) read what a marker means.
    """
    radius = "50%" if style.shape == "circle" else "2px"
    rotate = "transform: rotate(45deg);" if style.shape == "diamond" else ""
    css = (f"width:{style.size}px;height:{style.size}px;box-sizing:border-box;"
           f"background:{style.fill};border:{style.outline_width}px {style.outline_style} {style.outline};"
           f"border-radius:{radius};opacity:{style.opacity};{rotate}"
           "box-shadow:0 0 2px rgba(0,0,0,.6);cursor:pointer;")
    classes = f"bw-marker bw-{style.shape} bw-{escape(status)}" + (" bw-stale" if stale else "")
    return (f'<div class="{classes}" data-place="{escape(place_id)}" data-party="{escape(party)}" '
            f'data-status="{escape(status)}" data-colour="{escape(style.colour)}" style="{escape(css)}"></div>')


def swatch_html(colour: str, shape: str = "square", *, hollow: bool = False, striped: Sequence[str] = (),
                faded: bool = False) -> str:
    """A small inline legend symbol (HTML)."""
    colour = safe_colour(colour)
    if striped:
        stops = ", ".join(f"{safe_colour(c)} {i * 3}px {(i + 1) * 3}px" for i, c in enumerate(striped))
        background = f"repeating-linear-gradient(45deg, {stops})"
    else:
        background = "#ffffff" if hollow else colour
    border = f"2px dashed {colour}" if hollow else (
        f"2px solid {CONTESTED_OUTLINE}" if striped else "1px solid #ffffff")
    radius = "50%" if shape == "circle" else "2px"
    rotate = "transform:rotate(45deg);" if shape == "diamond" else ""
    return (f'<span style="display:inline-block;width:12px;height:12px;margin:0 6px -1px 2px;'
            f'box-sizing:border-box;background:{background};border:{border};border-radius:{radius};'
            f'box-shadow:0 0 1px #000;{rotate}opacity:{0.4 if faded else 1}"></span>')


def legend_html(parties: Sequence[tuple[str, str]], stale_days: int = STALE_DAYS) -> str:
    """The map legend: one swatch per party shown, then the shape and status symbols.

    Parameters
    ----------
    parties : sequence of (label, colour)
        The parties on the map, in display order.
    stale_days : int
        The fading threshold, named in the legend.
    """
    items = [f'<span class="bw-legend-party" style="white-space:nowrap;margin-right:14px">'
             f"{swatch_html(colour)}{escape(label)}</span>" for label, colour in parties]
    grey = "#555555"
    symbols = [
        (swatch_html(grey, "diamond"), "crossing"),
        (swatch_html(grey, "circle"), "province"),
        (swatch_html(grey, striped=("#555555", "#ffffff")), "contested (stripes: the claimed holders)"),
        (swatch_html(grey, hollow=True), "outside government control, holder unnamed"),
        (swatch_html(grey, faded=True), f"faded: no report for more than {stale_days} days"),
    ]
    keys = [f'<span style="white-space:nowrap;margin-right:14px">{s}{escape(t)}</span>' for s, t in symbols]
    return ('<div class="bw-legend" style="font-size:0.85rem;line-height:1.9">'
            f'<div>{"".join(items) or "<em>no places match the filters</em>"}</div>'
            f'<div style="color:#444">{"".join(keys)}</div></div>')
