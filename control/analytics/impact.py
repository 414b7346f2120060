"""A square-root market-impact model with spread and volatility terms, fit by least squares.

For an order of ``Q`` shares executed over a horizon in which the market trades ``V``, with
half-spread ``s/2`` (bps) and volatility over the horizon ``sigma_T`` (bps), the expected
cost against the arrival mid is

    cost_bps = a * s/2 + b * sigma_T * sqrt(Q / V)

(the square-root law: cost grows with the square root of participation, scaled by volatility;
the spread term is what crossing costs). ``a`` and ``b`` are linear, so ``fit`` solves them by
least squares (numpy ``lstsq``), constrained to be non-negative, on observed executions; ``prediction_error`` reports
the median absolute relative error on held-out observations. ``ac_params`` turns the model
into Almgren-Chriss parameters for IS (linearised at the planned participation) and
``predict`` gives the router and the TCA an expected cost.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..algorithms.almgren_chriss import AcParams


@dataclass(frozen=True, slots=True)
class ImpactObservation:
    qty: float                 # shares executed
    market_volume: float       # shares the market traded over the horizon
    half_spread_bps: float
    sigma_bps: float           # volatility over the horizon, bps
    cost_bps: float            # realised cost against the arrival mid (positive = paid)

    @property
    def participation(self) -> float:
        return self.qty / self.market_volume if self.market_volume > 0 else 0.0


@dataclass(frozen=True, slots=True)
class ImpactModel:
    spread_coef: float = 1.0      # a
    impact_coef: float = 0.5      # b (Y of the square-root law)

    def predict(self, qty: float, market_volume: float, half_spread_bps: float, sigma_bps: float) -> float:
        p = qty / market_volume if market_volume > 0 else 1.0
        return self.spread_coef * half_spread_bps + self.impact_coef * sigma_bps * math.sqrt(max(p, 0.0))

    def predict_obs(self, o: ImpactObservation) -> float:
        return self.predict(o.qty, o.market_volume, o.half_spread_bps, o.sigma_bps)

    def ac_params(self, qty: float, horizon_s: float, market_volume: float, mid_ticks: float,
                  half_spread_ticks: float, sigma_ticks_per_sqrt_s: float, lam: float,
                  gamma: float = 0.0) -> AcParams:
        """Almgren-Chriss parameters (ticks, shares, seconds) matching this model's cost of
        trading ``qty`` evenly over ``horizon_s``: the square-root term's total cost
        ``b sigma_T sqrt(Q/V) Q`` equals the linear model's ``eta Q^2 / T``."""
        sigma_T = sigma_ticks_per_sqrt_s * math.sqrt(horizon_s)
        p = qty / market_volume if market_volume > 0 else 1.0
        eta = self.impact_coef * sigma_T * math.sqrt(max(p, 1e-12)) * horizon_s / qty
        eta = max(eta, gamma * horizon_s + 1e-12)
        return AcParams(sigma=sigma_ticks_per_sqrt_s, eta=eta, gamma=gamma,
                        epsilon=self.spread_coef * half_spread_ticks, lam=lam)


def _design(obs: Sequence[ImpactObservation]) -> tuple[np.ndarray, np.ndarray]:
    X = np.array([[o.half_spread_bps, o.sigma_bps * math.sqrt(o.participation)] for o in obs], dtype=float)
    y = np.array([o.cost_bps for o in obs], dtype=float)
    return X, y


def fit(obs: Sequence[ImpactObservation]) -> ImpactModel:
    """Least-squares ``a`` and ``b``; needs at least two observations with distinct features."""
    if len(obs) < 2:
        raise ValueError(f"impact fit needs at least 2 observations, not {len(obs)}")
    X, y = _design(obs)
    if np.linalg.matrix_rank(X) < 2:
        raise ValueError("impact fit: the observations do not vary in spread and participation")
    (a, b), *_ = np.linalg.lstsq(X, y, rcond=None)
    if a < 0 or b < 0:
        # Costs do not fall with the spread or the participation: a negative coefficient is the
        # other term over-explaining (on days of one spread the spread column is an intercept).
        # Keep the better of the two one-term fits, the other coefficient at zero (the
        # non-negative least-squares solution of two columns).
        fits = []
        for j in (0, 1):
            x = X[:, j]
            c = max(0.0, float(x @ y) / float(x @ x)) if float(x @ x) > 0 else 0.0
            fits.append((float(np.sum((y - c * x) ** 2)), j, c))
        _, j, c = min(fits)
        a, b = (c, 0.0) if j == 0 else (0.0, c)
    return ImpactModel(float(a), float(b))


def prediction_error(model: ImpactModel, held_out: Sequence[ImpactObservation]) -> float:
    """Median absolute relative error |predicted - realised| / |realised| on held-out data."""
    errs = [abs(model.predict_obs(o) - o.cost_bps) / abs(o.cost_bps) for o in held_out if o.cost_bps != 0]
    if not errs:
        raise ValueError("no held-out observation with a non-zero cost")
    return float(np.median(errs))
