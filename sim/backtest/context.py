"""``BacktestContext``: control's execution context on in-process sim venues, in simulated time.

Every venue is a ``MatchingEngine`` (sim/engine.py) for the symbol with its fee schedule and a
one-way latency; all of them and the market's participants run on one ``SimClock``
(wirespeed/clock.py), so nothing sleeps and a trading day runs as fast as its events are
processed. An order the runner sends reaches its venue one latency later; its acknowledgement,
executions and end come back one latency after that. Market data is built from each engine's
book events (``sim/events.py``, as the ITCH feed would carry them): every execution is a
``TradePrint``, and after the events of one instant the venue's top ``DEPTH`` levels go out as a
``Quote``; both reach the runner ``md_latency_ns`` after the venue. ``venue_down`` stops a
venue: our resting orders there are gone and the runner is told.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from wirespeed.clock import SimClock, TimerHandle
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.control.context import VenueOrder
from wirespeed.control.marketdata import Quote, TradePrint
from wirespeed.control.routing import VenueInfo
from wirespeed.prices import TickSize

from ..book import BookOrder, FeeSchedule
from ..engine import MatchingEngine
from ..events import NonDisplayedTrade, OrderExecuted

DEPTH = 5
US = "wirespeed-backtest"          # our self-trade-prevention participant key


@dataclass(slots=True)
class SimVenue:
    info: VenueInfo
    engine: MatchingEngine
    latency_ns: int = 200_000
    up: bool = True
    max_qty: int = 0                 # a venue rule: larger orders are rejected (0 = no limit)
    by_ref: dict[int, BookOrder] = field(default_factory=dict)   # feed ref -> our resting order
    dirty: bool = False
    book: object = field(init=False, default=None)     # the engine's one book (read on every publish)

    def __post_init__(self) -> None:
        self.book = next(iter(self.engine.books.values()))


class BacktestContext:
    def __init__(self, symbol: str, venues: list[VenueInfo], *, tick: TickSize = TickSize(1, 2),
                 latency_ns: dict[str, int] | None = None, md_latency_ns: int = 50_000, start_ns: int = 0,
                 clock: SimClock | None = None):
        self.symbol = symbol
        self.clock = clock or SimClock(start_ns)
        # fees: VenueInfo says ticks per share; the engine's FeeSchedule micro-currency per share
        self.tick_micro = tick.units * 10 ** (6 - tick.decimals)
        lat = latency_ns or {}
        self.venues: dict[str, SimVenue] = {}
        for v in venues:
            fees = FeeSchedule(maker_per_share=-round(v.make_rebate * self.tick_micro),
                               taker_per_share=round(v.take_fee * self.tick_micro))
            sv = SimVenue(v, MatchingEngine(v.name, [symbol], fees=fees, clock=self.clock), lat.get(v.name, 200_000))
            sv.engine.subscribe(partial(self._event, sv))     # (a C-level call per book event)
            self.venues[v.name] = sv
        self.md_latency_ns = md_latency_ns
        self._by_order: dict[str, tuple[SimVenue, BookOrder]] = {}     # runner order id -> (venue, order)
        self._timer: TimerHandle | None = None
        self.runner = None
        self.events = 0

    # -- time -------------------------------------------------------------------------------
    def at(self, ts_ns: int, fn: Callable, *args) -> None:
        self.clock.call_at(ts_ns, fn, *args)

    def run(self, until_ns: int, progress: Callable[[int], None] | None = None, step_ns: int = 60 * 10 ** 9) -> None:
        """Run the day up to ``until_ns``; ``progress(now)`` after every ``step_ns`` of simulated time."""
        if progress is None:
            self.events += self.clock.run_until(until_ns)
            return
        t = self.clock.time_ns()
        while t < until_ns:
            t = min(until_ns, t + step_ns)
            self.events += self.clock.run_until(t)
            progress(t)

    # -- ExecutionContext -------------------------------------------------------------------
    def now_ns(self) -> int:
        return self.clock.time_ns()

    def send(self, order: VenueOrder) -> None:
        self.at(self.now_ns() + self.venues[order.venue].latency_ns, self._arrive, order)

    def cancel(self, venue: str, order_id: str) -> None:
        self.at(self.now_ns() + self.venues[venue].latency_ns, self._cancel, order_id)

    def replace(self, venue: str, order_id: str, qty: int, price: int) -> None:
        self.at(self.now_ns() + self.venues[venue].latency_ns, self._replace, order_id, qty, price)

    def set_timer(self, ts_ns: int) -> None:
        if self._timer is not None:
            if self._timer.when == ts_ns and not self._timer.cancelled:
                return
            self._timer.cancel()
        self._timer = self.clock.call_at(ts_ns, self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self.runner is not None:
            self.runner.on_timer(self.now_ns())

    def _back(self, v: SimVenue, fn: Callable, *args) -> None:
        if self.runner is not None:
            self.at(self.now_ns() + v.latency_ns, fn, *args)

    # -- venue side ---------------------------------------------------------------------------
    def _arrive(self, o: VenueOrder) -> None:
        v, r, now = self.venues[o.venue], self.runner, self.now_ns()
        if not v.up:
            self._back(v, r.on_done, o.order_id, o.qty, now, "venue down", True)
            return
        if o.qty <= 0 or o.price < 0:
            self._back(v, r.on_done, o.order_id, o.qty, now, "invalid order", True)
            return
        if v.max_qty and o.qty > v.max_qty:
            self._back(v, r.on_done, o.order_id, o.qty, now, f"order quantity above {v.max_qty}", True)
            return
        bo = BookOrder(v.engine.next_id(), o.side, o.price, o.qty, OrdType.MARKET if o.price == 0 else OrdType.LIMIT,
                       o.tif, owner=o.order_id, participant=US)
        self._back(v, r.on_ack, o.order_id, now)
        res = v.engine.submit(self.symbol, bo)
        self._taker_fills(v, res.fills, res.cancelled)
        if res.rested:
            self._by_order[o.order_id] = (v, bo)
            v.by_ref[bo.ref] = bo
        elif bo.qty > 0:
            self._back(v, r.on_done, o.order_id, bo.qty, now, res.reason or "not rested")

    def _taker_fills(self, v: SimVenue, fills, cancelled=()) -> None:
        now = self.now_ns()
        for t in fills:
            if t.aggressor.owner is not None and isinstance(t.aggressor.owner, str):
                self._back(v, self.runner.on_exec, t.aggressor.owner, t.qty, t.price, t.taker_fee / self.tick_micro, now)
            # the resting side's owner hears of it as a venue session would tell it (the market's
            # makers: their re-quotes and their memory of the flow, sim/market/access.py)
            owner = t.passive.owner
            if owner is not None and not isinstance(owner, str) and hasattr(owner, "on_fill"):
                owner.on_fill(t, True)
        for o, qty in cancelled:
            if o.owner is not None and not isinstance(o.owner, str) and hasattr(o.owner, "on_stp"):
                o.owner.on_stp(o, qty)

    def _cancel(self, order_id: str) -> None:
        loc = self._by_order.pop(order_id, None)
        if loc is None:
            return
        v, bo = loc
        v.by_ref.pop(bo.ref, None)
        if v.up and v.engine.cancel(self.symbol, bo.id) is not None:
            self._back(v, self.runner.on_done, order_id, bo.qty, self.now_ns(), "cancelled")

    def _replace(self, order_id: str, qty: int, price: int) -> None:
        loc = self._by_order.get(order_id)
        if loc is None or not loc[0].up:
            return                                       # filled, cancelled or gone meanwhile
        v, bo = loc
        v.by_ref.pop(bo.ref, None)
        res = v.engine.replace(self.symbol, bo.id, price, qty - bo.filled)
        if res is None:
            self._by_order.pop(order_id, None)
            return
        self._taker_fills(v, res.fills, res.cancelled)
        if res.rested:
            v.by_ref[bo.ref] = bo
        else:
            self._by_order.pop(order_id, None)
            if bo.qty > 0:
                self._back(v, self.runner.on_done, order_id, bo.qty, self.now_ns(), res.reason or "replaced away")

    # -- book events -> market data (and our passive fills) ---------------------------------
    def _event(self, v: SimVenue, ev) -> None:
        t = type(ev)
        if t is OrderExecuted or t is NonDisplayedTrade:
            now = self.now_ns()
            self._md(TradePrint(v.info.name, self.symbol, now, ev.price, ev.qty))
            if t is OrderExecuted:
                bo = v.by_ref.get(ev.order_id)
                if bo is not None and self.runner is not None:
                    fee = -v.info.make_rebate * ev.qty
                    self._back(v, self.runner.on_exec, bo.owner, ev.qty, ev.price, fee, now)
                    if bo.qty == 0:
                        del v.by_ref[ev.order_id]
                        self._by_order.pop(bo.owner, None)
        if not v.dirty:
            v.dirty = True
            clock = self.clock
            clock.call_at(clock.time_ns(), self._publish, v)

    def _publish(self, v: SimVenue) -> None:
        v.dirty = False
        book = v.book
        if self.runner is not None:
            now = self.clock.time_ns()
            self.clock.call_at(now + self.md_latency_ns, self.runner.on_market,
                               Quote(v.info.name, self.symbol, now, book.bids.top(DEPTH), book.asks.top(DEPTH)))

    def _md(self, md) -> None:
        if self.runner is not None:
            self.at(self.now_ns() + self.md_latency_ns, self.runner.on_market, md)

    # -- external flow (participants that trade through this context) ------------------------
    def external(self, venue: str, side: Side, price: int, qty: int, tif: TimeInForce = TimeInForce.DAY):
        """A participant's order now; returns the engine's order id if it rested, else None."""
        v = self.venues[venue]
        if not v.up:
            return None
        bo = BookOrder(v.engine.next_id(), side, price, qty, OrdType.MARKET if price == 0 else OrdType.LIMIT, tif)
        res = v.engine.submit(self.symbol, bo)
        return bo.id if res.rested else None

    def external_cancel(self, venue: str, order_id: int) -> bool:
        v = self.venues[venue]
        return v.up and v.engine.cancel(self.symbol, order_id) is not None

    def venue_down(self, venue: str) -> None:
        v = self.venues[venue]
        v.up = False
        for oid, (sv, _) in list(self._by_order.items()):
            if sv is v:
                del self._by_order[oid]
        v.by_ref.clear()
        if self.runner is not None:
            t = self.now_ns() + v.latency_ns
            self.at(t, self.runner.on_venue_down, venue, t)
