"""cocotb tests of the AXI-wrapped risk pipeline (hw/axi/risk.py), driven only by cocotbext-axi's
models (AxiLiteMaster, AxiStreamSource, AxiStreamSink: not written here), under idles and
backpressure, scoreboarded against the golden RiskModel."""
import itertools
import logging
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import (AxiLiteBus, AxiLiteMaster, AxiResp, AxiStreamBus, AxiStreamFrame, AxiStreamSink,
                           AxiStreamSource)

from wirespeed.hw.axi.stream import beats_of
from wirespeed.hw.regs import map as regmap
from wirespeed.hw.risk.model import Fill
from wirespeed.hw.verify.pipeline_bench import make_config
from wirespeed.hw.verify.stimulus import OrderStimulus
from wirespeed.layout import FILL, ORDER, RISK_OUT

from .streamtb import env_int

DEPTH = env_int("WS_DEPTH", 16)
ORDERS = env_int("WS_ORDERS", 300)
WIDTH = 64
NOW = 1_000
G = {r.name: r.offset for r in regmap.GLOBALS}


def to_bytes(word: int, bits: int) -> bytes:
    return word.to_bytes(-(-bits // 8), "little")     # first beat = low bits; byte 0 = tdata[7:0]


def pauses(rate: float, seed: int):
    rng = random.Random(seed)
    return (int(rng.random() < rate) for _ in itertools.count())


class Tb:
    def __init__(self, dut):
        self.dut = dut
        logging.getLogger(f"cocotb.{dut._name}").setLevel(logging.WARNING)   # the models log every transfer
        cocotb.start_soon(Clock(dut.clk, 4, unit="ns").start())
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil_"), dut.clk, dut.rst)
        self.orders = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_order_"), dut.clk, dut.rst)
        self.fills = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_fill_"), dut.clk, dut.rst)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis_decision_"), dut.clk, dut.rst)
        self.dropped = 0
        dut.now.value = NOW
        cocotb.start_soon(self._count_drops())

    async def _count_drops(self):
        while True:
            await RisingEdge(self.dut.clk)
            self.dropped += bin(int(self.dut.dropped.value)).count("1")

    async def reset(self):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 3)
        self.dut.rst.value = 0
        await ClockCycles(self.dut.clk, 2)

    def stalls(self, idle: float, backpressure: float, seed: int):
        self.orders.set_pause_generator(pauses(idle, seed) if idle else None)
        self.fills.set_pause_generator(pauses(idle, seed + 1) if idle else None)
        self.sink.set_pause_generator(pauses(backpressure, seed + 2) if backpressure else None)

    async def write(self, addr: int, data: int, resp=AxiResp.OKAY):
        got = await self.axil.write(addr, (data & 0xFFFFFFFF).to_bytes(4, "little"))
        assert got.resp == resp, f"write {addr:#06x}: {got.resp!r}, expected {resp!r}"

    async def read(self, addr: int, resp=AxiResp.OKAY) -> int:
        got = await self.axil.read(addr, 4)
        assert got.resp == resp, f"read {addr:#06x}: {got.resp!r}, expected {resp!r}"
        return int.from_bytes(got.data, "little")

    async def configure(self, cfg):
        await self.write(G["CTRL"], int(cfg.kill) | int(cfg.reduce_only) << 1)
        await self.write(G["CREDIT_LIMIT_LO"], cfg.credit_limit)
        await self.write(G["CREDIT_LIMIT_HI"], cfg.credit_limit >> 32)
        await self.write(G["RATE_INTERVAL"], cfg.rate_interval)
        await self.write(G["RATE_TOLERANCE"], cfg.rate_tolerance)
        for index in range(cfg.depth):
            entry = cfg.table.get(index)
            for addr, data in regmap.row_writes(index, entry.pack() if entry else 0):
                await self.write(addr, data)

    async def decide(self, orders: list[dict]) -> list[int]:
        """Send every order, then receive one decision frame per order; checks each frame's
        length, tkeep-trimmed data and tuser (the accept bit on every beat)."""
        for o in orders:
            await self.orders.send(AxiStreamFrame(to_bytes(ORDER.pack(o), ORDER.width)))
        out = []
        for _ in orders:
            frame = await self.sink.recv()
            assert len(frame.tdata) == -(-RISK_OUT.width // 8), f"decision frame of {len(frame.tdata)} bytes"
            word = int.from_bytes(frame.tdata, "little")
            accept = RISK_OUT.unpack(word)["accept"]
            # the sink compacts a tuser that is the same on every beat to one value
            users = frame.tuser if isinstance(frame.tuser, list) else [frame.tuser] * beats_of(RISK_OUT.width, WIDTH)
            assert users == [accept] * beats_of(RISK_OUT.width, WIDTH), f"tuser {frame.tuser}, accept {accept}"
            out.append(word)
        return out

    async def state_matches(self, model):
        used = await self.read(G["CREDIT_USED_LO"]) | await self.read(G["CREDIT_USED_HI"]) << 32
        assert used == model.credit_used % (1 << 64), f"CREDIT_USED {used} != model {model.credit_used}"
        base = regmap.STATE_BASE_WORD
        for index in range(DEPTH):
            for k, name in enumerate(regmap.STATE_FIELDS):
                lo = await self.read(regmap.table_addr(index, base + 2 * k))
                hi = await self.read(regmap.table_addr(index, base + 2 * k + 1))
                value = ((hi << 32) | lo) & ((1 << 48) - 1)
                value -= (1 << 48) if value >> 47 else 0
                assert value == getattr(model, name)[index], f"{name}[{index}] {value} != model"


def mismatches(got: list[int], want: list[int]) -> list[str]:
    out = []
    for k, (g, w) in enumerate(zip(got, want)):
        if g != w:
            gu, wu = RISK_OUT.unpack(g), RISK_OUT.unpack(w)
            out.append(f"decision {k}: " + str({f: (gu[f], wu[f]) for f in gu if gu[f] != wu[f]}))
    return out


@cocotb.test()
@cocotb.parametrize(stall=[(0.0, 0.0), (0.4, 0.5)], config=["open", "tight-credit", "throttle"])
async def orders_and_fills(dut, stall, config):
    """Orders in, decisions out, equal to the model's; then fills and cancels of the accepted
    orders, a second batch of orders that sees them, and the state read back over AXI-Lite."""
    tb = Tb(dut)
    seed = sum(map(ord, config)) + int(stall[0] * 10)
    tb.stalls(*stall, seed)
    await tb.reset()
    cfg = make_config(config, seed, depth=DEPTH)
    await tb.configure(cfg)
    model = cfg.model()
    stim = OrderStimulus(random.Random(seed), cfg.table, DEPTH, cfg.sessions)
    rng = random.Random(seed + 7)
    decided, sent = [], 0
    for batch, now in enumerate((NOW, NOW + 5_000)):      # time moves on while the pipeline is empty
        dut.now.value = now
        orders = [stim.order(batch * ORDERS + k) for k in range(ORDERS)]
        got = await tb.decide(orders)
        want = [model.result(o, now) for o in orders]
        decided += want
        problems = mismatches(got, want)
        assert not problems, f"batch {batch}, {len(problems)} mismatches:\n" + "\n".join(problems[:5])
        fills = []
        for word in want:
            d = RISK_OUT.unpack(word)
            if d["accept"] and rng.random() < 0.5:
                qty = rng.randint(1, d["o_qty"])
                fills.append(Fill(d["o_symbol"], d["o_side"], qty, qty * d["o_price"], rng.random() < 0.3))
        for f in fills:
            await tb.fills.send(AxiStreamFrame(to_bytes(f.pack(), FILL.width)))
            model.fill(f)
        await tb.fills.wait()
        await ClockCycles(dut.clk, 8)          # the last fill through the pipeline before the next order
        sent += len(fills)
    assert sent, "no fills sent: the test would not exercise the fill stream"
    accepts = [RISK_OUT.unpack(w)["accept"] for w in decided]
    assert any(accepts) and not all(accepts), "every order decided alike: the run proves little"
    await tb.state_matches(model)
    assert tb.dropped == 0


@cocotb.test()
async def register_responses(dut):
    """OKAY for good accesses; SLVERR for a write out of range, to a read-only address or with a
    partial strobe, and for a read out of range or of a write-only word; a bad access changes
    nothing, and (except the partial strobe, never passed on) sets STATUS bit 0."""
    tb = Tb(dut)
    await tb.reset()
    assert await tb.read(G["VERSION"]) == regmap.VERSION
    await tb.write(G["RATE_INTERVAL"], 0x1234)
    assert await tb.read(G["RATE_INTERVAL"]) == 0x1234
    assert await tb.read(G["STATUS"]) == 0
    state_word = regmap.table_addr(3, regmap.STATE_BASE_WORD)
    bad_writes = [G["VERSION"], G["CREDIT_USED_LO"], state_word, regmap.table_addr(DEPTH, 0), 0xFFFC, 0x00C,
                  regmap.table_addr(2, 0), (1 << regmap.ADDR_WIDTH) - 4]
    for addr in bad_writes:
        await tb.write(addr, 0xFFFF_FFFF, AxiResp.SLVERR)
        assert await tb.read(G["STATUS"]) == 1, f"write {addr:#06x} did not set STATUS"
        await tb.write(G["STATUS"], 1)
        assert await tb.read(G["STATUS"]) == 0
    assert await tb.read(G["VERSION"]) == regmap.VERSION
    assert await tb.read(state_word) == 0
    assert await tb.read(G["RATE_INTERVAL"]) == 0x1234
    # a partial strobe (two bytes): refused, nothing written, nothing flagged
    got = await tb.axil.write(G["RATE_INTERVAL"], b"\x99\x99")
    assert got.resp == AxiResp.SLVERR
    assert await tb.read(G["RATE_INTERVAL"]) == 0x1234
    assert await tb.read(G["STATUS"]) == 0
    for addr in (regmap.table_addr(2, 0), regmap.table_addr(DEPTH, regmap.STATE_BASE_WORD), 0x100, 0xFFFC,
                 G["ROW_COMMIT"], regmap.shadow_addr(0)):
        await tb.read(addr, AxiResp.SLVERR)
        assert await tb.read(G["STATUS"]) == 1, f"read {addr:#06x} did not set STATUS"
        await tb.write(G["STATUS"], 1)
    # a commit of a shadow row not fully written (or beyond the table) is refused: SLVERR, flagged
    writes = regmap.row_writes(2, 0)
    for addr, data in writes[1:-1]:
        await tb.write(addr, data)
    assert await tb.read(G["SHADOW_WRITTEN"]) == (1 << len(regmap.SHADOW)) - 2
    await tb.write(G["ROW_COMMIT"], 2, AxiResp.SLVERR)
    assert await tb.read(G["STATUS"]) == 1
    await tb.write(G["STATUS"], 1)
    await tb.write(*writes[0])
    await tb.write(G["ROW_COMMIT"], DEPTH, AxiResp.SLVERR)
    await tb.write(G["STATUS"], 1)
    await tb.write(G["ROW_COMMIT"], 2)
    assert await tb.read(G["STATUS"]) == 0 and await tb.read(G["SHADOW_WRITTEN"]) == 0
    # a limit row written over AXI-Lite takes effect: an order on it is decided by it
    cfg = make_config("open", 3, depth=DEPTH)
    await tb.configure(cfg)
    model = cfg.model()
    stim = OrderStimulus(random.Random(3), cfg.table, DEPTH, cfg.sessions)
    orders = [stim.order(k) for k in range(40)]
    assert not mismatches(await tb.decide(orders), [model.result(o, NOW) for o in orders])


@cocotb.test()
async def framing_errors_are_dropped(dut):
    """An order frame one beat short or one beat long is dropped whole and counted; the orders
    around it are decided as if it had never been sent."""
    tb = Tb(dut)
    tb.stalls(0.3, 0.3, 5)
    await tb.reset()
    cfg = make_config("open", 9, depth=DEPTH)
    await tb.configure(cfg)
    model = cfg.model()
    stim = OrderStimulus(random.Random(9), cfg.table, DEPTH, cfg.sessions)
    orders = [stim.order(k) for k in range(6)]
    full = -(-ORDER.width // 8)
    for k, o in enumerate(orders):
        data = to_bytes(ORDER.pack(o), ORDER.width)
        await tb.orders.send(AxiStreamFrame(data))
        if k in (1, 3):
            bad = data[:full - WIDTH // 8] if k == 1 else data + bytes(WIDTH // 8)
            await tb.orders.send(AxiStreamFrame(bad))
    got = []
    for _ in orders:
        got.append(int.from_bytes((await tb.sink.recv()).tdata, "little"))
    assert not mismatches(got, [model.result(o, NOW) for o in orders])
    await tb.orders.wait()
    await ClockCycles(dut.clk, 30)
    assert tb.sink.empty(), "a dropped frame produced a decision"
    assert tb.dropped == 2, f"{tb.dropped} frames dropped, expected 2"
