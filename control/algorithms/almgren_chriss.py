"""Almgren & Chriss (2000), "Optimal execution of portfolio transactions": the discrete-time
optimal trajectory and its expected cost and variance.

Model (the paper's section 3): sell ``X`` shares over ``T`` in ``N`` intervals of ``tau = T/N``;
holdings ``x_k`` at ``t_k = k tau``, trades ``n_k = x_{k-1} - x_k``. Permanent impact
``g(v) = gamma v``, temporary impact ``h(n/tau) = epsilon sgn(n) + (eta/tau) n``, volatility
``sigma`` (price units per sqrt(time unit)), risk aversion ``lam``. With
``eta_tilde = eta - gamma tau / 2`` the optimal holdings are

    x_j = X sinh(kappa (T - t_j)) / sinh(kappa T),   2 (cosh(kappa tau) - 1) / tau^2 = lam sigma^2 / eta_tilde

and for that trajectory (the paper's eqs. for E and V)

    E = gamma X^2 / 2 + epsilon X + eta_tilde X^2 tanh(kappa tau / 2) (tau sinh(2 kappa T) + 2 T sinh(kappa tau))
        / (2 tau^2 sinh^2(kappa T))
    V = sigma^2 X^2 / 2 * (tau sinh(kappa T) cosh(kappa (T - tau)) - T sinh(kappa tau)) / (sinh^2(kappa T) sinh(kappa tau))

For any trajectory, E = gamma X^2/2 + epsilon sum|n_k| + (eta_tilde/tau) sum n_k^2 and
V = sigma^2 tau sum_{k=1..N} x_k^2. With ``lam = 0`` (kappa -> 0) the trajectory is linear (TWAP).
Units here: prices in ticks, quantities in shares, time in seconds; costs in ticks x shares.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..model import ExecutionRefused


@dataclass(frozen=True, slots=True)
class AcParams:
    sigma: float       # ticks / sqrt(s)
    eta: float         # temporary impact: ticks per (share / s)
    gamma: float       # permanent impact: ticks per share
    epsilon: float     # fixed cost per share: half the spread, ticks
    lam: float         # risk aversion, 1 / (ticks x shares)

    def __post_init__(self) -> None:
        for name in ("sigma", "eta", "gamma", "epsilon", "lam"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ExecutionRefused(f"Almgren-Chriss {name} must be a finite non-negative number, not {v!r}")
        if self.eta <= 0:
            raise ExecutionRefused(f"Almgren-Chriss eta must be positive, not {self.eta!r}")

    def eta_tilde(self, tau: float) -> float:
        et = self.eta - self.gamma * tau / 2
        if et <= 0:
            raise ExecutionRefused(
                f"Almgren-Chriss eta_tilde = eta - gamma tau / 2 = {et:.6g} is not positive: shorten the interval")
        return et


def kappa(p: AcParams, tau: float) -> float:
    """kappa solving 2 (cosh(kappa tau) - 1) / tau^2 = lam sigma^2 / eta_tilde."""
    k2 = p.lam * p.sigma ** 2 / p.eta_tilde(tau)
    return math.acosh(1.0 + k2 * tau * tau / 2.0) / tau


def holdings(X: float, T: float, N: int, p: AcParams) -> list[float]:
    """x_0 .. x_N of the optimal trajectory (x_0 = X, x_N = 0)."""
    tau = T / N
    k = kappa(p, tau)
    if k * T < 1e-9:
        return [X * (1 - j / N) for j in range(N + 1)]
    s = math.sinh(k * T)
    return [X * math.sinh(k * (T - j * tau)) / s for j in range(N + 1)]


def trades(x: list[float]) -> list[float]:
    return [x[i - 1] - x[i] for i in range(1, len(x))]


def expected_cost(X: float, T: float, N: int, p: AcParams) -> float:
    """E of the optimal trajectory, closed form."""
    tau = T / N
    et = p.eta_tilde(tau)
    k = kappa(p, tau)
    if k * T < 1e-9:
        return 0.5 * p.gamma * X * X + p.epsilon * X + et * X * X / T
    return (0.5 * p.gamma * X * X + p.epsilon * X
            + et * X * X * math.tanh(0.5 * k * tau) * (tau * math.sinh(2 * k * T) + 2 * T * math.sinh(k * tau))
            / (2 * tau * tau * math.sinh(k * T) ** 2))


def variance(X: float, T: float, N: int, p: AcParams) -> float:
    """V of the optimal trajectory, closed form."""
    tau = T / N
    k = kappa(p, tau)
    if k * T < 1e-9:
        return p.sigma ** 2 * tau * sum((X * (1 - j / N)) ** 2 for j in range(1, N + 1))
    return (0.5 * p.sigma ** 2 * X * X
            * (tau * math.sinh(k * T) * math.cosh(k * (T - tau)) - T * math.sinh(k * tau))
            / (math.sinh(k * T) ** 2 * math.sinh(k * tau)))


def cost_of(x: list[float], T: float, p: AcParams) -> float:
    """E of any trajectory x_0..x_N (sum form)."""
    N = len(x) - 1
    tau = T / N
    n = trades(x)
    return 0.5 * p.gamma * x[0] ** 2 + p.epsilon * sum(abs(v) for v in n) + p.eta_tilde(tau) / tau * sum(v * v for v in n)


def variance_of(x: list[float], T: float, p: AcParams) -> float:
    N = len(x) - 1
    tau = T / N
    return p.sigma ** 2 * tau * sum(v * v for v in x[1:])
