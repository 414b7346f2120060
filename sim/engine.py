"""A venue's matching engine: one ``OrderBook`` per symbol, one fee schedule, one clock.

Public API (stable; ``sim/venue.py`` front ends, the ITCH feed, the market and the backtest
use it)::

    engine = MatchingEngine("XNAS", ["AAPL", "MSFT"], fees=FeeSchedule(-2000, 3000), clock=clock)
    unsubscribe = engine.subscribe(sink)          # sink(event) for every sim/events.py record
    res = engine.submit("AAPL", BookOrder(engine.next_id(), Side.BUY, 10_000, 100))
    res.fills, res.rested, res.cancelled, res.reason
    engine.replace("AAPL", order_id, price, qty)  # -> Result | None
    engine.cancel("AAPL", order_id)               # -> BookOrder | None
    engine.queue_position("AAPL", order_id)       # -> (orders ahead, shares ahead) | None
    engine.book("AAPL").best_bid(), .depth(Side.SELL, 5), ...
    engine.system_event(START_OF_MARKET_HOURS)
    engine.cross_trade("AAPL", price, qty)        # an auction's cross, for the feed (ITCH Q)

Order ids are the caller's (``next_id()`` hands out fresh ones); feed reference numbers and
match numbers are the engine's, unique across its books. Event timestamps are nanoseconds
since UTC midnight on ``clock`` (ITCH's timestamp), read once per engine call.
"""
from __future__ import annotations

import itertools
from typing import Iterable

from wirespeed.clock import WALL, Clock

from .book import DAY_NS, NO_FEES, BookOrder, FeeSchedule, OrderBook, Result
from .events import CrossTrade, EventSink, SystemEvent


class MatchingEngine:
    def __init__(self, venue: str = "SIM", symbols: Iterable[str] = (), *, fees: FeeSchedule = NO_FEES,
                 clock: Clock = WALL):
        if not isinstance(fees, FeeSchedule):
            raise TypeError(f"fees must be a FeeSchedule, not {fees!r}")
        self.venue = venue
        self.fees = fees
        self.clock = clock
        self.sinks: list[EventSink] = []
        self.books: dict[str, OrderBook] = {}
        self._refs = itertools.count(1)
        self._match_ids = itertools.count(1)
        self._ids = itertools.count(1)
        for s in symbols:
            self.add_symbol(s)

    def ts_ns(self) -> int:
        """Nanoseconds since midnight (UTC) on the engine's clock: the events' timestamp."""
        return self.clock.time_ns() % DAY_NS

    def add_symbol(self, symbol: str) -> OrderBook:
        if symbol in self.books:
            raise ValueError(f"venue {self.venue}: symbol {symbol!r} already has a book")
        book = self.books[symbol] = OrderBook(symbol, fees=self.fees, sinks=self.sinks, ts=self.ts_ns,
                                              refs=self._refs, match_ids=self._match_ids)
        return book

    def book(self, symbol: str) -> OrderBook:
        try:
            return self.books[symbol]
        except KeyError:
            raise KeyError(f"venue {self.venue}: unknown symbol {symbol!r}") from None

    def subscribe(self, sink: EventSink):
        """Call ``sink(event)`` for every book event, in order; returns the unsubscribe call."""
        self.sinks.append(sink)
        return lambda: self.sinks.remove(sink) if sink in self.sinks else None

    def next_id(self) -> int:
        return next(self._ids)

    def submit(self, symbol: str, order: BookOrder) -> Result:
        return self.book(symbol).submit(order)

    def cancel(self, symbol: str, order_id: int) -> BookOrder | None:
        return self.book(symbol).cancel(order_id)

    def replace(self, symbol: str, order_id: int, price: int, qty: int) -> Result | None:
        return self.book(symbol).replace(order_id, price, qty)

    def queue_position(self, symbol: str, order_id: int) -> tuple[int, int] | None:
        return self.book(symbol).queue_position(order_id)

    def system_event(self, code: str) -> None:
        event = SystemEvent(self.ts_ns(), code)
        for sink in self.sinks:
            sink(event)

    def cross_trade(self, symbol: str, price: int, qty: int, cross_type: str = "C") -> None:
        """Report an auction's cross (its volume at the cross price; the feed's ITCH Q), under
        the engine's next match number. The auction's orders never rested in the book."""
        self.book(symbol)
        event = CrossTrade(self.ts_ns(), symbol, qty, price, next(self._match_ids), cross_type)
        for sink in self.sinks:
            sink(event)
