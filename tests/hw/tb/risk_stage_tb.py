"""cocotb tests of the Verilated RiskStage, scoreboarded against RiskModel."""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import FallingEdge

from wirespeed.hw.risk.model import RiskModel
from wirespeed.hw.risk.stage import LATENCY
from wirespeed.hw.stimulus import random_order_fields, random_table
from wirespeed.layout import DECISION, ORDER
from wirespeed.reasons import RISK_REASONS, reasons_in

from .streamtb import StreamTB, env_int

DEPTH = env_int("WS_DEPTH", 16)
ORDERS = env_int("WS_ORDERS", 1000)
SEED = env_int("WS_SEED", 1)


async def load_table(tb: StreamTB, model: RiskModel) -> None:
    # Reset does not clear RAM: write every row, as the control plane does at start-up.
    dut = tb.dut
    for index in range(model.depth):
        entry = model.table.get(index)
        dut.table__addr.value = index
        dut.table__data.value = entry.pack() if entry else 0
        dut.table__en.value = 1
        await FallingEdge(dut.clk)
    dut.table__en.value = 0


async def random_run(dut, idle: float, backpressure: float, salt: int):
    tb = StreamTB(dut)
    await tb.reset()
    rng = random.Random(SEED * 100 + salt)
    model = RiskModel(DEPTH)
    for index, entry in random_table(rng, DEPTH).items():
        model.write(index, entry)
    await load_table(tb, model)
    orders = [random_order_fields(rng, model, i) for i in range(ORDERS)]
    seen = set()
    await tb.run([ORDER.pack(o) for o in orders], [model.decision(o) for o in orders],
                 idle=idle, backpressure=backpressure, seed=salt,
                 on_output=lambda got, exp: seen.update(reasons_in(DECISION.unpack(got)["mask"])))
    return seen


@cocotb.test()
async def random_no_stall(dut):
    await random_run(dut, 0.0, 0.0, 1)


@cocotb.test()
async def random_idle(dut):
    await random_run(dut, 0.3, 0.0, 2)


@cocotb.test()
async def random_backpressure(dut):
    await random_run(dut, 0.0, 0.3, 3)


@cocotb.test()
async def random_idle_and_backpressure(dut):
    seen = await random_run(dut, 0.3, 0.3, 4)
    # Coverage: every reason this stage implements was produced at least once.
    implemented = {r for r in RISK_REASONS if r.name in
                   {"BAD_FIELD", "ZERO_QTY", "UNKNOWN_SYMBOL", "BAD_PRICE", "MAX_QTY", "PRICE_COLLAR"}}
    assert implemented <= seen, f"reasons never produced: {sorted(implemented - seen)}"


@cocotb.test()
async def fixed_latency_back_to_back(dut):
    tb = StreamTB(dut)
    await tb.reset()
    rng = random.Random(SEED)
    model = RiskModel(DEPTH)
    for index, entry in random_table(rng, DEPTH).items():
        model.write(index, entry)
    await load_table(tb, model)
    orders = [random_order_fields(rng, model, i) for i in range(500)]
    ins, outs = await tb.run([ORDER.pack(o) for o in orders], [model.decision(o) for o in orders])
    assert ins == list(range(ins[0], ins[0] + len(orders))), "input was not accepted every cycle"
    latencies = {o - i for i, o in zip(ins, outs)}
    assert latencies == {LATENCY}, f"latency not constant: {sorted(latencies)}"
