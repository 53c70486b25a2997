"""Facts about places and control: gazetteer, claims, store, as-of state and export (bottom layer)."""

from geodata.claims import Claim
from geodata.export import Filters, to_geojson, write_export
from geodata.gazetteer import Gazetteer, GazetteerError, Party, Place, load_gazetteer
from geodata.store import ClaimStore, StoreError, resolve_db
from geodata.timeline import as_of, periods

__all__ = ["Claim", "ClaimStore", "Filters", "Gazetteer", "GazetteerError", "Party", "Place",
           "StoreError", "as_of", "load_gazetteer", "periods", "resolve_db", "to_geojson", "write_export"]
