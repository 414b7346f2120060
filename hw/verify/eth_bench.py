"""Drive hw/eth's EthTx in the Amaranth simulator: load a connection through its registers,
offer payload frames as BEAT beats (back to back, or with input idles), take the MAC-side
AXI4-Stream under random backpressure, and return every packet's bytes with the cycle trace
(for gap, latency and throughput figures)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from amaranth.sim import Simulator

from wirespeed.layout import BEAT, beats

from ..eth.headers import TcpConnection


@dataclass
class EthRun:
    packets: list[bytes] = field(default_factory=list)
    first_in: list[int] = field(default_factory=list)     # cycle a payload's first beat transferred
    last_in: list[int] = field(default_factory=list)      # ... its last beat
    first_out: list[int] = field(default_factory=list)    # cycle a packet's first beat transferred
    last_out: list[int] = field(default_factory=list)
    gaps: int = 0               # cycles inside a packet (first beat offered .. tlast taken) without tvalid
    cycles: int = 0
    flags: dict = field(default_factory=dict)             # err, too_long, bad_beat, seq, ip_id, packets at the end


def run(dut, conn: TcpConnection, payloads: list[bytes], *, n_packets: int | None = None, idle: float = 0.0,
        backpressure: float = 0.0, seed: int = 1, writes: list[tuple[int, int]] = (), raw_beats=None) -> EthRun:
    """``writes``: extra register writes after the connection's; ``raw_beats``: packed BEAT words
    to offer instead of ``payloads`` (malformed input)."""
    rng = random.Random(seed)
    words = list(raw_beats) if raw_beats is not None else [w for p in payloads for w in beats(p)]
    wanted = len(payloads) if n_packets is None else n_packets
    res = EthRun()

    async def bench(ctx):
        for addr, value in [*conn.register_writes(), *writes]:
            ctx.set(dut.regs.addr, addr)
            ctx.set(dut.regs.wdata, value)
            ctx.set(dut.regs.we, 1)
            await ctx.tick()
        ctx.set(dut.regs.we, 0)
        await ctx.tick()
        pending, offering, cycle, inside, frame, starting = list(words), False, 0, False, bytearray(), True
        limit = 200 + 20 * len(words) + 60 * wanted
        while len(res.packets) < wanted:
            if cycle > limit:
                raise AssertionError(f"stalled: {len(res.packets)}/{wanted} packets after {cycle} cycles")
            if not offering and pending and rng.random() >= idle:
                ctx.set(dut.i.payload.as_value(), pending[0])
                offering = True
            ctx.set(dut.i.valid, int(offering))
            ready = int(rng.random() >= backpressure)
            ctx.set(dut.m_axis.tready, ready)
            if offering and ctx.get(dut.i.ready):
                beat = BEAT.unpack(pending.pop(0))
                if starting:
                    res.first_in.append(cycle)
                starting = bool(beat["last"])
                if beat["last"]:
                    res.last_in.append(cycle)
                offering = False
            valid = ctx.get(dut.m_axis.tvalid)
            if valid and not inside:
                inside = True
            if inside and not valid:
                res.gaps += 1
            if valid and ready:
                keep = ctx.get(dut.m_axis.tkeep)
                if not frame:
                    res.first_out.append(cycle)
                frame += ctx.get(dut.m_axis.tdata).to_bytes(8, "little")[:bin(keep).count("1")]
                if ctx.get(dut.m_axis.tlast):
                    res.packets.append(bytes(frame))
                    res.last_out.append(cycle)
                    frame, inside = bytearray(), False
            await ctx.tick()
            cycle += 1
        ctx.set(dut.i.valid, 0)
        for _ in range(8):
            await ctx.tick()
        res.cycles = cycle
        res.flags = {name: ctx.get(getattr(dut, name)) for name in ("err", "too_long", "bad_beat", "seq", "ip_id", "packets")}

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return res


def decision_to_wire(dut, decisions: list[int], setup=None) -> list[tuple[int, int]]:
    """OrderTx (encoder + EthTx): for each packed RISK_OUT decision, offered alone once the
    previous packet has left, (cycles to the packet's first beat, to its last) on ``m_axis``."""
    out = []

    async def bench(ctx):
        if setup is not None:
            await setup(ctx)
        ctx.set(dut.m_axis.tready, 1)
        for word in decisions:
            ctx.set(dut.i.payload.as_value(), word)
            ctx.set(dut.i.valid, 1)
            cycle, taken, first = 0, None, None
            while True:
                if cycle > 400:
                    raise AssertionError("no packet within 400 cycles of a decision")
                if taken is None and ctx.get(dut.i.ready):
                    taken = cycle
                if ctx.get(dut.m_axis.tvalid):
                    first = cycle if first is None else first
                    if ctx.get(dut.m_axis.tlast):
                        out.append((first - taken, cycle - taken))
                        await ctx.tick()
                        break
                await ctx.tick()
                if taken is not None:
                    ctx.set(dut.i.valid, 0)
                cycle += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return out
