"""Round trips of 10 concurrent sessions through one ``wirespeed fix-acceptor --app ack`` (file
store on a real folder) for each FsyncPolicy: what ``none``, ``batch`` and ``always`` cost a desk
with several clients at once.

The client (this process, plain asyncio: not the code under test) keeps one order in flight per
session, all ten sessions at once, and times each NewOrderSingle -> ExecutionReport. Under
``always`` each session's reply waits for its own store's fsync (in the store's writer thread);
the other sessions' orders are served meanwhile, so the ten fsyncs overlap instead of queueing
one behind the other on the event loop.
"""
from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from wirespeed.latency import LatencyRecorder

from .roundtrip import _start

POLICIES = ("none", "batch", "always")


def _frame(body: str) -> bytes:
    msg = f"8=FIX.4.4\x019={len(body)}\x01{body}".encode()
    return msg + b"10=%03d\x01" % (sum(msg) % 256)


def _message(comp: str, msg_type: str, seq: int, fields: str) -> bytes:
    now = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime()) + ".000"
    return _frame(f"35={msg_type}\x0149={comp}\x0156=GW\x0134={seq}\x0152={now}\x01{fields}")


def _cfg(folder: str, policy: str, sessions: int) -> str:
    head = ("[DEFAULT]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=GW\nSocketAcceptPort=0\n"
            f"FileStorePath={folder}\nFsyncPolicy={policy}\nMaxMessagesPerSecond=1000000\n")
    return head + "".join(f"[SESSION]\nTargetCompID=C{i}\n" for i in range(sessions))


async def _client(port: int, comp: str, orders: int, warmup: int, out: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_message(comp, "A", 1, "98=0\x01108=30\x01141=Y\x01"))
    await reader.readuntil(b"\x0110=")
    await reader.readexactly(4)
    for n in range(warmup + orders):
        msg = _message(comp, "D", n + 2, f"11={comp}-{n}\x0155=AAPL\x0154=1\x0160=20261122-10:00:00\x0138=100"
                                         f"\x0140=2\x0144=190.25\x01")
        t0 = time.perf_counter_ns()
        writer.write(msg)
        await reader.readuntil(b"\x0110=")
        await reader.readexactly(4)
        if n >= warmup:
            out.append(time.perf_counter_ns() - t0)
    writer.close()


def run(orders: int = 300, warmup: int = 20, sessions: int = 10, policies=POLICIES,
        folder: str | None = None) -> LatencyRecorder:
    """``orders`` RTTs per session for each policy; the store folder defaults to one under the
    current directory (a real disk, where an fsync costs what it costs), removed afterwards."""
    rec = LatencyRecorder()
    with tempfile.TemporaryDirectory(dir=folder or os.getcwd(), prefix=".bench-fsync-") as tmp:
        for policy in policies:
            cfg = Path(tmp) / f"{policy}.cfg"
            cfg.write_text(_cfg(f"{tmp}/{policy}", policy, sessions))
            proc, port = _start([sys.executable, "-m", "wirespeed.cli", "fix-acceptor", "--config", str(cfg),
                                 "--app", "ack"])
            try:
                rtts: list[list[int]] = [[] for _ in range(sessions)]

                async def all_sessions():
                    await asyncio.gather(*(_client(port, f"C{i}", orders, warmup, rtts[i]) for i in range(sessions)))
                asyncio.run(all_sessions())
                label = f"{sessions} sessions, FsyncPolicy={policy}"
                for values in rtts:
                    for v in values:
                        rec.record(label, v)
            finally:
                proc.terminate()
                proc.wait(5)
    return rec


def main() -> None:
    print(f"\nround trip NewOrderSingle -> ExecutionReport, 10 sessions at once, one order in flight each, "
          f"file store under {os.getcwd()}")
    rec = run()
    print(rec.table("us"))
    base = rec.percentiles(rec.hops[0])
    for hop in rec.hops[1:]:
        p = rec.percentiles(hop)
        print(f"{hop}: p99 {p['p99'] / base['p99']:.2f}x, p50 {p['p50'] / base['p50']:.2f}x of FsyncPolicy=none")
