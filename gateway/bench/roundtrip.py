"""Round trip NewOrderSingle -> ExecutionReport through ``wirespeed fix-acceptor --app ack`` (file
store on) against a bare uvloop echo server, both measured in the same run by rtt_client.py."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from wirespeed.latency import LatencyRecorder

HERE = Path(__file__).resolve().parent


def _start(cmd: list[str]) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on"):
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r} {proc.stderr.read()}")
    return proc, int(line.split()[2].rsplit(":", 1)[1])


def _measure(mode: str, port: int, count: int, warmup: int) -> list[int]:
    out = subprocess.run([sys.executable, str(HERE / "rtt_client.py"), mode, str(port), str(count), str(warmup)],
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout)


def run(count: int = 6000, warmup: int = 300, fsync: str = "batch", rounds: int = 6) -> LatencyRecorder:
    rec = LatencyRecorder()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "bench.cfg"
        cfg.write_text("[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=GW\n"
                       f"TargetCompID=BENCH\nSocketAcceptPort=0\nFileStorePath={tmp}/store\nFsyncPolicy={fsync}\n"
                       "MaxMessagesPerSecond=1000000\n")
        echo, echo_port = _start([sys.executable, str(HERE / "echo_server.py")])
        ack, ack_port = _start([sys.executable, "-m", "wirespeed.cli", "fix-acceptor", "--config", str(cfg),
                                "--app", "ack"])
        try:
            # Interleaved rounds: both sides see the same machine, whatever else it is doing.
            per_round = max(count // rounds, 1)
            for _ in range(rounds):
                for v in _measure("echo", echo_port, per_round, warmup):
                    rec.record("uvloop echo (TCP floor)", v)
                for v in _measure("fix", ack_port, per_round, warmup):
                    rec.record(f"wirespeed ack, store fsync={fsync}", v)
        finally:
            for p in (echo, ack):
                p.terminate()
                p.wait(5)
    return rec
