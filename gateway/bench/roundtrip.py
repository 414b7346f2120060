"""Round trip NewOrderSingle -> ExecutionReport through ``wirespeed fix-acceptor --app ack`` (file
store on) against a bare uvloop echo server, both measured in the same run by one rtt_client.py
process that alternates between the servers in short blocks (see its docstring).

Two pairs: both servers sleeping in the event loop between messages (the like-for-like
comparison the target is about), and both spin-waiting after each read (``SpinMicros``).

With two or more CPUs, the servers run on the last one and the client on the first, as an
engine runs on its own core in deployment: a round trip then always crosses between cores.
Left to the scheduler, a server sometimes lands on the client's core, where a round trip
needs no cross-core wake-up and takes a fraction of the time; which server got that, and
for how long, decided a run's ratio more than the servers did."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from wirespeed.latency import LatencyRecorder

HERE = Path(__file__).resolve().parent


def cores() -> tuple[set[int] | None, set[int] | None]:
    """(server CPUs, client CPUs): the last and the first allowed CPU; (None, None) with one."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # pragma: no cover - not Linux
        return None, None
    return ({allowed[-1]}, {allowed[0]}) if len(allowed) >= 2 else (None, None)


def _pinned(cpus: set[int] | None):
    """A ``preexec_fn`` that pins the child to ``cpus`` (None: leave it to the scheduler)."""
    return None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))


def _start(cmd: list[str], cpus: set[int] | None = None) -> tuple[subprocess.Popen, int]:
    """Start a server (on the servers' CPU unless ``cpus`` says otherwise); (process, its port)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_pinned(cpus or cores()[0]))
    line = proc.stdout.readline()
    if not line.startswith("listening on"):
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r} {proc.stderr.read()}")
    return proc, int(line.split()[2].rsplit(":", 1)[1])


def _stop(procs: list[subprocess.Popen], wait_s: float = 10) -> None:
    """Stop the servers ``_start`` started, last first; one that does not exit in ``wait_s`` is killed."""
    for p in reversed(procs):
        p.terminate()
        try:
            p.wait(wait_s)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _measure(targets: list[tuple[str, int]], rounds: int, per_round: int, warmup: int) -> list[list[int]]:
    """RTTs (ns) of each (mode, port) target, measured by one client process in alternating blocks."""
    out = subprocess.run([sys.executable, str(HERE / "rtt_client.py"), str(rounds), str(per_round), str(warmup),
                          *(f"{mode}:{port}" for mode, port in targets)],
                         capture_output=True, text=True, timeout=300, check=True, preexec_fn=_pinned(cores()[1]))
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


def run(count: int = 6000, warmup: int = 20, fsync: str = "batch", rounds: int = 30,
        spin_us: int = 1000) -> LatencyRecorder:
    """``count`` RTTs per series in ``rounds`` blocks, each after ``warmup`` unrecorded ones."""
    rec = LatencyRecorder()
    with tempfile.TemporaryDirectory() as tmp:
        cmds = [[sys.executable, str(HERE / "echo_server.py")], _acceptor(tmp, "plain", fsync, 0),
                [sys.executable, str(HERE / "echo_server.py"), str(spin_us)], _acceptor(tmp, "spin", fsync, spin_us)]
        servers = []
        try:
            for cmd in cmds:
                servers.append(_start(cmd))
            # Interleaved blocks: every series sees the same machine, whatever else it is doing.
            series = hops(fsync, spin_us)
            rtts = _measure([(mode, port) for (_, mode), (_, port) in zip(series, servers)],
                            rounds, max(count // rounds, 1), warmup)
            for (label, _), values in zip(series, rtts):
                for v in values:
                    rec.record(label, v)
        finally:
            for proc, _ in servers:
                proc.terminate()
                proc.wait(5)
    return rec
