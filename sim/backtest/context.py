"""``BacktestContext``: control's execution context on in-process sim venues, in simulated time.

Every venue is an ``OrderBook`` (sim/book.py) for the symbol with a fee schedule and a one-way
latency. Time is a heap of timed callbacks: nothing sleeps, so a trading day runs as fast as
its events can be processed. An order the runner sends reaches its venue one latency later,
its acknowledgement and executions come back one latency after that; market data (each book's
top levels after every change, and every trade) reaches the runner ``md_latency_ns`` after the
venue. External flow (the market's participants) enters the books through ``external``.
Venue loss is ``venue_down``: its books stop, the runner is told, our resting orders there are gone.
"""
from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Callable

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.control.context import VenueOrder
from wirespeed.control.marketdata import Quote, TradePrint
from wirespeed.control.routing import VenueInfo

from ..book import BookOrder, OrderBook

DEPTH = 5


@dataclass(slots=True)
class SimVenue:
    info: VenueInfo
    book: OrderBook
    latency_ns: int = 200_000
    up: bool = True
    max_qty: int = 0                  # a venue rule: larger orders are rejected (0 = no limit)
    ours: dict[int, str] = field(default_factory=dict)     # book id -> runner order id


class BacktestContext:
    def __init__(self, symbol: str, venues: list[VenueInfo], *, latency_ns: dict[str, int] | None = None,
                 md_latency_ns: int = 50_000, start_ns: int = 0):
        self.symbol = symbol
        lat = latency_ns or {}
        self.venues = {v.name: SimVenue(v, OrderBook(symbol), lat.get(v.name, 200_000)) for v in venues}
        self.md_latency_ns = md_latency_ns
        self._now = start_ns
        self._heap: list = []
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._by_order: dict[str, tuple[str, int]] = {}      # runner order id -> (venue, book id)
        self._timer_token = 0
        self.runner = None
        self.events = 0

    # -- the scheduler ----------------------------------------------------------------------
    def at(self, ts_ns: int, fn: Callable, *args) -> None:
        heapq.heappush(self._heap, (max(ts_ns, self._now), next(self._seq), fn, args))

    def run(self, until_ns: int, progress: Callable[[int], None] | None = None, every: int = 50_000) -> None:
        heap = self._heap
        while heap and heap[0][0] <= until_ns:
            ts, _, fn, args = heapq.heappop(heap)
            self._now = ts
            fn(*args)
            self.events += 1
            if progress is not None and self.events % every == 0:
                progress(ts)
        self._now = max(self._now, until_ns)

    # -- ExecutionContext -------------------------------------------------------------------
    def now_ns(self) -> int:
        return self._now

    def send(self, order: VenueOrder) -> None:
        v = self.venues[order.venue]
        self.at(self._now + v.latency_ns, self._arrive, order)

    def cancel(self, venue: str, order_id: str) -> None:
        self.at(self._now + self.venues[venue].latency_ns, self._cancel, order_id, "cancelled")

    def replace(self, venue: str, order_id: str, qty: int, price: int) -> None:
        self.at(self._now + self.venues[venue].latency_ns, self._replace, order_id, qty, price)

    def set_timer(self, ts_ns: int) -> None:
        self._timer_token += 1
        self.at(ts_ns, self._timer, self._timer_token)

    def _timer(self, token: int) -> None:
        if token == self._timer_token and self.runner is not None:
            self.runner.on_timer(self._now)

    # -- to the runner, one latency later -----------------------------------------------------
    def _back(self, venue: SimVenue, fn: Callable, *args) -> None:
        if self.runner is not None:
            self.at(self._now + venue.latency_ns, fn, *args)

    # -- venue side ---------------------------------------------------------------------------
    def _arrive(self, o: VenueOrder) -> None:
        v = self.venues[o.venue]
        r = self.runner
        if not v.up:
            self._back(v, r.on_done, o.order_id, o.qty, self._now, "venue down", True)
            return
        if o.qty <= 0 or o.price < 0:
            self._back(v, r.on_done, o.order_id, o.qty, self._now, "invalid order", True)
            return
        if v.max_qty and o.qty > v.max_qty:
            self._back(v, r.on_done, o.order_id, o.qty, self._now, f"order quantity above {v.max_qty}", True)
            return
        bid = next(self._ids)
        self._by_order[o.order_id] = (o.venue, bid)
        bo = BookOrder(bid, o.side, o.price, o.qty, OrdType.MARKET if o.price == 0 else OrdType.LIMIT, o.tif,
                       owner=o.order_id)
        self._back(v, r.on_ack, o.order_id, self._now)
        trades, rested = v.book.submit(bo)
        if rested:
            v.ours[bid] = o.order_id
        self._trades(v, trades)
        if not rested and bo.qty > 0:
            self._back(v, r.on_done, o.order_id, bo.qty, self._now, "IOC rest" if o.tif == TimeInForce.IOC
                       else "not rested")
        self._publish(v)

    def _trades(self, v: SimVenue, trades) -> None:
        r = self.runner
        for t in trades:
            for bo, fee in ((t.aggressor, v.info.take_fee), (t.passive, -v.info.make_rebate)):
                if isinstance(bo.owner, str) and r is not None:
                    self._back(v, r.on_exec, bo.owner, t.qty, t.price, fee * t.qty, self._now)
                    if bo is t.passive and bo.qty == 0:
                        v.ours.pop(bo.id, None)
            self._md(TradePrint(v.info.name, self.symbol, self._now, t.price, t.qty))

    def _cancel(self, order_id: str, reason: str) -> None:
        loc = self._by_order.get(order_id)
        if loc is None:
            return
        v = self.venues[loc[0]]
        bo = v.book.cancel(loc[1]) if v.up else None
        v.ours.pop(loc[1], None)
        if bo is not None:
            self._back(v, self.runner.on_done, order_id, bo.qty, self._now, reason)
            self._publish(v)

    def _replace(self, order_id: str, qty: int, price: int) -> None:
        loc = self._by_order.get(order_id)
        if loc is None:
            return
        v = self.venues[loc[0]]
        old = v.book.cancel(loc[1]) if v.up else None
        v.ours.pop(loc[1], None)
        if old is None:
            return                                   # already filled or gone: nothing to replace
        leaves = qty - old.filled
        if leaves <= 0:
            self._back(v, self.runner.on_done, order_id, 0, self._now, "replaced to nothing")
            return
        bid = next(self._ids)
        self._by_order[order_id] = (loc[0], bid)
        bo = BookOrder(bid, old.side, price, leaves, old.ord_type, old.tif, owner=order_id, filled=old.filled)
        trades, rested = v.book.submit(bo)
        if rested:
            v.ours[bid] = order_id
        self._trades(v, trades)
        self._publish(v)

    # -- external flow (market participants) ------------------------------------------------
    def external(self, venue: str, order_id: int, side: Side, price: int, qty: int,
                 tif: TimeInForce = TimeInForce.DAY) -> bool:
        """A participant's order at ``now`` (ids are the caller's, negative to stay apart from
        ours); returns whether it rested."""
        v = self.venues[venue]
        if not v.up:
            return False
        bo = BookOrder(order_id, side, price, qty, OrdType.MARKET if price == 0 else OrdType.LIMIT, tif)
        trades, rested = v.book.submit(bo)
        self._trades(v, trades)
        self._publish(v)
        return rested

    def external_cancel(self, venue: str, order_id: int) -> bool:
        v = self.venues[venue]
        ok = v.up and v.book.cancel(order_id) is not None
        if ok:
            self._publish(v)
        return ok

    def venue_down(self, venue: str) -> None:
        v = self.venues[venue]
        v.up = False
        v.ours.clear()
        if self.runner is not None:
            self.at(self._now + v.latency_ns, self.runner.on_venue_down, venue, self._now + v.latency_ns)

    # -- market data ------------------------------------------------------------------------
    def _publish(self, v: SimVenue) -> None:
        q = Quote(v.info.name, self.symbol, self._now, tuple(v.book.bids.depth(DEPTH)), tuple(v.book.asks.depth(DEPTH)))
        self._md(q)

    def _md(self, md) -> None:
        if self.runner is not None:
            self.at(self._now + self.md_latency_ns, self.runner.on_market, md)
