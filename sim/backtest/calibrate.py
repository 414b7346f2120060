"""Impact-model observations from backtests: what ``analytics.impact.fit`` is calibrated on.

One observation is one parent order run through an algorithm on a day: its cost against the
arrival mid net of the day's own move (the same day and seed with a 100-share order,
``counterfactual.py``), fees included, in bps of the arrival notional, beside the features the
model predicts it from, all known before trading: the order's size, the horizon's expected
volume from the day's historical profile (the volume IS plans with, ``run.is_params``), the
day's calibrated half-spread and volatility over the horizon. The same inputs go into IS's
Almgren-Chriss parameters, so the model's prediction and IS's expected cost describe one order.

``observations`` runs every participation of one day and seed (module-level: the bench ships it
to a LocalCluster worker, one task a day, the counterfactual built once in it).
"""
from __future__ import annotations

import math

from wirespeed.control.analytics.impact import ImpactObservation

from .counterfactual import mid_path, net_cost
from .days import make_day
from .run import BacktestSpec, horizon, run_backtest

#: the executions IS's impact model is fit on: IS's own, at the bench order's participation and
#: above. There IS trades the way it trades that order (each trade of its trajectory posted at the
#: touch, crossed when behind: it earns ~0.2 bps of spread net). Below ~4 % the trajectory's trade
#: per interval is smaller than the smallest child (100 shares), the catch-up crosses nearly all
#: of it (the spread paid is the whole half-spread at 1-2 %) and its cost is a crossing
#: executor's, not square-root shaped together with the passive sizes (docs/control/impact.md).
FIT_ALGO = "is"
FIT_PCTS = (0.05, 0.1, 0.15, 0.2)


def observations(day: str, seed: int, start_s: float, minutes: float, pcts=FIT_PCTS,
                 algo: str = FIT_ALGO) -> list[tuple[int, float, ImpactObservation]]:
    """(seed, participation, observation) for ``algo`` at each of ``pcts`` on ``day``/``seed``."""
    path = mid_path(day, seed, start_s, minutes)
    out = []
    for pct in pcts:
        d = make_day(day, seed)
        cal = d.calibration()
        start, end = horizon(BacktestSpec(start_s=start_s, minutes=minutes), d)
        volume = d.volume_profile().between(start, end)
        res = run_backtest(BacktestSpec(algo=algo, start_s=start_s, minutes=minutes, seed=seed, pct_volume=pct), d)
        t = res.tca
        if not t.filled:
            continue
        cost_bps = net_cost(res, path) / (t.arrival_mid * t.filled) * 1e4
        sigma_bps = cal.sigma_ticks_per_sqrt_s * math.sqrt(minutes * 60) / cal.mid_ticks * 1e4
        half_bps = cal.half_spread_ticks / cal.mid_ticks * 1e4
        out.append((seed, pct, ImpactObservation(t.filled, volume, half_bps, sigma_bps, cost_bps)))
    return out
