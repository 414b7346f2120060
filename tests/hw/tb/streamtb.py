"""cocotb helpers: clock and reset, and the shared stream driver checked against expectations."""
from __future__ import annotations

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from wirespeed.hw.verify import stream_bench
from wirespeed.hw.verify.access import CocotbAccess


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


async def start(dut, idle_ports=("i.valid", "o.ready")) -> CocotbAccess:
    """Start the clock, hold reset for three cycles with ``idle_ports`` low; inputs may be
    written from the returned falling edge on."""
    cocotb.start_soon(Clock(dut.clk, 4, unit="ns").start())
    acc = CocotbAccess(dut)
    for port in idle_ports:
        acc.set(port, 0)
    dut.rst.value = 1
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    await FallingEdge(dut.clk)
    return acc


async def load_table(dut, rows: dict[int, int]) -> None:
    """Write packed rows into an encoder's symbol table, one per cycle, through its write port."""
    for index, row in rows.items():
        dut.table__addr.value = index
        dut.table__data.value = row
        dut.table__en.value = 1
        await FallingEdge(dut.clk)
    dut.table__en.value = 0


class StallRun:
    """One stall pattern of an encoder test: the started DUT's access, a seeded random source,
    and the idle / backpressure / seed the stream driver takes."""

    def __init__(self, acc: CocotbAccess, stall: tuple[float, float], salt: int):
        self.acc = acc
        self.idle, self.backpressure = stall
        self.seed = stream_bench.stall_seed(self.idle, self.backpressure, salt)
        self.rng = random.Random(self.seed)

    @classmethod
    async def start(cls, dut, stall, salt: int) -> "StallRun":
        return cls(await start(dut), stall, salt)

    async def expect(self, inputs, expected) -> stream_bench.StreamRun:
        return await expect_stream(self.acc, inputs, expected, idle=self.idle, backpressure=self.backpressure,
                                   seed=self.seed)


async def expect_stream(acc: CocotbAccess, inputs, expected, **kw) -> stream_bench.StreamRun:
    """Stream ``inputs``; the outputs must equal ``expected``, in order."""
    res = await stream_bench.run(acc, inputs, len(expected), **kw)
    bad = next((k for k, (got, want) in enumerate(zip(res.outputs, expected)) if got != want), None)
    assert bad is None, f"output {bad}: got {res.outputs[bad]:#x}, expected {expected[bad]:#x}"
    return res
