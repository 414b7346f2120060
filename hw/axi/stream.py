"""AXI4-Stream (ARM IHI 0051) adapters between a record stream and ``width``-bit beats.

A record of ``bits`` bits spans ``beats = ceil(bits / width)`` beats, least significant
bits in the first beat, ``tlast`` on its last beat. ``tkeep`` marks the bytes that carry
the record: every byte of a full beat, and the low ``ceil(rest / 8)`` bytes of a partial
last one (the record's padding bits, up to the next byte, are zero). A received frame
whose ``tlast`` does not come on its ``beats``-th beat is dropped whole (nothing reaches
the record stream) and ``dropped`` pulses: a framing error never shifts the records after it.
"""
from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out


def beats_of(bits: int, width: int) -> int:
    return -(-bits // width)


def axis(width: int, user: int = 0) -> wiring.Signature:
    """The AXI4-Stream signature seen from the transmitter (tready is the receiver's)."""
    if width % 8 or width <= 0:
        raise TypeError(f"AXI-Stream tdata width must be a positive multiple of 8 bits, not {width!r}")
    members = {"tdata": Out(width), "tkeep": Out(width // 8), "tlast": Out(1), "tvalid": Out(1), "tready": In(1)}
    if user:
        members["tuser"] = Out(user)
    return wiring.Signature(members)


def keep_last(bits: int, width: int) -> int:
    """tkeep of a record's last beat."""
    rest = bits - (beats_of(bits, width) - 1) * width
    return (1 << -(-rest // 8)) - 1


class AxisToRecord(wiring.Component):
    """Receives frames on ``s`` and presents each whole record on ``o``. ``tkeep`` is not
    needed to find the record (its length is fixed) and is not checked."""

    def __init__(self, bits: int, width: int = 64):
        self.bits, self.width, self.beats = bits, width, beats_of(bits, width)
        super().__init__({"s": In(axis(width)), "o": Out(stream.Signature(bits)), "dropped": Out(1)})

    def elaborate(self, platform):
        m = Module()
        W, N = self.width, self.beats
        buf = Signal(W * N)
        count = Signal(range(N + 1))
        over = Signal()                          # more than N beats seen in this frame
        full = Signal()
        take = self.s.tvalid & self.s.tready
        # a new beat may enter while the finished record is taken (o.ready is the consumer's register)
        m.d.comb += [self.s.tready.eq(~full | self.o.ready), self.o.valid.eq(full), self.o.payload.eq(buf[:self.bits])]
        m.d.sync += self.dropped.eq(0)
        with m.If(self.o.valid & self.o.ready):
            m.d.sync += full.eq(0)
        with m.If(take):
            m.d.sync += buf.eq(Cat(buf[W:], self.s.tdata) if N > 1 else self.s.tdata)
            with m.If(self.s.tlast):
                m.d.sync += [count.eq(0), over.eq(0)]
                with m.If((count == N - 1) & ~over):
                    m.d.sync += full.eq(1)
                with m.Else():
                    m.d.sync += self.dropped.eq(1)
            with m.Elif(count == N - 1):
                m.d.sync += [count.eq(0), over.eq(1)]
            with m.Else():
                m.d.sync += count.eq(count + 1)
        return m


class RecordToAxis(wiring.Component):
    """Sends each record taken on ``i`` as one frame on ``m``; ``user`` (``user_bits`` wide,
    taken from the record by ``user_of``) rides on ``tuser`` of every beat of the frame."""

    def __init__(self, bits: int, width: int = 64, user_of=None, user_bits: int = 0):
        self.bits, self.width, self.beats = bits, width, beats_of(bits, width)
        self.user_of, self.user_bits = user_of, user_bits
        super().__init__({"i": In(stream.Signature(bits)), "m": Out(axis(width, user_bits))})

    def elaborate(self, platform):
        m = Module()
        W, N = self.width, self.beats
        # A record taken on ``i`` waits in ``staged`` until the frame ahead has sent its last beat:
        # ``i.ready`` is then a register, so the shell's ``tready`` reaches no logic upstream
        # (the risk pipeline's output skid), only the choice of the next beat here.
        staged, staged_valid = Signal(self.bits), Signal()
        buf = Signal(W * N)
        left = Signal(range(N + 1))              # beats of the current frame not yet sent
        # whether the frame register is empty / on its last beat, kept as registers beside ``left``
        # so that the next beat's choice is one LUT of tready and these
        empty, last = Signal(init=1), Signal()
        free = empty | (last & self.m.tready)   # the frame register is empty after this cycle
        m.d.comb += [self.i.ready.eq(~staged_valid),
                     self.m.tvalid.eq(~empty), self.m.tdata.eq(buf[:W]), self.m.tlast.eq(last),
                     self.m.tkeep.eq(Mux(last, keep_last(self.bits, W), (1 << W // 8) - 1))]
        if self.user_bits:
            user, staged_user = Signal(self.user_bits), Signal(self.user_bits)
            m.d.comb += self.m.tuser.eq(user)
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [staged.eq(self.i.payload), staged_valid.eq(1)]
            if self.user_bits:
                m.d.sync += staged_user.eq(self.user_of(self.i.payload))
        with m.If(free & staged_valid):
            m.d.sync += [buf.eq(staged), left.eq(N), staged_valid.eq(0), empty.eq(0), last.eq(N == 1)]
            if self.user_bits:
                m.d.sync += user.eq(staged_user)
        with m.Elif(self.m.tvalid & self.m.tready):
            m.d.sync += [buf.eq(buf[W:]), left.eq(left - 1), empty.eq(last), last.eq(left == 2)]
        return m
