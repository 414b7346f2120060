"""The synthetic market's impact: a burst that takes from the makers skews their quotes by
impact_ticks x sqrt(flow / depth), the skew relaxes with impact_decay_s, and each taken share
moves the latent value by the permanent part; an outside order never changes the dice."""
import math

import pytest

from wirespeed.clock import SimClock
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.sim.book import BookOrder
from wirespeed.sim.market.config import MarketConfig, SymbolProfile
from wirespeed.sim.market.synthetic import SyntheticMarket

NS = 10**9
# almost no background flow: what moves the quotes is the test's burst
QUIET = dict(daily_volume=2_000, passive_rate=0.0, requote_s=0.5, depth=800, levels=5, volatility_bps=1e-6)


def market(**kw):
    clock = SimClock.at_day(1_780_000_000 * NS, "09:30")
    cfg = MarketConfig(symbols=(SymbolProfile("Q", **{**QUIET, **kw}),), seed=4, open_s=34_200,
                       close_s=34_200 + 1800, auction_window_s=300, bin_s=600)
    m = SyntheticMarket(cfg, clock=clock)
    m.start()
    return m, clock


def mid(m):
    b = m.engine.book("Q")
    return (b.best_bid() + b.best_ask()) / 2


def burst(m, qty):
    ask = m.engine.book("Q").best_ask()
    o = BookOrder(m.engine.next_id(), Side.BUY, ask + 10, qty, OrdType.LIMIT, TimeInForce.IOC, participant="me")
    res = m.access.submit("Q", o)
    assert sum(t.qty for t in res.fills) == qty


def skew_after(qty, wait_s=1.0, **kw):
    m, clock = market(**kw)
    clock.run_until(clock.time_ns() + 60 * NS)
    burst(m, qty)
    clock.run_until(clock.time_ns() + int(wait_s * NS))
    return mid(m) - m.value("Q")


def test_a_burst_skews_the_quotes_by_the_square_root_of_the_flow_and_relaxes():
    small, big = skew_after(800, permanent_bps=0.0), skew_after(3200, permanent_bps=0.0)
    # impact_ticks (3) x sqrt(flow / depth), the centre rounded to a tick
    assert small == pytest.approx(3 * math.sqrt(800 / 800), abs=0.6)
    assert big == pytest.approx(3 * math.sqrt(3200 / 800), abs=0.6)
    assert 1.6 < big / small < 2.4                      # concave: 4x the burst, ~2x the skew
    # the memory fades with impact_decay_s (120 s): after 300 s the skew is e^-1.25 ~ 0.53 of itself
    later = skew_after(3200, wait_s=300.0, permanent_bps=0.0)
    assert later == pytest.approx(3 * math.sqrt(3200 * math.exp(-300 / 120) / 800), abs=0.6) and later < big / 2


def test_the_permanent_part_moves_the_value_by_exactly_its_share_and_the_dice_stay_the_same():
    def value_at_end(qty, **kw):
        m, clock = market(**kw)
        clock.run_until(clock.time_ns() + 60 * NS)
        if qty:
            burst(m, qty)
        clock.run_until(clock.time_ns() + 300 * NS)
        return m.value("Q")
    p = SymbolProfile("Q", **QUIET, permanent_bps=0.01)
    per_share = p.permanent_bps * p.start_ticks / 1e4 / (0.01 * p.daily_volume)      # 0.0005 ticks
    without, with_burst = value_at_end(0, permanent_bps=0.01), value_at_end(1_000, permanent_bps=0.01)
    # the value's own steps are drawn from their own stream: the difference is ours alone
    # (plus what the few background takers hit afterwards, which the burst may have changed)
    assert with_burst - without == pytest.approx(per_share * 1_000, rel=0.05)
    # impact off: the burst leaves no trace in the value
    assert value_at_end(1_000, permanent_bps=0.0, impact_ticks=0.0) == value_at_end(0, permanent_bps=0.0, impact_ticks=0.0)


def test_makers_refill_what_was_taken_at_the_next_requote_without_requoting_when_nothing_changed():
    m, clock = market(impact_ticks=0.0, permanent_bps=0.0)
    clock.run_until(clock.time_ns() + 30 * NS)
    book = m.engine.book("Q")
    before = book.depth(Side.SELL, 5)
    seq = m.engine.next_id()
    clock.run_until(clock.time_ns() + 10 * NS)
    assert m.engine.next_id() == seq + 1               # a still value and no flow: no new maker orders
    burst(m, 1200)
    clock.run_until(clock.time_ns() + NS)
    assert book.depth(Side.SELL, 5) == before            # refilled, same ladder


@pytest.mark.parametrize("kw, msg", [
    ({"impact_ticks": -1.0}, "impact_ticks must be a number >= 0"),
    ({"permanent_bps": "x"}, "permanent_bps must be a number >= 0"),
    ({"impact_decay_s": 0}, "impact_decay_s must be a positive number"),
])
def test_bad_impact_settings_name_the_field(kw, msg):
    with pytest.raises(ValueError, match=msg):
        SymbolProfile("X", **kw)
