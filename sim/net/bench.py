"""Relay bench: how close the injected delay comes to the configured one.

``python -m wirespeed.sim.net.bench`` runs the relay alone on its event loop (a thread of
this process), a bare uvloop echo server behind it and the gateway bench's round-trip
client in front of it (both separate processes: ``gateway/bench/echo_server.py`` and
``rtt_client.py`` in echo mode), with a latency toxic of 50 us .. 5 ms on the upstream
direction. It prints p50/p99 of each write's lateness against its planned deadline for the
precise timer (sleep to 1.5 ms before, poll the loop, spin the last 150 us) next to the
event loop's own ``call_later`` measured in the same run (the baseline).
Goal: error p50 <= 10 us, p99 <= 50 us.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import threading

from wirespeed.gateway.bench import roundtrip

from .proxy import Relay
from .toxics import ToxicSpec

DELAYS_MS = (0.05, 0.2, 1.0, 5.0)


class _RelayThread:
    """A relay on its own uvloop in a thread, so nothing else shares its loop."""

    def __init__(self, precise: bool, coarse_us: int = 1500, spin_us: int = 150):
        import uvloop
        self.coarse_us, self.spin_us = coarse_us, spin_us
        self.loop = uvloop.new_event_loop()
        self.precise = precise
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    async def _open(self, upstream_port: int, delay_ms: float):
        self.relay = Relay(seed=1, coarse_us=self.coarse_us if self.precise else 0,
                           spin_us=self.spin_us if self.precise else 0)
        proxy = await self.relay.create("bench", f"127.0.0.1:{upstream_port}", toxics=[
            ToxicSpec("latency", stream="upstream", attributes={"latency": delay_ms})])
        return proxy

    async def _close(self):
        await self.relay.close()

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _measure(delay_ms: float, precise: bool, echo_port: int, rounds: int, coarse_us: int = 1500,
             spin_us: int = 150) -> dict:
    rt = _RelayThread(precise, coarse_us, spin_us)
    try:
        proxy = rt.call(rt._open(echo_port, delay_ms))
        subprocess.run([sys.executable, str(roundtrip.HERE / "rtt_client.py"), "1", str(rounds), "20",
                        f"echo:{proxy.port}"], capture_output=True, text=True, timeout=300, check=True)
        stats = proxy.stats()
        rt.call(rt._close())
    finally:
        rt.stop()
    return stats["delay_error"]


def run(rounds: int = 400, coarse_us: int = 1500, spin_us: int = 150) -> list[tuple[float, dict, dict]]:
    echo, port = roundtrip._start([sys.executable, str(roundtrip.HERE / "echo_server.py")])
    try:
        rows = []
        for delay in DELAYS_MS:
            rows.append((delay, _measure(delay, True, port, rounds, coarse_us, spin_us),
                         _measure(delay, False, port, rounds)))
        return rows
    finally:
        echo.terminate()
        echo.wait(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="relay injected-delay error")
    parser.add_argument("--rounds", type=int, default=400, help="round trips per configured delay")
    parser.add_argument("--coarse-us", type=int, default=1500, help="the precise timer's poll window before a deadline")
    parser.add_argument("--spin-us", type=int, default=150, help="its tight-spin window")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    rows = run(args.rounds, args.coarse_us, args.spin_us)
    print(f"relay injected-delay error (write time - planned deadline), {args.rounds} round trips per delay "
          "(both directions recorded), relay alone on its uvloop, echo server and client in other processes")
    print(f"{'configured':>11} {'precise p50':>12} {'p99':>8} {'max':>8} | {'call_later p50':>15} {'p99':>8}"
          f" | {'p99 ratio':>9}")
    for delay, p, c in rows:
        print(f"{delay * 1000:>8.0f} us {p['p50'] / 1e3:>9.1f} us {p['p99'] / 1e3:>5.1f} us {p['max'] / 1e3:>5.0f} us"
              f" | {c['p50'] / 1e3:>12.1f} us {c['p99'] / 1e3:>5.1f} us | {c['p99'] / max(p['p99'], 1):>8.1f}x")
    print("goal: precise p50 <= 10 us, p99 <= 50 us")
    if args.json:
        print(json.dumps([{"delay_ms": d, "precise": p, "call_later": c} for d, p, c in rows]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
