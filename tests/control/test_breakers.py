"""Circuit breakers, sans-IO: each trips with a reason, acts, and recovers after its time."""
import logging

import pytest

from wirespeed.control.risk import BreakerConfig, Breakers, VenueCaps

S = 1_000_000_000


def test_volatility_pauses_then_recovers(caplog):
    b = Breakers(BreakerConfig(vol_move_bps=50, vol_window_s=10, vol_recovery_s=30))
    for i in range(10):
        b.on_mid(i * S, 100.0 + 0.01 * i)            # 1 bp of drift: calm
    assert b.paused(10 * S) == ""
    with caplog.at_level(logging.WARNING, "wirespeed.control.breakers"):
        b.on_mid(11 * S, 100.8)                       # 80 bps in the window
    assert "volatility" in b.paused(11 * S) and "mid moved" in b.paused(11 * S)
    assert "breaker volatility tripped: mid moved" in caplog.text
    assert b.paused(11 * S + 29 * S) != ""
    assert b.paused(11 * S + 31 * S) == ""


def test_reject_rate_routes_away_and_recovers():
    b = Breakers(BreakerConfig(reject_rate=0.5, reject_min=10, reject_window_s=30, reject_recovery_s=60))
    for i in range(10):
        b.on_result("BRAVO", i * S, rejected=i % 3 == 0)   # 4 of 10: under the threshold
    assert b.venue_blocked("BRAVO", 10 * S) == ""
    for i in range(10):
        b.on_result("BRAVO", (11 + i) * S, rejected=True)
    why = b.venue_blocked("BRAVO", 21 * S)
    assert why.startswith("reject_rate BRAVO:") and "rejected" in why
    assert b.venue_blocked("ALPHA", 21 * S) == ""            # per venue
    assert b.venue_blocked("BRAVO", 21 * S + 61 * S) == ""


def test_venue_down_blocks_until_recovery_after_it_is_back():
    b = Breakers(BreakerConfig(venue_recovery_s=5))
    tripped = []
    b.on_trip = tripped.append
    b.on_venue_down("CHARLIE", 0)
    assert b.venue_blocked("CHARLIE", 100 * S).startswith("venue_down")    # no recovery while down
    b.on_venue_up("CHARLIE", 100 * S)
    assert b.venue_blocked("CHARLIE", 104 * S) != ""
    assert b.venue_blocked("CHARLIE", 106 * S) == ""
    assert [t.breaker for t in tripped] == ["venue_down"]


def test_load_throttles_then_recovers():
    b = Breakers(BreakerConfig(max_orders_per_s=20, load_recovery_s=2))
    for i in range(20):
        b.on_send("ALPHA", i * S // 20)
    assert b.paused(S) == ""
    b.on_send("ALPHA", S - 1)
    assert b.paused(S).startswith("load: 21 child orders in 1s")
    assert b.paused(S + 3 * S) == ""


def test_caps_stop_a_venue_for_the_day():
    b = Breakers(caps={"ALPHA": VenueCaps(max_trades=3), "BRAVO": VenueCaps(max_loss=500),
                       "CHARLIE": VenueCaps(max_notional=10_000)})
    for i in range(3):
        b.on_fill("ALPHA", i, 1, 10, 100)
    assert "3 trades today reached the cap 3" in b.venue_blocked("ALPHA", 10**15)
    b.on_fill("BRAVO", 0, 1, 100, 105, mid=101.0)          # bought 100 at 105, marked at 101: loss 400
    assert b.venue_blocked("BRAVO", 1) == ""
    b.on_fill("BRAVO", 2, 1, 100, 105, mid=102.0)          # 200 at 105, mid 102: loss 600
    assert "loss 600" in b.venue_blocked("BRAVO", 3)
    b.on_fill("CHARLIE", 0, -1, 100, 100)
    assert "notional 10000 reached the cap" in b.venue_blocked("CHARLIE", 1)


@pytest.mark.parametrize("kw, key", [({"reject_rate": 0}, "reject_rate"), ({"vol_move_bps": -1}, "vol_move_bps"),
                                     ({"max_orders_per_s": 0}, "max_orders_per_s")])
def test_config_errors_name_the_key(kw, key):
    with pytest.raises(ValueError, match=key):
        BreakerConfig(**kw)


def test_caps_errors_name_the_key():
    with pytest.raises(ValueError, match="max_trades"):
        VenueCaps(max_trades=-1)


def test_volatility_can_slow_instead_of_pausing():
    b = Breakers(BreakerConfig(vol_move_bps=50, vol_window_s=10, vol_recovery_s=30, vol_action="slow",
                               vol_slow_factor=0.25))
    b.on_mid(0, 100.0)
    assert b.slow_factor(0) == 1.0
    b.on_mid(S, 101.0)                                  # 100 bps: tripped
    assert [t.breaker for t in b.trips] == ["volatility"]
    assert b.paused(S) == "" and b.slow_factor(S) == 0.25     # trading goes on, smaller
    assert b.slow_factor(S + 31 * S) == 1.0
    paused = Breakers(BreakerConfig(vol_move_bps=50))
    paused.on_mid(0, 100.0)
    paused.on_mid(S, 101.0)
    assert paused.paused(S) != "" and paused.slow_factor(S) == 1.0


def test_desk_caps_stop_every_venue_across_their_totals():
    b = Breakers(caps={"ALPHA": VenueCaps(max_trades=100)}, desk_caps=VenueCaps(max_trades=4, max_loss=1_000))
    tripped = []
    b.on_trip = tripped.append
    for i, v in enumerate(["ALPHA", "BRAVO", "ALPHA"]):
        b.on_fill(v, i, 1, 10, 100)
    assert b.venue_blocked("ALPHA", 5) == "" and b.venue_blocked("BRAVO", 5) == ""
    b.on_fill("CHARLIE", 4, 1, 10, 100)                # the 4th trade of the desk, 1st at CHARLIE
    for v in ("ALPHA", "BRAVO", "CHARLIE", "DELTA"):
        assert b.venue_blocked(v, 10**15).startswith("desk_caps: desk: 4 trades today reached the cap 4")
    assert [(t.breaker, t.venue) for t in tripped] == [("desk_caps", "")]
    loss = Breakers(desk_caps=VenueCaps(max_loss=1_000))
    loss.on_fill("ALPHA", 0, 1, 100, 105, mid=101.0)   # 400 lost at ALPHA
    loss.on_fill("BRAVO", 1, 1, 100, 106, mid=101.0)   # 500 more at BRAVO: 900 together, marked at 101
    assert loss.venue_blocked("ALPHA", 2) == ""
    loss.on_fill("BRAVO", 2, 1, 100, 103, mid=101.0)   # 1,100
    assert "desk: loss 1100" in loss.venue_blocked("ALPHA", 3)


@pytest.mark.parametrize("kw, key", [({"vol_action": "stop"}, "vol_action"), ({"vol_slow_factor": 1}, "vol_slow_factor"),
                                     ({"vol_slow_factor": 0}, "vol_slow_factor")])
def test_slow_config_errors_name_the_key(kw, key):
    with pytest.raises(ValueError, match=key):
        BreakerConfig(**kw)
