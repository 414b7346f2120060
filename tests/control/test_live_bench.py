"""The control-plane overhead bench runs and measures both parts for every single-child decision."""
import asyncio

from wirespeed.control.live.bench import main, run


def test_bench_measures_control_and_gateway_parts(capsys):
    rec = asyncio.run(run(150))
    n = rec.count("control per child")
    assert n > 10 and rec.count("gateway per child") == n
    assert main(["--children", "30"]) == 0
    assert "x the gateway's own" in capsys.readouterr().out
