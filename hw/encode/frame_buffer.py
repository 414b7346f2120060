"""FrameBuffer: hold a BEAT stream's frames until each is complete, then release it back to back.

A MAC (and the Ethernet transmit path, hw/eth) must not run dry inside a packet: once a frame's
first beat is offered, every following beat of that frame must be offered in the next cycle the
consumer takes one. The FIX encoder produces its beats as its late fields settle (gaps of up to
~10 cycles), so its frames pass through here: beats go into a ``ThermoFIFO`` as they come, and
a frame is offered only once its ``last`` beat is stored. ``o.valid`` then stays high from the
frame's first beat to its last, whatever ``o.ready`` does (store and forward; the price is the
frame's assembly time, paid before the first byte instead of inside the frame).

The next frame is written while the one ahead drains, so the buffer costs no frame rate when
``depth`` holds one frame and the start of the next. A frame longer than ``depth`` beats could
never be complete in the buffer: rather than deadlock, the buffer then lets it through as it
comes (a full buffer with no complete frame releases), so ``depth`` must be at least the
longest frame for the no-gap promise (``FixEncoder`` sizes it from its frame bound).

Timing: a beat stored in cycle t is readable in t+1, and the frame count, bumped from the
stored ``last`` beat, is a register that turns non-zero in t+1 too, so a frame whose last beat
arrives in cycle t can offer its first beat in t+1. ``o.valid`` is an AND of two registers.
"""
from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from wirespeed.layout import BEAT

from ..host.fifo import ThermoFIFO
from .common import check_depth


class FrameBuffer(wiring.Component):
    def __init__(self, depth: int = 32):
        check_depth(self, depth)
        self.depth = depth
        super().__init__({"i": In(stream.Signature(BEAT.layout)), "o": Out(stream.Signature(BEAT.layout)),
                          "frames": Out(range(depth + 1))})     # complete frames stored (for a consumer's bookkeeping)

    def elaborate(self, platform):
        m = Module()
        m.submodules.fifo = fifo = ThermoFIFO(width=BEAT.width, depth=self.depth)
        frames = self.frames
        stored_last = self.i.valid & fifo.w_rdy & self.i.payload.last
        taken_last = self.o.valid & self.o.ready & self.o.payload.last
        m.d.comb += [fifo.w_data.eq(self.i.payload.as_value()), fifo.w_en.eq(self.i.valid),
                     self.i.ready.eq(fifo.w_rdy)]
        with m.If(stored_last & ~taken_last):
            m.d.sync += frames.eq(frames + 1)
        with m.Elif(taken_last & ~stored_last):
            m.d.sync += frames.eq(frames - 1)
        # a full buffer without a complete frame lets the oversized frame through (see above)
        release = (frames != 0) | ~fifo.w_rdy
        m.d.comb += [self.o.valid.eq(fifo.r_rdy & release), self.o.payload.eq(fifo.r_data),
                     fifo.r_en.eq(self.o.ready & release)]
        return m
