"""Implementation shortfall: follow the Almgren-Chriss optimal trajectory, re-optimised on the
remaining quantity and time when the market's volatility moves away from the one planned with.

Parameters come from the config, or from the market: ``sigma`` from the rolling realised
volatility (times the mid, in ticks per sqrt(s)) and ``epsilon`` from half the spread; ``eta``
and ``gamma`` from the calibrated impact model (``analytics/impact.ImpactModel.ac_params``).
The trajectory's interval is ``decision_s``; the target at ``now`` is what the trajectory has
sold by the last interval boundary.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, replace

from ..marketdata import MarketState
from ..model import ParentOrder, Urgency
from . import almgren_chriss as ac
from .base import NS, AlgoConfig, ScheduledAlgorithm, check


@dataclass(frozen=True, slots=True)
class IsConfig(AlgoConfig):
    # Each interval's trade of the trajectory is posted at the touch and crossed only when behind
    # (the TWAP/VWAP rules: 2 s before the next trade comes due, what is unfilled beyond 1 % of
    # the order crosses). Crossing every trade paid the half-spread on all of it, which made IS
    # dearer than an even-slice market-order TWAP (the trajectory's front-loading saves nothing
    # net of the market's own move). Its expected cost is the impact model's fitted on IS's own
    # executions at the sizes where it trades this way (sim/backtest/calibrate.py: 5-20 % of the
    # volume; below ~4 % its trades are under the smallest child and it crosses nearly all), on
    # days other than the ones it is measured on (docs/control/impact.md).
    urgency: Urgency = Urgency.PASSIVE
    catch_up: float = 0.01
    slice_lead_s: float = 2.0
    params: ac.AcParams | None = None
    reoptimise_vol_change: float = 0.5      # |sigma_now / sigma_plan - 1| beyond this re-plans
    min_vol_samples_s: float = 300.0        # trust the market's volatility after this long

    def __post_init__(self) -> None:
        AlgoConfig.__post_init__(self)
        check(self.params is not None, "implementation shortfall needs Almgren-Chriss parameters")
        check(self.reoptimise_vol_change > 0,
              f"reoptimise_vol_change must be positive, not {self.reoptimise_vol_change!r}")


class ImplementationShortfall(ScheduledAlgorithm):
    name = "is"

    def __init__(self, parent: ParentOrder, config: IsConfig, market: MarketState):
        super().__init__(parent, config, market)
        self.params = config.params
        self.replans: list[tuple[int, str]] = []
        self._plan(parent.start_ns, parent.qty, "start")
        # Expected cost and variance of the plan made at start (what TCA compares against).
        T = (self.schedule_end_ns() - parent.start_ns) / NS
        self.expected_cost = ac.expected_cost(parent.qty, T, self.n, self.params)
        self.expected_variance = ac.variance(parent.qty, T, self.n, self.params)

    def _plan(self, now_ns: int, qty: int, why: str) -> None:
        end = self.schedule_end_ns()
        T = max((end - now_ns) / NS, self.config.decision_s)
        self.n = max(1, round(T / self.config.decision_s))
        self.plan_start, self.plan_done = now_ns, self.filled
        x = ac.holdings(float(qty), T, self.n, self.params)
        tau_ns = (end - now_ns) / self.n
        self.times = [int(now_ns + j * tau_ns) for j in range(self.n + 1)]
        self.sold = [qty - v for v in x]
        self.plan_sigma = self.params.sigma
        self.replans.append((now_ns, why))

    def target(self, now_ns: int) -> float:
        self._maybe_replan(now_ns)
        k = bisect.bisect_right(self.times, now_ns)
        # Trade n_j is due at the start of interval j: target the holdings at its end.
        k = min(k, len(self.sold) - 1)
        return self.plan_done + self.sold[k]

    def _maybe_replan(self, now_ns: int) -> None:
        if now_ns - self.parent.start_ns < self.config.min_vol_samples_s * NS or self.remaining <= 0:
            return
        mid = self.market.mid()
        vol = self.market.volatility.value()
        if not mid or vol <= 0 or self.plan_sigma <= 0:
            return
        sigma_now = vol * mid
        change = sigma_now / self.plan_sigma - 1
        if abs(change) > self.config.reoptimise_vol_change and now_ns < self.schedule_end_ns():
            self.params = replace(self.params, sigma=sigma_now)
            self._plan(now_ns, self.remaining, f"volatility {self.plan_sigma:.4g} -> {sigma_now:.4g} ticks/sqrt(s)")
