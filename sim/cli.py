"""``wirespeed venue --config FILE``: start the venues of a TOML file on loopback and say
where each listens (FIX, OUCH, ITCH feed, request server); run until interrupted or for
``--run-for`` seconds."""
from __future__ import annotations

import asyncio
import signal
import sys

from wirespeed.gateway.transport import install_uvloop

from .venue import SimVenue, load_market


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
