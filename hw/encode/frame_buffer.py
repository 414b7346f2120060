"""FrameBuffer: hold a BEAT stream's frames until each is complete, then release it back to back.

A MAC (and the Ethernet transmit path, hw/eth) must not run dry inside a packet: once a frame's
first beat is offered, every following beat of that frame must be offered in the next cycle the
consumer takes one. The FIX encoder produces its beats as its late fields settle (gaps of up to
~10 cycles), so its frames pass through here: beats go into a LUT-RAM queue as they come, and
a frame is offered only once its ``last`` beat is stored. ``o.valid`` then stays high from the
frame's first beat to its last, whatever ``o.ready`` does (store and forward; the price is the
frame's assembly time, paid before the first byte instead of inside the frame).

The next frame is written while the one ahead drains, so the buffer costs no frame rate when
``depth`` holds one frame and the start of the next. A frame longer than ``depth`` beats could
never be complete in the buffer: rather than deadlock, the buffer then lets it through as it
comes (a full buffer with no complete frame releases), so ``depth`` must be at least the
longest frame for the no-gap promise (``FixEncoder`` sizes it from its frame bound).

Timing: a beat stored in cycle t is readable in t+1. Which stored beats belong to complete
frames is a thermometer register beside the occupancy thermometer (as in ``ThermoFIFO``): when a
``last`` beat is stored it becomes a copy of the occupancy (every stored beat is then in a
complete frame), and it shifts down with each beat taken; ``o.valid`` is its bit 0 (or the
full flag, for the oversized case). Every flag is a register bit, so ``o.ready`` reaches the
state through one or two LUTs.
"""
from amaranth import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from wirespeed.layout import BEAT

from .common import check_depth


class FrameBuffer(wiring.Component):
    def __init__(self, depth: int = 32):
        check_depth(self, depth)
        self.depth = depth
        super().__init__({"i": In(stream.Signature(BEAT.layout)), "o": Out(stream.Signature(BEAT.layout))})

    def elaborate(self, platform):
        m = Module()
        n = self.depth
        m.submodules.mem = mem = Memory(shape=BEAT.width, depth=n, init=[])
        wr, rd = mem.write_port(), mem.read_port(domain="comb")
        wp, rp = Signal(range(n)), Signal(range(n))
        occupied = Signal(n)            # bit k: more than k beats stored
        complete = Signal(n)            # bit k: more than k of the stored beats are in complete frames
        full = occupied[-1]
        push = self.i.valid & ~full
        pop = self.o.valid & self.o.ready
        m.d.comb += [wr.addr.eq(wp), wr.data.eq(self.i.payload.as_value()), wr.en.eq(push), rd.addr.eq(rp),
                     self.i.ready.eq(~full), self.o.payload.eq(rd.data),
                     # a full buffer without a complete frame lets the oversized frame through (see above)
                     self.o.valid.eq(complete[0] | full)]
        with m.If(push):
            m.d.sync += wp.eq(wp + 1)
        with m.If(pop):
            m.d.sync += rp.eq(rp + 1)
        occupied_next = Signal(n)
        m.d.comb += occupied_next.eq(occupied)
        with m.If(push & ~pop):
            m.d.comb += occupied_next.eq(Cat(1, occupied[:-1]))
        with m.Elif(pop & ~push):
            m.d.comb += occupied_next.eq(occupied >> 1)
        m.d.sync += occupied.eq(occupied_next)
        with m.If(push & self.i.payload.last):
            m.d.sync += complete.eq(occupied_next)
        with m.Elif(pop):
            m.d.sync += complete.eq(complete >> 1)
        return m
