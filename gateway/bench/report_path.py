"""Bench: the venue-report side's fast path (native/path.c ``FastPath.reports``) against the same
gateway without it, in one run: three gateways (native risk, the client fast path on all), one
with WIRESPEED_REPORT_FAST_PATH=0, one with the report fast path but the client's report sent by
Python (WIRESPEED_C_CLIENT_SEND=0), one with the client's report written from the C call, each
with its own lean venue (venue_acker.py: a fill for every order), measured by one client process
in alternating blocks. Printed: the round trips, their ratios, and each gateway's own
``venue->client`` hop (venue report received -> client report written) and ``client->venue``
hop. docs/gateway/native.md.

Usage: python -m wirespeed.gateway.bench.report_path [COUNT]
"""
from __future__ import annotations

import os
import sys
import tempfile

from wirespeed.latency import LatencyRecorder

from ..admin import request
from .order_path import lean_venue_cmd, service_toml
from .roundtrip import _measure, _start, _stop, cores

BEFORE = "client -> gateway (fast path, Python report side) -> lean venue -> client"
AFTER = "client -> gateway (fast path, C report side, Python client send) -> lean venue -> client"
C_SEND = "client -> gateway (fast path, C report side, C client send) -> lean venue -> client"
SERIES = ((BEFORE, {"WIRESPEED_REPORT_FAST_PATH": "0"}), (AFTER, {"WIRESPEED_C_CLIENT_SEND": "0"}), (C_SEND, {}))


def _gateway(config: str, env: dict):
    from .order_path import start_gateway
    old = {k: os.environ.get(k) for k in ("WIRESPEED_REPORT_FAST_PATH", "WIRESPEED_C_CLIENT_SEND")}
    os.environ.update({k: "1" for k in old})
    os.environ.update(env)
    try:
        return start_gateway(config)
    finally:
        for k, v in old.items():
            if v is None:
                del os.environ[k]
            else:
                os.environ[k] = v


def run(count: int = 4000, rounds: int = 20, warmup: int = 20):
    _, client = cores()
    rec, hops, procs, targets = LatencyRecorder(), {}, [], []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            admins = {}
            for k, (label, env) in enumerate(SERIES):
                name = f"VENUE{k}"
                venue, vport = _start(lean_venue_cmd(name), client)
                procs.append(venue)
                gw, ports = _gateway(service_toml(tmp, [vport], ["BENCH"], [name], 0, f"gw-{name}", backend="native"),
                                     env)
                procs.append(gw)
                targets.append(("fix", ports["fix"]))
                admins[label] = ports["admin"]
            for (label, _), values in zip(SERIES, _measure(targets, rounds, max(count // rounds, 1), warmup)):
                for v in values:
                    rec.record(label, v)
            for label, port in admins.items():
                hops[label] = request("127.0.0.1", port, "latency")["hops"]
        finally:
            _stop(procs)
    return rec, hops


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    print("\nvenue-report side: C report path against the Python one (same run, alternating blocks)")
    rec, hops = run(count)
    print(rec.table("us"))
    for title, before, after in (("C report side / Python report side", BEFORE, AFTER),
                                 ("C client send / Python client send (C report side both)", AFTER, C_SEND),
                                 ("C report side and send / Python report side", BEFORE, C_SEND)):
        b, a = rec.percentiles(before), rec.percentiles(after)
        print(f"round trip, {title}: p50 {a['p50'] / b['p50']:.2f}x, p99 {a['p99'] / b['p99']:.2f}x, "
              f"p99.9 {a['p99.9'] / b['p99.9']:.2f}x")
    for hop in ("venue->client", "client->venue"):
        line = []
        for label, _ in SERIES:
            h = hops[label].get(hop)
            if h:
                line.append(f"{label.split('(')[1].split(')')[0]}: p50 {h['p50'] / 1e3:.2f} us p99 {h['p99'] / 1e3:.2f} us")
        print(f"gateway hop {hop}: " + "; ".join(line))
    print(f"load average during the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
