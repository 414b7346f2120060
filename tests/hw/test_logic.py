"""hw/logic.py helpers whose arithmetic the pipeline relies on, against plain Python."""
import random

import pytest
from amaranth import Module, Signal, signed
from amaranth.sim import Simulator

from wirespeed.hw.logic import clamp_for_compare, exceeds

pytestmark = pytest.mark.hw


def test_a_clamped_limit_compares_as_the_limit_itself():
    """value > clamp(limit) == value > limit for every width-bit value, limits far below 0,
    around 0, around 2**width and far above (the pipeline's stage-3 compares)."""
    width = 8
    limit, value = Signal(signed(20)), Signal(width)
    m = Module()
    over = Signal()
    m.d.comb += over.eq(exceeds(value, clamp_for_compare(limit, width)))
    rng = random.Random(3)
    limits = [-(1 << 19), -300, -2, -1, 0, 1, 254, 255, 256, 257, (1 << 19) - 1] + \
             [rng.randrange(-(1 << 19), 1 << 19) for _ in range(30)]
    bad = []

    async def bench(ctx):
        for lim in limits:
            for v in (0, 1, 127, 254, 255, rng.randrange(256)):
                ctx.set(limit, lim)
                ctx.set(value, v)
                if ctx.get(over) != (v > lim):
                    bad.append((v, lim, ctx.get(over)))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert not bad, bad[:5]

