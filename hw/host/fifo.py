"""A small first-in first-out queue whose flags are registers: its occupancy is a thermometer
(bit k set while more than k entries wait), so ``w_rdy`` and ``r_rdy`` are register bits and
an enable reaches every flip-flop through one LUT. Same ports as ``amaranth.lib.fifo.SyncFIFO``
(first-word fall-through): ``r_data`` is the oldest entry while ``r_rdy``."""
from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..encode.common import check_depth


class ThermoFIFO(wiring.Component):
    def __init__(self, width: int, depth: int):
        check_depth(self, depth)
        self.width, self.depth = width, depth
        super().__init__({"w_data": In(width), "w_en": In(1), "w_rdy": Out(1),
                          "r_data": Out(width), "r_en": In(1), "r_rdy": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=self.width, depth=self.depth, init=[])
        wr, rd = mem.write_port(), mem.read_port(domain="comb")
        wp, rp = Signal(range(self.depth)), Signal(range(self.depth))
        occupied = Signal(self.depth)
        push, pop = self.w_en & self.w_rdy, self.r_en & self.r_rdy
        m.d.comb += [wr.addr.eq(wp), wr.data.eq(self.w_data), wr.en.eq(push), rd.addr.eq(rp),
                     self.r_data.eq(rd.data), self.w_rdy.eq(~occupied[-1]), self.r_rdy.eq(occupied[0])]
        with m.If(push):
            m.d.sync += wp.eq(wp + 1)
        with m.If(pop):
            m.d.sync += rp.eq(rp + 1)
        with m.If(push & ~pop):
            m.d.sync += occupied.eq(Cat(1, occupied[:-1]))
        with m.Elif(pop & ~push):
            m.d.sync += occupied.eq(occupied >> 1)
        return m
