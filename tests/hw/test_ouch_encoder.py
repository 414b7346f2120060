"""The OUCH encoder in the Amaranth simulator, bit for bit against the software encoder (gateway.ouch)."""
import random

import pytest

from amaranth.sim import Simulator

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.ouch import OuchSymbol, enter_order, soup_unsequenced
from wirespeed.hw.encode.ouch import BEATS, FIRST_BYTE, OuchEncoder
from wirespeed.layout import BEAT, OUCH_SYMBOL, RISK_OUT, beats
from wirespeed.order import Order

from .harness import STALL_IDS, STALLS, load_table, run_stream, stall_seed

pytestmark = pytest.mark.hw
DEPTH = 16


def random_symbols(rng):
    out = {}
    for index in range(DEPTH):
        name = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ.") for _ in range(rng.randint(1, 8)))
        # Scales a real tick gives: units x 10^(4 - decimals); the largest keeps price x scale < 2^63.
        out[index] = OuchSymbol(name, rng.choice([1, 100, 500, 10_000, 250_000, (1 << 31) - 1]))
    return out


def random_decision(rng, i):
    return {"order_id": rng.choice([i, rng.getrandbits(32), 0xFFFFFFFF, 0xA5A5F00F]), "accept": int(rng.random() < 0.8),
            "reason": 0, "mask": 0, "o_cl_ord_key": rng.getrandbits(64), "o_session": rng.getrandbits(8),
            "o_symbol": rng.randrange(DEPTH), "o_side": int(rng.choice(list(Side))),
            "o_ord_type": int(rng.choice(list(OrdType))), "o_tif": int(rng.choice(list(TimeInForce))),
            "o_qty": rng.choice([1, rng.getrandbits(32), (1 << 32) - 1]),
            "o_price": rng.choice([1, rng.getrandbits(32), (1 << 32) - 1])}


def table_row(sym: OuchSymbol) -> int:
    """A symbol's row in the encoder's table, packed."""
    return OUCH_SYMBOL.pack({"name": int.from_bytes(sym.name_bytes, "little"), "price_scale": sym.price_scale})


def software_frame(d, symbols) -> bytes:
    order = Order(d["order_id"], "", d["o_session"], d["o_symbol"], Side(d["o_side"]), OrdType(d["o_ord_type"]),
                  TimeInForce(d["o_tif"]), d["o_qty"], d["o_price"], cl_ord_key=d["o_cl_ord_key"])
    return soup_unsequenced(enter_order(order, symbols[d["o_symbol"]]))


def rows(symbols) -> dict[int, int]:
    return {index: table_row(sym) for index, sym in symbols.items()}


def simulate(decisions, symbols, **stall):
    dut = OuchEncoder(DEPTH)

    async def setup(ctx):
        await load_table(ctx, dut, rows(symbols))

    n_beats = BEATS * sum(d["accept"] for d in decisions)
    return run_stream(dut, [RISK_OUT.pack(d) for d in decisions], setup=setup, n_outputs=n_beats, **stall)


@pytest.mark.parametrize("idle,backpressure", STALLS, ids=STALL_IDS)
def test_frames_are_bit_identical_to_the_software_encoder(idle, backpressure):
    rng = random.Random(stall_seed(idle, backpressure))
    symbols = random_symbols(rng)
    decisions = [random_decision(rng, i) for i in range(120)]

    run = simulate(decisions, symbols, idle=idle, backpressure=backpressure, seed=3)

    expected = [b for d in decisions if d["accept"] for b in beats(software_frame(d, symbols))]
    assert len(run.outputs) == len(expected)
    for k, (got, want) in enumerate(zip(run.outputs, expected)):
        assert got == want, f"beat {k}: got {BEAT.unpack(got)}, want {BEAT.unpack(want)}"


def test_first_byte_four_cycles_after_the_decision_and_no_bubbles():
    rng = random.Random(9)
    symbols = random_symbols(rng)
    decisions = [{**random_decision(rng, i), "accept": 1} for i in range(20)]
    run = simulate(decisions, symbols)
    firsts = run.out_cycles[::BEATS]
    assert [f - i for i, f in zip(run.in_cycles, firsts)] == [FIRST_BYTE] * len(decisions) == [4] * len(decisions)
    for start in range(0, len(run.out_cycles), BEATS):
        frame_cycles = run.out_cycles[start:start + BEATS]
        assert frame_cycles == list(range(frame_cycles[0], frame_cycles[0] + BEATS)), "a bubble inside a frame"


def test_rejected_decisions_produce_nothing():
    rng = random.Random(4)
    symbols = random_symbols(rng)
    decisions = [{**random_decision(rng, i), "accept": 0} for i in range(5)] + [{**random_decision(rng, 9), "accept": 1}]
    run = simulate(decisions, symbols)
    assert run.outputs == beats(software_frame(decisions[-1], symbols))


def test_hold_keeps_the_encoder_from_taking_an_order():
    """``hold`` (the host ring's completion writer is busy): the decision waits, nothing comes out;
    once released the order is taken and its frame is the software encoder's."""
    rng = random.Random(6)
    symbols = random_symbols(rng)
    d = {**random_decision(rng, 1), "accept": 1}
    dut = OuchEncoder(DEPTH)
    seen = {"ready_while_held": [], "valid_while_held": [], "beats": []}

    async def bench(ctx):
        await load_table(ctx, dut, rows(symbols))
        ctx.set(dut.hold, 1)
        ctx.set(dut.i.payload.as_value(), RISK_OUT.pack(d))
        ctx.set(dut.i.valid, 1)
        ctx.set(dut.o.ready, 1)
        for _ in range(12):
            seen["ready_while_held"].append(ctx.get(dut.i.ready))
            seen["valid_while_held"].append(ctx.get(dut.o.valid))
            await ctx.tick()
        ctx.set(dut.hold, 0)
        for _ in range(40):
            taken = ctx.get(dut.i.ready)
            if ctx.get(dut.o.valid):
                seen["beats"].append(ctx.get(dut.o.payload.as_value()))
            await ctx.tick()
            if taken:
                ctx.set(dut.i.valid, 0)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert seen["ready_while_held"] == [0] * 12 and seen["valid_while_held"] == [0] * 12
    assert seen["beats"] == beats(software_frame(d, symbols))


@pytest.mark.parametrize("offset", range(-1, 4))
def test_a_row_rewritten_around_a_frame_changes_only_the_next_frame(offset):
    """The row's register (``row``, between the block RAM and the multiplier) and the read held
    while busy: a rewrite of the symbol's row in the cycle before the decision's transfer is in
    its frame; one at the transfer (read-first) or at any cycle of the frame in flight is not,
    and the next order on the symbol sees it."""
    rng = random.Random(11 + offset)
    symbols = random_symbols(rng)
    d1 = {**random_decision(rng, 1), "accept": 1}
    d2 = {**random_decision(rng, 2), "accept": 1, "o_symbol": d1["o_symbol"]}
    new = dict(symbols)
    new[d1["o_symbol"]] = OuchSymbol("NEW.ROW", (1 << 31) - 1 - symbols[d1["o_symbol"]].price_scale)
    dut = OuchEncoder(DEPTH)
    out: list[int] = []

    async def bench(ctx):
        await load_table(ctx, dut, rows(symbols))
        ctx.set(dut.o.ready, 1)
        pending = [RISK_OUT.pack(d1), RISK_OUT.pack(d2)]
        start = 1 if offset < 0 else 0          # offset -1: the write, then the decision
        taken_at = None
        for cycle in range(60):
            ctx.set(dut.i.valid, int(bool(pending) and cycle >= start))
            if pending:
                ctx.set(dut.i.payload.as_value(), pending[0])
            write = (offset < 0 and cycle == 0) or (taken_at is not None and cycle == taken_at + offset)
            ctx.set(dut.table.en, int(write))
            ctx.set(dut.table.addr, d1["o_symbol"])
            ctx.set(dut.table.data.as_value(), table_row(new[d1["o_symbol"]]))
            if ctx.get(dut.o.valid):
                out.append(ctx.get(dut.o.payload.as_value()))
            took = ctx.get(dut.i.valid) and ctx.get(dut.i.ready)
            if took and taken_at is None:
                taken_at = cycle
                ctx.set(dut.table.en, int(offset == 0))   # at the transfer itself
            await ctx.tick()
            if took:
                pending.pop(0)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    first = symbols if offset >= 0 else new
    assert out == beats(software_frame(d1, first)) + beats(software_frame(d2, new))
