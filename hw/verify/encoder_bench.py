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


def frame_timing(dut, depth: int, frames: int = 40, backpressure: float = 0.0, seed: int = 1,
                 setup=None) -> dict:
    """Per-cycle trace of an encoder's output over back-to-back accepted decisions, with
    ``backpressure`` (the probability ``o.ready`` is low in a cycle): {frames, first_min/max and
    last_min/max (cycles from the decision's transfer to the frame's first and last beat
    transfer), frame_min/max (cycles between decisions taken), gaps (cycles inside a frame,
    after its first beat was offered and before its last was taken, with ``o.valid`` low),
    gap_frames (frames with any)}. ``setup(ctx)`` runs first (tables, ports)."""
    rng = random.Random(seed)
    decisions = [RISK_OUT.pack({**random_decision(rng, i, depth), "accept": 1}) for i in range(frames)]
    box = {}

    async def bench(ctx):
        if setup is not None:
            await setup(ctx)
        acc = AmaranthAccess(ctx, dut)
        taken, trace, pending, done, cycle = [], [], list(decisions), 0, 0
        while done < frames:
            if cycle > frames * 200 + 200:
                raise AssertionError(f"stalled: {done}/{frames} frames after {cycle} cycles")
            if pending:
                acc.set("i.payload", pending[0])
            acc.set("i.valid", int(bool(pending)))
            ready = int(rng.random() >= backpressure)
            acc.set("o.ready", ready)
            if pending and acc.get("i.ready"):
                taken.append(cycle)
                pending.pop(0)
            valid = acc.get("o.valid")
            last = valid and BEAT.unpack(acc.get("o.payload"))["last"]
            trace.append((valid, ready, last))
            done += bool(valid and ready and last)
            await acc.step()
            cycle += 1
        box["r"] = taken, trace

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    taken, trace = box["r"]
    firsts, lasts, gap_counts = [], [], []
    inside, gaps, first = False, 0, None
    for cycle, (valid, ready, last) in enumerate(trace):
        if not inside and valid:
            inside, gaps, first = True, 0, None
        if inside:
            gaps += not valid
            if valid and ready and first is None:
                first = cycle
            if valid and ready and last:
                firsts.append(first)
                lasts.append(cycle)
                gap_counts.append(gaps)
                inside = False
    n = len(lasts)
    first_lat = [f - t for f, t in zip(firsts, taken)]
    last_lat = [e - t for e, t in zip(lasts, taken)]
    between = [b - a for a, b in zip(taken, taken[1:n])]
    return {"frames": n, "first_min": min(first_lat), "first_max": max(first_lat), "last_min": min(last_lat),
            "last_max": max(last_lat), "frame_min": min(between), "frame_max": max(between),
            "gaps": sum(gap_counts), "gap_frames": sum(1 for g in gap_counts if g)}
