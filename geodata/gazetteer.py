"""The gazetteer: places (crossings, governorates), parties and countries, read from cited data files."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geodata.names import alias_keys

CROSSING_COLUMNS = (
    "id", "name", "country_a", "country_b", "name_a", "name_b", "aliases", "aliases_a",
    "aliases_b", "name_ar", "lat", "lon", "admin1_a", "admin1_b", "source", "note",
)
PROVINCE_COLUMNS = (
    "id", "name", "country", "iso_3166_2", "aliases", "name_ar", "lat", "lon", "point", "source",
)
REQUIRED = {"crossing": ("id", "name", "country_a", "country_b", "lat", "lon", "source"),
            "province": ("id", "name", "country", "lat", "lon", "source")}


class GazetteerError(ValueError):
    """A data file of places, parties or countries is malformed; the message names file, row, column."""


@dataclass(frozen=True)
class Place:
    """A crossing or a governorate, with the names news writers use for it."""

    id: str
    name: str
    kind: str  # "crossing" | "province"
    countries: tuple[str, ...]
    lat: float
    lon: float
    source: str
    side_names: tuple[str, ...] = ()  # name on each country's side, aligned with countries
    aliases: tuple[str, ...] = ()
    side_aliases: tuple[tuple[str, ...], ...] = ()  # aligned with countries
    name_ar: str = ""
    admin1: tuple[str, ...] = ()
    iso_3166_2: str = ""
    note: str = ""
    official: bool = True

    @property
    def border(self) -> str:
        """Country pair of a crossing as ``"IQ-SY"`` (sorted), or the province's country."""
        return "-".join(sorted(self.countries))


@dataclass(frozen=True)
class Party:
    """A controlling party: id, label, map colour and the names reports use for it."""

    id: str
    label: str
    colour: str
    kind: str
    aliases: tuple[str, ...] = ()
    parent: str = ""  # the broader party a finer one belongs to (Nusra Front -> Syrian opposition)
    # where its forces stand: a claim about a whole crossing sets only these countries' sides
    # (ISIL at Trebil holds the Iraqi side, not Jordan's); empty: anywhere
    countries: tuple[str, ...] = ()

    @property
    def scored_as(self) -> str:
        """The id this party counts as where only the broad parties are told apart."""
        return self.parent or self.id


@dataclass(frozen=True)
class Country:
    """A country, the party its 'government forces' are, and its Kurdish forces if any."""

    iso2: str
    name: str
    aliases: tuple[str, ...]
    government_party: str = ""
    kurdish_party: str = ""


@dataclass(frozen=True)
class Gazetteer:
    """Everything the extractor and the map need to know about places and parties."""

    places: dict[str, Place]
    parties: dict[str, Party]
    countries: dict[str, Country]
    generic_terms: dict[str, str] = field(default_factory=dict)  # term -> role
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)  # alias key -> place ids

    def place(self, place_id: str) -> Place:
        """Return the place with this id, or raise ``KeyError`` naming it."""
        try:
            return self.places[place_id]
        except KeyError:
            raise KeyError(f"unknown place id {place_id!r}") from None

    def alias_index(self) -> dict[str, list[tuple[str, str | None]]]:
        """Map each folded alias key to the ``(place_id, side)`` pairs it names."""
        index: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
        for place in self.places.values():
            names = (place.name, *place.aliases, *place.name_ar.split("|"))
            for name in filter(None, names):
                for key in alias_keys(name):
                    _add_once(index[key], (place.id, None))
            for country, side_name, side_aliases in zip(
                place.countries, place.side_names or ("",) * len(place.countries),
                place.side_aliases or ((),) * len(place.countries),
            ):
                for name in filter(None, (side_name, *side_aliases)):
                    for key in alias_keys(name):
                        if (place.id, None) not in index[key]:
                            _add_once(index[key], (place.id, country))
        return dict(index)

    def crossings_of(self, country: str) -> list[Place]:
        """Official crossings on any border of one country, in id order."""
        return sorted((p for p in self.places.values()
                       if p.kind == "crossing" and p.official and country in p.countries), key=lambda p: p.id)

    def crossings_between(self, country_a: str, country_b: str) -> list[Place]:
        """Official crossings on the border of two countries, in id order."""
        pair = {country_a, country_b}
        return sorted(
            (p for p in self.places.values()
             if p.kind == "crossing" and p.official and set(p.countries) == pair),
            key=lambda p: p.id,
        )

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """All places as points in EPSG:4326, one row per place."""
        rows = [
            {
                "id": p.id, "name": p.name, "kind": p.kind, "countries": "|".join(p.countries),
                "border": p.border, "side_names": "|".join(p.side_names),
                "aliases": "|".join(p.aliases), "name_ar": p.name_ar, "admin1": "|".join(p.admin1),
                "iso_3166_2": p.iso_3166_2, "official": p.official, "source": p.source,
                "note": p.note, "geometry": Point(p.lon, p.lat),
            }
            for p in self.places.values()
        ]
        return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")

    def with_places(self, extra: dict[str, Place]) -> Gazetteer:
        """Return a gazetteer with user places added; an id already present is replaced."""
        return Gazetteer({**self.places, **extra}, self.parties, self.countries,
                         self.generic_terms, self.ambiguous)


def _add_once(items: list, item: tuple) -> None:
    if item not in items:
        items.append(item)


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split("|") if part.strip())


def _coordinate(row: dict, column: str, where: str, low: float, high: float) -> float:
    try:
        value = float(row[column])
    except (TypeError, ValueError):
        raise GazetteerError(f"{where}, column {column!r}: {row.get(column)!r} is not a number") from None
    if not low <= value <= high:
        raise GazetteerError(f"{where}, column {column!r}: {value} is outside [{low}, {high}]")
    return value


def place_from_row(row: dict, kind: str, where: str) -> Place:
    """Build a :class:`Place` from one CSV row, raising :class:`GazetteerError` naming ``where``."""
    if kind not in REQUIRED:
        raise GazetteerError(f"{where}, column 'kind': {kind!r} is not 'crossing' or 'province'")
    for column in REQUIRED[kind]:
        if not (row.get(column) or "").strip():
            raise GazetteerError(f"{where}, column {column!r}: missing value")
    lat = _coordinate(row, "lat", where, -90, 90)
    lon = _coordinate(row, "lon", where, -180, 180)
    common = dict(id=row["id"].strip(), name=row["name"].strip(), kind=kind, lat=lat, lon=lon,
                  source=row["source"].strip(), aliases=_split(row.get("aliases")),
                  name_ar=(row.get("name_ar") or "").strip(), note=(row.get("note") or "").strip())
    if kind == "crossing":
        countries = (row["country_a"].strip().upper(), row["country_b"].strip().upper())
        return Place(
            **common, countries=countries,
            side_names=((row.get("name_a") or "").strip(), (row.get("name_b") or "").strip()),
            side_aliases=(_split(row.get("aliases_a")), _split(row.get("aliases_b"))),
            admin1=((row.get("admin1_a") or "").strip(), (row.get("admin1_b") or "").strip()),
            official="unofficial" not in common["note"].lower(),
        )
    return Place(**common, countries=(row["country"].strip().upper(),),
                 iso_3166_2=(row.get("iso_3166_2") or "").strip(),
                 admin1=((row.get("iso_3166_2") or "").strip(),))


def _read_csv(text: str, name: str) -> list[tuple[str, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    # Row numbers as a spreadsheet shows them: the header is row 1.
    return [(f"{name}, row {number}", row) for number, row in enumerate(reader, start=2)]


def _package_text(filename: str) -> str:
    return (files("geodata") / "data" / filename).read_text(encoding="utf-8")


def read_places_file(path: str | Path) -> dict[str, Place]:
    """Read user places from a CSV or GeoJSON file with the gazetteer's columns plus ``kind``.

    A GeoJSON feature's point geometry gives ``lon``/``lat`` when those properties are absent.
    Raises :class:`GazetteerError` naming the file, row and column of the first bad value.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise GazetteerError(f"{path}: cannot read ({error.strerror})") from None
    if path.suffix.lower() in (".geojson", ".json"):
        try:
            features = json.loads(text)["features"]
        except (ValueError, KeyError, TypeError):
            raise GazetteerError(f"{path}: not a GeoJSON FeatureCollection") from None
        rows = []
        for number, feature in enumerate(features, start=1):
            props = dict(feature.get("properties") or {})
            coords = (feature.get("geometry") or {}).get("coordinates")
            if coords and "lon" not in props:
                props["lon"], props["lat"] = coords[0], coords[1]
            rows.append((f"{path}, feature {number}", {k: "" if v is None else str(v)
                                                     for k, v in props.items()}))
    else:
        rows = _read_csv(text, str(path))
    places = {}
    for where, row in rows:
        place = place_from_row(row, (row.get("kind") or "").strip(), where)
        if place.id in places:
            raise GazetteerError(f"{where}, column 'id': duplicate id {place.id!r}")
        places[place.id] = place
    return places


def load_gazetteer(extra: str | Path | None = None) -> Gazetteer:
    """Load the shipped gazetteer, optionally adding the places of a user file.

    Parameters
    ----------
    extra : path, optional
        CSV or GeoJSON of more places (columns as ``crossings.csv``/``provinces.csv`` plus ``kind``).

    Returns
    -------
    Gazetteer

    Examples
    --------
    >>> g = load_gazetteer()
    >>> g.place("al-waleed").countries
    ('IQ', 'SY')
    """
    places: dict[str, Place] = {}
    for filename, kind in (("crossings.csv", "crossing"), ("provinces.csv", "province")):
        for where, row in _read_csv(_package_text(filename), filename):
            place = place_from_row(row, kind, where)
            if place.id in places:
                raise GazetteerError(f"{where}, column 'id': duplicate id {place.id!r}")
            places[place.id] = place
    parties = {
        row["id"]: Party(row["id"], row["label"], row["colour"], row["kind"], _split(row["aliases"]),
                          row.get("parent") or "", _split(row.get("countries") or ""))
        for _, row in _read_csv(_package_text("parties.csv"), "parties.csv")
    }
    countries = {
        row["iso2"]: Country(row["iso2"], row["name"], _split(row["aliases"]),
                             row["government_party"], row["kurdish_party"])
        for _, row in _read_csv(_package_text("countries.csv"), "countries.csv")
    }
    generic = {row["term"]: row["role"]
               for _, row in _read_csv(_package_text("generic_terms.csv"), "generic_terms.csv")}
    ambiguous = {}
    for _, row in _read_csv(_package_text("ambiguous.csv"), "ambiguous.csv"):
        for key in alias_keys(row["alias"]):
            ambiguous[key] = _split(row["place_ids"])
    gazetteer = Gazetteer(places, parties, countries, generic, ambiguous)
    if extra is not None:
        gazetteer = gazetteer.with_places(read_places_file(extra))
    return gazetteer


def province_boundaries(gazetteer: Gazetteer, path: str | Path) -> gpd.GeoDataFrame:
    """Polygons for the gazetteer's provinces from any admin-1 file geopandas reads.

    Rows are joined by ISO 3166-2 code when a column holds such codes (``IQ-AN``), else by name
    (any spelling the gazetteer knows). Returns ``id`` and ``geometry`` in EPSG:4326, one row per
    matched province; raises :class:`GazetteerError` when the file cannot be read or nothing matches.
    """
    try:
        frame = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several types; the message is what matters
        raise GazetteerError(f"{path}: cannot read boundaries ({str(error).splitlines()[0]})") from None
    if frame.crs is not None:
        frame = frame.to_crs(4326)
    provinces = [p for p in gazetteer.places.values() if p.kind == "province"]
    by_code = {p.iso_3166_2.upper(): p.id for p in provinces if p.iso_3166_2}
    by_name = {key: p.id for p in provinces for name in (p.name, *p.aliases) for key in alias_keys(name)}
    best: tuple[int, pd.Series] | None = None
    for column in frame.columns.drop("geometry"):
        values = frame[column].astype(str)
        for lookup, normalise in ((by_code, str.upper), (by_name, _name_key)):
            ids = values.map(lambda v, lookup=lookup, normalise=normalise: lookup.get(normalise(v.strip())))
            if best is None or ids.notna().sum() > best[0]:
                best = (int(ids.notna().sum()), ids)
    if best is None or best[0] == 0:
        raise GazetteerError(f"{path}: no row matches a province by ISO 3166-2 code or name")
    joined = gpd.GeoDataFrame({"id": best[1], "geometry": frame.geometry}, crs="EPSG:4326").dropna(subset=["id"])
    return joined.dissolve(by="id", as_index=False)[["id", "geometry"]]


def _name_key(value: str) -> str:
    keys = alias_keys(value)
    return min(keys, key=len) if keys else ""
