"""Risk backends behind one interface: ``check(order) -> failing-check mask``.

The default backend is the golden model (``wirespeed.hw.risk.RiskModel``), so the
software path and the hardware compute the same thing by construction; a
hardware-in-the-loop backend plugs in with the same interface.
"""
from __future__ import annotations

from typing import Protocol

from wirespeed.config import RiskConfig
from wirespeed.hw.risk import LimitEntry, RiskModel, collar_bounds
from wirespeed.order import Order
from wirespeed.symbols import SymbolTable


class RiskBackend(Protocol):
    name: str

    def check(self, order: Order) -> int: ...
    def set_limits(self, symbol_index: int, entry: LimitEntry) -> None: ...


class ModelRiskBackend:
    name = "model"

    def __init__(self, depth: int = 256):
        self.model = RiskModel(depth)

    def check(self, order: Order) -> int:
        return self.model.check(order)

    def set_limits(self, symbol_index: int, entry: LimitEntry) -> None:
        self.model.write(symbol_index, entry)


def limit_entries(config: RiskConfig, symbols: SymbolTable) -> dict[int, LimitEntry]:
    """The limit-table rows for every symbol: config limits around its reference price."""
    rows = {}
    for sym in symbols:
        lim = config.limits_for(sym.name)
        rows[sym.index] = LimitEntry(lim.max_qty, *collar_bounds(sym.reference_ticks, lim.collar_ticks))
    return rows


def make_backend(config: RiskConfig, symbols: SymbolTable) -> RiskBackend:
    backend = ModelRiskBackend()
    for index, entry in limit_entries(config, symbols).items():
        backend.set_limits(index, entry)
    return backend
