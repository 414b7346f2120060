"""One-in, one-out valid/ready driver for either simulator (see access.py).

Offers ``inputs`` on ``i`` with random idles (an offered item is held until it
transfers, as the stream rule requires), applies random backpressure on ``o``, and
collects ``n_outputs`` transfers (default: one per input) with the cycle of each
transfer, for latency and bubble checks.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field


#: Every stream test runs under each: (input idle probability, output backpressure probability).
STALLS = [(0.0, 0.0), (0.3, 0.0), (0.0, 0.3), (0.3, 0.3)]
STALL_IDS = ["no-stall", "idle", "backpressure", "idle+backpressure"]


def stall_seed(idle: float, backpressure: float, salt: int = 0) -> int:
    """A distinct random seed per stall combination (``salt`` keeps tests apart)."""
    return int(idle * 10) * 10 + int(backpressure * 10) + salt


@dataclass
class StreamRun:
    outputs: list[int] = field(default_factory=list)
    in_cycles: list[int] = field(default_factory=list)    # cycle each input transferred
    out_cycles: list[int] = field(default_factory=list)   # cycle each output transferred


async def run(acc, inputs: list[int], n_outputs: int | None = None, *, idle: float = 0.0,
              backpressure: float = 0.0, seed: int = 1, max_cycles: int | None = None) -> StreamRun:
    rng = random.Random(seed)
    res = StreamRun()
    wanted = len(inputs) if n_outputs is None else n_outputs
    limit = max_cycles or (max(len(inputs), wanted) * 12 + 100)
    pending = list(inputs)
    offering = False
    cycle = 0
    while len(res.outputs) < wanted:
        if cycle >= limit:
            raise AssertionError(f"stalled: {len(res.outputs)}/{wanted} outputs after {cycle} cycles")
        if not offering and pending and rng.random() >= idle:
            acc.set("i.payload", pending[0])
            offering = True
        acc.set("i.valid", int(offering))
        o_ready = int(rng.random() >= backpressure)
        acc.set("o.ready", o_ready)
        await acc.settle()
        if offering and acc.get("i.ready"):
            res.in_cycles.append(cycle)
            pending.pop(0)
            offering = False
        if o_ready and acc.get("o.valid"):
            res.outputs.append(acc.get("o.payload"))
            res.out_cycles.append(cycle)
        await acc.step()
        cycle += 1
    acc.set("i.valid", 0)
    return res
