"""Smart order routing: venue ranking, liquidity split, re-routing, each decision with its reason."""
from .router import Leg, Router, RouterConfig
from .venues import VenueInfo, VenueStats

__all__ = ["Leg", "Router", "RouterConfig", "VenueInfo", "VenueStats"]
