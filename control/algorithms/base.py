"""The one algorithm interface, and the schedule-following machinery TWAP, VWAP, POV, IS and
adaptive share.

An algorithm is a sans-IO decision object: ``start``, ``on_market``, ``on_fill``, ``on_done``
(cancel, IOC rest, reject or venue loss) and ``on_timer`` each return child-order actions
(``NewChild`` / ``CancelChild`` / ``ReplaceChild``); ``next_timer_ns`` says when it wants to be
woken. It reads time only from the events' timestamps and the market only from the
``MarketState`` the runner keeps, so it runs unchanged in a backtest and live.

``ScheduledAlgorithm`` turns a target (cumulative quantity due by now, ``target(now)``) into
children: at each decision it compares the target with what is filled and working, places the
deficit at the configured urgency, crosses when what was due an interval ago is still unfilled
by more than ``catch_up`` of the order,
cancels what would put it more than ``ahead_tolerance`` ahead, re-prices children older than
``max_age_s`` one urgency step up, and never lets fills plus working quantity exceed the
participation cap of the market volume excluding its own fills. Every price goes through
``placement.limit_price``, which clamps to the parent's limit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from wirespeed.enums import Side, TimeInForce

from ..marketdata import MarketData, MarketState
from ..model import (Action, CancelChild, ChildDone, ChildFill, ExecutionRefused, NewChild, ParentOrder,
                     ReplaceChild, Urgency)
from .placement import is_marketable, limit_price

NS = 1_000_000_000
# Enum members read on every child's path as module constants: an enum member read off its class
# (``Side.BUY``) costs about ten global reads on Python 3.11; the same objects, so ``is`` and ``==`` hold.
_CROSS = Urgency.CROSS
_IOC = TimeInForce.IOC
_DAY = TimeInForce.DAY
_BUY = Side.BUY
_make = tuple.__new__
_new_record = object.__new__
_floor = math.floor


def check(cond: bool, reason: str) -> None:
    if not cond:
        raise ExecutionRefused(reason)


@dataclass(frozen=True, slots=True)
class AlgoConfig:
    """Settings every scheduled algorithm shares (each algorithm's config extends it).

    decision_s: seconds between decisions (slice interval); urgency: where new children sit;
    max_age_s: a child working this long is re-priced one urgency step up; catch_up: behind
    schedule by more than this fraction of the order -> cross; ahead_tolerance: fraction of the
    order the algorithm may be ahead of schedule; participation_cap: at most this share of the
    market volume (excluding own fills) is filled or working, None = no cap; finish_s: the
    schedule completes this long before the end, leaving time to mop up; min_child: smallest
    child (shares), except the last; retry_s: a crossing child that came back unfilled is retried
    this long after; venues: the only venues its children may go to (empty: every venue the
    router knows; an unknown one is refused when the runner takes the order); seed: all
    randomisation is drawn from it; slice_lead_s: this long before each regular decision the
    algorithm wakes and crosses if what is due by now is unfilled by more than ``catch_up`` (the
    slice that had its interval to fill passively is finished before the next one comes due, so
    the schedule gap stays within ``catch_up`` plus one slice); 0 = no such wake, nor when the
    decisions come faster than twice the lead.
    """
    decision_s: float = 30.0
    urgency: Urgency = Urgency.PASSIVE
    max_age_s: float = 60.0
    catch_up: float = 0.02
    ahead_tolerance: float = 0.01
    participation_cap: float | None = None
    finish_s: float = 60.0
    min_child: int = 100
    retry_s: float = 1.0
    venues: tuple[str, ...] = ()
    seed: int = 0
    slice_lead_s: float = 0.0

    def __post_init__(self) -> None:
        check(self.decision_s > 0, f"decision_s must be positive, not {self.decision_s!r}")
        check(self.max_age_s > 0, f"max_age_s must be positive, not {self.max_age_s!r}")
        check(0 <= self.catch_up <= 1, f"catch_up must be in [0, 1], not {self.catch_up!r}")
        check(0 <= self.ahead_tolerance <= 1, f"ahead_tolerance must be in [0, 1], not {self.ahead_tolerance!r}")
        if self.participation_cap is not None:
            check(0 < self.participation_cap <= 1,
                  f"participation_cap must be in (0, 1], not {self.participation_cap!r}")
        check(self.retry_s > 0, f"retry_s must be positive, not {self.retry_s!r}")
        check(self.finish_s >= 0, f"finish_s must not be negative, not {self.finish_s!r}")
        check(self.slice_lead_s >= 0, f"slice_lead_s must not be negative, not {self.slice_lead_s!r}")
        check(isinstance(self.min_child, int) and self.min_child > 0,
              f"min_child must be a positive integer, not {self.min_child!r}")
        check(isinstance(self.urgency, Urgency), f"urgency must be an Urgency, not {self.urgency!r}")


@dataclass(slots=True)
class Working:
    qty: int
    price: int
    placed_ns: int
    urgency: Urgency
    tif: TimeInForce
    filled: int = 0
    cancel_sent: bool = False

    @property
    def leaves(self) -> int:
        return self.qty - self.filled


class Algorithm:
    """The interface; subclasses decide. Keeps the parent's fills and working children."""
    name = "algorithm"

    def __init__(self, parent: ParentOrder, config, market: MarketState):
        check(market.symbol == parent.symbol,
              f"market data is for {market.symbol!r}, the order for {parent.symbol!r}")
        self.parent, self.config, self.market = parent, config, market
        self.filled = 0
        self.notional = 0                 # sum(qty * price) of fills, ticks * shares
        self.working: dict[str, Working] = {}
        self.next_timer_ns: int | None = None
        self.started = False
        self.start_volume = 0
        self._seq = 0
        self._regular_ns: int | None = None      # the next regular decision (ScheduledAlgorithm)
        # ``schedule_end_ns()``, read at every decision: it depends only on the parent and the
        # config, both frozen, so it is computed once (ScheduledAlgorithm.on_timer)
        self._schedule_end: int | None = None
        self._lead: int | None = None             # the slice-lead wake's lead in ns (the same: once)
        # The schedule's target (clamped to the order) the last ``ScheduledAlgorithm.on_timer``
        # computed, for the runner's schedule sample of that same decision (not computed twice);
        # the runner takes it and sets it back to None
        self.decided_target: float | None = None

    # -- the interface ----------------------------------------------------------------------
    def start(self, now_ns: int) -> list[Action]:
        self.started = True
        self.start_volume = self.market.volume
        return self.on_timer(now_ns)

    def on_market(self, md: MarketData) -> list[Action]:
        return []

    def on_fill(self, fill: ChildFill) -> list[Action]:
        w = self.working.get(fill.child_id)
        if w is not None:
            w.filled += fill.qty
            if w.leaves <= 0:                 # fully filled: no ChildDone follows
                del self.working[fill.child_id]
        self.filled += fill.qty
        self.notional += fill.qty * fill.price
        return []

    def on_done(self, done: ChildDone) -> list[Action]:
        self.working.pop(done.child_id, None)
        return []

    def on_timer(self, now_ns: int) -> list[Action]:
        return []

    # -- shared helpers ---------------------------------------------------------------------
    @property
    def remaining(self) -> int:
        return self.parent.qty - self.filled

    @property
    def done(self) -> bool:
        return self.remaining <= 0 and not self.working

    def market_volume(self) -> int:
        """Shares the market traded since start, excluding this algorithm's own fills."""
        return max(0, self.market.volume - self.start_volume - self.filled)

    def committed(self) -> int:
        return self.filled + sum(w.leaves for w in self.working.values())

    def _new(self, now_ns: int, qty: int, urgency: Urgency) -> NewChild | None:
        p = self.parent
        m = self.market
        # (``best_bid()`` / ``best_ask()`` read as the attributes they return: two frames less a child)
        bid, ask = m._bid, m._ask
        price = limit_price(p.side, urgency, bid, ask, p.limit)
        if price is None or qty <= 0:
            return None
        self._seq += 1
        child_id = f"{p.parent_id}.{self._seq}"
        # A cross the parent's limit keeps off the far touch rests at the limit instead of
        # being sent as an IOC that cannot fill.
        crossing = urgency is _CROSS and is_marketable(p.side, price, bid, ask)
        tif = _IOC if crossing else _DAY
        # (built without the dataclass ``__init__``'s frame: its fields, defaults included, set here)
        w = self.working[child_id] = _new_record(Working)
        w.qty, w.price, w.placed_ns, w.urgency, w.tif = qty, price, now_ns, urgency, tif
        w.filled, w.cancel_sent = 0, False
        # (``tuple.__new__``: ``NewChild._make``'s construction, without the generated ``__new__``'s frame)
        return _make(NewChild, (child_id, p.parent_id, self.name, p.side, qty, price, tif, urgency, None))

    def _cancel(self, child_id: str) -> CancelChild:
        self.working[child_id].cancel_sent = True
        return CancelChild(child_id)

    def cancel_all(self) -> list[Action]:
        return [self._cancel(cid) for cid, w in list(self.working.items()) if not w.cancel_sent]


class ScheduledAlgorithm(Algorithm):
    """Follow ``target(now)`` (cumulative shares due by ``now``) under the shared rules."""

    def target(self, now_ns: int) -> float:
        raise NotImplementedError

    def urgency(self, now_ns: int) -> Urgency:
        return self.config.urgency

    def due_before(self, now_ns: int) -> float:
        """What was due one decision interval ago: not filled by now means behind schedule (the
        slice that just came due is not "behind" yet; it gets a chance at the set urgency)."""
        return self.target(now_ns - int(self.config.decision_s * NS))

    def schedule_end_ns(self) -> int:
        p = self.parent
        return max(p.start_ns + 1, p.end_ns - int(self.config.finish_s * NS))

    def next_decision_ns(self, now_ns: int) -> int:
        return self.grid_after(now_ns)

    def grid_after(self, now_ns: int) -> int:
        """The first point of the decision grid (start + k x decision_s) after ``now_ns``. Decisions
        keep to the grid rather than following ``now + decision_s``: a timer that fires late (live,
        the loop's lag) would otherwise push every later decision, and the schedule's phase, by its
        lateness, and the live run would decide at other times than the backtest."""
        d = max(1, int(self.config.decision_s * NS))
        start = self.parent.start_ns
        if now_ns < start:
            return start
        return start + ((now_ns - start) // d + 1) * d

    def cap_allowance(self) -> float:
        cap = self.config.participation_cap
        return math.inf if cap is None else cap * self.market_volume()

    def on_timer(self, now_ns: int) -> list[Action]:
        p, cfg = self.parent, self.config
        if now_ns < p.start_ns:
            self.next_timer_ns = p.start_ns
            return []
        filled = self.filled
        if now_ns >= p.end_ns or p.qty - filled <= 0:          # (``remaining``, read once)
            self.next_timer_ns = None
            return self.cancel_all()
        # a wake before the next regular decision (an IOC retry, the slice-lead wake) keeps the
        # decision grid; inside the last slice_lead_s before a decision it is the slice-lead check
        # (no slice-lead wake when the decisions come faster than twice the lead)
        lead = self._lead
        if lead is None:       # (the config is frozen: computed at the first decision)
            lead = self._lead = int(cfg.slice_lead_s * NS) if 2 * cfg.slice_lead_s < cfg.decision_s else 0
        regular = self._regular_ns
        early = regular is not None and now_ns < regular
        pre_wake = early and lead > 0 and now_ns >= regular - lead
        if not early:
            nxt, end = self.next_decision_ns(now_ns), p.end_ns
            regular = self._regular_ns = end if end < nxt else nxt
        self.next_timer_ns = regular
        if lead and regular - lead > now_ns:
            self.next_timer_ns = regular - lead
        actions: list[Action] = []
        # (the min()s of this path written out as min() decides: the first argument unless a later
        # one is smaller, the same value and type; a builtin call each cost more than the test)
        qty = p.qty
        due = self.target(now_ns)
        target = self.decided_target = due if due < float(qty) else float(qty)
        # (``cap_allowance()`` is inf without a participation cap: not called then)
        ahead = target + cfg.ahead_tolerance * qty
        cap = math.inf if cfg.participation_cap is None else self.cap_allowance()
        upper = ahead if ahead < qty else qty
        if cap < upper:
            upper = cap
        # ``committed()`` and ``_crossing()`` in one pass over the working children (this runs
        # at every decision); the crossing part is counted again below if a child is canceled
        committed, crossing = filled, 0
        working = self.working
        for w in working.values():
            leaves = w.qty - w.filled
            committed += leaves
            if w.tif == _IOC and not w.cancel_sent:
                crossing += leaves
        # Ahead of schedule (or over the cap): take back the newest children first (sorted only
        # then: a decision on schedule touches no child it need not).
        if committed > upper:
            for cid in sorted(self.working, key=lambda c: -self.working[c].placed_ns):
                if committed <= upper:
                    break
                w = self.working[cid]
                if not w.cancel_sent:
                    actions.append(self._cancel(cid))
                    committed -= w.leaves
            crossing = self._crossing()
        # behind: what was due an interval ago and is still unfilled; at the slice-lead wake,
        # everything due by now (the slice that had its interval is finished before the next)
        # (an IOC child not yet reported is that catch-up under way, not shares still behind: live,
        # its fills come back a round trip later, and counting it as unfilled crossed again on the
        # same shares, a decision the backtest, whose reports come back at once, never made)
        if pre_wake:
            behind = target - filled - crossing
        else:
            # (``due_before``, without its frame where a subclass keeps the base's)
            if type(self).due_before is _DUE_BEFORE:
                before = self.target(now_ns - int(cfg.decision_s * NS))
            else:
                before = self.due_before(now_ns)
            behind = (before if before < target else target) - filled - crossing
        schedule_end = self._schedule_end
        if schedule_end is None:
            schedule_end = self._schedule_end = self.schedule_end_ns()
        late = now_ns >= schedule_end
        if late:
            # mopping up: decide every retry_s, not every interval, so re-priced children that the
            # touch left behind are moved again before the end
            self.next_timer_ns = min(now_ns + int(cfg.retry_s * NS), p.end_ns)
        # (``urgency()``, without its frame where a subclass keeps the base's: the config's)
        urgency = cfg.urgency if type(self).urgency is _URGENCY else self.urgency(now_ns)
        if late or behind > cfg.catch_up * p.qty:
            urgency = _CROSS
        # Re-price children that have aged (one step more urgent), or all of them when crossing.
        if working:
            max_age = cfg.max_age_s * NS
            for cid, w in working.items():
                if w.cancel_sent or w.tif == _IOC:
                    continue
                if urgency is _CROSS or now_ns - w.placed_ns >= max_age:
                    new_u = _CROSS if urgency is _CROSS else w.urgency.more()
                    price = limit_price(p.side, new_u, self.market.best_bid(), self.market.best_ask(), p.limit)
                    if price is not None and new_u is _CROSS:
                        price = self._reach(price, w.price)
                    if price is not None and price != w.price:
                        w.price, w.placed_ns, w.urgency = price, now_ns, new_u
                        actions.append(ReplaceChild(cid, w.qty, price, new_u))
        # (``math.floor`` of a float is the int: the ``int()`` around it was a call for nothing)
        deficit = _floor((upper if upper < target else target) - committed + 1e-9)
        # a deficit of at least half the smallest child is rounded up to one when the ahead
        # tolerance allows: a slice just under min_child is placed now rather than merged into
        # the next (which would leave two slices unfilled at once)
        if 2 * deficit >= cfg.min_child > deficit and committed + cfg.min_child <= upper:
            deficit = cfg.min_child
        left = qty - committed
        if deficit > 0 and (deficit >= (left if left < cfg.min_child else cfg.min_child) or late):
            child = self._new(now_ns, left if left < deficit else deficit, urgency)
            if child is not None:
                actions.append(child)
        return actions

    def _crossing(self) -> int:
        return sum(w.leaves for w in self.working.values() if w.tif == _IOC and not w.cancel_sent)

    #: ticks past the consolidated far touch a resting child is re-priced to when it must cross:
    #: it rests on one venue, whose touch may sit a tick or two behind the best one (it still
    #: fills at the book's prices, never beyond the parent's limit)
    CROSS_REACH = 2

    def _reach(self, cross: int, current: int) -> int:
        p = self.parent
        if p.side == _BUY:
            price = max(current, cross + self.CROSS_REACH)
            return min(price, p.limit) if p.limit is not None else price
        price = min(current, cross - self.CROSS_REACH)
        price = max(price, p.limit) if p.limit is not None else price
        return max(1, price)

    def on_done(self, done: ChildDone) -> list[Action]:
        w = self.working.get(done.child_id)
        super().on_done(done)
        # A reject or a cancelled rest returns to the parent at the next decision; a crossing
        # child that came back unfilled (the touch moved before it arrived) is retried after
        # ``retry_s`` on a fresh book rather than a whole interval later.
        if w is not None and w.tif == _IOC and done.unfilled > 0 and self.next_timer_ns is not None:
            self.next_timer_ns = min(self.next_timer_ns, done.ts_ns + int(self.config.retry_s * NS))
        return []


# The base class's hooks, to tell whether a subclass keeps them (``ScheduledAlgorithm.on_timer``)
_DUE_BEFORE = ScheduledAlgorithm.due_before
_URGENCY = ScheduledAlgorithm.urgency
