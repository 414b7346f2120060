"""Relay bench: how close the injected delay comes to the configured one.

``python -m wirespeed.sim.net.bench`` sends request/reply messages through a relay with
a latency toxic of 50 us .. 5 ms on the upstream direction, and prints p50/p99 of each
write's lateness against its planned deadline for the precise timer (sleep to 1.5 ms
before, poll the loop, spin the last 150 us) next to the event loop's own ``call_later``
measured in the same run (the baseline). Target: error p50 <= 10 us, p99 <= 50 us.
"""
from __future__ import annotations

import argparse
import asyncio

from wirespeed.gateway.transport import install_uvloop

from .proxy import Relay
from .toxics import ToxicSpec

DELAYS_MS = (0.05, 0.2, 1.0, 5.0)


async def _measure(delay_ms: float, precise: bool, rounds: int) -> dict:
    async def echo(reader, writer):
        while data := await reader.read(65536):
            writer.write(data)
        writer.close()
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    relay = Relay(seed=1, coarse_us=1500 if precise else 0, spin_us=150 if precise else 0)
    path = await relay.create("bench", f"127.0.0.1:{server.sockets[0].getsockname()[1]}",
                              toxics=[ToxicSpec("latency", stream="upstream", attributes={"latency": delay_ms})])
    reader, writer = await asyncio.open_connection("127.0.0.1", path.port)
    for i in range(rounds):
        writer.write(b"%08d" % i)
        await reader.readexactly(8)
    writer.close()
    stats = path.stats()
    await relay.close()
    server.close()
    return stats["delay_error"]


def run(rounds: int = 400) -> list[tuple[float, dict, dict]]:
    rows = []
    for delay in DELAYS_MS:
        precise = asyncio.run(_measure(delay, True, rounds))
        coarse = asyncio.run(_measure(delay, False, rounds))
        rows.append((delay, precise, coarse))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=400, help="round trips per configured delay")
    args = parser.parse_args(argv)
    install_uvloop()
    print(f"relay injected-delay error (write time - planned deadline), {args.rounds} messages per delay, uvloop")
    print(f"{'configured':>11} {'precise p50':>12} {'p99':>8} {'max':>8} | {'call_later p50':>15} {'p99':>8}"
          f" | {'p99 ratio':>9}")
    for delay, p, c in run(args.rounds):
        print(f"{delay * 1000:>8.0f} us {p['p50'] / 1e3:>9.1f} us {p['p99'] / 1e3:>5.1f} us {p['max'] / 1e3:>5.0f} us"
              f" | {c['p50'] / 1e3:>12.1f} us {c['p99'] / 1e3:>5.1f} us | {c['p99'] / max(p['p99'], 1):>8.1f}x")
    print("target: precise p50 <= 10 us, p99 <= 50 us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
