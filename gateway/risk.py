"""Risk backends behind one interface.

``check(order)`` decides an order (and, when it passes, reserves its quantity and
notional); ``release(...)`` feeds fills and cancels back. The default backend is the
golden model (``wirespeed.hw.risk.RiskModel``), so the software path and the
hardware compute the same thing by construction; a hardware-in-the-loop backend
plugs in with the same interface.
"""
from __future__ import annotations

import time
from typing import Protocol

from wirespeed.config import RiskConfig
from wirespeed.enums import Side
from wirespeed.hw.risk import LimitEntry, RiskModel, collar_bounds
from wirespeed.hw.risk.model import Fill
from wirespeed.order import Order
from wirespeed.symbols import SymbolTable


class RiskBackend(Protocol):
    name: str

    def check(self, order: Order) -> int: ...
    def set_limits(self, symbol_index: int, entry: LimitEntry) -> None: ...
    def protection_price(self, symbol_index: int, side: Side) -> int: ...
    def release(self, order: Order, qty: int, filled: bool) -> None: ...


class ModelRiskBackend:
    name = "model"

    def __init__(self, depth: int = 256, sessions: int = 256):
        self.model = RiskModel(depth, sessions)

    def check(self, order: Order) -> int:
        return self.model.order(order, now=time.monotonic_ns())

    def set_limits(self, symbol_index: int, entry: LimitEntry) -> None:
        self.model.write(symbol_index, entry)

    def protection_price(self, symbol_index: int, side: Side) -> int:
        """The price a market order is checked at: the far edge of the collar band."""
        entry = self.model.table.get(symbol_index)
        if entry is None:
            return 0
        return entry.price_hi if side == Side.BUY else entry.price_lo

    def release(self, order: Order, qty: int, filled: bool) -> None:
        """``qty`` of an accepted order filled (position moves) or was canceled."""
        self.model.fill(Fill(order.symbol, int(order.side), qty, qty * order.price, cancel=not filled))


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
