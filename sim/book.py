"""A price-time priority limit order book: limit, market, IOC, FOK, cancel.

Pure and synchronous (no I/O): ``submit`` returns the trades it caused and
whether the remainder rests. Prices are integer ticks.
"""
from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from wirespeed.enums import OrdType, Side, TimeInForce


@dataclass(slots=True)
class BookOrder:
    id: int
    side: Side
    price: int           # ticks; 0 for market
    qty: int             # remaining
    ord_type: OrdType = OrdType.LIMIT
    tif: TimeInForce = TimeInForce.DAY
    owner: Any = None
    filled: int = 0


@dataclass(frozen=True, slots=True)
class Trade:
    aggressor: BookOrder
    passive: BookOrder
    price: int
    qty: int


@dataclass(slots=True)
class _Side:
    """Price levels of one side; ``prices`` is sorted best-first via a sign flip for bids."""
    sign: int
    prices: list[int] = field(default_factory=list)   # keys = sign * price, ascending = best first
    levels: dict[int, deque] = field(default_factory=dict)

    def best(self) -> int | None:
        return self.sign * self.prices[0] if self.prices else None

    def add(self, order: BookOrder) -> None:
        level = self.levels.get(order.price)
        if level is None:
            level = self.levels[order.price] = deque()
            bisect.insort(self.prices, self.sign * order.price)
        level.append(order)

    def remove_level(self, price: int) -> None:
        del self.levels[price]
        self.prices.pop(bisect.bisect_left(self.prices, self.sign * price))

    def depth(self, levels: int = 5) -> list[tuple[int, int]]:
        out = []
        for key in self.prices[:levels]:
            p = self.sign * key
            out.append((p, sum(o.qty for o in self.levels[p])))
        return out


class OrderBook:
    def __init__(self, symbol: str = ""):
        self.symbol = symbol
        self.bids = _Side(-1)
        self.asks = _Side(+1)
        self._orders: dict[int, BookOrder] = {}

    def best_bid(self) -> int | None:
        return self.bids.best()

    def best_ask(self) -> int | None:
        return self.asks.best()

    def __contains__(self, order_id: int) -> bool:
        return order_id in self._orders

    def _crosses(self, order: BookOrder, price: int) -> bool:
        if order.ord_type == OrdType.MARKET:
            return True
        return price <= order.price if order.side == Side.BUY else price >= order.price

    def _available(self, order: BookOrder) -> int:
        opp = self.asks if order.side == Side.BUY else self.bids
        total = 0
        for key in opp.prices:
            price = opp.sign * key
            if not self._crosses(order, price):
                break
            total += sum(o.qty for o in opp.levels[price])
            if total >= order.qty:
                break
        return total

    def submit(self, order: BookOrder) -> tuple[list[Trade], bool]:
        """Match ``order``; returns (trades, rested). Unfilled IOC/FOK/market quantity is dropped."""
        if order.id in self._orders:
            raise ValueError(f"duplicate order id {order.id}")
        if order.tif == TimeInForce.FOK and self._available(order) < order.qty:
            return [], False
        trades: list[Trade] = []
        opp = self.asks if order.side == Side.BUY else self.bids
        while order.qty and opp.prices:
            price = opp.sign * opp.prices[0]
            if not self._crosses(order, price):
                break
            level = opp.levels[price]
            while order.qty and level:
                passive = level[0]
                qty = min(order.qty, passive.qty)
                order.qty -= qty
                passive.qty -= qty
                order.filled += qty
                passive.filled += qty
                trades.append(Trade(order, passive, price, qty))
                if passive.qty == 0:
                    level.popleft()
                    del self._orders[passive.id]
            if not level:
                opp.remove_level(price)
        rests = order.qty > 0 and order.ord_type == OrdType.LIMIT and order.tif in (TimeInForce.DAY, TimeInForce.GTC)
        if rests:
            (self.bids if order.side == Side.BUY else self.asks).add(order)
            self._orders[order.id] = order
        return trades, rests

    def cancel(self, order_id: int) -> BookOrder | None:
        order = self._orders.pop(order_id, None)
        if order is None:
            return None
        side = self.bids if order.side == Side.BUY else self.asks
        level = side.levels[order.price]
        level.remove(order)
        if not level:
            side.remove_level(order.price)
        return order
