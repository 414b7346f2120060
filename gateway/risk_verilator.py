"""The ``verilator`` risk backend: the Verilated ``hw/risk`` pipeline in the gateway process
(hardware in the loop), through hw/vsim's C++ harness (``VerilatedRisk``: microseconds an
order). The library is built on first use into ``build/vsim`` (keyed by the Verilog, the
harness, the flags and the Verilator version) and reused after that.

Everything goes in as the gateway's other backends take it: limits and controls as register
writes (a write the bus refuses raises, naming the address), orders one at a time with the
same ``now``, fills and cancels as the pipeline's fill records.
"""
from __future__ import annotations

from wirespeed.hw.vsim.risk import VerilatedRisk
from wirespeed.order import Order

from .risk import _Registers


class VerilatorRiskBackend(_Registers):
    name = "verilator"

    def __init__(self, depth: int = 16, sessions: int = 4, window: int = 8, clock=None):
        self.depth, self.sessions, self.window = depth, sessions, window
        self._init_registers(clock)
        self.hw = VerilatedRisk(depth, sessions, window)

    def check(self, order: Order) -> int:
        return self.hw.check(order, now=self.clock())

    def release(self, order: Order, qty: int, filled: bool) -> None:
        self.hw.release(order, qty, filled)

    def write_register(self, addr: int, word: int) -> None:
        self._note_write(addr, word)
        self.hw.write(addr, word)
