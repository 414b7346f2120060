"""The synthetic market comes out as configured, per symbol, reproducibly."""
import pytest

from wirespeed.clock import SimClock
from wirespeed.enums import Side
from wirespeed.sim.book import BookOrder
from wirespeed.sim.market.config import MarketConfig, SymbolProfile
from wirespeed.sim.market.profile import VolumeProfile, average, u_shaped
from wirespeed.sim.market.synthetic import SyntheticMarket


@pytest.fixture(scope="module")
def day():
    """One full 6.5 h day of the default profile, makers re-quoting each second (the default
    0.5 s doubles the events and the time, not what is measured here)."""
    market = SyntheticMarket(MarketConfig(symbols=(SymbolProfile("SIMA", requote_s=1.0),), seed=11))
    return market, market.run_day()["SIMA"]


def test_spread_and_depth_come_out_as_configured(day):
    market, d = day
    p = market.config.symbols[0]
    assert abs(d.spread_mean - p.spread_ticks) < 0.1 * p.spread_ticks
    assert sorted(d.spreads)[len(d.spreads) // 2] == p.spread_ticks
    assert abs(d.depth_mean - p.depth) < 0.1 * p.depth


def test_trade_sizes_come_out_as_configured(day):
    market, d = day
    p = market.config.symbols[0]
    total = sum(w for _, w in p.trade_sizes)
    got = d.trade_sizes()
    distance = sum(abs(got.get(s, 0) - w / total) for s, w in p.trade_sizes) / 2 + \
        sum(v for s, v in got.items() if s not in dict(p.trade_sizes)) / 2
    assert distance < 0.05, got


def test_volume_profile_is_u_shaped_with_the_closing_share(day):
    market, d = day
    c, p = market.config, market.config.symbols[0]
    target = u_shaped("SIMA", open_s=c.open_s, close_s=c.close_s, bin_s=c.bin_s, u_shape=p.u_shape,
                      auction=p.close_auction_share)
    got = d.profile
    assert abs(d.volume - p.daily_volume) < 0.08 * p.daily_volume
    assert abs(got.auction - target.auction) < 0.25 * target.auction
    assert sum(abs(a - b) for a, b in zip(got.bins, target.bins)) / 2 < 0.06
    mid = len(got.bins) // 2
    assert got.bins[0] > 1.6 * got.bins[mid] and got.bins[-1] > 1.6 * got.bins[mid]
    assert d.events >= 100_000


def test_same_seed_same_day_other_seed_other_day():
    def run(seed):
        cfg = MarketConfig(symbols=(SymbolProfile("Q", requote_s=5.0, daily_volume=50_000),), seed=seed,
                           open_s=34_200, close_s=34_200 + 3600, auction_window_s=300, bin_s=600)
        events = []
        m = SyntheticMarket(cfg)
        m.engine.subscribe(events.append)
        m.run_day()
        return events
    a, b, c = run(5), run(5), run(6)
    assert a == b and a != c and len(a) > 1000


def test_each_symbol_follows_its_own_profile():
    cfg = MarketConfig(symbols=(SymbolProfile("WIDE", spread_ticks=6, depth=300, requote_s=4.0, daily_volume=100_000),
                                SymbolProfile("TIGHT", spread_ticks=2, depth=2000, requote_s=4.0,
                                              daily_volume=100_000, start_ticks=2_500)),
                       seed=3, open_s=34_200, close_s=34_200 + 3600, auction_window_s=300, bin_s=900)
    days = SyntheticMarket(cfg).run_day()
    assert abs(days["WIDE"].spread_mean - 6) < 0.6 and abs(days["TIGHT"].spread_mean - 2) < 0.2
    assert days["WIDE"].depth_mean < 330 and days["TIGHT"].depth_mean > 1800
    assert abs(days["TIGHT"].trades[0][2] - 2_500) < 100


def test_a_backtest_order_meets_the_participants_on_the_same_clock():
    clock = SimClock.at_day(1_780_000_000 * 10**9, "09:30")
    cfg = MarketConfig(symbols=(SymbolProfile("Q", requote_s=1.0, daily_volume=100_000),), seed=2,
                       open_s=34_200, close_s=34_200 + 1800, auction_window_s=300, bin_s=600)
    m = SyntheticMarket(cfg, clock=clock)
    m.start()
    clock.run_until(clock.time_ns() + 60 * 10**9)
    ask = m.engine.book("Q").best_ask()
    mine = BookOrder(m.engine.next_id(), Side.BUY, ask, 100, participant="me")
    res = m.access.submit("Q", mine)
    assert sum(t.qty for t in res.fills) == 100 and {t.passive.participant for t in res.fills} <= {"MM0", "MM1"}
    clock.run_until(m.close_ns)
    m.close()


@pytest.mark.parametrize("kw, msg", [
    ({"spread_ticks": 0}, "symbol 'X': spread_ticks must be a positive number"),
    ({"close_auction_share": 1.5}, "close_auction_share must be in \\[0, 1\\)"),
    ({"trade_sizes": ((100, -1),)}, "trade_sizes entries must be"),
    ({"momentum_share": 0.6, "value_share": 0.5}, "momentum_share \\+ value_share must be below 1"),
])
def test_bad_profile_names_the_field(kw, msg):
    with pytest.raises(ValueError, match=msg):
        SymbolProfile("X", **kw)


def test_bad_market_config_and_profile_data():
    with pytest.raises(ValueError, match="duplicate symbol"):
        MarketConfig(symbols=(SymbolProfile("A"), SymbolProfile("A")))
    with pytest.raises(ValueError, match="open_s/close_s"):
        MarketConfig(open_s=50_000, close_s=40_000)
    with pytest.raises(ValueError, match="sum to 1"):
        VolumeProfile("A", 0, 3600, 1800, (0.5, 0.6))
    p = u_shaped("A", open_s=0, close_s=3600, bin_s=1800, u_shape=3.0, auction=0.1)
    q = VolumeProfile.from_dict(p.to_dict())
    assert q == p and average([p, q]) == p or abs(sum(average([p, q]).bins) - 0.9) < 1e-9


def test_historical_profile_averages_generated_days_as_plain_data():
    from wirespeed.sim.market.synthetic import historical_profile
    cfg = MarketConfig(symbols=(SymbolProfile("Q", requote_s=30.0, daily_volume=40_000, passive_rate=0.0),),
                       seed=9, open_s=34_200, close_s=34_200 + 3600, auction_window_s=300, bin_s=900)
    days = [SyntheticMarket(MarketConfig(**{**{f: getattr(cfg, f) for f in cfg.__dataclass_fields__}, "seed": s}))
            .run_day()["Q"].profile for s in (9, 10)]
    hist = historical_profile(cfg, "Q", days=2)
    assert len(hist.bins) == 4 and abs(sum(hist.bins) + hist.auction - 1) < 1e-9
    assert all(abs(h - (a + b) / 2) < 1e-9 for h, a, b in zip(hist.bins, days[0].bins, days[1].bins))
    d = hist.to_dict()
    assert isinstance(d["bins"], list) and all(isinstance(x, float) for x in d["bins"])
    with pytest.raises(KeyError, match="no profile for symbol 'NOPE'"):
        historical_profile(cfg, "NOPE", days=1)


def test_engine_events_carry_the_simulated_time_of_day():
    clock = SimClock.at_day(1_780_000_000 * 10**9, "09:30")
    from wirespeed.sim.engine import MatchingEngine
    eng = MatchingEngine("T", ["Q"], clock=clock)
    events = []
    eng.subscribe(events.append)
    clock.call_later(1.5, eng.submit, "Q", BookOrder(1, Side.BUY, 100, 1))
    clock.run()
    assert events[0].ts_ns == 34_200 * 10**9 + 1_500_000_000


def test_a_day_without_takers_ends_without_a_profile_not_with_an_error():
    cfg = MarketConfig(symbols=(SymbolProfile("Q", requote_s=60.0, daily_volume=1, close_auction_share=0.0,
                                              passive_rate=0.0, trade_sizes=((10**9, 1.0),)),),
                       seed=1, open_s=34_200, close_s=34_200 + 120, auction_window_s=60, bin_s=60)
    d = SyntheticMarket(cfg).run_day()["Q"]
    assert d.auction_volume == 0 and d.trade_sizes() == {} and (d.profile is None) == (not d.trades)
    assert d.spread_mean == 2
