"""FIX orders onto the wire with the card's time: OrderTx("fix") (FIX encoder + EthTx + TimeCounter)
in the Amaranth simulator. Each packet is dpkt-verified and its payload is the gateway's software
NewOrderSingle with SendingTime/TransactTime equal to the model's text for the counter's value
in the cycle the decision was taken, across a second boundary."""
import random

import pytest
from amaranth.sim import Simulator

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.fix.encoder import Encoder
from wirespeed.gateway.fix.orders import new_order_fields, venue_cl_ord_id
from wirespeed.hw.eth.order_tx import OrderTx
from wirespeed.hw.time.model import set_fields, utc_text
from wirespeed.layout import RISK_OUT
from wirespeed.order import Order

from .eth_check import check_packet
from .test_eth_tx import CONN
from .test_fix_encoder import DEPTH, SENDER, TARGET, bcd_number, random_decision, random_symbols, table_row

pytestmark = pytest.mark.hw
T0 = 1_764_590_399_999_999_000          # 2025-12-01 11:59:59.999999000 UTC: the second turns after 250 cycles


def fix_frame(d, symbols, seq: int, ts: str) -> bytes:
    order = Order(d["order_id"], "", 0, d["o_symbol"], Side(d["o_side"]), OrdType(d["o_ord_type"]),
                  TimeInForce(d["o_tif"]), d["o_qty"], d["o_price"], cl_ord_key=1)
    fields = new_order_fields(order, symbols, venue_cl_ord_id(d["order_id"]), ts)
    return Encoder("FIX.4.4", SENDER, TARGET).encode("D", seq, fields, sending_time=ts)


def test_fix_frames_carry_the_card_time():
    rng = random.Random(11)
    symbols = random_symbols(rng)
    decisions = [{**random_decision(rng, i), "accept": 1} for i in range(10)]
    dut = OrderTx("fix", depth=DEPTH)
    taken, packets = [], []

    async def bench(ctx):
        for sym in symbols:
            ctx.set(dut.table.addr, sym.index)
            ctx.set(dut.table.data.as_value(), table_row(sym))
            ctx.set(dut.table.en, 1)
            await ctx.tick()
        ctx.set(dut.table.en, 0)
        for port, text in ((dut.sender, SENDER), (dut.target, TARGET)):
            ctx.set(port, int.from_bytes(text.encode(), "little"))
        ctx.set(dut.sender_len, len(SENDER))
        ctx.set(dut.target_len, len(TARGET))
        ctx.set(dut.seq_value, bcd_number(1, 10))
        ctx.set(dut.seq_load, 1)
        for addr, value in CONN.register_writes():
            ctx.set(dut.regs.addr, addr)
            ctx.set(dut.regs.wdata, value)
            ctx.set(dut.regs.we, 1)
            await ctx.tick()
            ctx.set(dut.seq_load, 0)
        ctx.set(dut.regs.we, 0)
        for name, value in set_fields(T0).items():
            ctx.set(getattr(dut.time, name), value)
        ctx.set(dut.time.set, 1)
        await ctx.tick()
        ctx.set(dut.time.set, 0)
        await ctx.tick()                                    # the top registers the host's write
        ctx.set(dut.m_axis.tready, 1)
        pending, frame = list(decisions), bytearray()
        for _ in range(len(decisions) * 60 + 100):
            if pending:
                ctx.set(dut.i.payload.as_value(), RISK_OUT.pack(pending[0]))
            ctx.set(dut.i.valid, int(bool(pending)))
            if pending and ctx.get(dut.i.ready):
                taken.append(ctx.get(dut.ns))
                pending.pop(0)
            if ctx.get(dut.m_axis.tvalid):
                keep = ctx.get(dut.m_axis.tkeep)
                frame += ctx.get(dut.m_axis.tdata).to_bytes(8, "little")[:bin(keep).count("1")]
                if ctx.get(dut.m_axis.tlast):
                    packets.append(bytes(frame))
                    frame = bytearray()
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert len(packets) == len(decisions)
    stamps = [utc_text(ns) for ns in taken]
    assert stamps[0] == "20251201-11:59:59.999" and stamps[-1] == "20251201-12:00:00.000"   # the second turned
    seq = CONN.seq
    for k, (d, frame, ts) in enumerate(zip(decisions, packets, stamps)):
        payload = fix_frame(d, symbols, 1 + k, ts)
        assert f"\x0152={ts}\x01".encode() in payload and f"\x0160={ts}\x01".encode() in payload
        check_packet(frame, CONN, seq, (CONN.ip_id + k) % 2**16, payload)
        seq = (seq + len(payload)) % 2**32
