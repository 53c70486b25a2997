"""What the user is looking at, to and from the page URL's query parameters (pure).

One link reproduces a view: the as-of date, the optional date range, the party / kind / border
filters, the map's centre and zoom, the selected place and the fading threshold.

=========  =====================================  =============================
parameter  meaning                                example
=========  =====================================  =============================
as_of      state on this date                     ``as_of=2014-06-21``
from, to   limit the timeline to this range       ``from=2014-06-01&to=2015-01-01``
party      controlling parties (comma-joined)     ``party=isil,krg``
kind       ``crossing`` and/or ``province``       ``kind=crossing``
border     country pairs of crossings (or the     ``border=IQ-SY,IQ-JO``
           country of a province)
map        centre latitude, longitude, zoom       ``map=34.4,41.0,7``
place      the selected place id                  ``place=al-qaim``
stale      fade places after this many days       ``stale=180``
=========  =====================================  =============================
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from dashboard.style import STALE_DAYS
from geodata.export import Filters

KINDS = ("crossing", "province")
PARAMETERS = frozenset({"as_of", "from", "to", "party", "kind", "border", "map", "place", "stale"})
MIN_ZOOM, MAX_ZOOM = 2, 18


@dataclass(frozen=True)
class View:
    """A shareable view: the export :class:`~geodata.export.Filters` plus the map's framing.

    ``filters.bbox`` is left empty here: the viewport's box depends on the browser window and
    is added when the view is exported.
    """

    filters: Filters = field(default_factory=Filters)
    center: tuple[float, float] | None = None
    zoom: int | None = None
    place: str | None = None
    stale_days: int = STALE_DAYS

    def __post_init__(self):
        if self.center is not None:
            lat, lon = self.center
            if not (-85 <= lat <= 85 and -180 <= lon <= 180):
                raise ValueError(f"map centre {self.center} is outside the world")
        if self.zoom is not None and not MIN_ZOOM <= self.zoom <= MAX_ZOOM:
            raise ValueError(f"zoom {self.zoom} is outside [{MIN_ZOOM}, {MAX_ZOOM}]")
        if self.stale_days < 1:
            raise ValueError(f"stale days must be at least 1, got {self.stale_days}")


def _first(value) -> str:
    """A query parameter's value as one string (Streamlit gives str; other callers may give lists)."""
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    return str(value or "").strip()


def _date(value: str, name: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{name}={_quoted(value)} is not a YYYY-MM-DD date; ignored")
        return None


def _choices(value: str, name: str, known: Collection[str] | None, problems: list[str]) -> tuple[str, ...]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if known is not None:
        unknown = [v for v in items if v not in known]
        if unknown:
            problems.append(f"{name}: unknown {', '.join(map(_quoted, unknown))}; ignored")
        items = [v for v in items if v in known]
    return tuple(dict.fromkeys(items))


def parse_params(params: Mapping[str, str | Sequence[str]], *, parties: Collection[str] | None = None,
                 borders: Collection[str] | None = None,
                 places: Collection[str] | None = None) -> tuple[View, list[str]]:
    """Read a view from URL query parameters, dropping what cannot be used.

    A shared link may be old or hand-edited, so a bad value never stops the page: it is left
    out and named in the returned problems.

    Parameters
    ----------
    params : mapping
        Query parameters, e.g. ``st.query_params.to_dict()``.
    parties, borders, places : collection of str, optional
        The known party ids, border codes and place ids; others are dropped. ``None`` accepts anything.

    Returns
    -------
    (View, list of str)
        The view and one message per parameter that could not be used (plain text: show it as
        text, it quotes what the link said).

    Examples
    --------
    >>> view, problems = parse_params({"as_of": "2014-06-21", "party": "isil,krg", "kind": "boat"})
    >>> view.filters.as_of, view.filters.parties, view.filters.kinds, problems
    (datetime.date(2014, 6, 21), ('isil', 'krg'), (), ["kind: unknown 'boat'; ignored"])
    """
    problems: list[str] = []
    get = {key: _first(value) for key, value in params.items()}
    as_of = _date(get.get("as_of", ""), "as_of", problems)
    start = _date(get.get("from", ""), "from", problems)
    end = _date(get.get("to", ""), "to", problems)
    if start and end and start > end:
        problems.append(f"from {start} is after to {end}; range ignored")
        start = end = None
    filters = Filters(
        as_of=as_of, date_from=start, date_to=end,
        parties=_choices(get.get("party", ""), "party", parties, problems),
        kinds=_choices(get.get("kind", ""), "kind", KINDS, problems),
        borders=_choices(get.get("border", ""), "border", borders, problems),
    )
    center, zoom = None, None
    if get.get("map"):
        try:
            lat, lon, level = (float(v) for v in get["map"].split(","))
            if not all(math.isfinite(v) for v in (lat, lon, level)):
                raise ValueError
            center, zoom = (lat, lon), int(level)
            View(center=center, zoom=zoom)  # range check
        except ValueError:
            problems.append(f"map={_quoted(get['map'])} is not 'latitude,longitude,zoom' on the map; ignored")
            center, zoom = None, None
    stale = STALE_DAYS
    if get.get("stale"):
        try:
            stale = int(get["stale"])
            if stale < 1:
                raise ValueError
        except ValueError:
            problems.append(f"stale={_quoted(get['stale'])} is not a positive number of days; ignored")
            stale = STALE_DAYS
    place = get.get("place") or None
    if place is not None and places is not None and place not in places:
        problems.append(f"place={_quoted(place)} is not a known place; ignored")
        place = None
    unknown = sorted(k for k in set(get) - PARAMETERS if not k.startswith("embed"))  # embed*: Streamlit's own
    if unknown:
        problems.append(f"unknown parameter{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(_quoted(k) for k in unknown)}; ignored")
    return View(filters, center, zoom, place, stale), problems


def _quoted(value: str, limit: int = 60) -> str:
    """A value from a link, quoted and cut short for a message."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def bound_dates(view: View, first: date, last: date) -> tuple[View, list[str]]:
    """The view with its dates inside the store's dates (``first`` .. ``last``), and what was moved.

    A link from another store, or an old one, may name dates the timeline does not cover: the
    slider and the date inputs only take dates between the first and the last report.

    Examples
    --------
    >>> v, moved = bound_dates(View(Filters(date_from=date(1980, 1, 1))), date(2014, 6, 15), date(2017, 11, 5))
    >>> v.filters.date_from, moved
    (datetime.date(2014, 6, 15), ['from=1980-01-01 is before the first report (2014-06-15); the timeline starts there'])
    """
    f, moved = view.filters, []
    values = {}
    for name, key in (("as_of", "as_of"), ("from", "date_from"), ("to", "date_to")):
        value = getattr(f, key)
        if value is None:
            continue
        if value < first:
            values[key] = first
            moved.append(f"{name}={value.isoformat()} is before the first report ({first.isoformat()}); "
                         "the timeline starts there")
        elif value > last:
            values[key] = last
            if name != "as_of":  # a date after the last report shows the latest state: nothing to say
                moved.append(f"{name}={value.isoformat()} is after the last report ({last.isoformat()}); "
                             "the timeline ends there")
    if not values:
        return view, []
    return replace(view, filters=replace(f, **values)), moved


def to_params(view: View) -> dict[str, str]:
    """The query parameters of a view (empty filters are left out, so links stay short).

    Examples
    --------
    >>> to_params(View(Filters(as_of=date(2014, 6, 21), kinds=("crossing",)), (34.4, 41.0), 7))
    {'as_of': '2014-06-21', 'kind': 'crossing', 'map': '34.4,41.0,7'}
    """
    f = view.filters
    params: dict[str, str] = {}
    if f.as_of:
        params["as_of"] = f.as_of.isoformat()
    if f.date_from:
        params["from"] = f.date_from.isoformat()
    if f.date_to:
        params["to"] = f.date_to.isoformat()
    for key, values in (("party", f.parties), ("kind", f.kinds), ("border", f.borders)):
        if values:
            params[key] = ",".join(values)
    if view.center is not None and view.zoom is not None:
        lat, lon = view.center
        params["map"] = f"{round(lat, 4)},{round(lon, 4)},{view.zoom}"
    if view.place:
        params["place"] = view.place
    if view.stale_days != STALE_DAYS:
        params["stale"] = str(view.stale_days)
    return params


def with_bbox(view: View, bbox: tuple[float, float, float, float] | None) -> Filters:
    """The view's filters with the viewport's ``(west, south, east, north)`` box, for an export."""
    return replace(view.filters, bbox=bbox)


def timeline_steps(dates: Sequence[date], date_from: date | None, date_to: date | None) -> list[date]:
    """The slider's steps: report dates inside the optional range (all dates when it is empty).

    Examples
    --------
    >>> days = [date(2014, 6, 15), date(2014, 6, 21), date(2015, 1, 1)]
    >>> timeline_steps(days, date(2014, 6, 16), None)
    [datetime.date(2014, 6, 21), datetime.date(2015, 1, 1)]
    """
    return [d for d in dates if (date_from is None or d >= date_from) and (date_to is None or d <= date_to)]


def snap_date(wanted: date | None, steps: Sequence[date]) -> date | None:
    """The step to show for a wanted as-of date: the last step on or before it, else the first.

    No wanted date means the latest step. ``None`` when there are no steps.

    Examples
    --------
    >>> days = [date(2014, 6, 15), date(2014, 6, 21)]
    >>> snap_date(date(2014, 6, 20), days), snap_date(None, days), snap_date(date(2000, 1, 1), days)
    (datetime.date(2014, 6, 15), datetime.date(2014, 6, 21), datetime.date(2014, 6, 15))
    """
    if not steps:
        return None
    if wanted is None:
        return steps[-1]
    earlier = [d for d in steps if d <= wanted]
    return earlier[-1] if earlier else steps[0]
