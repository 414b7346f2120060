"""cocotb testbench base for one-in, one-out valid/ready blocks.

The testbench owns the clock, reset and a single cycle loop that drives the
input (with random idles, holding an offered item until it transfers) and the
output ready (with random backpressure), samples in ReadOnly, and checks each
output against the scoreboard's expected queue in order.
"""
from __future__ import annotations

import os
import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def value(handle) -> int:
    return int(handle.value)


class StreamTB:
    def __init__(self, dut, in_prefix: str = "i", out_prefix: str = "o"):
        self.dut = dut
        self.i_valid = getattr(dut, f"{in_prefix}__valid")
        self.i_ready = getattr(dut, f"{in_prefix}__ready")
        self.i_payload = getattr(dut, f"{in_prefix}__payload")
        self.o_valid = getattr(dut, f"{out_prefix}__valid")
        self.o_ready = getattr(dut, f"{out_prefix}__ready")
        self.o_payload = getattr(dut, f"{out_prefix}__payload")
        self.cycle = 0
        cocotb.start_soon(Clock(dut.clk, 4, unit="ns").start())

    async def reset(self, cycles: int = 3) -> None:
        self.i_valid.value = 0
        self.o_ready.value = 0
        self.dut.rst.value = 1
        for _ in range(cycles):
            await RisingEdge(self.dut.clk)
        self.dut.rst.value = 0
        await FallingEdge(self.dut.clk)

    async def run(self, inputs, expected, *, idle=0.0, backpressure=0.0, seed=1, on_output=None):
        """Stream ``inputs``; assert each output equals the next of ``expected``.

        Returns (input transfer cycles, output transfer cycles).
        """
        rng = random.Random(seed)
        pending, want = deque(inputs), deque(expected)
        in_cycles, out_cycles = [], []
        offering = False
        budget = (len(pending) + len(want)) * 10 + 100   # cycles before we call it a stall
        while want:
            assert budget > 0, f"stalled with {len(want)} outputs missing"
            budget -= 1
            if not offering and pending and rng.random() >= idle:
                self.i_payload.value = pending[0]
                offering = True
            self.i_valid.value = int(offering)
            o_ready = int(rng.random() >= backpressure)
            self.o_ready.value = o_ready
            await ReadOnly()
            if offering and value(self.i_ready):
                in_cycles.append(self.cycle)
                pending.popleft()
                offering = False
            if value(self.o_valid) and o_ready:
                got = value(self.o_payload)
                exp = want.popleft()
                if on_output is not None:
                    on_output(got, exp)
                assert got == exp, f"output {len(out_cycles)}: got {got:#x}, expected {exp:#x}"
                out_cycles.append(self.cycle)
            await FallingEdge(self.dut.clk)
            self.cycle += 1
        self.i_valid.value = 0
        return in_cycles, out_cycles
