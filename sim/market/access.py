"""The in-process venue API that market participants (and a backtest's own orders) use.

``VenueAccess`` wraps a ``MatchingEngine`` and hands each fill to the owners of both orders
(``owner.on_fill(trade, maker)``) and each self-trade-prevention cut to the owner of the
resting order (``owner.on_stp(order, qty)``), so a participant learns of its passive fills
the way a venue session would tell it. Owners without those methods are skipped.
"""
from __future__ import annotations

from ..book import BookOrder, Result
from ..engine import MatchingEngine


class VenueAccess:
    __slots__ = ("engine", "clock")

    def __init__(self, engine: MatchingEngine):
        self.engine = engine
        self.clock = engine.clock

    def next_id(self) -> int:
        return self.engine.next_id()

    def _route(self, res: Result) -> Result:
        for t in res.fills:
            owner = t.passive.owner
            if owner is not None and hasattr(owner, "on_fill"):
                owner.on_fill(t, True)
            owner = t.aggressor.owner
            if owner is not None and hasattr(owner, "on_fill"):
                owner.on_fill(t, False)
        for o, qty in res.cancelled:
            if o.owner is not None and hasattr(o.owner, "on_stp"):
                o.owner.on_stp(o, qty)
        return res

    def submit(self, symbol: str, order: BookOrder) -> Result:
        res = self.engine.book(symbol).submit(order)
        return self._route(res) if res.fills or res.cancelled else res

    def replace(self, symbol: str, order_id: int, price: int, qty: int) -> Result | None:
        res = self.engine.book(symbol).replace(order_id, price, qty)
        return self._route(res) if res is not None and (res.fills or res.cancelled) else res

    def cancel(self, symbol: str, order_id: int) -> BookOrder | None:
        return self.engine.book(symbol).cancel(order_id)
