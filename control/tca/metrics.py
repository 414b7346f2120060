"""TCA metrics of one parent order, from the tape.

Conventions (``sign`` = +1 buy, -1 sell; prices in ticks; a cost is positive when it hurt):

* arrival slippage (bps) = sign (avg fill - arrival mid) / arrival mid, arrival = the
  consolidated mid at the order's start;
* implementation shortfall (Perold) against a paper portfolio at the decision mid, split into
  delay = sign (arrival mid - decision mid) x filled, impact = sign sum q (fill - arrival mid),
  opportunity = sign (mid at end - decision mid) x unfilled, plus fees (rebates negative);
  in ticks x shares and in bps of the paper notional (decision mid x order quantity);
* tracking against the market over ``[start, end)``: TWAP = the time-weighted consolidated mid,
  VWAP = the volume-weighted price of every print (ours included), each as sign (avg - bench)
  / bench in bps;
* schedule tracking = the largest |executed - scheduled| cumulative quantity over the
  schedule samples; participation = filled / market volume over the horizon; fill rate =
  filled / ordered; per venue: quantity sent and filled, average price, fees; child latency =
  send -> acknowledgement percentiles.

A parent replaced while it runs (OrderCancelReplaceRequest: re-planned on what is left) has one
ParentRecord per plan on the tape: the first at its arrival, then one at each replace with what
the new plan works (its quantity, start, end, limit, the mid then). The parent's figures are the
whole parent's from its first arrival (quantity: the last plan's total, horizon to the last
plan's end); ``segments`` has each plan's own (``PlanSegment``): the fills from its record to the
next one's, its fill rate over what it planned, its arrival (the mid at its start) and the
slippage against it, and the schedule gap over its samples (the runner's schedule samples after
a replace are the new plan's target on top of what was filled before).
"""
from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field

import numpy as np

from .tape import AckRecord, ChildRecord, DoneRecord, ExecRecord, MarketRecord, ParentRecord, ScheduleRecord, Tape


@dataclass(frozen=True, slots=True)
class VenueBreakdown:
    venue: str
    sent: int
    filled: int
    avg_px: float
    fees: float
    fills: int
    rejects: int

    @property
    def fill_rate(self) -> float:
        return self.filled / self.sent if self.sent else 0.0


@dataclass(frozen=True, slots=True)
class PlanSegment:
    """One plan of a parent: from ``start_ns`` (its record) to ``end_ns`` (the next plan's record,
    or its own end), ``qty`` planned, ``filled`` in it."""
    start_ns: int
    end_ns: int
    qty: int
    filled: int
    avg_px: float
    arrival_mid: float
    slippage_bps: float
    schedule_gap: float

    @property
    def fill_rate(self) -> float:
        return self.filled / self.qty if self.qty else 0.0


@dataclass(frozen=True, slots=True)
class TcaResult:
    parent_id: str
    algo: str
    side: int
    qty: int
    filled: int
    avg_px: float
    decision_mid: float
    arrival_mid: float
    end_mid: float
    slippage_bps: float
    delay_cost: float
    impact_cost: float
    opportunity_cost: float
    fees: float
    rebates: float
    market_twap: float
    market_vwap: float
    market_volume: int
    schedule_gap: float
    children: int
    latency_p50_us: float
    latency_p99_us: float
    venues: tuple[VenueBreakdown, ...] = field(default=())
    segments: tuple[PlanSegment, ...] = field(default=())   # one per plan (more than one after a replace)

    @property
    def sign(self) -> int:
        return 1 if self.side == 1 else -1

    @property
    def fill_rate(self) -> float:
        return self.filled / self.qty

    @property
    def participation(self) -> float:
        return self.filled / self.market_volume if self.market_volume else 0.0

    @property
    def paper_notional(self) -> float:
        return self.decision_mid * self.qty

    def bps(self, cost: float) -> float:
        return cost / self.paper_notional * 1e4

    @property
    def shortfall(self) -> float:
        return self.delay_cost + self.impact_cost + self.opportunity_cost + self.fees

    @property
    def twap_tracking_bps(self) -> float:
        return _rel_bps(self.sign, self.avg_px, self.market_twap)

    @property
    def vwap_tracking_bps(self) -> float:
        return _rel_bps(self.sign, self.avg_px, self.market_vwap)

    @property
    def schedule_gap_frac(self) -> float:
        return self.schedule_gap / self.qty


def _rel_bps(sign: int, px: float, bench: float) -> float:
    if not px or not bench:
        return 0.0
    return sign * (px - bench) / bench * 1e4


def _mid_at(ts: list[int], mids: list[float], t: int) -> float:
    i = bisect.bisect_right(ts, t) - 1
    return mids[max(i, 0)] if mids else 0.0


def analyse(tape: Tape, parent_id: str) -> TcaResult:
    parents = [r for r in tape.of(ParentRecord) if r.parent_id == parent_id]
    if not parents:
        raise KeyError(f"no parent {parent_id!r} on the tape")
    p, last = parents[0], parents[-1]
    sign = 1 if p.side == 1 else -1
    market = tape.of(MarketRecord)
    quotes = [m for m in market if m.qty == 0]
    q_ts, q_mid = [m.ts_ns for m in quotes], [m.price for m in quotes]
    arrival = _mid_at(q_ts, q_mid, p.start_ns)
    execs = [e for e in tape.of(ExecRecord) if e.parent_id == parent_id]
    # the whole parent: its last plan's total (what was filled before it, plus what it works) to its end
    # (a fill stamped at the replace's own nanosecond was in before it: the desk took it off what
    # the new plan works, so it is the old plan's, here and in the segments below)
    qty = last.qty + sum(e.qty for e in execs if e.ts_ns <= last.ts_ns) if last is not p else p.qty
    end_ns = last.end_ns
    end_mid = _mid_at(q_ts, q_mid, end_ns)
    filled = sum(e.qty for e in execs)
    notional = sum(e.qty * e.price for e in execs)
    avg_px = notional / filled if filled else 0.0
    fees = sum(e.fee for e in execs)
    rebates = sum(e.fee for e in execs if e.fee < 0)
    slippage = _rel_bps(sign, avg_px, arrival) if filled else 0.0
    delay = sign * (arrival - p.decision_mid) * filled
    impact = sign * (notional - arrival * filled)
    opportunity = sign * (end_mid - p.decision_mid) * (qty - filled)
    # market benchmarks over the horizon
    trades = [m for m in market if m.qty > 0 and p.start_ns <= m.ts_ns < end_ns]
    mvol = sum(m.qty for m in trades)
    vwap = sum(m.qty * m.price for m in trades) / mvol if mvol else 0.0
    twap = _time_weighted(q_ts, q_mid, p.start_ns, end_ns)
    # schedule tracking
    sched = [s for s in tape.of(ScheduleRecord) if s.parent_id == parent_id]
    e_ts = [e.ts_ns for e in execs]
    e_cum = list(itertools.accumulate(e.qty for e in execs))

    def gap_over(samples) -> float:
        gap = 0.0
        for s in samples:
            i = bisect.bisect_right(e_ts, s.ts_ns)
            done = e_cum[i - 1] if i else 0
            gap = max(gap, float(abs(done - s.target)))
        return gap
    gap = gap_over(sched)
    segments = []
    for k, plan in enumerate(parents):
        a = plan.ts_ns if k else -1                     # the first plan: everything before the first replace
        b = parents[k + 1].ts_ns if k + 1 < len(parents) else None
        inside = lambda t: a <= t and (b is None or t < b)   # noqa: E731
        filled_in = lambda t: a < t and (b is None or t <= b)   # noqa: E731
        se = [e for e in execs if filled_in(e.ts_ns)]
        sq = sum(e.qty for e in se)
        spx = sum(e.qty * e.price for e in se) / sq if sq else 0.0
        s_arr = _mid_at(q_ts, q_mid, max(plan.start_ns, plan.ts_ns) if k else plan.start_ns)
        segments.append(PlanSegment(plan.ts_ns if k else plan.start_ns, b if b is not None else plan.end_ns,
                                    plan.qty, sq, spx, s_arr, _rel_bps(sign, spx, s_arr) if sq else 0.0,
                                    gap_over(s for s in sched if inside(s.ts_ns))))
    # children, latency, venues
    children = [c for c in tape.of(ChildRecord) if c.parent_id == parent_id]
    ids = {c.order_id: c for c in children}
    lat = [a.latency_ns for a in tape.of(AckRecord) if a.order_id in ids]
    p50, p99 = (float(np.percentile(lat, 50)) / 1e3, float(np.percentile(lat, 99)) / 1e3) if lat else (0.0, 0.0)
    rejects: dict[str, int] = {}
    for d in tape.of(DoneRecord):
        if d.rejected and d.order_id in ids:
            rejects[d.venue] = rejects.get(d.venue, 0) + 1
    venues = []
    for v in sorted({c.venue for c in children}):
        ve = [e for e in execs if e.venue == v]
        vq = sum(e.qty for e in ve)
        venues.append(VenueBreakdown(v, sum(c.qty for c in children if c.venue == v), vq,
                                     sum(e.qty * e.price for e in ve) / vq if vq else 0.0,
                                     sum(e.fee for e in ve), len(ve), rejects.get(v, 0)))
    return TcaResult(parent_id, p.algo, p.side, qty, filled, avg_px, p.decision_mid, arrival, end_mid, slippage,
                     delay, impact, opportunity, fees, rebates, twap, vwap, mvol, gap,
                     len({c.child_id for c in children}), p50, p99, tuple(venues), tuple(segments))


def _time_weighted(ts: list[int], vals: list[float], a: int, b: int) -> float:
    """Time-weighted average over [a, b) of a step function (value held until the next sample)."""
    if not ts or b <= a:
        return 0.0
    i = max(bisect.bisect_right(ts, a) - 1, 0)
    total, t, v = 0.0, a, vals[i]
    for j in range(i + 1, len(ts)):
        if ts[j] >= b:
            break
        if ts[j] > t:
            total += v * (ts[j] - t)
            t = ts[j]
        v = vals[j]
    total += v * (b - t)
    return total / (b - a)
