"""The live-vs-backtest sweep (``python -m wirespeed.sim.demo_vs_backtest --sweep``, ``make
bench-live-vs-bt``), short: two seeds of TWAP, each run live over sockets and in the backtest, the
per-seed difference printed against the 2 bps goal and summed up per algorithm."""
import io

from wirespeed.sim.demo_vs_backtest import GOAL_BPS, SWEEP_HEADER, main, sweep, sweep_summary


def test_two_seeds_live_and_backtest_side_by_side_against_the_goal():
    out = io.StringIO()
    comps = sweep(("twap",), (1, 2), qty=1500, start_s=10, minutes=1, speed=30, to_end=False, out=out)
    assert [c.spec.seed for c in comps] == [1, 2]
    rows = out.getvalue().splitlines()
    assert len(rows) == 2
    for c, row in zip(comps, rows):
        assert c.live.filled == c.backtest.filled == 1500          # the same order, filled both ways
        d = c.live.slippage_bps - c.backtest.slippage_bps
        assert c.slippage_diff_bps == d
        assert row.split()[:2] == ["twap", str(c.spec.seed)] and f"{d:+.2f}" in row
        assert row.endswith("ok" if abs(d) <= GOAL_BPS else "OVER")
    within = sum(abs(c.slippage_diff_bps) <= GOAL_BPS for c in comps)
    summary = sweep_summary(comps)
    assert f"twap      {within}/2 seeds within 2 bps" in summary
    assert summary.endswith(f"all: {within}/2 runs within 2 bps of the backtest")
    assert "live-bt" in SWEEP_HEADER


def test_an_unknown_algorithm_is_refused_by_name(capsys):
    import pytest
    with pytest.raises(SystemExit) as e:
        main(["--sweep", "--algos", "twap,vwapp"])
    assert e.value.code == 2 and "--algos: 'vwapp' is not one of twap, vwap" in capsys.readouterr().err
