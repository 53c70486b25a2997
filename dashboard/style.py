"""How the map draws a place (pure): party colour for the holder, marker shape for the kind, and
status drawn by pattern, outline and glyph, never by opacity over the party colour.

=================  ==========================================================================
what               how it is drawn
=================  ==========================================================================
crossing           a diamond
province           a circle
held, recent       solid fill in the holder's colour, white rim, dark halo
contested          stripes of the parties claimed on the latest date, thick dark rim
split sides        two halves, one per side's holder
holder unknown     grey fill with a white "?"
outside government white fill with a dark "≠", dashed rim
stale              the same fill stippled with white dots, and a dashed dark rim
selected           a larger marker with a black and white ring
=================  ==========================================================================

A stale place keeps its holder's colour as its CSS ``background-color`` (the stipple is a
``background-image`` over it), so a faded ISIL marker is still black underneath and never the
grey of an unknown holder. :func:`cvd_conflicts` checks a palette under simulated colour-vision
deficiencies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

STALE_DAYS = 180
"""Default age (days since the last report) after which a place is drawn as stale."""

FALLBACK_COLOUR = "#777777"
RIM = "#ffffff"
HALO = "#222222"
SHAPES = {"crossing": "diamond", "province": "circle"}
SIZES = {"diamond": 16, "circle": 15}
UNKNOWN_PARTY = "unknown"
_HEX = set("0123456789abcdefABCDEF")
STIPPLE = "radial-gradient(circle, rgba(255,255,255,.85) 1.3px, transparent 1.6px)"
STIPPLE_SIZE = "4px 4px"


@dataclass(frozen=True)
class MarkerStyle:
    """What one marker looks like, independent of any drawing library.

    ``colour`` is the holder's colour, which the marker also carries as its CSS
    ``background-color`` (tests and the legend read it back); ``pattern`` is a CSS
    ``background-image`` over it (stripes, halves, the stale stipple) or ``""``.
    """

    shape: str  # "diamond" | "circle"
    colour: str
    pattern: str
    pattern_size: str
    rim: str
    rim_style: str  # "solid" | "dashed"
    rim_width: int
    glyph: str  # "" | "?" | "≠"
    glyph_colour: str
    size: int
    key: str  # the legend entry: "held", "contested", "split", "unknown", "not-government"
    stale: bool = False


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


def rgb(colour: str) -> tuple[int, int, int]:
    """``#rgb``/``#rrggbb`` as an (r, g, b) tuple of 0-255.

    Examples
    --------
    >>> rgb("#0072B2"), rgb("#fff")
    ((0, 114, 178), (255, 255, 255))
    """
    value = safe_colour(colour).lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def css_rgb(colour: str) -> str:
    """A colour as the browser reports a computed colour: ``rgb(0, 114, 178)``."""
    return "rgb({}, {}, {})".format(*rgb(colour))


def _linear(channel: float) -> float:
    channel /= 255
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG relative luminance of a colour (0 black .. 1 white)."""
    r, g, b = (_linear(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background``.

    Examples
    --------
    >>> text_colour("#000000"), text_colour("#F0E442")
    ('#ffffff', '#000000')
    """
    return "#000000" if luminance(background) > 0.179 else "#ffffff"


def is_stale(staleness_days, stale_days: int = STALE_DAYS) -> bool:
    """Whether the latest report on a place is older than ``stale_days`` (unknown age: not stale)."""
    try:
        return int(staleness_days) > stale_days
    except (TypeError, ValueError):
        return False


def stripes(colours: Sequence[str], angle: str, width: int = 3) -> str:
    """A CSS hatching of ``colours`` in bands ``width`` px wide."""
    stops = ", ".join(f"{c} {i * width}px {(i + 1) * width}px" for i, c in enumerate(colours))
    return f"repeating-linear-gradient({angle}, {stops})"


def marker_style(kind: str, status: str, party: str, colours: Mapping[str, str], *,
                 parties: Sequence[str] = (), stale: bool = False,
                 sides: Sequence[str] = (), split_angle: float = 90.0) -> MarkerStyle:
    """Style of one place's marker.

    Parameters
    ----------
    kind : str
        ``crossing`` (diamond) or ``province`` (circle).
    status : str
        ``controls``, ``contested`` (stripes of ``parties``) or ``not-government``.
    party : str
        The holder's party id (``unknown`` for an unnamed holder).
    colours : mapping
        Party id -> colour.
    parties : sequence of str
        For a contested place, the parties claimed on the latest date.
    stale : bool
        The latest report is old: stippled fill and a dashed rim.
    sides : sequence of str
        For a crossing whose sides are held by different parties, the two sides' holders; drawn
        as two halves, the first toward the first side's country.
    split_angle : float
        Compass direction (degrees, 90 = east) from the first side's country to the second's.

    Examples
    --------
    >>> s = marker_style("crossing", "controls", "isil", {"isil": "#000000"}, stale=True)
    >>> s.colour, s.rim_style, s.key
    ('#000000', 'dashed', 'held')
    """
    colour = party_colour(party, colours)
    shape = SHAPES.get(kind, "circle")
    size = SIZES[shape]
    # The diamond is a square turned by 45 degrees: an angle in its own frame shows 45 degrees off.
    turn = 45 if shape == "diamond" else 0
    pattern, glyph, glyph_colour, rim, rim_style, rim_width, key = "", "", "#ffffff", RIM, "solid", 2, "held"
    if len(set(sides)) > 1:
        halves = [party_colour(p, colours) for p in sides[:2]]
        pattern = f"linear-gradient({round(split_angle - turn)}deg, {halves[0]} 50%, {halves[1]} 50%)"
        colour, key, size = halves[0], "split", size + 2
    elif status == "contested":
        bands = [party_colour(p, colours) for p in dict.fromkeys(parties)] or [colour]
        if len(bands) == 1:
            bands.append("#ffffff")
        pattern, rim, rim_width, key, size = stripes(bands, f"{45 - turn}deg"), HALO, 3, "contested", size + 2
    elif status == "not-government":
        colour, glyph, glyph_colour, rim, rim_style, key = "#ffffff", "≠", HALO, HALO, "dashed", "not-government"
    elif party == UNKNOWN_PARTY:
        colour, glyph, key = FALLBACK_COLOUR, "?", "unknown"
    pattern_size = "100% 100%" if pattern else "auto"
    if stale:  # the stipple goes over whatever else is drawn, in its own small tiles
        pattern_size = f"{STIPPLE_SIZE}, {pattern_size}" if pattern else STIPPLE_SIZE
        pattern = f"{STIPPLE}, {pattern}" if pattern else STIPPLE
        rim, rim_style = HALO, "dashed"
    return MarkerStyle(shape, colour, pattern, pattern_size, rim, rim_style, rim_width, glyph, glyph_colour,
                       size, key, stale)


# -- colour-vision deficiency -------------------------------------------------------------------
# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB.
CVD_MATRICES = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.308900)),
}


def _lab(linear: Sequence[float]) -> tuple[float, float, float]:
    r, g, b = (min(1.0, max(0.0, c)) for c in linear)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def seen_as(colour: str, vision: str = "normal") -> tuple[float, float, float]:
    """CIELAB coordinates of a colour as seen with normal vision or a simulated deficiency."""
    linear = [_linear(c) for c in rgb(colour)]
    if vision != "normal":
        matrix = CVD_MATRICES[vision]
        linear = [sum(m * c for m, c in zip(row, linear)) for row in matrix]
    return _lab(linear)


def colour_distance(a: str, b: str, vision: str = "normal") -> float:
    """CIE76 distance (ΔE) between two colours as seen with ``vision``."""
    return math.dist(seen_as(a, vision), seen_as(b, vision))


def cvd_conflicts(colours: Mapping[str, str], min_delta: float = 10.0,
                  visions: Iterable[str] = ("normal", *CVD_MATRICES)) -> list[tuple[str, str, str, float]]:
    """Pairs of parties whose colours fall closer than ``min_delta`` (ΔE) for some vision.

    Returns ``(party, party, vision, delta)`` tuples, closest first.

    Examples
    --------
    >>> cvd_conflicts({"a": "#000000", "b": "#ffffff"})
    []
    >>> [c[:3] for c in cvd_conflicts({"red": "#d62728", "green": "#2ca02c"}, 20)][:1]
    [('red', 'green', 'deuteranopia')]
    """
    found = []
    for vision in visions:
        for (p, a), (q, b) in combinations(colours.items(), 2):
            delta = colour_distance(a, b, vision)
            if delta < min_delta:
                found.append((p, q, vision, round(delta, 1)))
    return sorted(found, key=lambda c: c[3])
