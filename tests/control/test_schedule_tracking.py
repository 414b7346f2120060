"""Schedule tracking on the synthetic day: a slice that had its interval at the touch is crossed
before the next comes due, so TWAP/VWAP stay within the goal (2 % of the order plus one slice), and finish."""
import pytest

from wirespeed.sim.backtest.days import make_day
from wirespeed.sim.backtest.run import BacktestSpec, run_backtest


@pytest.mark.parametrize("algo, seed", [("twap", 3), ("vwap", 4)])
def test_schedule_gap_within_two_percent_plus_one_slice_and_the_order_finishes(algo, seed):
    spec = BacktestSpec(algo=algo, start_s=600, minutes=30, seed=seed, pct_volume=0.05)   # the bench's order
    r = run_backtest(spec, make_day("synthetic", seed))
    cfg, t = r.algo.config, r.tca
    slices = spec.minutes * 60 / cfg.decision_s
    # the goal: 2 % of the order plus one slice
    bound = 0.02 + 1 / slices
    assert t.schedule_gap_frac <= bound, (t.schedule_gap_frac, bound)
    assert t.fill_rate == 1.0
