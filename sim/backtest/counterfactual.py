"""The same day without the order: the price path a backtest's order did not move.

A synthetic day draws its randomness from one stream per participant (sim/market), so the day
run with a 100-share order is the day the order met, minus what the order did to it. Costs
against that path are net of the market's own move over the horizon, which over 30 minutes
(~33 bps of volatility on the default day) dwarfs what an algorithm controls.
"""
from __future__ import annotations

import bisect
from typing import Callable

from wirespeed.control.tca.tape import ExecRecord, MarketRecord

_CACHE: dict[tuple, tuple[list[int], list[float]]] = {}


def mid_path_of(tape) -> Callable[[int], float]:
    """The consolidated mid at any time from a tape's quote records."""
    q = [m for m in tape.of(MarketRecord) if m.qty == 0]
    ts, mids = [m.ts_ns for m in q], [m.price for m in q]
    return lambda t: mids[max(0, bisect.bisect_right(ts, t) - 1)]


def mid_path(day: str, seed: int, start_s: float, minutes: float) -> Callable[[int], float]:
    """The mid path of ``day``/``seed`` with a 100-share order over the horizon (cached per
    process: every algorithm of a sweep on that day shares it)."""
    key = (day, seed, start_s, minutes)
    if key not in _CACHE:
        from .days import make_day
        from .run import BacktestSpec, run_backtest
        r = run_backtest(BacktestSpec(algo="naive-twap", qty=100, start_s=start_s, minutes=minutes, seed=seed),
                         make_day(day, seed))
        q = [m for m in r.tape.of(MarketRecord) if m.qty == 0]
        _CACHE[key] = ([m.ts_ns for m in q], [m.price for m in q])
        if len(_CACHE) > 64:                         # a worker's sweep of many days stays bounded
            del _CACHE[next(iter(_CACHE))]
    ts, mids = _CACHE[key]
    return lambda t: mids[max(0, bisect.bisect_right(ts, t) - 1)]


def net_move(res, path) -> float:
    """sign x sum q (path(t) - path(start)) over the fills: the market's own move the order
    would have paid without trading at all (ticks x shares)."""
    t, p = res.tca, res.algo.parent
    base = path(p.start_ns)
    return t.sign * sum(e.qty * (path(e.ts_ns) - base) for e in res.tape.of(ExecRecord))


def net_cost(res, path) -> float:
    """Cost (ticks x shares) against arrival net of the market's own move, fees included; the
    order's permanent impact stays in it."""
    t = res.tca
    paid = t.sign * sum(e.qty * (e.price - t.arrival_mid) for e in res.tape.of(ExecRecord))
    return paid - net_move(res, path) + t.fees


def net_slippage_bps(res, path) -> float:
    """Arrival slippage (bps, no fees, as ``TcaResult.slippage_bps``) net of the market's move."""
    t = res.tca
    if not t.filled:
        return 0.0
    return t.slippage_bps - net_move(res, path) / (t.arrival_mid * t.filled) * 1e4


def cost_split(res, path) -> tuple[float, float]:
    """Net arrival slippage (bps, no fees) split in two: the **spread** paid at each fill (sign x
    (fill - the order's own mid just before it)) and the order's **footprint** on the mid (sign x
    (own mid then - arrival mid - the day's own move without the order)). Crossing pays the first;
    a passive order earns it and pays in the second (it fills when the market comes to it). The
    two add up to ``net_slippage_bps``."""
    t, p = res.tca, res.algo.parent
    if not t.filled:
        return 0.0, 0.0
    own = mid_path_of(res.tape)
    base = path(p.start_ns)
    spread = foot = 0.0
    for e in res.tape.of(ExecRecord):
        m = own(e.ts_ns - 1)
        spread += t.sign * e.qty * (e.price - m)
        foot += t.sign * e.qty * ((m - t.arrival_mid) - (path(e.ts_ns) - base))
    k = 1e4 / (t.arrival_mid * t.filled)
    return spread * k, foot * k
