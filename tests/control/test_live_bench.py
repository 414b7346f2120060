"""The control-plane overhead bench runs and measures both parts for every single-child decision,
on uvloop (as the services and the demo run) and on the standard library's loop."""
import asyncio

from wirespeed.control.live.bench import main, run


def test_bench_measures_control_and_gateway_parts(capsys):
    rec = asyncio.run(run(150))
    n = rec.count("control per child")
    assert n > 10 and rec.count("gateway per child") == n
    assert main(["--children", "30"]) == 0
    out = capsys.readouterr().out
    assert "x the gateway's own" in out and "uvloop loop" in out
    assert main(["--children", "30", "--loop", "asyncio"]) == 0
    assert "asyncio loop" in capsys.readouterr().out


def test_stages_stamp_each_part_of_a_decision_once_per_child(capsys):
    stages = {}
    rec = asyncio.run(run(60, stages))
    n = rec.count("control per child")
    labels = {"algorithm decision", "router", "leg bookkeeping", "context hand-off", "timer re-arm",
              "schedule sample"}
    assert labels <= set(stages) and all(len(stages[k]) == n for k in labels | {"stamp"})
    # a stage's own time leaves out the gateway's: the hand-off is far below the gateway's part
    med = sorted(stages["context hand-off"])[n // 2]
    assert 0 < med < rec.histogram("gateway per child").get_value_at_percentile(50)
    assert main(["--children", "30", "--stages"]) == 0
    out = capsys.readouterr().out
    assert "where the control plane's time goes" in out and "router" in out
