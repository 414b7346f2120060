"""hw/mul.py: the registered 32 x 32 multiply at both depths, against Python's product."""
import random

import pytest
from amaranth.sim import Simulator

from wirespeed.hw.mul import Notional

pytestmark = pytest.mark.hw


@pytest.mark.parametrize("stages", [2, 3])
def test_product_after_its_stages_with_a_new_pair_every_cycle(stages):
    rng = random.Random(stages)
    edge = [0, 1, 0xFFFF, 0x10000, 0xFFFFFFFF]
    pairs = [(a, b) for a in edge for b in edge] + [(rng.getrandbits(32), rng.getrandbits(32)) for _ in range(40)]
    dut = Notional(stages)
    got = []

    async def bench(ctx):
        ctx.set(dut.en, 1)
        for k in range(len(pairs) + stages):
            if k < len(pairs):
                ctx.set(dut.qty, pairs[k][0])
                ctx.set(dut.price, pairs[k][1])
            await ctx.tick()
            if k >= stages - 1:
                got.append(ctx.get(dut.product))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert got[:len(pairs)] == [a * b for a, b in pairs]


def test_stages_other_than_two_or_three_are_refused():
    with pytest.raises(ValueError, match="stages: 4"):
        Notional(4)
