"""The main job runs end to end and its numbers add up."""
import subprocess
import sys
from decimal import Decimal

import uvloop

from wirespeed.config import load_config
from wirespeed.sim.demo import run_demo


def test_demo_counts_are_consistent():
    config = load_config(overrides={"demo": {"orders": 120, "seed": 3}})
    result = uvloop.run(run_demo(config))
    assert result.sent == 120
    assert result.accepted + result.rejected == 120
    assert result.rejected > 0 and result.filled > 0 and result.fills >= result.filled
    assert any(k.startswith("risk: ") for k in result.reject_reasons)
    assert result.latency.count("client round trip") == 120
    for hop in ("decode", "risk", "client->venue", "venue ack rtt", "venue->client"):
        assert result.latency.count(hop) > 0, hop
    assert result.venue_stats["orders"] == result.accepted
    # The venue charges fee_bps on traded notional (rounded per trade to 1/10,000).
    fees, notional = result.venue_stats["fees"], result.venue_stats["notional"]
    assert fees > 0 and abs(fees - notional * Decimal("0.2") / 10_000) <= Decimal("0.0001") * result.fills


def test_cli_demo_exits_zero_and_prints_table():
    proc = subprocess.run([sys.executable, "-m", "wirespeed.cli", "demo", "--orders", "40"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "filled (complete)" in proc.stdout and "p99.9" in proc.stdout and "client round trip" in proc.stdout


def test_cli_reports_bad_config_key(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[risk.default]\nmax_qty = 0\n")
    proc = subprocess.run([sys.executable, "-m", "wirespeed.cli", "demo", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "risk.default.max_qty: must be a positive integer, not 0" in proc.stderr
