"""Round trip NewOrderSingle -> ExecutionReport through ``wirespeed fix-acceptor --app ack`` (file
store on) against a bare uvloop echo server, both measured in the same run by rtt_client.py.

Two pairs: both servers sleeping in the event loop between messages (the like-for-like
comparison the target is about), and both spin-waiting after each read (``SpinMicros``)."""
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


def _acceptor(tmp: str, name: str, fsync: str, spin_us: int) -> list[str]:
    cfg = Path(tmp) / f"{name}.cfg"
    cfg.write_text("[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=GW\n"
                   f"TargetCompID=BENCH\nSocketAcceptPort=0\nFileStorePath={tmp}/{name}\nFsyncPolicy={fsync}\n"
                   f"MaxMessagesPerSecond=1000000\nSpinMicros={spin_us}\n")
    return [sys.executable, "-m", "wirespeed.cli", "fix-acceptor", "--config", str(cfg), "--app", "ack"]


def hops(fsync: str = "batch", spin_us: int = 1000) -> list[tuple[str, str]]:
    """(label, client mode) of each series, in the order ``run`` records them."""
    return [("uvloop echo (TCP floor)", "echo"), (f"wirespeed ack, store fsync={fsync}", "fix"),
            (f"uvloop echo, spin {spin_us} us", "echo"), (f"wirespeed ack, spin {spin_us} us", "fix")]


def run(count: int = 6000, warmup: int = 300, fsync: str = "batch", rounds: int = 6,
        spin_us: int = 1000) -> LatencyRecorder:
    rec = LatencyRecorder()
    with tempfile.TemporaryDirectory() as tmp:
        cmds = [[sys.executable, str(HERE / "echo_server.py")], _acceptor(tmp, "plain", fsync, 0),
                [sys.executable, str(HERE / "echo_server.py"), str(spin_us)], _acceptor(tmp, "spin", fsync, spin_us)]
        servers = []
        try:
            for cmd in cmds:
                servers.append(_start(cmd))
            # Interleaved rounds: every series sees the same machine, whatever else it is doing.
            per_round = max(count // rounds, 1)
            for _ in range(rounds):
                for (label, mode), (_, port) in zip(hops(fsync, spin_us), servers):
                    for v in _measure(mode, port, per_round, warmup):
                        rec.record(label, v)
        finally:
            for proc, _ in servers:
                proc.terminate()
                proc.wait(5)
    return rec
