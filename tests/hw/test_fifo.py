"""ThermoFIFO (hw/host/fifo.py) in the Amaranth simulator against a Python deque: order, the
full and empty flags, and pushes refused while full."""
import random
from collections import deque

import pytest
from amaranth.sim import Simulator

from wirespeed.hw.host.fifo import ThermoFIFO

pytestmark = pytest.mark.hw


@pytest.mark.parametrize("depth", [2, 8])
def test_matches_a_queue_under_random_pushes_and_pops(depth):
    rng = random.Random(depth)
    dut = ThermoFIFO(width=16, depth=depth)
    model, mismatches, full_seen, empty_seen = deque(), [], [0], [0]

    async def bench(ctx):
        for cycle in range(600):
            # phases that fill it up and drain it
            p_push = 0.8 if (cycle // 60) % 2 == 0 else 0.2
            push, pop, value = rng.random() < p_push, rng.random() < 0.5, rng.getrandbits(16)
            ctx.set(dut.w_en, push)
            ctx.set(dut.w_data, value)
            ctx.set(dut.r_en, pop)
            w_rdy, r_rdy = ctx.get(dut.w_rdy), ctx.get(dut.r_rdy)
            if w_rdy != (len(model) < depth) or r_rdy != (len(model) > 0):
                mismatches.append((cycle, "flags", w_rdy, r_rdy, len(model)))
            if r_rdy and ctx.get(dut.r_data) != model[0]:
                mismatches.append((cycle, "data", ctx.get(dut.r_data), model[0]))
            full_seen[0] += not w_rdy
            empty_seen[0] += not r_rdy
            popped = pop and r_rdy
            if push and w_rdy:
                model.append(value)
            if popped:
                model.popleft()
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert mismatches == []
    assert full_seen[0] > 0 and empty_seen[0] > 0, "the run must reach both full and empty"


def test_depth_must_be_a_power_of_two():
    with pytest.raises(TypeError, match="power of two"):
        ThermoFIFO(8, 6)
