import math
import random

import pytest

from wirespeed.control.analytics import impact
from wirespeed.control.analytics.microstructure import (RollingVolatility, VolumeRate, depth, imbalance,
                                                        realised_volatility, spread, spread_bps)
from wirespeed.control.algorithms import almgren_chriss as ac
from wirespeed.control.marketdata import MarketState, Quote, TradePrint

NS = 1_000_000_000


def test_book_measures_hand_checked():
    assert spread(100, 103) == 3
    assert spread_bps(9_999, 10_001) == pytest.approx(2.0)
    assert depth([(100, 5), (99, 7), (98, 11)], 2) == 12
    assert imbalance(300, 100) == pytest.approx(0.5) and imbalance(0, 0) == 0.0


def test_realised_volatility_recovers_a_known_sigma():
    rng = random.Random(1)
    sigma, dt = 0.001, 1.0
    p, ts, px = 100.0, [], []
    for i in range(20_000):
        ts.append(int(i * dt * NS))
        px.append(p)
        p *= math.exp(rng.gauss(0, sigma * math.sqrt(dt)))
    assert realised_volatility(ts, px) == pytest.approx(sigma, rel=0.03)
    rv = RollingVolatility(window=5_000)
    for t, x in zip(ts, px):
        rv.add(t, x)
    assert rv.value() == pytest.approx(sigma, rel=0.06)
    assert len(rv._sq) == 5_000            # bounded


def test_volume_rate_over_window():
    vr = VolumeRate(window_s=10)
    for s in range(100):
        vr.add(s * NS, 50)
    assert vr.value() == pytest.approx(11 * 50 / 10)


def test_market_state_consolidates_venues():
    m = MarketState("XYZ")
    m.update(Quote("A", "XYZ", 1, ((100, 5),), ((103, 4),)))
    m.update(Quote("B", "XYZ", 2, ((101, 3),), ((104, 9),)))
    assert (m.best_bid(), m.best_ask(), m.spread(), m.mid()) == (101, 103, 2, 102.0)
    assert m.imbalance() == pytest.approx((8 - 13) / 21)
    m.update(TradePrint("A", "XYZ", 3, 102, 70))
    assert m.volume == 70 and m.last_price == 102


def _simulated(a, b, n, seed, noise_bps=0.3):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        q = rng.uniform(1e3, 5e4)
        v = rng.uniform(2e5, 2e6)
        hs = rng.uniform(0.5, 5.0)
        sig = rng.uniform(10, 80)
        cost = a * hs + b * sig * math.sqrt(q / v) + rng.gauss(0, noise_bps)
        out.append(impact.ImpactObservation(q, v, hs, sig, cost))
    return out


def test_fit_recovers_known_parameters_and_reports_held_out_error():
    train, test = _simulated(0.8, 0.7, 400, seed=1), _simulated(0.8, 0.7, 200, seed=2)
    m = impact.fit(train)
    assert m.spread_coef == pytest.approx(0.8, abs=0.03)
    assert m.impact_coef == pytest.approx(0.7, abs=0.03)
    err = impact.prediction_error(m, test)
    assert 0 < err < 0.25
    assert impact.prediction_error(impact.ImpactModel(0.0, 0.0), test) == pytest.approx(1.0)


def test_fit_keeps_coefficients_non_negative():
    # costs that fall with the spread: the unconstrained fit would say a < 0; the constrained
    # one keeps a at zero and fits b alone (what AC's epsilon and eta must be)
    obs = [o for o in _simulated(0.0, 0.7, 200, seed=3)]
    obs = [impact.ImpactObservation(o.qty, o.market_volume, o.half_spread_bps, o.sigma_bps,
                                    o.cost_bps - 0.3 * o.half_spread_bps) for o in obs]
    m = impact.fit(obs)
    assert m.spread_coef == 0.0 and m.impact_coef > 0
    x = [o.sigma_bps * math.sqrt(o.participation) for o in obs]
    assert m.impact_coef == pytest.approx(sum(a * o.cost_bps for a, o in zip(x, obs)) / sum(a * a for a in x))


def test_fit_refuses_degenerate_data():
    o = impact.ImpactObservation(1e3, 1e5, 1.0, 10.0, 2.0)
    with pytest.raises(ValueError, match="at least 2 observations"):
        impact.fit([o])
    with pytest.raises(ValueError, match="do not vary"):
        impact.fit([o, o, o])


def test_ac_params_reproduce_the_square_root_cost_of_an_even_schedule():
    m = impact.ImpactModel(1.0, 0.6)
    Q, T, V, sig = 20_000.0, 3600.0, 400_000.0, 0.3
    p = m.ac_params(Q, T, V, mid_ticks=10_000, half_spread_ticks=1.0, sigma_ticks_per_sqrt_s=sig, lam=0.0)
    # even trading (lam = 0): temporary cost eta Q^2 / T == b sigma_T sqrt(Q/V) Q, plus epsilon Q
    lin = ac.expected_cost(Q, T, 1, p)
    assert lin == pytest.approx(p.epsilon * Q + 0.6 * sig * math.sqrt(T) * math.sqrt(Q / V) * Q, rel=1e-9)
