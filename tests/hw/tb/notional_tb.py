"""cocotb bench of Notional(stages, input_regs=True) as a netlist (tests/hw/test_ecp5_netlist.py):
the product of what the input registers hold, exactly ``WS_STAGES`` cycles after they load, with
random load enables (so a product a cycle early or late is a mismatch)."""
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from .streamtb import env_int

STAGES = env_int("WS_STAGES", 3)
STEPS = env_int("WS_STEPS", 300)


@cocotb.test()
async def products(dut):
    cocotb.start_soon(Clock(dut.clk, 4, unit="ns").start())
    dut.rst.value = 1
    for name in ("en", "qty", "price", "qty_en", "price_en"):
        getattr(dut, name).value = 0
    for _ in range(2):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    dut.en.value = 1
    await FallingEdge(dut.clk)
    rng = random.Random(5)
    q = p = 0
    want, got = [], []
    for k in range(STEPS + STAGES + 1):
        if k < STEPS:
            qty, price = rng.choice([0, 1, 0xFFFF, 0x10000, 0xFFFFFFFF, rng.getrandbits(32)]), rng.getrandbits(32)
            qe, pe = rng.random() < 0.6, rng.random() < 0.6
            dut.qty.value, dut.price.value, dut.qty_en.value, dut.price_en.value = qty, price, int(qe), int(pe)
            q, p = (qty if qe else q), (price if pe else p)
            want.append(q * p)
        await FallingEdge(dut.clk)
        if k >= STAGES:
            got.append(int(dut.product.value))
    mismatches = [(k, g, w) for k, (g, w) in enumerate(zip(got, want)) if g != w]
    assert not mismatches, f"{len(mismatches)} of {len(want)} products wrong, first (step, got, want): {mismatches[0]}"
