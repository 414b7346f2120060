import pytest

from wirespeed.control.model import ExecutionRefused
from wirespeed.sim.backtest.run import BacktestSpec, run_backtest

from wirespeed.sim.backtest.stylised import StylisedDay as HandDay


def spec(algo, **kw):
    return BacktestSpec(algo=algo, start_s=300, minutes=10, seed=kw.pop("seed", 3), **kw)


@pytest.mark.parametrize("algo", ["vwap", "naive-immediate", "naive-twap"])
def test_backtest_runs_and_completes(algo):
    r = run_backtest(spec(algo), HandDay(seed=3))
    t = r.tca
    assert t.qty > 0 and t.fill_rate == 1.0
    assert t.market_volume > 0 and 0 < t.participation < 0.5
    assert t.children > 0


def test_same_seed_same_numbers_other_seed_other_numbers():
    a = run_backtest(spec("twap"), HandDay(seed=3)).tca
    b = run_backtest(spec("twap"), HandDay(seed=3)).tca
    c = run_backtest(spec("twap", seed=4), HandDay(seed=4)).tca
    assert a == b
    assert a != c


def test_algorithm_beats_the_immediate_baseline_on_arrival_slippage():
    day = lambda: HandDay(seed=5)  # noqa: E731
    vwap = run_backtest(spec("vwap", seed=5, pct_volume=0.1), day()).tca
    naive = run_backtest(spec("naive-immediate", seed=5, pct_volume=0.1), day()).tca
    assert vwap.qty == naive.qty
    assert vwap.slippage_bps < naive.slippage_bps


def test_bad_specs_name_the_problem():
    with pytest.raises(ExecutionRefused, match="unknown algorithm 'fast'"):
        BacktestSpec(algo="fast")
    with pytest.raises(ExecutionRefused, match="params.speed: not a setting of twap"):
        run_backtest(spec("twap", params={"speed": 2}), HandDay())
    with pytest.raises(ExecutionRefused, match="after the close"):
        run_backtest(BacktestSpec(algo="twap", start_s=7000, minutes=60), HandDay())


def test_synthetic_day_on_three_venues_from_sim_market():
    from wirespeed.sim.backtest.days import make_day
    r = run_backtest(BacktestSpec(algo="twap", start_s=300, minutes=4, seed=2), make_day("synthetic", 2))
    t = r.tca
    assert t.fill_rate == 1.0 and t.market_volume > 10 * t.filled
    assert {v.venue for v in t.venues} <= {"XPRI", "XALT", "XINV"} and len(t.venues) >= 2
    # the venues follow one latent value: their mids stay within a few ticks of each other
    books = r.algo.market.books
    mids = [(q.bid + q.ask) / 2 for q in books.values() if q.bid and q.ask]
    assert len(mids) == 3 and max(mids) - min(mids) <= 5


def test_replayed_lobster_day(tmp_path):
    from wirespeed.sim.backtest.days import make_day
    r = run_backtest(BacktestSpec(algo="vwap", start_s=1800, minutes=60, seed=1, qty=200), make_day("lobster:sample", 1))
    assert r.tca.fill_rate == 1.0 and [v.venue for v in r.tca.venues] == ["XREP"]
    bad = tmp_path / "X_2026-11-30_34200000_57600000_message_5.csv"
    bad.write_text("34200.0,1,1,100,500100,-1\n34100.0,1,2,100,500200,-1\n")
    with pytest.raises(ValueError, match=r"message_5.csv:2: time 34100.0 is before"):
        make_day(f"lobster:{bad}", 1)
