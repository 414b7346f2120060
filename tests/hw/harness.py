"""Amaranth-simulator harness for one-in, one-out stream blocks, with idles and backpressure."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from amaranth.sim import Simulator

STALLS = [(0.0, 0.0), (0.3, 0.0), (0.0, 0.3), (0.3, 0.3)]  # (input idle, output backpressure)
STALL_IDS = ["no-stall", "idle", "backpressure", "idle+backpressure"]


@dataclass
class StreamRun:
    outputs: list[int] = field(default_factory=list)
    in_cycles: list[int] = field(default_factory=list)   # cycle each input transferred
    out_cycles: list[int] = field(default_factory=list)  # cycle each output transferred
    first_valid: list[int] = field(default_factory=list) # cycle each output first became valid


def run_stream(dut, inputs: list[int], *, setup=None, idle=0.0, backpressure=0.0, seed=1,
               max_cycles=None, n_outputs: int | None = None) -> StreamRun:
    """Drive ``inputs`` into ``dut.i``, collect ``n_outputs`` (default: one per input)
    transfers of ``dut.o`` (as packed ints)."""
    rng = random.Random(seed)
    run = StreamRun()
    wanted = len(inputs) if n_outputs is None else n_outputs
    limit = max_cycles or (max(len(inputs), wanted) * 12 + 100)

    async def bench(ctx):
        if setup is not None:
            await setup(ctx)
        pending = list(inputs)
        cycle = 0
        was_valid = False
        while len(run.outputs) < wanted:
            assert cycle < limit, f"stalled: {len(run.outputs)}/{wanted} outputs after {cycle} cycles"
            # Hold an offered item until it transfers (stream rule); else maybe idle.
            offering = ctx.get(dut.i.valid)
            if not offering and pending and rng.random() >= idle:
                ctx.set(dut.i.payload.as_value(), pending[0])
                ctx.set(dut.i.valid, 1)
            ctx.set(dut.o.ready, int(rng.random() >= backpressure))
            await ctx.delay(0)  # let combinational ready settle
            o_valid = ctx.get(dut.o.valid)
            if o_valid and not was_valid:
                run.first_valid.append(cycle)
            if ctx.get(dut.i.valid) and ctx.get(dut.i.ready):
                run.in_cycles.append(cycle)
                pending.pop(0)
                in_done = True
            else:
                in_done = False
            if o_valid and ctx.get(dut.o.ready):
                run.outputs.append(ctx.get(dut.o.payload.as_value()))
                run.out_cycles.append(cycle)
                was_valid = False
            else:
                was_valid = bool(o_valid)
            await ctx.tick()
            if in_done:
                ctx.set(dut.i.valid, 0)
            cycle += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return run
