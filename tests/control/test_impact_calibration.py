"""The impact model IS plans with is calibrated on backtests (sim/backtest/calibrate.py), and its
prediction is IS's Almgren-Chriss expected cost for the same order: one description of one
executor, fit on days the bench does not report on."""
import math

import pytest

from wirespeed.control.algorithms import almgren_chriss as ac
from wirespeed.control.analytics.impact import ImpactModel
from wirespeed.sim.backtest import bench, sweep_bench
from wirespeed.sim.backtest.calibrate import observations
from wirespeed.sim.backtest.days import make_day
from wirespeed.control.algorithms.implementation_shortfall import ImplementationShortfall
from wirespeed.control.marketdata import MarketState
from wirespeed.control.model import ParentOrder
from wirespeed.enums import Side
from wirespeed.sim.backtest.run import BacktestSpec, algo_config, horizon
from wirespeed.sim.backtest.sweep import SweepSpec, run_task, tasks

START, MINUTES = 60.0, 2.0


def test_observations_are_the_sweeps_net_cost_with_the_features_is_plans_with():
    obs = observations("synthetic", 1, START, MINUTES, pcts=(0.05, 0.2))
    assert [(s, p) for s, p, _ in obs] == [(1, 0.05), (1, 0.2)]
    small, large = obs[0][2], obs[1][2]
    assert large.qty > 3 * small.qty
    day = make_day("synthetic", 1)
    start, end = horizon(BacktestSpec(start_s=START, minutes=MINUTES), day)
    assert small.market_volume == large.market_volume == pytest.approx(day.volume_profile().between(start, end))
    cal = day.calibration()
    assert small.sigma_bps == pytest.approx(cal.sigma_ticks_per_sqrt_s * math.sqrt(MINUTES * 60) / cal.mid_ticks * 1e4)
    # the cost is the sweep row's net cost (fees in, the day's own move out) in bps of the arrival
    # notional: the bench's realised IS cost and the fit's observations are one measure
    row = run_task(dict(day="synthetic", algo="is", seed=1, params={}, start=START / 60, minutes=MINUTES,
                        pct_volume=0.2, side="buy", net=True))
    assert row["filled"] == large.qty
    arrival = (row["net_cost"] - row["fees"]) / (row["net_bps"] * row["filled"]) * 1e4
    assert large.cost_bps == pytest.approx(row["net_cost"] / (arrival * row["filled"]) * 1e4, rel=1e-9)


@pytest.mark.parametrize("kappa_T", [0.0, 1.0, 3.0])
def test_is_expected_cost_of_its_own_plan_is_the_models_prediction(kappa_T):
    # whatever the urgency, AC's expected cost of the plan IS makes (over the horizon less
    # finish_s, in its own intervals) is the impact model's prediction for the order, spread term
    # and square-root term, in ticks x shares; the urgency shapes the trajectory, not the cost
    model = ImpactModel(0.4, 0.17)
    day = make_day("synthetic", 2)
    spec = BacktestSpec(algo="is", start_s=600.0, minutes=30.0, seed=2, kappa_T=kappa_T,
                        impact=(model.spread_coef, model.impact_coef))
    start, end = horizon(spec, day)
    market = MarketState(day.symbol)
    algo = ImplementationShortfall(ParentOrder("P", day.symbol, Side.BUY, 6100, start, end, None), algo_config(spec, day, 6100), market)
    cal = day.calibration()
    sigma_bps = cal.sigma_ticks_per_sqrt_s * math.sqrt((end - start) / 1e9) / cal.mid_ticks * 1e4
    bps = model.predict(6100, day.volume_profile().between(start, end), cal.half_spread_ticks / cal.mid_ticks * 1e4,
                        sigma_bps)
    assert algo.expected_cost == pytest.approx(bps * 6100 * cal.mid_ticks / 1e4, rel=1e-9)
    # and its trajectory is the urgency's: kappa x T from kappa_T, whatever the model's scale
    tau = (algo.times[1] - algo.times[0]) / 1e9
    assert ac.kappa(algo.params, tau) * (end - start) / 1e9 == pytest.approx(kappa_T, rel=0.02, abs=1e-9)


def test_the_fit_days_are_not_the_bench_days():
    seeds = tuple(range(1, 21))
    train = bench.train_seeds(seeds)
    assert train == tuple(range(21, 41)) and not set(train) & set(seeds)


def test_is_cost_report_mean_of_the_days_ratios():
    rows = [dict(net_cost=90.0, expected_cost=100.0, realised_cost=50.0),
            dict(net_cost=120.0, expected_cost=100.0, realised_cost=250.0)]
    text = bench.is_cost_report(rows, (1, 2))
    assert "mean 1.05 (standard error 0.15; ratio of the means 1.05)" in text
    assert "1.50 against the arrival price alone" in text


class _SerialClient:
    """What ``run_on`` needs of a Dask client, in this process; ``spoil`` changes a result."""

    def __init__(self, spoil=False):
        self.spoil = spoil

    def map(self, fn, args, pure=False):
        out = [fn(a) for a in args]
        if self.spoil:
            out[0][0] = dict(out[0][0], filled=out[0][0]["filled"] + 1)
        return out

    def gather(self, futures):
        return futures


def test_sweep_bench_times_the_same_backtests_both_ways_and_refuses_different_numbers():
    spec = SweepSpec(algorithms=("naive-twap",), seeds=(1, 2), days=("stylised",), start=1.0, minutes=1.0)
    r = sweep_bench.timed_pair(spec, _SerialClient())
    assert r["backtests"] == 2 and r["tasks"] == 2
    assert r["serial_s"] > 0 and r["cluster_s"] > 0 and r["ratio"] == pytest.approx(r["serial_s"] / r["cluster_s"])
    assert "1 algorithms x 2 seeds (2 backtests" in sweep_bench.report(dict(seeds=2, **r))
    with pytest.raises(AssertionError, match="different numbers"):
        sweep_bench.timed_pair(spec, _SerialClient(spoil=True))
    assert sweep_bench.halves(tuple(range(1, 21))) == (tuple(range(1, 11)), tuple(range(11, 21)))
    assert sweep_bench.halves((1, 2, 3, 4, 5, 6)) == ((1, 2), (3, 4, 5, 6))
    assert sweep_bench.halves((1,)) == ((), (1,))
    assert sweep_bench.sweep_spec(20).seeds == tuple(range(1, 21))
    assert len(tasks(sweep_bench.sweep_spec(20))) == 120
