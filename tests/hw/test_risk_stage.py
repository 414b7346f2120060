"""RiskStage in the Amaranth simulator against the golden model (RiskModel)."""
import random

import pytest

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.hw.risk.model import LimitEntry, RiskModel
from wirespeed.hw.risk.stage import LATENCY, RiskStage
from wirespeed.hw.stimulus import random_order_fields, random_table
from wirespeed.layout import DECISION, ORDER
from wirespeed.reasons import RejectReason as R
from wirespeed.reasons import primary

from .harness import STALL_IDS, STALLS, run_stream

pytestmark = pytest.mark.hw


def _setup_table(dut, table):
    async def setup(ctx):
        for index, entry in table.items():
            ctx.set(dut.table.addr, index)
            ctx.set(dut.table.data.as_value(), entry.pack())
            ctx.set(dut.table.en, 1)
            await ctx.tick()
        ctx.set(dut.table.en, 0)
    return setup


def _run(depth, table, orders, **stall):
    dut = RiskStage(depth)
    return run_stream(dut, [ORDER.pack(o) for o in orders], setup=_setup_table(dut, table), **stall)


@pytest.mark.parametrize("idle,backpressure", STALLS, ids=STALL_IDS)
@pytest.mark.parametrize("depth", [16, 64])
def test_random_orders_match_model(depth, idle, backpressure):
    rng = random.Random(depth * 1000 + int(idle * 10) * 10 + int(backpressure * 10))
    model = RiskModel(depth)
    for index, entry in random_table(rng, depth).items():
        model.write(index, entry)
    orders = [random_order_fields(rng, model, i) for i in range(400)]

    run = _run(depth, model.table, orders, idle=idle, backpressure=backpressure, seed=depth)

    expected = [model.decision(o) for o in orders]
    for i, (got, want) in enumerate(zip(run.outputs, expected)):
        assert got == want, f"order {i} {orders[i]}: got {DECISION.unpack(got)}, want {DECISION.unpack(want)}"
    assert len(run.outputs) == len(expected)


def test_fixed_latency_and_full_throughput():
    rng = random.Random(5)
    model = RiskModel(16)
    for index, entry in random_table(rng, 16).items():
        model.write(index, entry)
    orders = [random_order_fields(rng, model, i) for i in range(200)]

    run = _run(16, model.table, orders)

    # One order per cycle, back to back, and every decision exactly LATENCY cycles later.
    assert run.in_cycles == list(range(run.in_cycles[0], run.in_cycles[0] + len(orders)))
    assert {o - i for i, o in zip(run.in_cycles, run.out_cycles)} == {LATENCY}


BASE = {"order_id": 9, "cl_ord_key": 1, "session": 0, "symbol": 3, "side": int(Side.BUY),
        "ord_type": int(OrdType.LIMIT), "tif": int(TimeInForce.DAY), "qty": 100, "price": 1000}
ROW = LimitEntry(max_qty=100, price_lo=990, price_hi=1010)


@pytest.mark.parametrize("change,reasons", [
    ({}, []),
    ({"qty": 101}, [R.MAX_QTY]),
    ({"qty": 99}, []),
    ({"qty": 0}, [R.ZERO_QTY]),
    ({"price": 1011}, [R.PRICE_COLLAR]),
    ({"price": 1010}, []),
    ({"price": 989}, [R.PRICE_COLLAR]),
    ({"price": 990}, []),
    ({"price": 0}, [R.BAD_PRICE, R.PRICE_COLLAR]),
    ({"price": 0, "ord_type": int(OrdType.MARKET)}, []),
    ({"price": 5000, "ord_type": int(OrdType.MARKET)}, []),
    ({"side": 0}, [R.BAD_FIELD]),
    ({"tif": 2}, [R.BAD_FIELD]),
    ({"ord_type": 3}, [R.BAD_FIELD]),
    ({"symbol": 4}, [R.UNKNOWN_SYMBOL]),
    ({"symbol": 16}, [R.UNKNOWN_SYMBOL]),
    ({"symbol": 0xFFFF, "qty": 0}, [R.ZERO_QTY, R.UNKNOWN_SYMBOL]),
    ({"qty": (1 << 32) - 1, "price": (1 << 32) - 1}, [R.MAX_QTY, R.PRICE_COLLAR]),
], ids=lambda v: str(v))
def test_boundaries(change, reasons):
    order = {**BASE, **change}
    model = RiskModel(16)
    model.write(3, ROW)
    expected_mask = sum(r.bit for r in reasons)
    assert model.check_fields(**order) == expected_mask  # the model itself is right

    run = _run(16, {3: ROW}, [order])

    got = DECISION.unpack(run.outputs[0])
    assert got["mask"] == expected_mask
    assert got["reason"] == primary(expected_mask)
    assert got["accept"] == int(not reasons)
    assert got["order_id"] == 9
