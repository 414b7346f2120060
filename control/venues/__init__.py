"""Venue managers: one per venue, owning its sessions' reconnect policy, its limits in the
gateway and the risk tables, and its daily caps (``manager.py``)."""
from .limits import SymbolLimits, VenueLimits
from .manager import VenueConfig, VenueEvent, VenueManager
from .reconnect import Backoff, ReconnectPolicy

__all__ = ["Backoff", "ReconnectPolicy", "SymbolLimits", "VenueConfig", "VenueEvent", "VenueLimits", "VenueManager"]
