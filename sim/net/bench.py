"""Relay bench: how close the injected delay comes to the configured one.

``python -m wirespeed.sim.net.bench`` runs the relay alone on its event loop (a thread of
this process), a bare uvloop echo server behind it and the gateway bench's round-trip
client in front of it (both separate processes: ``gateway/bench/echo_server.py`` and
``rtt_client.py`` in echo mode), with a latency toxic of 50 us .. 5 ms on the upstream
direction. For each delay it prints p50/p99 of each write's lateness against its planned
deadline (error = forward time - (arrival time + configured delay), every chunk of the delayed
direction) for the timers below, measured in the same run one after the other, and as a check
the relay's bookkeeping cannot fool, what the client saw: its round trip - the delay - the
floor (the median round trip through the same relay with no delay), p50/p99:

- ``precise``: the relay CLI's timer (``TimerConfig(sched="slice")``): a kernel timerfd wakes the loop an
  adaptive margin before the deadline and again an adaptive spin before it, then it spins;
  with the lateness of its first and second wake-ups (``wake p99``, ``near p99``) and the
  margin and spin it learned; ``realtime`` (``--realtime``) the same on a SCHED_FIFO thread;
- ``spin``: ``TimerConfig.spinning()`` (``--realtime``: at SCHED_FIFO): from a horizon before each
  deadline the relay thread does not sleep but busy-polls its loop (zero-timeout epolls), then
  spins the last 10 us; ``spin-slice`` the same at normal priority with the short slice;
  ``busy`` is the share of the run its thread spent polling or spinning (its CPU cost);
- ``polling``: the timer before it (the loop's timer to 1.5 ms before, then poll the loop,
  spin the last 150 us), the "before" figure;
- ``call_later``: the event loop's own timers, re-armed until due (the baseline).

Goal: error p50 <= 10 us, p99 <= 50 us. The machine's load average is printed with it.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import threading
import time

from wirespeed.gateway.bench import roundtrip

from .proxy import Relay
from .timer import TimerConfig
from .toxics import ToxicSpec

DELAYS_MS = (0.05, 0.2, 1.0, 5.0)
TIMERS = {"precise": TimerConfig(sched="slice"), "spin-slice": TimerConfig.spinning(sched="slice"),
          "polling": TimerConfig("loop", 1500, 150, False, 1500, "normal"), "call_later": TimerConfig.loop_timers()}
REALTIME = {"realtime": TimerConfig(sched="realtime"), "spin": TimerConfig.spinning()}


class _RelayThread:
    """A relay on its own uvloop in a thread, so nothing else shares its loop."""

    def __init__(self, timer: TimerConfig):
        import uvloop
        self.loop = uvloop.new_event_loop()
        self.timer = timer
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    async def _open(self, upstream_port: int, delay_ms: float):
        self.relay = Relay(seed=1, timer=self.timer)
        proxy = await self.relay.create("bench", f"127.0.0.1:{upstream_port}", toxics=[
            ToxicSpec("latency", stream="upstream", attributes={"latency": delay_ms})])
        return proxy

    async def _close(self):
        await self.relay.close()

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class _GcPauses:
    """The collector's pauses while measuring (it holds the GIL: the relay's thread waits them out)."""

    def __init__(self):
        self.pauses: list[int] = []
        self._t0 = 0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter_ns()
        else:
            self.pauses.append(time.perf_counter_ns() - self._t0)

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self)


def _measure(delay_ms: float, timer: TimerConfig, echo_port: int, rounds: int, clients: int = 1) -> dict:
    rt = _RelayThread(timer)
    gcp = _GcPauses().__enter__()
    try:
        proxy = rt.call(rt._open(echo_port, delay_ms))
        # ``clients`` > 1: as many connections through the relay at once (one client process
        # each), so the loop also serves the others' reads and writes around each deadline.
        procs = [subprocess.Popen([sys.executable, str(roundtrip.HERE / "rtt_client.py"), "1", str(rounds), "20",
                                   f"echo:{proxy.port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(clients)]
        rtts: list[int] = []
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            if proc.returncode:
                raise RuntimeError(f"rtt_client failed: {err.decode()[-500:]}")
            rtts += json.loads(out)[0]
        stats = proxy.stats()
        rt.call(rt._close())
    finally:
        gcp.__exit__()
        rt.stop()
    # The delayed direction's own error: the other one, written at once, would halve the p99's weight.
    out = dict(stats.get("upstream_delay_error") or stats["delay_error"])
    out["timer"] = stats.get("timer", {})
    out["rtts"] = sorted(rtts)
    out["gc_pauses"], out["gc_max"] = len(gcp.pauses), max(gcp.pauses, default=0)
    return out


def _pct(sorted_values: list[int], q: float) -> int:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] if sorted_values else 0


def run(rounds: int = 400, timers: dict[str, TimerConfig] = TIMERS, clients: int = 1,
        delays: tuple[float, ...] = DELAYS_MS) -> list[tuple[float, dict[str, dict]]]:
    echo, port = roundtrip._start([sys.executable, str(roundtrip.HERE / "echo_server.py")])
    try:
        floor = _measure(0.0, TimerConfig(sched="slice"), port, rounds, clients)["rtts"]
        rows = [(delay, {name: _measure(delay, cfg, port, rounds, clients) for name, cfg in timers.items()})
                for delay in delays]
        # What the client saw beyond the delay and the relay's own floor (no delay: written at once).
        base = _pct(floor, 0.5)
        for delay, r in rows:
            for e in r.values():
                over = [t - int(delay * 1e6) - base for t in e.pop("rtts")]
                e["client_p50"], e["client_p99"] = _pct(over, 0.5), _pct(over, 0.99)
        return rows
    finally:
        echo.terminate()
        echo.wait(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="relay injected-delay error")
    parser.add_argument("--rounds", type=int, default=1500, help="round trips per configured delay (a p99 of 1,500 is 15 samples; of 400, four)")
    parser.add_argument("--realtime", action="store_true",
                        help="also measure the precise timer on a SCHED_FIFO thread (needs CAP_SYS_NICE)")
    parser.add_argument("--clients", type=int, default=1,
                        help="connections through the relay at once, each from its own client process")
    parser.add_argument("--delays", default=",".join(f"{d:g}" for d in DELAYS_MS), help="configured delays, ms")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    if args.clients < 1:
        parser.error(f"--clients: must be >= 1, not {args.clients}")
    try:
        delays = tuple(float(d) for d in args.delays.split(","))
    except ValueError:
        parser.error(f"--delays: comma-separated milliseconds, not {args.delays!r}")
    timers = dict(TIMERS, **(REALTIME if args.realtime else {}))
    # What is alive now (modules, the bench itself) is never garbage: moved out of the collector's
    # sight, a collection during the runs walks only what they allocate (as `wirespeed relay` does).
    gc.freeze()
    load0 = os.getloadavg()[0]
    rows = run(args.rounds, timers, args.clients, delays)
    print(f"relay injected-delay error (write time - (read time + configured delay)), every chunk of the delayed "
          f"direction, {args.rounds} round trips (+20 warm-up) per delay and connection, {args.clients} connection(s) "
          "at once, relay alone on its uvloop, "
          "echo server and clients in other processes; "
          f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'configured':>10} {'timer':>10} {'sched':>8} {'p50':>8} {'p99':>9} {'max':>9} | {'wake p99':>9} "
          f"{'margin':>7} {'near p99':>9} {'spin':>7} {'busy':>5} | {'p99 vs polling':>14} | "
          f"{'client p50':>10} {'client p99':>10} | {'gc':>9}")
    for delay, r in rows:
        for name, e in r.items():
            t = e["timer"]
            wake = (f"{t['wake_late_p99'] / 1e3:>6.0f} us {t['margin_ns'] / 1e3:>4.0f} us "
                    f"{t['near_late_p99'] / 1e3:>6.0f} us {t['spin_ns'] / 1e3:>4.0f} us") if t.get("wakes") else \
                f"{'-':>9} {'-':>7} {'-':>9} {'-':>7}"
            print(f"{delay * 1000:>7.0f} us {name:>10} {t.get('sched', '-'):>8} {e['p50'] / 1e3:>5.1f} us"
                  f" {e['p99'] / 1e3:>6.1f} us {e['max'] / 1e3:>6.0f} us | {wake}"
                  f" {100 * t.get('busy_share', 0):>4.0f}%"
                  f" | {r['polling']['p99'] / max(e['p99'], 1):>13.1f}x"
                  f" | {e['client_p50'] / 1e3:>7.1f} us {e['client_p99'] / 1e3:>7.1f} us"
                  f" | {e['gc_pauses']:>2} <= {e['gc_max'] / 1e3:.0f} us")
    print("goal: p50 <= 10 us, p99 <= 50 us (client: round trip - delay - median round trip with no delay)")
    if args.json:
        print(json.dumps([{"delay_ms": d, **r} for d, r in rows]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
