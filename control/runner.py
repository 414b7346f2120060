"""The parent-order runner: one algorithm, the router and the tape, driven by an execution context.

Sans-IO like the algorithm: the context calls ``on_market`` / ``on_ack`` / ``on_exec`` /
``on_done`` / ``on_timer`` / ``on_venue_down``; the runner feeds the algorithm, routes each
new child across venues (one ``VenueOrder`` a leg), maps venue reports back to the child, and
writes every step to the tape. A child's legs that come back unfilled (IOC rest, reject, venue
loss) are re-routed to venues not yet tried while the child's price is still marketable there;
only what no venue takes goes back to the algorithm as ``ChildDone(unfilled)``, which returns
it to the parent's remaining quantity: a reject or a venue loss never loses shares.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from wirespeed.enums import Side, TimeInForce

from .algorithms.base import Algorithm, ScheduledAlgorithm
from .context import ExecutionContext, VenueOrder
from .marketdata import MarketData, Quote, TradePrint
from .model import Action, CancelChild, ChildDone, ChildFill, ExecutionRefused, NewChild, ReplaceChild
from .routing import Router
from .tca.tape import AckRecord, ChildRecord, DoneRecord, ExecRecord, MarketRecord, ParentRecord, ScheduleRecord, Tape

MARKOUT_NS = 5_000_000_000        # mid 5 s after a fill, for the router's markout history
# Enum members read on every child's path as module constants: an enum member read off its class
# (``Side.BUY``) costs about ten global reads on Python 3.11; the same objects, so ``is`` and ``==`` hold.
_IOC = TimeInForce.IOC
_BUY = Side.BUY
# Named tuples built on every child's path (its legs, their tape records) are built as
# ``tuple.__new__(cls, values)``, what ``cls._make`` does: the same object, without the extra
# Python frame of the generated ``__new__`` (a third of the cost of building one).
_make = tuple.__new__
# A side's and a time in force's value for the tape, by dict (``int()`` of an IntEnum member is a
# slot call through the enum: three times a dict read)
_SIDE_INT = {m: int(m) for m in Side}
_TIF_INT = {m: int(m) for m in TimeInForce}
_new_leg = object.__new__      # (a slotted record without its __init__'s frame: _route, _apply)


@dataclass(slots=True)
class _Leg:
    order: VenueOrder
    sent_ns: int
    filled: int = 0
    live: bool = True


@dataclass(slots=True, init=False)
class _Child:
    new: NewChild
    price: int
    legs: list[str]
    tried: set[str]
    filled: int
    cancel: bool
    unrouted: int                      # shares no venue took yet

    def __init__(self, new: NewChild, price: int) -> None:
        # (written out: one is built for every child, and the generated __init__ with its
        # default factories cost twice this)
        self.new, self.price, self.legs, self.tried = new, price, [], set()
        self.filled, self.cancel, self.unrouted = 0, False, 0


class ParentRunner:
    def __init__(self, algo: Algorithm, router: Router, ctx: ExecutionContext, tape: Tape | None = None):
        allowed = tuple(getattr(algo.config, "venues", ()) or ())
        for v in allowed:
            if v not in router.venues:
                raise ExecutionRefused(f"unknown venue {v!r} (known: {', '.join(router.venues)})")
        # venues the algorithm may not use are excluded from every route
        self._barred = frozenset(router.venues) - frozenset(allowed) if allowed else frozenset()
        self.algo, self.router, self.ctx = algo, router, ctx
        self.tape = tape if tape is not None else Tape()
        # The records of every child's path go straight onto the tape's list when it is a plain
        # ``Tape`` (its ``add`` is that append, one Python frame more a record)
        self._record = self.tape.records.append if type(self.tape) is Tape else self.tape.add
        self.market = algo.market
        self._scheduled = isinstance(algo, ScheduledAlgorithm)    # (its schedule is sampled at each decision)
        self.children: dict[str, _Child] = {}
        self.legs: dict[str, _Leg] = {}
        self._markouts: deque[tuple[int, str, int, float]] = deque()    # (due, venue, sign, price), in time order
        self._last_mid: float | None = None
        self._base_filled = 0           # filled before a re-plan: the schedule on the tape is the whole parent's

    # -- lifecycle -------------------------------------------------------------------------
    def submit(self, now_ns: int) -> None:
        p = self.algo.parent
        self.tape.add(ParentRecord(now_ns, p.parent_id, p.symbol, int(p.side), p.qty, p.start_ns, p.end_ns,
                                   p.limit or 0, self.algo.name, self.market.mid() or 0.0))
        if now_ns >= p.start_ns:
            self._apply(self.algo.start(now_ns), now_ns)
        else:
            self.algo.next_timer_ns = p.start_ns
        self._rearm()

    @property
    def finished(self) -> bool:
        return self.algo.next_timer_ns is None and not any(l.live for l in self.legs.values())

    def on_timer(self, now_ns: int) -> None:
        algo = self.algo
        t = algo.next_timer_ns
        if t is None or now_ns < t:
            self._rearm()
            return
        algo.decided_target = None
        actions = algo.on_timer(now_ns) if algo.started else algo.start(now_ns)
        # (the decision's own target for the schedule sample: the same value, computed once)
        target, algo.decided_target = algo.decided_target, None
        self._apply(actions, now_ns, target)
        t = self.algo.next_timer_ns            # (``_rearm``: this is every decision's path)
        if t is not None:
            self.ctx.set_timer(t)

    def replan(self, algo: Algorithm, now_ns: int, cancel: tuple[str, ...] = ()) -> None:
        """Carry on with ``algo``, the parent re-planned after an amendment (a replace on a running
        parent): the old algorithm's working children become the new one's (their leaves count
        against its quantity), ``cancel`` names those to take out first (priced past a new limit),
        and the new one decides at once (or waits for its start)."""
        old = self.algo
        algo.working, algo._seq = old.working, old._seq
        self._base_filled += old.filled
        self.algo = algo
        self._scheduled = isinstance(algo, ScheduledAlgorithm)
        actions: list[Action] = [algo._cancel(c) for c in cancel
                                 if c in algo.working and not algo.working[c].cancel_sent]
        if now_ns >= algo.parent.start_ns:
            actions += algo.start(now_ns)
        else:
            algo.next_timer_ns = algo.parent.start_ns
        self._apply(actions, now_ns)
        self._rearm()

    def _rearm(self) -> None:
        if self.algo.next_timer_ns is not None:
            self.ctx.set_timer(self.algo.next_timer_ns)

    def _schedule_sample(self, now_ns: int, target: float | None = None) -> None:
        """What the schedule wanted by ``now_ns`` onto the tape (at each decision that acts);
        ``target``: the decision's own (``decided_target``), else it is asked for."""
        algo = self.algo
        if self._scheduled and algo.started:
            p = algo.parent
            if p.start_ns <= now_ns < p.end_ns:
                if target is None:
                    # (``min(float(p.qty), target)`` written out as min decides: the first unless
                    # the second is smaller; the decision clamps its own the same way)
                    qty, target = float(p.qty), algo.target(now_ns)
                    target = target if target < qty else qty
                self._record(_make(ScheduleRecord, (now_ns, p.parent_id, self._base_filled + target)))

    # -- market data -----------------------------------------------------------------------
    def on_market(self, md: MarketData) -> None:
        market = self.market
        market.update(md)
        if isinstance(md, TradePrint):
            self.tape.add(MarketRecord(md.ts_ns, md.venue, float(md.price), md.qty))
        else:
            mid = market.mid()
            if mid is not None and mid != self._last_mid:
                self._last_mid = mid
                self.tape.add(MarketRecord(md.ts_ns, "", mid, 0))
                if self._markouts and self._markouts[0][0] <= md.ts_ns:
                    self._check_markouts(md.ts_ns, mid)
        algo = self.algo
        if algo.started:
            actions = algo.on_market(md)
            if actions:
                self._apply(actions, md.ts_ns)
            if algo.next_timer_ns is not None:
                self.ctx.set_timer(algo.next_timer_ns)

    def _check_markouts(self, now_ns: int, mid: float) -> None:
        while self._markouts and self._markouts[0][0] <= now_ns:
            _, venue, sign, px = self._markouts.popleft()
            self.router.stats[venue].on_markout(sign * (px - mid))   # bought above where it went

    # -- actions out -----------------------------------------------------------------------
    def _apply(self, actions: list[Action], now_ns: int, target: float | None = None) -> None:
        if actions:
            self._schedule_sample(now_ns, target)
        for a in actions:
            if isinstance(a, NewChild):
                # (the child's record built without its ``__init__``'s frame: ``_Child.__init__``'s
                # fields, set here)
                ch = _new_leg(_Child)
                ch.new, ch.price, ch.legs, ch.tried, ch.filled, ch.cancel, ch.unrouted = (
                    a, a.price, [], set(), 0, False, 0)
                self.children[a.child_id] = ch
                self._route(ch, a.qty, now_ns)
            elif isinstance(a, CancelChild):
                ch = self.children.get(a.child_id)
                if ch is not None:
                    ch.cancel = True
                    for lid in ch.legs:
                        leg = self.legs[lid]
                        if leg.live:
                            self.ctx.cancel(leg.order.venue, lid)
                    self._maybe_done(ch, now_ns, "cancelled")
            elif isinstance(a, ReplaceChild):
                self._replace(a, now_ns)

    def _route(self, ch: _Child, qty: int, now_ns: int) -> None:
        a = ch.new
        books = self.market.books
        # An IOC child only takes displayed liquidity: what the books do not show now comes back
        # to the algorithm at once rather than as IOC legs that cannot fill.
        take_only = a.tif == _IOC
        router = self.router
        if ch.tried:
            legs = router.reroute(a.side, qty, ch.price, books, ch.tried | self._barred, take_only)
        else:
            legs = router.route(a.side, qty, ch.price, books, self._barred, take_only)
        if a.venue is not None:
            legs = [l for l in legs if l.venue == a.venue] or legs
        routed = 0
        symbol = self.algo.parent.symbol
        side, tif, child_id, parent_id, algo = a.side, a.tif, a.child_id, a.parent_id, a.algo
        iside, itif = _SIDE_INT[side], _TIF_INT[tif]
        tried, names, legs_of, add, send = ch.tried, ch.legs, self.legs, self._record, self.ctx.send
        stats = router.stats
        for venue, n, price, reason in legs:
            tried.add(venue)
            lid = f"{child_id}@{venue}#{len(names) + 1}"
            vo = _make(VenueOrder, (lid, venue, symbol, side, n, price, tif, child_id, parent_id, algo))
            names.append(lid)
            # (the leg built without its dataclass ``__init__``'s frame: ``_new_leg``)
            leg = legs_of[lid] = _new_leg(_Leg)
            leg.order, leg.sent_ns, leg.filled, leg.live = vo, now_ns, 0, True
            routed += n
            stats[venue].sent += n                      # (``router.on_sent``, without its frame)
            add(_make(ChildRecord, (now_ns, lid, child_id, parent_id, algo, venue, iside, n, price, itif, reason)))
            send(vo)
        ch.unrouted = qty - routed
        if not (names and legs_of[names[-1]].live):     # (a leg still working: _maybe_done would do nothing)
            self._maybe_done(ch, now_ns, "no venue")

    def _replace(self, a: ReplaceChild, now_ns: int) -> None:
        ch = self.children.get(a.child_id)
        if ch is None or ch.cancel:
            return
        ch.price = a.price
        live = [self.legs[l] for l in ch.legs if self.legs[l].live]
        extra = a.qty - ch.new.qty
        for i, leg in enumerate(live):
            qty = leg.order.qty + (extra if i == 0 else 0)
            leg.order = VenueOrder(leg.order.order_id, leg.order.venue, leg.order.symbol, leg.order.side, qty,
                                   a.price, leg.order.tif, leg.order.child_id, leg.order.parent_id, leg.order.algo)
            self.ctx.replace(leg.order.venue, leg.order.order_id, qty, a.price)

    # -- reports in ------------------------------------------------------------------------
    def on_ack(self, order_id: str, ts_ns: int, speed: float = 1.0) -> None:
        """``speed``: simulated seconds per real second of the context's clock (a live run in
        accelerated time): the router's venue latency is the real round trip, what it is at
        speed 1, not the simulated time it spans (the tape keeps that)."""
        leg = self.legs.get(order_id)
        if leg is None:
            return
        lat = ts_ns - leg.sent_ns
        self.router.stats[leg.order.venue].on_ack(lat if speed == 1.0 else lat / speed)
        self.tape.add(AckRecord(ts_ns, order_id, leg.order.venue, lat))

    def on_exec(self, order_id: str, qty: int, price: int, fee: float, ts_ns: int) -> None:
        leg = self.legs.get(order_id)
        if leg is None:
            return
        o = leg.order
        leg.filled += qty
        ch = self.children[o.child_id]
        ch.filled += qty
        self.router.on_fill(o.venue, qty)
        self._markouts.append((ts_ns + MARKOUT_NS, o.venue, 1 if o.side == _BUY else -1, float(price)))
        self.tape.add(ExecRecord(ts_ns, order_id, o.child_id, o.parent_id, o.venue, qty, price, fee))
        if leg.filled >= o.qty:
            leg.live = False
        self._apply(self.algo.on_fill(ChildFill(o.child_id, qty, price, o.venue, ts_ns, fee)), ts_ns)
        self._maybe_done(ch, ts_ns, "filled")
        self._rearm()

    def on_done(self, order_id: str, unfilled: int, ts_ns: int, reason: str = "", rejected: bool = False) -> None:
        leg = self.legs.get(order_id)
        if leg is None or not leg.live:
            return
        leg.live = False
        o = leg.order
        self.tape.add(DoneRecord(ts_ns, order_id, o.venue, unfilled, reason, rejected))
        ch = self.children[o.child_id]
        if unfilled > 0 and not ch.cancel and (rejected or o.tif == _IOC or reason == "venue down"):
            # Try the next venue for what this one did not take.
            self._route(ch, unfilled, ts_ns)
            self._rearm()
            return
        self._maybe_done(ch, ts_ns, reason)
        self._rearm()

    def on_venue_down(self, venue: str, ts_ns: int) -> None:
        """A venue was lost: its working legs are gone; their rest is re-routed."""
        self.router.mark_down(venue)
        for lid, leg in list(self.legs.items()):
            if leg.live and leg.order.venue == venue:
                self.on_done(lid, leg.order.qty - leg.filled, ts_ns, "venue down")

    def _maybe_done(self, ch: _Child, now_ns: int, reason: str) -> None:
        if ch.new.child_id not in self.algo.working:
            return
        if any(self.legs[l].live for l in ch.legs):
            return
        unfilled = ch.new.qty - ch.filled
        if unfilled <= 0:
            return                      # fully filled: the algorithm already knows
        self._apply(self.algo.on_done(ChildDone(ch.new.child_id, unfilled, now_ns, reason)), now_ns)
