"""The path-selection bench (`make bench`): its scenarios in simulated time give the issue's figures."""
from wirespeed.control.paths import PathConfig
from wirespeed.control.paths.bench import main, measure


def test_the_bench_scenarios_meet_the_targets_in_simulated_time(capsys):
    f = measure(seed=1)
    assert f.degrade_to_switch_s is not None and 0 < f.degrade_to_switch_s <= 1.0
    assert f.outage_missed_probes == 3 and f.outage_to_switch_s <= 3 * 0.1 + 0.3 + 0.1
    assert f.flaps == 0
    # a hysteresis under the paths' difference does flap: the no-flapping figure can fail
    assert measure(seed=1, config=PathConfig(hysteresis_us=0)).flaps > 0
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "100 us degradation" in out and "(target 0)" in out
