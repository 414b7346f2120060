"""Venue bench: order-to-ack round trips of a simulated venue over FIX on loopback, next to the
gateway's TCP floor (a bare uvloop echo server), measured in the same run by the gateway
bench's own client (``gateway/bench/rtt_client.py``: a separate stdlib process alternating
between the servers in short blocks, servers pinned to the last CPU and the client to the
first, as ``make bench`` does). Every order rests (it is priced below the venue's maker), so
each answer is one ExecutionReport New.

    python -m wirespeed.sim.venue.bench [--count N]     # prints the table and the ratios
"""
from __future__ import annotations

import argparse
import asyncio
import sys

from wirespeed.gateway.bench import roundtrip
from wirespeed.latency import LatencyRecorder

from . import SimVenue
from .config import FeedSpec, VenueSpec, VenueSymbol

BENCH_SPEC = VenueSpec("GW", comp_id="GW", ouch=False, feed=FeedSpec(enabled=True), max_messages_per_second=10**6,
                       symbols=(VenueSymbol("AAPL", "0.01", "200.00", levels=5, level_qty=500, max_qty=10**6),))


async def serve() -> None:
    venue = SimVenue(BENCH_SPEC)
    await venue.start()
    print(f"listening on 127.0.0.1:{venue.port}", flush=True)
    await asyncio.Event().wait()


def run(count: int = 4000, rounds: int = 20, warmup: int = 20):
    cmds = [[sys.executable, str(roundtrip.HERE / "echo_server.py")],
            [sys.executable, "-m", "wirespeed.sim.venue.bench", "--serve"]]
    labels = ["uvloop echo (TCP floor)", "sim venue D -> ER New"]
    servers = []
    rec = LatencyRecorder()
    try:
        for cmd in cmds:
            servers.append(roundtrip._start(cmd))
        rtts = roundtrip._measure([("echo", servers[0][1]), ("fix", servers[1][1])], rounds,
                                  max(count // rounds, 1), warmup)
        for label, values in zip(labels, rtts):
            for v in values:
                rec.record(label, v)
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(5)
    return rec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="simulated venue order-to-ack round trip over FIX")
    parser.add_argument("--count", type=int, default=4000, help="round trips per series")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from wirespeed.gateway.transport import install_uvloop
    install_uvloop()
    if args.serve:
        asyncio.run(serve())
        return 0
    rec = run(args.count)
    print("venue round trip on loopback (one client process alternating between the servers)")
    print(rec.table("us"))
    floor, venue = (rec.percentiles(h) for h in rec.hops)
    print(f"venue / TCP floor: p50 {venue['p50'] / floor['p50']:.2f}x, p99 {venue['p99'] / floor['p99']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
