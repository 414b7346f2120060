"""Path selection, sans-IO: failover within the missed-probe budget, switching on measured
degradation, no flapping inside the hysteresis, fail-back only after recovery probes."""
import pytest

from wirespeed.control.paths import PathConfig, PathSelector

MS = 1_000_000
US = 1_000


def _probe(sel, path, rtt_us, t, pid):
    sel.on_probe_sent(path, pid, t)
    sel.on_probe_answer(path, pid, t + int(rtt_us * US))


def _round(sel, t, rtts, n=[0]):
    """One probe round: ``rtts`` maps path -> rtt in us, or None for a probe that is never answered."""
    for path, rtt in rtts.items():
        n[0] += 1
        if rtt is None:
            sel.on_probe_sent(path, f"p{n[0]}", t)
        else:
            _probe(sel, path, rtt, t, f"p{n[0]}")
    sel.on_tick(t)


def test_an_outage_fails_over_within_three_missed_probes_and_fails_back_after_recovery():
    cfg = PathConfig(probe_interval_s=0.1, timeout_s=0.15, max_missed=3, recovery_probes=3)
    sel = PathSelector("BRAVO", ["BRAVO-A", "BRAVO-B"], cfg)
    t = 0
    for _ in range(5):
        _round(sel, t, {"BRAVO-A": 40, "BRAVO-B": 200})
        t += 100 * MS
    assert sel.current == "BRAVO-A"
    down_at = t
    while sel.current == "BRAVO-A":
        _round(sel, t, {"BRAVO-A": None, "BRAVO-B": 200})
        t += 100 * MS
        assert t - down_at < 1000 * MS
    # three probes missed (the third declared missed at its timeout): failed over after <= 3 intervals + timeout
    assert sel.current == "BRAVO-B" and sel.events[-1].reason.startswith("BRAVO-A: 3 probes unanswered")
    assert t - down_at <= 3 * 100 * MS + 150 * MS + 100 * MS
    # back, but one good probe is not enough to fail back
    _round(sel, t, {"BRAVO-A": 40, "BRAVO-B": 200})
    t += 100 * MS
    assert sel.current == "BRAVO-B"
    _round(sel, t, {"BRAVO-A": 40, "BRAVO-B": 200})
    t += 100 * MS
    _round(sel, t, {"BRAVO-A": 40, "BRAVO-B": 200})
    assert sel.current == "BRAVO-A" and "faster" in sel.events[-1].reason


def test_a_100us_degradation_moves_orders_within_one_second():
    sel = PathSelector("V", ["A", "B"], PathConfig(alpha=0.3, hysteresis_us=50))
    t = 0
    for _ in range(10):
        _round(sel, t, {"A": 50, "B": 80})
        t += 100 * MS
    assert sel.current == "A"
    start = t
    while sel.current == "A":
        _round(sel, t, {"A": 150, "B": 80})        # A degraded by 100 us
        t += 100 * MS
    assert t - start <= 1000 * MS and sel.current == "B"


def test_two_paths_within_the_hysteresis_never_flap():
    sel = PathSelector("V", ["A", "B"], PathConfig(hysteresis_us=50))
    t = 0
    for i in range(200):
        # they trade places by 30 us every round
        _round(sel, t, {"A": 100 + (15 if i % 2 else -15), "B": 100 + (-15 if i % 2 else 15)})
        t += 100 * MS
    assert sel.events == [] and sel.current == "A"


def test_session_down_fails_over_at_once_and_all_down_means_no_path():
    sel = PathSelector("V", ["A", "B"])
    _round(sel, 0, {"A": 40, "B": 60})
    sel.on_down("A", 1)
    assert sel.current == "B" and sel.events[-1].reason == "A: session down"
    sel.on_down("B", 2)
    assert sel.current is None
    sel.on_up("A", 3)
    assert sel.current is None                 # up is not healthy until probes answer
    for i in range(3):
        _round(sel, 10 + i, {"A": 40})
    assert sel.current == "A"


def test_latency_histograms_per_path_and_the_report():
    sel = PathSelector("V", ["A", "B"])
    for i in range(20):
        _round(sel, i * 100 * MS, {"A": 40, "B": 90})
    assert sel.latency.count("A") == 20 and sel.latency.count("B") == 20
    assert "A" in sel.report() and "healthy" in sel.report()


@pytest.mark.parametrize("kw, text", [({"timeout_s": 0}, "timeout_s"), ({"max_missed": 0}, "max_missed"),
                                      ({"alpha": 2}, "alpha"), ({"hysteresis_us": -1}, "hysteresis_us")])
def test_config_errors_name_the_key(kw, text):
    with pytest.raises(ValueError, match=text):
        PathConfig(**kw)


def test_paths_must_be_given_and_distinct():
    with pytest.raises(ValueError, match="at least one path"):
        PathSelector("V", [])
    with pytest.raises(ValueError, match="repeat"):
        PathSelector("V", ["A", "A"])
