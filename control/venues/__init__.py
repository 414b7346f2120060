"""Venue managers: one per venue, owning its sessions (built from its paths, connected, reconnected
on a policy, stopped), its limits in the gateway and the risk tables, its daily caps and its feed
(``manager.py``)."""
from .endpoints import FeedEndpoint, PathEndpoint
from .feed import MarketFeed
from .limits import SymbolLimits, VenueLimits
from .manager import VenueConfig, VenueEvent, VenueManager
from .reconnect import Backoff, ReconnectPolicy

__all__ = ["Backoff", "FeedEndpoint", "MarketFeed", "PathEndpoint", "ReconnectPolicy", "SymbolLimits", "VenueConfig",
           "VenueEvent", "VenueLimits", "VenueManager"]
