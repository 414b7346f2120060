"""cocotb + Verilator: risk decisions through the OUCH encoder and EthTx into cocotbext-eth's
10G MAC model (EthMacTx: it serialises at line rate, pushes back between frames with its
IFG, and fails on an underrun inside a frame). Every frame the MAC receives is parsed and
checksum-verified by dpkt and carries the software OUCH encoder's bytes; seq advances."""
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge
from cocotbext.eth.eth_mac import AxiStreamBus, EthMacTx

from wirespeed.layout import RISK_OUT

from ..eth_check import check_packet
from ..test_eth_tx import CONN
from ..test_ouch_encoder import random_decision, random_symbols, rows, software_frame
from .streamtb import env_int, load_table

ORDERS = env_int("WS_ORDERS", 120)


async def watch_gaps(dut, box):
    """Counts cycles inside a frame (first beat offered .. tlast taken) with tvalid low."""
    inside = False
    while True:
        await RisingEdge(dut.clk)
        await ReadOnly()
        valid, ready, last = int(dut.m_axis__tvalid.value), int(dut.m_axis__tready.value), int(dut.m_axis__tlast.value)
        if inside and not valid:
            box["gaps"] += 1
        if valid:
            inside = not (ready and last)


@cocotb.test()
async def orders_reach_the_mac_as_tcp_segments(dut):
    cocotb.start_soon(Clock(dut.clk, 6.4, unit="ns").start())       # 156.25 MHz x 64 bits = 10 Gb/s
    for port in ("i__valid", "regs__we", "table__en"):
        getattr(dut, port).value = 0
    mac = EthMacTx(AxiStreamBus.from_prefix(dut, "m_axis_"), dut.clk, dut.rst, ifg=12, speed=10e9)
    dut.rst.value = 1
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0
    await FallingEdge(dut.clk)
    rng = random.Random(7)
    symbols = random_symbols(rng)
    await load_table(dut, rows(symbols))
    for addr, value in CONN.register_writes():
        dut.regs__addr.value, dut.regs__wdata.value, dut.regs__we.value = addr, value, 1
        await FallingEdge(dut.clk)
    dut.regs__we.value = 0
    box = {"gaps": 0}
    cocotb.start_soon(watch_gaps(dut, box))

    decisions = [random_decision(rng, i) for i in range(ORDERS)]
    for d in decisions:                                             # back to back: held until taken
        dut.i__payload.value = RISK_OUT.pack(d)
        dut.i__valid.value = 1
        await ReadOnly()
        while not int(dut.i__ready.value):
            await FallingEdge(dut.clk)
            await ReadOnly()
        await FallingEdge(dut.clk)
    dut.i__valid.value = 0

    payloads = [software_frame(d, symbols) for d in decisions if d["accept"]]
    seq, ip_id = CONN.seq, CONN.ip_id
    for p in payloads:
        frame = await mac.recv()
        check_packet(frame.data, CONN, seq, ip_id, p)
        seq, ip_id = (seq + len(p)) % 2**32, (ip_id + 1) % 2**16
    await ClockCycles(dut.clk, 4)
    assert int(dut.tcp_seq.value) == seq and int(dut.packets.value) == len(payloads)
    assert mac.empty(), "more frames than accepted orders"
    assert box["gaps"] == 0, f"{box['gaps']} cycles without tvalid inside a frame"
    assert int(dut.err.value) == int(dut.too_long.value) == int(dut.bad_beat.value) == 0
    dut._log.info("%d frames through the MAC model, dpkt-verified", len(payloads))
