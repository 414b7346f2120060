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
