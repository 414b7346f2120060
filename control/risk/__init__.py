"""The control plane's own protections: circuit breakers, per-venue caps, the desk kill switch."""
from .breakers import BreakerConfig, Breakers, Trip, VenueCaps

__all__ = ["BreakerConfig", "Breakers", "Trip", "VenueCaps"]
