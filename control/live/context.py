"""The live execution context: child orders through the gateway's order path to real venue sessions.

The other implementation of ``control.context.ExecutionContext`` (the backtest one is
``sim/backtest/context.py``). ``send``/``cancel``/``replace`` become the gateway's
NewOrderSingle / OrderCancelRequest / OrderCancelReplaceRequest from the ``ControlSession``
(ExDestination = the leg's venue); its ExecutionReports become the runner's ``on_ack`` /
``on_exec`` / ``on_done``. Time is the ``wirespeed.clock`` Clock it is given (a ScaledClock for
accelerated runs over real sockets); timers are loop timers scaled by the clock's speed. Market
data is handed in through ``on_market`` by whoever owns the feeds (control never imports sim).
"""
from __future__ import annotations

import asyncio
import itertools
import logging

from wirespeed.clock import fix_timestamp, now_ns
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.message import FixMessage
from wirespeed.gateway.fix.orders import ExDestination
from wirespeed.symbols import Symbol

from ..context import VenueOrder
from ..marketdata import MarketData, TradePrint
from ..routing import VenueInfo
from .child_session import ControlSession

log = logging.getLogger("wirespeed.control.live")

_LIMIT, _MARKET = OrdType.LIMIT, OrdType.MARKET

LastLiquidityInd = 851          # 1 added liquidity (rebate), 2 removed it (fee)
TERMINAL = frozenset({"4", "8", "C", "3"})   # Canceled, Rejected, Expired, DoneForDay


class LiveContext:
    """One parent's context: ``runner`` is set by the desk after the ParentRunner is built."""

    def __init__(self, orders, clock, symbol: Symbol, venues: list[VenueInfo], session: ControlSession,
                 on_fill=None, paths: dict | None = None, breakers=None):
        self.orders, self.clock, self.symbol = orders, clock, symbol
        self.fees = {v.name: v for v in venues}
        self.session = session
        self.runner = None
        self.on_fill = on_fill            # (VenueOrder, qty, price ticks, ts) -> None, the desk's parent reports
        self.halted = False               # parent canceled/stopped: no new children, no timers
        self.sent: dict[str, VenueOrder] = {}
        self.open: set[str] = set()       # legs the gateway holds that have not ended
        self._current: dict[str, str] = {}  # leg id -> its ClOrdID at the gateway after a replace
        self._leg_of: dict[str, str] = {}   # every ClOrdID used for a leg -> the leg id
        self._req = itertools.count(1)
        self._timer: asyncio.TimerHandle | None = None
        self._timer_ns = 0                # when _timer fires (simulated/clock ns)
        self.speed = float(getattr(clock, "speed", 1.0))
        # venue -> PathSelector: a leg goes out on the venue's current path (a gateway venue link
        # of its own); its order/ack round trip is one more sample for that path.
        self.paths = paths or {}
        self.path_of: dict[str, str] = {}
        self._sent_wall: dict[str, int] = {}
        self.breakers = breakers          # control.risk.Breakers, shared by the desk's parents
        self.held: list[VenueOrder] = []  # children held while a breaker pauses or throttles
        self._reroute: set[str] = set()   # legs being canceled to go elsewhere (their venue tripped)
        # Legs sent smaller than the runner asked (the volatility breaker slowing): the shares cut
        # go back to the algorithm when the leg ends, so none is lost and none goes out at once.
        self._cut: dict[str, int] = {}

    # -- ExecutionContext -----------------------------------------------------------------
    def now_ns(self) -> int:
        return self.clock.time_ns()

    def send(self, order: VenueOrder) -> None:
        if self.halted:
            return
        b = self.breakers
        if b is not None:
            now = self.clock.time_ns()
            if b.paused(now):
                self.held.append(order)          # reported back unfilled when the pause ends
                return
            why = b.venue_blocked(order.venue, now)
            if why:
                asyncio.get_running_loop().call_soon(self._no_path, order, why)
                return
            b.on_send(order.venue, now)
        qty = order.qty
        if b is not None:
            factor = b.slow_factor(now)
            if factor < 1.0 and qty > 1:
                qty = max(1, int(qty * factor))
                self._cut[order.order_id] = order.qty - qty
        dest = order.venue
        sel = self.paths.get(dest)
        if sel is not None:
            dest = sel.current
            if dest is None:
                # No healthy path to the venue: the leg comes back unfilled (the runner re-routes it).
                asyncio.get_running_loop().call_soon(self._no_path, order)
                return
        oid = order.order_id
        self.path_of[oid] = dest
        if sel is not None:
            self._sent_wall[oid] = now_ns()      # the order/ack round trip: a sample for the path
        self.sent[oid] = order
        self.open.add(oid)
        self._leg_of[oid] = oid                  # (its ClOrdID at the gateway is its id until a replace)
        # The NewOrderSingle's typed values straight into the gateway's order path (the same
        # checks, state, trail and venue bytes as the message: OrderGateway.on_new_order_fields),
        # not a message built here for the gateway to decode back: this is on every child's path.
        price = order.price
        self.orders.on_new_order_fields(self.session, oid, order.symbol, order.side, _LIMIT if price else _MARKET,
                                        order.tif, qty, price, dest)

    def _no_path(self, order: VenueOrder, why: str = "") -> None:
        if self.runner is not None:
            self.runner.on_done(order.order_id, order.qty, self.clock.time_ns(),
                                why or f"no healthy path to {order.venue}", rejected=True)

    def release_held(self) -> None:
        """The pause is over: held children go back to the algorithm unfilled, to be re-planned
        at today's prices rather than sent at the prices of before the pause."""
        if self.held and self.breakers is not None and not self.breakers.paused(self.clock.time_ns()):
            held, self.held = self.held, []
            for o in held:
                self.runner.on_done(o.order_id, o.qty, self.clock.time_ns(), "held by a breaker")

    def reroute_from(self, venue: str) -> int:
        """Cancel the open legs at ``venue``; their rest is re-routed when the cancel comes back."""
        legs = [lid for lid in self.open if self.sent[lid].venue == venue]
        for lid in legs:
            self._reroute.add(lid)
            self.cancel(venue, lid)
        return len(legs)

    def _amend(self, order_id: str, tag: str) -> tuple[str, str, VenueOrder] | None:
        o = self.sent.get(order_id)
        if o is None or order_id not in self.open:
            return None
        cl = f"{order_id}.{tag}{next(self._req)}"
        self._leg_of[cl] = order_id
        return cl, self._current.get(order_id, order_id), o

    def cancel(self, venue: str, order_id: str) -> None:
        a = self._amend(order_id, "c")
        if a is None:
            return
        cl, orig, o = a
        self.orders.on_cancel(self.session, FixMessage.from_pairs([
            (T.ClOrdID, cl), (T.OrigClOrdID, orig), (T.Symbol, o.symbol), (T.Side, o.side.fix),
            (T.TransactTime, fix_timestamp()), (T.OrderQty, o.qty)]))

    def replace(self, venue: str, order_id: str, qty: int, price: int) -> None:
        if self.halted:
            return
        a = self._amend(order_id, "r")
        if a is None:
            return
        cl, orig, o = a
        qty = max(1, qty - self._cut.get(order_id, 0))     # a slowed leg stays as small as it went out
        self.orders.on_replace(self.session, FixMessage.from_pairs([
            (T.ClOrdID, cl), (T.OrigClOrdID, orig), (T.Symbol, o.symbol), (T.Side, o.side.fix),
            (T.TransactTime, fix_timestamp()), (T.OrderQty, qty), (T.OrdType, OrdType.LIMIT.fix),
            (T.Price, self.symbol.tick.format(price)), (T.TimeInForce, o.tif.fix), (ExDestination, venue)]))

    def set_timer(self, ts_ns: int) -> None:
        if self._timer is not None:
            if self._timer_ns <= ts_ns and not self.halted:
                # The runner re-arms after every report and decision, mostly for the same or a
                # later time: the pending timer stays (a wake before the runner's time costs one
                # check there, and it re-arms), rather than a cancel and a new loop timer each time.
                return
            self._timer.cancel()
            self._timer = None
        if self.halted:
            return
        delay = (ts_ns - self.clock.time_ns()) / 1e9 / self.speed
        if not delay > 0.0:                  # (max(0.0, delay), without the builtin call)
            delay = 0.0
        self._timer_ns = ts_ns
        self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        if not self.halted and self.runner is not None:
            if self.held:
                self.release_held()
            self.runner.on_timer(self.clock.time_ns())

    # -- inputs -----------------------------------------------------------------------------
    def on_market(self, md: MarketData) -> None:
        if self.runner is not None and not self.halted:
            self.runner.on_market(md)
            if self.breakers is not None:
                mid = self.runner.market.mid()
                if mid is not None and not isinstance(md, TradePrint):
                    self.breakers.on_mid(md.ts_ns, mid)
                self.release_held()

    def halt(self) -> int:
        """Stop the parent: no new children or timers; cancel every open leg. Returns cancels sent."""
        self.halted = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        legs = list(self.open)
        for lid in legs:
            self.cancel(self.sent[lid].venue, lid)
        return len(legs)

    def on_report(self, msg_type: str, f: dict[int, str]) -> None:
        """An ExecutionReport (8) or OrderCancelReject (9) from the gateway for one of our legs."""
        lid = self._leg_of.get(f.get(T.ClOrdID, ""))
        if lid is None:
            return
        if msg_type != "8":
            log.info("leg %s: %s refused: %s", lid, "cancel/replace", f.get(T.Text, ""))
            return
        et, now, r = f.get(T.ExecType), self.clock.time_ns(), self.runner
        o = self.sent[lid]
        b = self.breakers
        if et == "0":
            if b is not None:
                b.on_result(o.venue, now, False)
            sent = self._sent_wall.pop(lid, None)
            sel = self.paths.get(o.venue)
            if sent is not None and sel is not None and self.path_of.get(lid) in sel.paths:
                sel.on_rtt(self.path_of[lid], now_ns() - sent, now_ns())
            r.on_ack(lid, now, self.speed)
        elif et == "F":
            qty, px = int(f[T.LastQty]), self.symbol.tick.parse_ticks(f[T.LastPx])
            info, liq = self.fees.get(o.venue), f.get(LastLiquidityInd)
            fee = 0.0
            if liq is None:
                # No LastLiquidityInd from the gateway: an IOC child took liquidity, a resting one added it.
                liq = "2" if o.tif == TimeInForce.IOC else "1"
            if info is not None and liq == "1":
                fee = -info.make_rebate * qty
            elif info is not None and liq == "2":
                fee = info.take_fee * qty
            done = f.get(T.OrdStatus) == "2"
            if done:
                self.open.discard(lid)
            if b is not None:
                b.on_fill(o.venue, now, 1 if o.side == Side.BUY else -1, qty, px, r.market.mid())
            r.on_exec(lid, qty, px, fee, now)
            if self.on_fill is not None:
                self.on_fill(o, qty, px, now)
            cut = self._cut.pop(lid, 0) if done else 0
            if cut:
                r.on_done(lid, cut, now, "slowed by the volatility breaker")
        elif et == "5":
            self._current[lid] = f[T.ClOrdID]
        elif et in TERMINAL:
            self.open.discard(lid)
            self._sent_wall.pop(lid, None)
            if et == "8" and b is not None:
                b.on_result(o.venue, now, True)
            unfilled = max(0, int(f.get(T.OrderQty, o.qty)) - int(f.get(T.CumQty, "0"))) + self._cut.pop(lid, 0)
            why = f.get(T.Text, "") or {"4": "canceled", "C": "expired"}.get(et, "")
            if lid in self._reroute and not self.halted:
                self._reroute.discard(lid)
                why = "venue down"           # the runner re-routes what a lost venue held
            r.on_done(lid, unfilled, now, why, rejected=et == "8")
