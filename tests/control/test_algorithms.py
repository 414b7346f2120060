import math

import pytest

from wirespeed.enums import Side, TimeInForce
from wirespeed.control.algorithms import ALGORITHMS, create
from wirespeed.control.algorithms.adaptive import AdaptiveConfig
from wirespeed.control.algorithms.almgren_chriss import AcParams
from wirespeed.control.algorithms.iceberg import IcebergConfig
from wirespeed.control.algorithms.implementation_shortfall import IsConfig
from wirespeed.control.algorithms.placement import limit_price
from wirespeed.control.algorithms.pov import PovConfig
from wirespeed.control.algorithms.twap import TwapConfig, even_slices
from wirespeed.control.algorithms.vwap import VolumeProfile, VwapConfig
from wirespeed.control.marketdata import MarketState, Quote
from wirespeed.control.model import ChildDone, ChildFill, ExecutionRefused, NewChild, ReplaceChild, Urgency, make_parent
from wirespeed.symbols import SymbolTable

from .drive import NS, T0, drive, parent

AC = AcParams(sigma=0.5, eta=0.05, gamma=0.0005, epsilon=1.0, lam=1e-6)


def flat_profile(minutes=60, buckets=12, per_bucket=50_000.0):
    step = minutes * 60 * NS // buckets
    return VolumeProfile(tuple(T0 + i * step for i in range(buckets)), (per_bucket,) * buckets, T0 + minutes * 60 * NS)


def configs():
    return {
        "twap": TwapConfig(seed=3),
        "vwap": VwapConfig(profile=flat_profile(), seed=3),
        "pov": PovConfig(rate=0.1, seed=3),
        "is": IsConfig(params=AC, seed=3),
        "iceberg": IcebergConfig(display_qty=300, seed=3),
        "adaptive": AdaptiveConfig(is_config=IsConfig(params=AC), seed=3),
    }


@pytest.mark.parametrize("name", list(ALGORITHMS))
def test_children_carry_parent_and_name_respect_limit_times_and_totals(name):
    p = parent(qty=3_000, limit=10_001)
    algo = create(name, p, configs()[name], MarketState("XYZ"))
    run = drive(algo, print_qty=600)
    assert run.children, "the algorithm placed nothing"
    times = [t for t, _ in run.actions]
    assert times == sorted(times)
    for t, c in run.children:
        assert c.parent_id == "P1" and c.algo == name and c.child_id.startswith("P1.")
        assert c.price <= 10_001, "a buy child above the parent's limit"
        assert p.start_ns <= t < p.end_ns
    for t, a in run.actions:
        if isinstance(a, ReplaceChild):
            assert a.price <= 10_001
    filled = sum(f.qty for f in run.fills)
    assert filled <= p.qty and filled == algo.filled


@pytest.mark.parametrize("name", ["twap", "vwap", "is", "adaptive"])
def test_scheduled_algorithms_finish_the_order(name):
    algo = create(name, parent(qty=5_000), configs()[name], MarketState("XYZ"))
    run = drive(algo, print_qty=1_000)
    assert algo.filled == 5_000
    assert not algo.working


def test_twap_slices_conserve_total_are_monotone_and_seeded():
    times, cum = even_slices(10_000, T0, T0 + 3600 * NS, 60, 0.2, 0.2, seed=7)
    assert cum[-1] == 10_000 and all(b >= a for a, b in zip(cum, cum[1:]))
    assert all(b > a for a, b in zip(times, times[1:])) and times[0] == T0
    sizes = [b - a for a, b in zip([0] + cum, cum)]
    even = 10_000 / len(sizes)
    # each weight within 1 +/- 0.2 before a common rescale (<= 1.2/0.8 of even), rounding +-1
    assert all(even * 0.8 / 1.2 - 1 <= s <= even * 1.2 / 0.8 + 1 for s in sizes)
    dt = 3600 * NS / len(times)
    assert all(abs(t - (T0 + k * dt)) <= 0.2 * dt + 1 for k, t in enumerate(times))
    assert (times, cum) == even_slices(10_000, T0, T0 + 3600 * NS, 60, 0.2, 0.2, seed=7)
    assert (times, cum) != even_slices(10_000, T0, T0 + 3600 * NS, 60, 0.2, 0.2, seed=8)


def test_twap_catches_up_by_crossing_and_is_never_ahead_beyond_tolerance():
    cfg = TwapConfig(seed=1, ahead_tolerance=0.01)
    algo = create("twap", parent(qty=6_000), cfg, MarketState("XYZ"))
    # passive children never fill: the algorithm falls behind and must cross to catch up
    run = drive(algo, fill_passive=False)
    # it crosses: a new IOC child, or (the slice-lead wake) a resting child re-priced to cross,
    # past the far touch (10_002) by the cross reach
    assert any(c.urgency is Urgency.CROSS and c.tif == TimeInForce.IOC for _, c in run.children) or \
        any(isinstance(a, ReplaceChild) and a.urgency is Urgency.CROSS and a.price == 10_002 + algo.CROSS_REACH
            for _, a in run.actions)
    assert algo.filled == 6_000
    cum = 0
    for f in run.fills:
        cum += f.qty
        assert cum <= algo.target(f.ts_ns) + 0.01 * 6_000 + 1


def test_participation_cap_held():
    cfg = VwapConfig(profile=flat_profile(per_bucket=1_000.0), participation_cap=0.1, seed=2)
    algo = create("vwap", parent(qty=50_000), cfg, MarketState("XYZ"))
    run = drive(algo, print_qty=100)
    assert algo.filled > 0
    assert algo.filled <= 0.1 * run.market_volume + cfg.min_child
    assert algo.filled < 50_000            # the cap, not the schedule, bound it


def test_pov_tracks_rate_of_volume_excluding_own_fills():
    algo = create("pov", parent(qty=1_000_000), PovConfig(rate=0.1, min_rate=0.05, max_rate=0.15), MarketState("XYZ"))
    run = drive(algo, print_qty=500)
    assert 0.05 * run.market_volume - 200 <= algo.filled <= 0.15 * run.market_volume
    assert abs(algo.filled / run.market_volume - 0.1) < 0.02


def test_vwap_front_loads_with_a_front_loaded_profile_and_reweights_on_actual_volume():
    step = 5 * 60 * NS
    prof = VolumeProfile(tuple(T0 + i * step for i in range(12)), (40_000.,) * 3 + (10_000.,) * 9, T0 + 3600 * NS)
    algo = create("vwap", parent(qty=12_000), VwapConfig(profile=prof, participation_cap=None, finish_s=0), MarketState("XYZ"))
    quarter = T0 + 15 * 60 * NS
    # the target is what is due by the next decision (30 s grid): just before the quarter, the quarter
    assert algo.target(quarter - 1) == pytest.approx(12_000 * 120_000 / 210_000)
    # today is busier than history so far: more of the horizon's volume is behind us
    algo.start_volume = 0
    algo.market.volume = 240_000
    assert algo.target(quarter - 1) > 12_000 * 120_000 / 210_000


def test_vwap_target_steps_on_the_decision_grid_and_stays_within_max_deviation_of_history():
    step = 5 * 60 * NS
    prof = VolumeProfile(tuple(T0 + i * step for i in range(12)), (10_000.,) * 12, T0 + 3600 * NS)
    cfg = VwapConfig(profile=prof, participation_cap=None, finish_s=0, decision_s=30.0, max_deviation=0.02)
    algo = create("vwap", parent(qty=12_000), cfg, MarketState("XYZ"))
    algo.start_volume = 0
    # constant inside one interval (the slice of [60 s, 90 s) is due at 60 s), a step at the next
    assert algo.target(T0 + 60 * NS) == algo.target(T0 + 89 * NS) == pytest.approx(12_000 * 90 / 3600)
    assert algo.target(T0 + 90 * NS) == pytest.approx(12_000 * 120 / 3600)
    # a day running ten times busier than history moves the schedule by max_deviation, no more
    algo.market.volume = 10 * 10_000 * 2           # ten times the first ten minutes' history
    hist = 12_000 * 630 / 3600
    assert algo.target(T0 + 600 * NS) == pytest.approx(hist + 0.02 * 12_000)
    algo.market.volume = 1                          # and nearly silent: as far below
    assert algo.target(T0 + 600 * NS) == pytest.approx(hist - 0.02 * 12_000)
    with pytest.raises(ExecutionRefused, match="max_deviation must be in"):
        VwapConfig(profile=prof, max_deviation=1.5)


def test_an_unreported_crossing_child_is_catch_up_under_way_not_shares_still_behind():
    # live, an IOC child's fills come back a round trip later: the next decision must not cross
    # again on its shares (the backtest, whose reports come back at once, never would)
    cfg = TwapConfig(seed=1, size_jitter=0.0, time_jitter=0.0, catch_up=0.0)
    algo = create("twap", parent(qty=11_800), cfg, MarketState("XYZ"))      # 118 slices of 100
    algo.market.update(Quote("V1", "XYZ", T0 - 1, ((10_000, 1000),), ((10_002, 1000),)))
    (first,) = algo.start(T0)
    assert first.urgency is Urgency.PASSIVE and first.qty == 100
    algo.on_done(ChildDone(first.child_id, 100, T0 + NS))                  # it left the book unfilled
    (ioc,) = algo.on_timer(T0 + 28 * NS)                                   # the slice-lead check
    assert ioc.urgency is Urgency.CROSS and ioc.tif == TimeInForce.IOC and ioc.qty == 100
    (nxt,) = algo.on_timer(T0 + 30 * NS)                                   # no report from the IOC yet
    assert nxt.urgency is Urgency.PASSIVE and nxt.tif == TimeInForce.DAY and nxt.qty == 100
    algo.on_fill(ChildFill(ioc.child_id, 100, 10_002, "V1", T0 + 31 * NS))
    assert algo.filled == 100 and ioc.child_id not in algo.working


def test_iceberg_display_randomised_bounded_seeded_and_refreshed():
    cfg = IcebergConfig(display_qty=400, display_jitter=0.25, seed=9)
    a1 = create("iceberg", parent(qty=8_000), cfg, MarketState("XYZ"))
    drive(a1, print_qty=800)
    a2 = create("iceberg", parent(qty=8_000), cfg, MarketState("XYZ"))
    drive(a2, print_qty=800)
    assert len(a1.displays) > 5 and a1.displays == a2.displays
    assert all(300 <= d <= 500 for d in a1.displays[:-1])
    assert len(set(a1.displays)) > 1
    assert a1.filled == 8_000


def test_iceberg_reprices_when_the_touch_moves_but_not_past_the_limit():
    cfg = IcebergConfig(display_qty=400, seed=1)
    algo = create("iceberg", parent(qty=4_000, limit=10_003), cfg, MarketState("XYZ"))
    run = drive(algo, fill_passive=False, prices=lambda k: (10_000 + min(k, 6), 10_002 + min(k, 6)))
    reps = [a for _, a in run.actions if isinstance(a, ReplaceChild)]
    assert reps and max(r.price for r in reps) == 10_003


def test_iceberg_follows_the_touch_towards_the_market_only():
    algo = create("iceberg", parent(qty=4_000), IcebergConfig(display_qty=400, seed=1), MarketState("XYZ"))
    m = algo.market
    m.update(Quote("V1", "XYZ", T0 - 1, ((10_000, 1000),), ((10_002, 1000),)))
    (child,) = algo.start(T0)
    assert child.price == 10_000
    def quote(ts, bid, ask):
        q = Quote("V1", "XYZ", ts, ((bid, 1000),), ((ask, 1000),))
        m.update(q)                      # the runner updates the market, then tells the algorithm
        return algo.on_market(q)
    # a bid below the child is a book that does not show the child yet: it stays where it is
    assert quote(T0 + 1, 9_998, 10_002) == []
    # a bid above it moved away from it: the child follows
    (rep,) = quote(T0 + 2, 10_001, 10_003)
    assert isinstance(rep, ReplaceChild) and rep.price == 10_001


def test_iceberg_refresh_waits_for_a_book_that_still_shows_the_filled_child():
    def setup():
        algo = create("iceberg", parent(qty=4_000), IcebergConfig(display_qty=400, display_jitter=0.0, seed=1),
                      MarketState("XYZ"))
        algo.market.update(Quote("V1", "XYZ", T0 - 1, ((10_000, 400),), ((10_002, 1000),)))
        (child,) = algo.start(T0)
        return algo, child
    # the feed already took the filled child out (the backtest's order of events): refresh at once
    algo, child = setup()
    algo.market.update(Quote("V1", "XYZ", T0 + 1, ((9_999, 500),), ((10_001, 1000),)))
    (nxt,) = algo.on_fill(ChildFill(child.child_id, 400, 10_000, "V1", T0 + 2))
    assert nxt.price == 9_999
    # the fill came back first (live): the level at the child's price still holds its size, so
    # the refresh waits for the venue's next quote and joins the touch that quote shows
    algo, child = setup()
    assert algo.on_fill(ChildFill(child.child_id, 400, 10_000, "V1", T0 + 2)) == []
    q = Quote("V1", "XYZ", T0 + 3, ((9_999, 500),), ((10_001, 1000),))
    algo.market.update(q)
    (nxt,) = algo.on_market(q)
    assert nxt.price == 9_999 and nxt.qty == 400


def test_adaptive_records_switches_with_reasons():
    cfg = AdaptiveConfig(is_config=IsConfig(params=AC), wide_spread_bps=5.0)
    algo = create("adaptive", parent(qty=60_000), cfg, MarketState("XYZ"))
    # spread 10 ticks on 10000 = 10 bps for the first 20 minutes, then 2 ticks
    drive(algo, print_qty=800, prices=lambda k: (10_000, 10_010) if k < 240 else (10_000, 10_002))
    assert [s.new for s in algo.switches][:2] == ["pov", "twap"]
    assert "spread" in algo.switches[0].reason and algo.switches[1].reason == "normal conditions"


def test_passive_and_mid_prices_never_take_on_a_locked_or_crossed_book():
    # live, a fill can come back before the feed removes the filled order: the view shows our own
    # bid at or above the ask; a passive or mid price stays one tick off the far touch
    assert limit_price(Side.BUY, Urgency.PASSIVE, 10_004, 10_003, None) == 10_002
    assert limit_price(Side.BUY, Urgency.PASSIVE, 10_004, 10_004, None) == 10_003
    assert limit_price(Side.BUY, Urgency.MID, 10_004, 10_003, None) == 10_002
    assert limit_price(Side.SELL, Urgency.PASSIVE, 10_004, 10_003, None) == 10_005
    assert limit_price(Side.SELL, Urgency.MID, 10_003, 10_003, None) == 10_004
    assert limit_price(Side.BUY, Urgency.CROSS, 10_004, 10_003, None) == 10_003      # a cross still takes


def test_placement_by_urgency_and_limit():
    assert limit_price(Side.BUY, Urgency.PASSIVE, 100, 104, None) == 100
    assert limit_price(Side.BUY, Urgency.MID, 100, 103, None) == 101
    assert limit_price(Side.SELL, Urgency.MID, 100, 103, None) == 102
    assert limit_price(Side.BUY, Urgency.CROSS, 100, 104, 102) == 102
    assert limit_price(Side.SELL, Urgency.CROSS, 100, 104, 101) == 101
    assert limit_price(Side.BUY, Urgency.CROSS, 100, None, None) is None


def test_aged_children_are_repriced_one_step_up():
    algo = create("twap", parent(qty=2_000), TwapConfig(max_age_s=20, catch_up=1.0, decision_s=10), MarketState("XYZ"))
    run = drive(algo, bid=10_000, ask=10_010, fill_passive=False)
    reps = [a for _, a in run.actions if isinstance(a, ReplaceChild)]
    assert reps and reps[0].urgency is Urgency.MID and reps[0].price == 10_005


SYMS = SymbolTable.of([("XYZ", "0.01", "100.00")])


@pytest.mark.parametrize("kwargs, reason", [
    (dict(qty=0), "quantity must be a positive integer"),
    (dict(qty=-5), "quantity must be a positive integer"),
    (dict(end=T0 - 1), "end time"),
    (dict(limit="100.005"), "limit price 100.005"),
    (dict(symbol="NOPE"), "unknown symbol 'NOPE'"),
])
def test_bad_parent_refused_with_reason(kwargs, reason):
    sym = kwargs.get("symbol", "XYZ")
    with pytest.raises(ExecutionRefused) as e:
        make_parent("P", SYMS.by_name(sym), Side.BUY, kwargs.get("qty", 100), T0, kwargs.get("end", T0 + NS),
                    kwargs.get("limit"), symbol_name=sym)
    assert str(e.value).startswith("Cannot execute order: ") and reason in str(e.value)


@pytest.mark.parametrize("make, reason", [
    (lambda: PovConfig(rate=0), "participation rate must be in (0, 1]"),
    (lambda: PovConfig(rate=1.5, max_rate=1.5), "participation rate must be in (0, 1]"),
    (lambda: TwapConfig(participation_cap=0.0), "participation_cap must be in (0, 1]"),
    (lambda: VwapConfig(), "volume profile"),
    (lambda: IsConfig(params=AcParams(0.1, -1, 0, 0, 0)), "eta must be"),
    (lambda: IcebergConfig(display_qty=0), "display_qty"),
])
def test_bad_config_refused_with_reason(make, reason):
    with pytest.raises(ExecutionRefused) as e:
        make()
    assert str(e.value).startswith("Cannot execute order: ") and reason in str(e.value)


def test_unknown_algorithm_refused():
    with pytest.raises(ExecutionRefused, match="unknown algorithm 'nope'"):
        create("nope", parent(), TwapConfig(), MarketState("XYZ"))


def test_volume_profile_from_sim_markets_plain_fractions():
    prof = VolumeProfile.from_fractions(T0, 1800, (0.5, 0.3, 0.2), 100_000.0, T0 + 3 * 1800 * NS)
    assert prof.volumes == (50_000.0, 30_000.0, 20_000.0)
    assert prof.cumulative(T0 + 900 * NS) == pytest.approx(25_000.0)
    assert prof.between(T0 + 1800 * NS, T0 + 5400 * NS) == pytest.approx(50_000.0)
    with pytest.raises(ExecutionRefused, match="increasing time order"):
        VolumeProfile((T0, T0), (1.0, 1.0), T0 + NS)
