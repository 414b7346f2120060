"""Execution algorithms, one per module, behind one interface (``base.Algorithm``).

``ALGORITHMS`` maps each algorithm's name to its class and config class; ``create`` builds one,
validating the config and the parent order at submission (``ExecutionRefused``:
"Cannot execute order: <reason>").
"""
from __future__ import annotations

from ..marketdata import MarketState
from ..model import ExecutionRefused, ParentOrder
from .adaptive import Adaptive, AdaptiveConfig
from .base import AlgoConfig, Algorithm
from .iceberg import Iceberg, IcebergConfig
from .implementation_shortfall import ImplementationShortfall, IsConfig
from .pov import Pov, PovConfig
from .twap import Twap, TwapConfig
from .vwap import Vwap, VwapConfig

ALGORITHMS: dict[str, tuple[type[Algorithm], type[AlgoConfig]]] = {
    "twap": (Twap, TwapConfig),
    "vwap": (Vwap, VwapConfig),
    "pov": (Pov, PovConfig),
    "is": (ImplementationShortfall, IsConfig),
    "iceberg": (Iceberg, IcebergConfig),
    "adaptive": (Adaptive, AdaptiveConfig),
}


def create(name: str, parent: ParentOrder, config: AlgoConfig, market: MarketState) -> Algorithm:
    try:
        cls, cfg_cls = ALGORITHMS[name]
    except KeyError:
        raise ExecutionRefused(f"unknown algorithm {name!r} (known: {', '.join(ALGORITHMS)})") from None
    if not isinstance(config, cfg_cls):
        raise ExecutionRefused(f"algorithm {name!r} needs a {cfg_cls.__name__}, not {type(config).__name__}")
    return cls(parent, config, market)
