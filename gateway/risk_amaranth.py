"""The ``amaranth`` risk backend: hw/risk's pipeline in the Amaranth simulator, one call at a time.

The simulator runs a testbench that waits for jobs (a register write, an order, a fill)
and drives the pipeline's ports as the hardware's host would: a write over the
register bus until it has taken effect, an order on ``i`` until its decision leaves on
``o``, a fill on ``fill`` followed by the cycles after which later orders see it
(``FILL_VISIBLE``). Each call runs the simulator until its job is done, so the gateway
sees a plain synchronous backend. Milliseconds an order: for verification and the
backend-agreement test, not for flow (that is the ``verilator`` backend's job).
"""
from __future__ import annotations

from collections import deque

from amaranth.sim import Simulator

from wirespeed.hw.regs.bus import WRITE_LATENCY
from wirespeed.hw.risk.model import Fill
from wirespeed.hw.risk.pipeline import FILL_VISIBLE, RiskPipeline
from wirespeed.hw.verify.access import AmaranthAccess
from wirespeed.layout import RISK_OUT, pack_order
from wirespeed.order import Order

from .risk import _Registers

_CYCLE_LIMIT = 10_000     # a job that takes longer means the pipeline is stuck: fail loudly


class AmaranthRiskBackend(_Registers):
    name = "amaranth"

    def __init__(self, depth: int = 16, sessions: int = 8, window: int = 8, clock=None):
        self.depth, self.sessions, self.window = depth, sessions, window
        self._init_registers(clock)
        self.dut = RiskPipeline(depth, sessions, window)
        self._jobs: deque = deque()
        self.sim = Simulator(self.dut)
        self.sim.add_clock(1e-8)
        self.sim.add_testbench(self._bench, background=True)
        self.cycles = 0

    # -- the interface ---------------------------------------------------------------
    def check(self, order: Order) -> int:
        return RISK_OUT.unpack(self._run("order", (pack_order(order), self.clock())))["mask"]

    def release(self, order: Order, qty: int, filled: bool) -> None:
        self._run("fill", Fill(order.symbol, int(order.side), qty, qty * order.price, cancel=not filled,
                                    session=order.session).pack())

    def write_register(self, addr: int, word: int) -> None:
        self._note_write(addr, word)
        self._run("write", (addr, word & 0xFFFFFFFF))

    # -- the simulation ----------------------------------------------------------------
    def _run(self, kind: str, payload):
        box: dict = {}
        self._jobs.append((kind, payload, box))
        start = self.cycles
        while "done" not in box:
            self.sim.advance()
            if self.cycles - start > _CYCLE_LIMIT:
                raise RuntimeError(f"amaranth risk backend: {kind} not done after {_CYCLE_LIMIT} cycles")
        return box.get("value")

    async def _tick(self, ctx) -> None:
        await ctx.tick()
        self.cycles += 1

    async def _bench(self, ctx):
        acc = AmaranthAccess(ctx, self.dut)
        for port in ("i.valid", "fill.valid", "bus.we", "bus.re"):
            acc.set(port, 0)
        acc.set("o.ready", 1)
        while True:
            if not self._jobs:
                await self._tick(ctx)
                continue
            kind, payload, box = self._jobs.popleft()
            if kind == "write":
                addr, word = payload
                acc.set("bus.addr", addr)
                acc.set("bus.wdata", word)
                acc.set("bus.we", 1)
                await self._tick(ctx)
                acc.set("bus.we", 0)
                for _ in range(WRITE_LATENCY):
                    await self._tick(ctx)
            elif kind == "order":
                word, now = payload
                acc.set("now", now)
                acc.set("i.payload", word)
                acc.set("i.valid", 1)
                while not acc.get("i.ready"):       # after reset the state memories clear first
                    await self._tick(ctx)
                await self._tick(ctx)
                acc.set("i.valid", 0)
                while not acc.get("o.valid"):
                    await self._tick(ctx)
                box["value"] = acc.get("o.payload")
                await self._tick(ctx)
            else:
                acc.set("fill.payload", payload)
                acc.set("fill.valid", 1)
                while not acc.get("fill.ready"):
                    await self._tick(ctx)
                await self._tick(ctx)
                acc.set("fill.valid", 0)
                for _ in range(FILL_VISIBLE):
                    await self._tick(ctx)
            box["done"] = True
