"""Decision-to-first-byte latency and cycles per frame of the order encoders, measured in the
Amaranth simulator (the figures are cycle counts, so the simulator does not matter) over
back-to-back accepted decisions with random fields."""
from __future__ import annotations

import random

from amaranth.sim import Simulator

from wirespeed.layout import BEAT, RISK_OUT

from . import stream_bench
from .access import AmaranthAccess
from .stimulus import random_decision


def measure(dut, depth: int, beats_at_least: int, frames: int = 200, seed: int = 1) -> dict:
    """{frames, first_min, first_max, frame_min, frame_max, beats}: cycles from a decision's
    transfer to its frame's first beat, and between successive decisions taken, over the complete
    frames among the first ``frames x beats_at_least`` beats (``beats_at_least``: no frame is shorter)."""
    rng = random.Random(seed)
    decisions = [RISK_OUT.pack({**random_decision(rng, i, depth), "accept": 1}) for i in range(frames)]
    box = {}

    async def bench(ctx):
        acc = AmaranthAccess(ctx, dut)
        box["run"] = await stream_bench.run(acc, decisions, frames * beats_at_least, max_cycles=frames * 80 + 100)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    run = box["run"]
    lasts = [k for k, w in enumerate(run.outputs) if BEAT.unpack(w)["last"]]
    starts = [0] + [k + 1 for k in lasts[:-1]]          # complete frames only
    firsts = [run.out_cycles[s] - run.in_cycles[n] for n, s in enumerate(starts)]
    gaps = [b - a for a, b in zip(run.in_cycles, run.in_cycles[1:len(starts)])]
    return {"frames": len(starts), "first_min": min(firsts), "first_max": max(firsts),
            "frame_min": min(gaps), "frame_max": max(gaps), "beats": (lasts[-1] + 1) / len(starts)}
