"""Bench: the venue-report side's fast path (native/path.c ``FastPath.reports``) against the same
gateway without it, in one run: two gateways (native risk, the client fast path on both), one with
WIRESPEED_REPORT_FAST_PATH=0, each with its own lean venue (venue_acker.py: a fill for every
order), measured by one client process in alternating blocks. Printed: the round trips, their
ratio after / before, and each gateway's own ``venue->client`` hop (venue report received ->
client report written) and ``client->venue`` hop. docs/gateway/native.md.

Usage: python -m wirespeed.gateway.bench.report_path [COUNT]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from wirespeed.latency import LatencyRecorder

from ..admin import request
from .order_path import lean_venue_cmd, service_toml
from .roundtrip import _measure, _start, cores

BEFORE = "client -> gateway (fast path, Python report side) -> lean venue -> client"
AFTER = "client -> gateway (fast path, C report side) -> lean venue -> client"


def _gateway(config: str, report_fast: bool):
    from .order_path import start_gateway
    old = os.environ.get("WIRESPEED_REPORT_FAST_PATH")
    os.environ["WIRESPEED_REPORT_FAST_PATH"] = "1" if report_fast else "0"
    try:
        return start_gateway(config)
    finally:
        if old is None:
            del os.environ["WIRESPEED_REPORT_FAST_PATH"]
        else:
            os.environ["WIRESPEED_REPORT_FAST_PATH"] = old


def run(count: int = 4000, rounds: int = 20, warmup: int = 20):
    _, client = cores()
    rec, hops, procs, targets = LatencyRecorder(), {}, [], []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            admins = {}
            for k, (label, fast) in enumerate(((BEFORE, False), (AFTER, True))):
                name = f"VENUE{k}"
                venue, vport = _start(lean_venue_cmd(name), client)
                procs.append(venue)
                gw, ports = _gateway(service_toml(tmp, [vport], ["BENCH"], [name], 0, f"gw-{name}", backend="native"),
                                     fast)
                procs.append(gw)
                targets.append(("fix", ports["fix"]))
                admins[label] = ports["admin"]
            for label, values in zip((BEFORE, AFTER), _measure(targets, rounds, max(count // rounds, 1), warmup)):
                for v in values:
                    rec.record(label, v)
            for label, port in admins.items():
                hops[label] = request("127.0.0.1", port, "latency")["hops"]
        finally:
            for p in reversed(procs):
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
    return rec, hops


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    print("\nvenue-report side: C report path against the Python one (same run, alternating blocks)")
    rec, hops = run(count)
    print(rec.table("us"))
    b, a = rec.percentiles(BEFORE), rec.percentiles(AFTER)
    print(f"round trip, C report side / Python report side: p50 {a['p50'] / b['p50']:.2f}x, "
          f"p99 {a['p99'] / b['p99']:.2f}x, p99.9 {a['p99.9'] / b['p99.9']:.2f}x")
    for hop in ("venue->client", "client->venue"):
        hb, ha = hops[BEFORE].get(hop), hops[AFTER].get(hop)
        if hb and ha:
            print(f"gateway hop {hop}: Python report side p50 {hb['p50'] / 1e3:.2f} us p99 {hb['p99'] / 1e3:.2f} us; "
                  f"C report side p50 {ha['p50'] / 1e3:.2f} us p99 {ha['p99'] / 1e3:.2f} us "
                  f"({ha['p50'] / hb['p50']:.2f}x p50, {ha['p99'] / hb['p99']:.2f}x p99)")
    print(f"load average during the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
