"""Facts about places and control: gazetteer, claims, store, as-of state and export (bottom layer)."""

from geodata.claims import Claim
from geodata.gazetteer import Gazetteer, GazetteerError, Party, Place, load_gazetteer

__all__ = ["Claim", "Gazetteer", "GazetteerError", "Party", "Place", "load_gazetteer"]
