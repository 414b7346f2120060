"""hw/mul.py: the registered 32 x 32 multiply at both depths, against Python's product."""
import random

import pytest
from amaranth.sim import Simulator

from amaranth.back import verilog

from wirespeed.hw.ecp5 import ECP5
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


@pytest.mark.parametrize("stages", [2, 3])
def test_own_input_registers_load_on_their_enables_and_keep_the_cycles(stages):
    # input_regs: the values are loaded into Notional's registers (a cycle, as into the caller's
    # before), each only while its enable is high; the product follows ``stages`` cycles later
    rng = random.Random(10 + stages)
    steps = [(rng.getrandbits(32), rng.getrandbits(32), rng.random() < 0.6, rng.random() < 0.6) for _ in range(60)]
    dut = Notional(stages, input_regs=True)
    got, want, q, p = [], [], 0, 0

    async def bench(ctx):
        nonlocal q, p
        ctx.set(dut.en, 1)
        for k in range(len(steps) + stages + 1):
            if k < len(steps):
                qty, price, qe, pe = steps[k]
                ctx.set(dut.qty, qty)
                ctx.set(dut.price, price)
                ctx.set(dut.qty_en, qe)
                ctx.set(dut.price_en, pe)
                q, p = (qty if qe else q), (price if pe else p)
                want.append(q * p)
            await ctx.tick()
            if k >= stages:
                got.append(ctx.get(dut.product))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert got[:len(steps)] == want


def test_the_ecp5_flow_puts_the_registers_inside_four_mult18x18d():
    text = verilog.convert(Notional(3, input_regs=True), name="n", emit_src=False, platform=ECP5)
    assert text.count("MULT18X18D ") == 4
    for reg, clk in (("INPUTA", "CLK0"), ("INPUTB", "CLK0"), ("OUTPUT", "CLK0"), ("PIPELINE", "NONE")):
        assert text.count(f'.REG_{reg}_CLK("{clk}")') == 4, reg
    assert "qty_r" not in text and "pp00 <=" not in text      # no fabric copy of those registers
    # without the option (the risk pipeline's use), and on any other platform, generic code only
    assert "MULT18X18D" not in verilog.convert(Notional(3), name="n", emit_src=False, platform=ECP5)
    assert "MULT18X18D" not in verilog.convert(Notional(3, input_regs=True), name="n", emit_src=False)


def test_stages_other_than_two_or_three_are_refused():
    with pytest.raises(ValueError, match="stages: 4"):
        Notional(4)
    with pytest.raises(TypeError, match="input_regs: must be True or False, not 1"):
        Notional(3, input_regs=1)
