"""``wirespeed venue --config FILE``: start the venues of a TOML file on loopback and say
where each listens (FIX, OUCH, ITCH feed, request server); ``wirespeed relay``: a network-path
relay with toxiproxy's HTTP API (what ``toxiproxy-server`` is to toxiproxy clients). Both run
until interrupted or for ``--run-for`` seconds."""
from __future__ import annotations

import asyncio
import gc
import signal
import sys

from wirespeed.gateway.transport import install_uvloop

from .net import ControlApi, Relay, TimerConfig
from .venue import SimVenue, load_market


async def _until_stopped(run_for: float | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):   # not the main thread
            pass
    try:
        await asyncio.wait_for(stop.wait(), run_for)
    except asyncio.TimeoutError:
        pass


async def run_venues(config_path: str, run_for: float | None = None, out=sys.stdout) -> list[dict]:
    market = load_market(config_path)
    venues = [SimVenue(spec) for spec in market.venue]
    started = []
    try:
        for v in venues:
            await v.start()
            started.append(v)
        for v in venues:
            print(v.describe(), file=out)
        out.flush()
        await _until_stopped(run_for)
        return [{"venue": v.spec.name, **v.stats} for v in venues]
    finally:
        for v in started:
            await v.stop()


def venue_main(config_path: str, run_for: float | None = None) -> int:
    install_uvloop()
    try:
        stats = asyncio.run(run_venues(config_path, run_for))
    except OSError as exc:             # a configured port in use, say
        print(f"wirespeed venue: cannot listen: {exc}", file=sys.stderr)
        return 2
    for s in stats:
        print("  ".join(f"{k}={v}" for k, v in s.items()))
    return 0


def relay_timer(sched: str = "slice", spin: bool = False, cpu: int | None = None) -> TimerConfig:
    """The relay CLI's timer: sleeping (the default) or busy-polling near deadlines (``--spin``)."""
    return TimerConfig.spinning(sched=sched, cpu=cpu) if spin else TimerConfig(sched=sched, cpu=cpu)


def build_relay(seed: int, sched: str = "slice", spin: bool = False, cpu: int | None = None, err=None) -> Relay:
    """The relay with its timer built on this (the loop's) thread, saying on ``err`` what the
    kernel refused."""
    err = err or sys.stderr
    relay = Relay(seed=seed, timer=relay_timer(sched, spin, cpu))
    if relay.timer.sched != sched:       # (built now, on the loop's thread, before any traffic)
        print(f"wirespeed relay: sched {sched} refused by the kernel (real time needs CAP_SYS_NICE; a short "
              f"slice Linux >= 6.12): running {relay.timer.sched}", file=err, flush=True)
        if spin and relay.timer.sched == "normal":
            # Busy-polling at normal priority on a loaded machine is worse than sleeping (2.8 ms
            # p50 at 5 ms measured): without the priority it asked for, the relay sleeps.
            relay.timer.close()
            relay = Relay(seed=seed, timer=relay_timer("slice", False, cpu))
            print(f"wirespeed relay: --spin without real time would be worse than sleeping: the sleeping "
                  f"timer runs (sched {relay.timer.sched})", file=err, flush=True)
    return relay


async def run_relay(port: int, seed: int, run_for: float | None = None, out=sys.stdout,
                    sched: str = "slice", spin: bool = False, cpu: int | None = None) -> None:
    relay = build_relay(seed, sched, spin, cpu)
    api = ControlApi(relay, "127.0.0.1", port)
    await api.start()
    print(f"relay API on http://127.0.0.1:{api.port} (toxiproxy's endpoints; proxies listen on loopback)",
          file=out, flush=True)
    try:
        await _until_stopped(run_for)
    finally:
        await api.stop()
        await relay.close()


def relay_main(port: int = 8474, seed: int = 0, run_for: float | None = None, sched: str | None = None,
               spin: bool = False, cpu: int | None = None) -> int:
    # Busy-polling at normal priority on a loaded machine is worse than sleeping (a CPU-bound thread
    # loses its core for whole slices: 2.8 ms p50 at 5 ms measured): --spin means real time unless told.
    sched = sched or ("realtime" if spin else "slice")
    install_uvloop()
    # Everything alive now (the modules) lives as long as the process: out of the collector's sight, a
    # collection walks only what the relay allocated since (measured in its bench: ~150 us, not ~500).
    gc.freeze()
    try:
        relay_timer(sched, spin, cpu)
        asyncio.run(run_relay(port, seed, run_for, sched=sched, spin=spin, cpu=cpu))
    except ValueError as exc:           # (a CPU it may not run on)
        print(f"wirespeed relay: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"wirespeed relay: cannot listen on 127.0.0.1:{port}: {exc}", file=sys.stderr)
        return 2
    return 0
