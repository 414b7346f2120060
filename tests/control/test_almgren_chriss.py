import math

import pytest

from wirespeed.control.algorithms import almgren_chriss as ac
from wirespeed.control.algorithms.implementation_shortfall import ImplementationShortfall, IsConfig
from wirespeed.control.marketdata import MarketState
from wirespeed.control.model import ExecutionRefused

from .drive import NS, T0, parent

# The paper's worked example (section 3.4 / table 1): 1e6 shares, 5 days, daily vol 0.95,
# eta = 2.5e-6, gamma = 2.5e-7, epsilon = 0.0625, lambda = 1e-6, tau = 1 day ... here with N = 5.
P = ac.AcParams(sigma=0.95, eta=2.5e-6, gamma=2.5e-7, epsilon=0.0625, lam=1e-6)
X, T, N = 1e6, 5.0, 5


def test_kappa_solves_its_equation():
    tau = T / N
    k = ac.kappa(P, tau)
    lhs = 2 * (math.cosh(k * tau) - 1) / tau ** 2
    assert lhs == pytest.approx(P.lam * P.sigma ** 2 / (P.eta - P.gamma * tau / 2), rel=1e-12)


def test_trajectory_equals_closed_form_and_conserves():
    x = ac.holdings(X, T, N, P)
    k = ac.kappa(P, T / N)
    for j, xj in enumerate(x):
        assert abs(xj - X * math.sinh(k * (T - j * T / N)) / math.sinh(k * T)) <= 1e-9 * X
    assert x[0] == pytest.approx(X, abs=1e-9) and abs(x[-1]) < 1e-9
    n = ac.trades(x)
    assert sum(n) == pytest.approx(X, rel=1e-12)
    assert all(a > b for a, b in zip(n, n[1:])), "a risk-averse seller front-loads"


@pytest.mark.parametrize("lam", [1e-6, 1e-7, 2e-6])
def test_expected_cost_and_variance_closed_forms_equal_the_sums(lam):
    p = ac.AcParams(P.sigma, P.eta, P.gamma, P.epsilon, lam)
    for n in (5, 20, 100):
        x = ac.holdings(X, T, n, p)
        assert ac.expected_cost(X, T, n, p) == pytest.approx(ac.cost_of(x, T, p), rel=1e-9)
        assert ac.variance(X, T, n, p) == pytest.approx(ac.variance_of(x, T, p), rel=1e-9)


def test_optimal_trajectory_minimises_the_objective_against_perturbations():
    x = ac.holdings(X, T, N, P)
    best = ac.cost_of(x, T, P) + P.lam * ac.variance_of(x, T, P)
    for j in range(1, N):
        for d in (-1000.0, 1000.0):
            y = list(x)
            y[j] += d
            assert ac.cost_of(y, T, P) + P.lam * ac.variance_of(y, T, P) > best


def test_zero_risk_aversion_is_linear():
    p = ac.AcParams(P.sigma, P.eta, P.gamma, P.epsilon, 0.0)
    x = ac.holdings(X, T, N, p)
    assert x == pytest.approx([X * (1 - j / N) for j in range(N + 1)], abs=1e-9)
    assert ac.expected_cost(X, T, N, p) == pytest.approx(ac.cost_of(x, T, p), rel=1e-12)


def test_non_positive_eta_tilde_refused():
    with pytest.raises(ExecutionRefused, match="eta_tilde"):
        ac.kappa(ac.AcParams(1.0, 1e-7, 1e-6, 0, 1e-6), tau=1.0)


def test_is_algorithm_targets_follow_the_trajectory_and_replan_on_volatility():
    p = ac.AcParams(sigma=2.0, eta=0.05, gamma=0.0005, epsilon=1.0, lam=1e-5)
    cfg = IsConfig(params=p, decision_s=60, finish_s=0, min_vol_samples_s=0, reoptimise_vol_change=0.5)
    algo = ImplementationShortfall(parent(qty=10_000, minutes=10), cfg, MarketState("XYZ"))
    x = ac.holdings(10_000.0, 600.0, 10, p)
    for j in range(10):
        # trade n_{j+1} is due at the start of interval j: the target is the holdings at its end
        assert algo.target(T0 + j * 60 * NS) == pytest.approx(10_000 - x[j + 1], abs=1e-6)
    assert algo.expected_cost == pytest.approx(ac.expected_cost(10_000, 600.0, 10, p))
    # a market whose mid jumps around far more than planned makes it re-plan the rest
    from wirespeed.control.marketdata import Quote
    for i in range(50):
        mid = 10_000 + (25 if i % 2 else -25)
        algo.market.update(Quote("V", "XYZ", T0 + i * NS, ((mid - 1, 10),), ((mid + 1, 10),)))
    algo.target(T0 + 120 * NS)
    assert len(algo.replans) == 2 and algo.replans[1][1].startswith("volatility")
