"""Pre-trade risk checks: semantics (checks.py), golden model (model.py), hardware (stage.py)."""
from .checks import collar_bounds
from .model import LimitEntry, RiskModel

__all__ = ["collar_bounds", "LimitEntry", "RiskModel"]
