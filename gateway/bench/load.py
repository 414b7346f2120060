"""``make bench-load``: sustained load through the gateway service, not part of ``make test``.

N client sessions each send R orders a second for S seconds (default 20 x 1,000 x 60 s)
through ``wirespeed gateway`` to two venues (``fix-acceptor --app ack``: every order is
filled at once), orders alternating between the venues by ExDestination. Every order is
answered by exactly one ExecutionReport, so the counts are exact: lost = sent - answered,
duplicated = answers beyond one per ClOrdID. Prints those, the round-trip percentiles, and
the gateway process's CPU time and peak RSS (from /proc).

The clients are one uvloop process of their own (this one); they pace in 10 ms ticks. On a
shared 2-core machine they compete with the gateway for CPU, so read the percentiles as
those of the whole loopback setup.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time

from wirespeed.latency import LatencyRecorder

from .order_path import service_toml, start_gateway, venue_cmd
from .rtt_client import frame

TICK_S = 0.01


class LoadSession(asyncio.Protocol):
    """One client session: Logon, then paced NewOrderSingles; answers matched by ClOrdID."""

    def __init__(self, name: str, venues: list[str], stats: dict, rec: LatencyRecorder):
        self.name, self.venues, self.stats, self.rec = name, venues, stats, rec
        self.seq, self.sent, self.buf = 1, 0, bytearray()
        self.pending: dict[bytes, int] = {}
        self.answered: set[bytes] = set()
        self.logged_on = asyncio.Event()
        self.transport = None

    def _message(self, msg_type: str, fields: str) -> bytes:
        now = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime()) + ".000"
        body = f"35={msg_type}\x0149={self.name}\x0156=GW\x0134={self.seq}\x0152={now}\x01{fields}"
        self.seq += 1
        return frame(body)

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self._message("A", "98=0\x01108=30\x01141=Y\x01"))

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter_ns()
        buf = self.buf
        buf += data
        while True:
            end = buf.find(b"\x0110=")
            if end < 0 or len(buf) < end + 8:
                return
            msg = bytes(buf[:end + 8])
            del buf[:end + 8]
            if b"\x0135=A\x01" in msg:
                self.logged_on.set()
            elif b"\x0135=8\x01" in msg:
                start = msg.find(b"\x0111=") + 4
                cl = msg[start:msg.find(b"\x01", start)]
                t0 = self.pending.pop(cl, None)
                if t0 is not None:
                    self.answered.add(cl)
                    self.rec.record("client round trip", now - t0)
                elif cl in self.answered:
                    self.stats["duplicated"] += 1
                else:
                    self.stats["unknown"] += 1

    def send_orders(self, n: int) -> None:
        out = []
        for _ in range(n):
            self.sent += 1
            cl = f"{self.name}-{self.sent}"
            venue = self.venues[self.sent % len(self.venues)]
            out.append(self._message("D", f"11={cl}\x0155=AAPL\x0154=1\x0160=20261122-10:00:00\x0138=10\x0140=2"
                                          f"\x0144=190.25\x0159=0\x01100={venue}\x01"))
            self.pending[cl.encode()] = time.perf_counter_ns()
        self.transport.write(b"".join(out))


def _proc_stats(pid: int) -> tuple[float, int]:
    """(CPU seconds used, peak RSS bytes) of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1]) * 1024
    return cpu, rss


async def _drive(port: int, sessions: int, rate: float, seconds: float, venues: list[str], stats: dict,
                 rec: LatencyRecorder) -> list[LoadSession]:
    loop = asyncio.get_running_loop()
    clients = []
    for i in range(sessions):
        s = LoadSession(f"LOAD{i:02d}", venues, stats, rec)
        await loop.create_connection(lambda s=s: s, "127.0.0.1", port)
        clients.append(s)
    await asyncio.wait_for(asyncio.gather(*(c.logged_on.wait() for c in clients)), 10)
    start = loop.time()
    ticks = int(seconds / TICK_S)
    owed = 0.0
    for k in range(ticks):
        owed += rate * TICK_S
        n, owed = int(owed), owed - int(owed)
        for c in clients:
            c.send_orders(n)
        await asyncio.sleep(max(start + (k + 1) * TICK_S - loop.time(), 0))
    stats["send_s"] = loop.time() - start
    deadline = loop.time() + 10
    while any(c.pending for c in clients) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)     # a late duplicate would arrive now
    return clients


def run(sessions: int = 20, rate: float = 1000, seconds: float = 60) -> dict:
    import uvloop
    venues = ["XNAS", "XNYS"]
    stats = {"duplicated": 0, "unknown": 0, "send_s": 0.0}
    rec = LatencyRecorder()
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        try:
            ports = []
            # Not pinned: three servers on one CPU would measure the pinning, not the gateway.
            for v in venues:
                proc = subprocess.Popen(venue_cmd(tmp, v), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True)
                procs.append(proc)
                ports.append(int(proc.stdout.readline().split()[2].rsplit(":", 1)[1]))
            names = [f"LOAD{i:02d}" for i in range(sessions)]
            gw, gports = start_gateway(service_toml(tmp, ports, names, venues), pin=False)
            procs.append(gw)
            cpu0, _ = _proc_stats(gw.pid)
            clients = uvloop.run(_drive(gports["fix"], sessions, rate, seconds, venues, stats, rec))
            cpu1, rss = _proc_stats(gw.pid)
        finally:
            for p in reversed(procs):
                p.terminate()
                try:
                    p.wait(30)      # a gateway behind on its input drains it before it stops
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
    sent = sum(c.sent for c in clients)
    answered = sum(len(c.answered) for c in clients)
    return {"sent": sent, "answered": answered, "lost": sent - answered, "duplicated": stats["duplicated"],
            "unknown": stats["unknown"], "send_s": stats["send_s"], "gateway_cpu_s": cpu1 - cpu0, "gateway_peak_rss": rss,
            "latency": rec}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m wirespeed.gateway.bench.load")
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--rate", type=float, default=1000.0, help="orders per second per session")
    p.add_argument("--seconds", type=float, default=60.0)
    a = p.parse_args(argv)
    r = run(a.sessions, a.rate, a.seconds)
    print(f"sustained load: {a.sessions} sessions x {a.rate:g} orders/s x {a.seconds:g} s across two venues")
    print(f"sent {r['sent']}, answered {r['answered']}, lost (no answer 10 s after the run) {r['lost']}, "
          f"duplicated {r['duplicated']}, unknown {r['unknown']}")
    print(f"offered {r['sent'] / r['send_s']:.0f} orders/s over {r['send_s']:.1f} s; gateway CPU "
          f"{r['gateway_cpu_s']:.1f} s ({100 * r['gateway_cpu_s'] / r['send_s']:.0f}% of one core while sending), peak RSS {r['gateway_peak_rss'] / 2**20:.0f} MiB")
    print(r["latency"].table("us"))
    return 0 if r["lost"] == 0 and r["duplicated"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
