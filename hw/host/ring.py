"""HostRing: fetch order descriptors from host memory, check, encode, write completions back.

The host (``driver.HostRingDriver`` on the Python side) writes 32-byte ``DESCRIPTOR``
records into a ring of ``2**ring_log2`` entries at ``ring_base`` and writes the new
producer index to ``doorbell``. For each new entry the card reads the four 64-bit words
(``rd_req`` / ``rd_resp``: a PCIe read with whatever latency the host side has), passes
the order through ``RiskPipeline``, sends accepted orders out of ``tx`` as OUCH frames
(``OuchEncoder``), and writes a 32-byte ``COMPLETION`` (decision; fetch, decision and
first-byte-out times; phase bit) to the completion ring at ``cpl_base`` (``wr``).

Times come from the card's clock (``TimeCounter``, hw/time: nanoseconds since the epoch,
set and slewed by the host through ``time``); the risk pipeline's ``now`` is that clock too,
``(ns >> now_shift)`` in its 48 bits, the unit the host writes reference-price deadlines and
rate intervals in. An accepted order's completion waits for its frame's first beat to leave
``tx`` (its time is ``t_tx``); the encoder takes no decision meanwhile. The phase bit is 1 on
the first pass around the ring and flips on every pass, so the host polls memory for
new completions without reading a card register; it is in the record's first word, which
is written last. The risk registers (``bus``), fills and
the encoder's symbol table pass through to the blocks inside.
"""
from amaranth import Cat, Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out, flipped

from wirespeed.layout import BEAT, COMPLETION, DESCRIPTOR, FILL, ORDER

from ..encode.ouch import OuchEncoder, symbol_table_signature
from ..logic import equal
from ..regs.bus import RegBus
from ..risk.pipeline import NOW_WIDTH, RiskPipeline
from ..time.counter import TimeCounter
from .fifo import ThermoFIFO

WORDS = DESCRIPTOR.width // 64
WriteReq = data.StructLayout({"addr": 32, "data": 64})


def time_control(counter: TimeCounter) -> wiring.Signature:
    """The host's side of a ``TimeCounter``: its inputs (set, slew, next date) as an interface."""
    return wiring.Signature({name: Out(member.shape) for name, member in counter.signature.members.items()
                             if member.flow == wiring.In})


def connect_time(m, control, counter: TimeCounter) -> None:
    """The host's time writes into ``counter`` through a register each (a set or slew takes effect
    one cycle later), so no path runs from the host's ports into the clock's logic."""
    for name in time_control(counter).members:
        m.d.sync += getattr(counter, name).eq(getattr(control, name))


class HostRing(wiring.Component):
    def __init__(self, ring_log2: int = 4, depth: int = 16, sessions: int = 4, window: int = 8,
                 period_ns=4, now_shift: int = 0):
        if not isinstance(ring_log2, int) or not 1 <= ring_log2 <= 16:
            self._MustUse__silence = True
            raise TypeError(f"ring_log2 must be an integer in 1..16, not {ring_log2!r}")
        if not isinstance(now_shift, int) or not 0 <= now_shift <= 16:
            self._MustUse__silence = True
            raise TypeError(f"now_shift must be an integer in 0..16, not {now_shift!r}")
        self.ring_log2, self.now_shift = ring_log2, now_shift
        self._clock = TimeCounter(period_ns)
        self._risk = RiskPipeline(depth, sessions, window)
        self._enc = OuchEncoder(depth)
        super().__init__({
            "ring_base": In(32), "cpl_base": In(32),
            "doorbell": In(32), "doorbell_we": In(1),
            "consumer": Out(32),
            "rd_req": Out(stream.Signature(32)),
            "rd_resp": In(stream.Signature(64)),
            "wr": Out(stream.Signature(WriteReq)),
            "tx": Out(stream.Signature(BEAT.layout)),
            "time": In(time_control(self._clock)),
            "bus": In(RegBus),
            "fill": In(stream.Signature(FILL.layout)),
            "table": In(symbol_table_signature(depth)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.risk = risk = self._risk
        m.submodules.encoder = enc = self._enc
        m.submodules.t_fetch = t_fifo = ThermoFIFO(width=64, depth=8)
        wiring.connect(m, flipped(self.bus), risk.bus)
        wiring.connect(m, flipped(self.fill), risk.fill)
        wiring.connect(m, flipped(self.table), enc.table)
        wiring.connect(m, enc.o, flipped(self.tx))
        m.submodules.clock = clock = self._clock
        connect_time(m, self.time, clock)
        m.d.comb += risk.now.eq((clock.ns >> self.now_shift)[:NOW_WIDTH])
        now_ns = clock.ns                       # the card's time stamps every event
        mask = (1 << self.ring_log2) - 1

        # ---- fetch: four word reads per descriptor, then into the pipeline ----------------
        producer = Signal(32)
        with m.If(self.doorbell_we):
            m.d.sync += producer.eq(self.doorbell)
        consumer = self.consumer
        issued = Signal(range(WORDS + 1))
        received = Signal(range(WORDS + 1))
        words = [Signal(64, name=f"desc{k}") for k in range(WORDS)]
        started = Signal(64)
        pending = ~equal(consumer, producer)
        slot = (consumer & mask) << 5
        m.d.comb += [self.rd_req.payload.eq(self.ring_base + slot + (issued << 3)),
                     self.rd_req.valid.eq(pending & (issued < WORDS) & t_fifo.w_rdy)]
        with m.If(self.rd_req.valid & self.rd_req.ready):
            m.d.sync += issued.eq(issued + 1)
            with m.If(issued == 0):
                m.d.sync += started.eq(now_ns)
        m.d.comb += self.rd_resp.ready.eq(received < issued)
        full = Signal()                         # all four words are in (a register)
        with m.If(self.rd_resp.valid & self.rd_resp.ready):
            for k in range(WORDS):
                with m.If(received == k):
                    m.d.sync += words[k].eq(self.rd_resp.payload)
            m.d.sync += [received.eq(received + 1), full.eq(received == WORDS - 1)]
        desc = Cat(*words)
        m.d.comb += [risk.i.payload.eq(desc[:ORDER.width]), risk.i.valid.eq(full),
                     t_fifo.w_data.eq(started), t_fifo.w_en.eq(full & risk.i.ready)]
        with m.If(full & risk.i.ready):
            m.d.sync += [consumer.eq(consumer + 1), issued.eq(0), received.eq(0), full.eq(0)]

        # ---- decisions: to the encoder and, at the same time, to the completion writer -------
        writing = Signal()
        waiting = Signal()                      # an accepted order's first beat has not left yet
        # writing | waiting as a register of its own (the two never overlap: set with either as a
        # decision is taken, cleared with the record's last word), so the encoder's ``hold`` is a
        # register as it asks: as an OR it put a LUT in front of the encoder's ready, the FIFO's
        # read enable and the completion's capture (four levels)
        holding = Signal()
        tx_first = Signal(init=1)               # the next beat on tx starts a frame
        with m.If(self.tx.valid & self.tx.ready):
            m.d.sync += tx_first.eq(self.tx.payload.last)
        m.d.comb += [enc.i.payload.eq(risk.o.payload), enc.i.valid.eq(risk.o.valid), enc.hold.eq(holding),
                     risk.o.ready.eq(enc.i.ready)]
        cpl = Signal(COMPLETION.layout)
        cpl_index = Signal(32)
        word = Signal(range(WORDS))
        decision = risk.o.payload
        with m.If(risk.o.valid & risk.o.ready):
            m.d.sync += [cpl.order_id.eq(decision.order_id), cpl.accept.eq(decision.accept),
                         cpl.reason.eq(decision.reason), cpl.mask.eq(decision.mask),
                         cpl.phase.eq(~(cpl_index >> self.ring_log2)[0]),
                         cpl.t_fetch.eq(t_fifo.r_data), cpl.t_decide.eq(now_ns), cpl.t_tx.eq(0),
                         writing.eq(~decision.accept), waiting.eq(decision.accept), word.eq(WORDS - 1),
                         holding.eq(1)]
        # every frame before this one has left (its completion waited for it): the next first
        # beat on tx is this order's
        with m.If(waiting & self.tx.valid & self.tx.ready & tx_first):
            m.d.sync += [cpl.t_tx.eq(now_ns), waiting.eq(0), writing.eq(1)]
        m.d.comb += t_fifo.r_en.eq(risk.o.valid & risk.o.ready)
        cpl_bits = cpl.as_value()
        m.d.comb += [self.wr.valid.eq(writing),
                     self.wr.payload.addr.eq(self.cpl_base + ((cpl_index & mask) << 5) + (word << 3)),
                     self.wr.payload.data.eq(cpl_bits.word_select(word, 64))]
        # Words go out last to first: word 0 holds the phase bit, and the host must not see a
        # new phase before the rest of the record has landed.
        with m.If(self.wr.valid & self.wr.ready):
            m.d.sync += word.eq(word - 1)
            with m.If(word == 0):
                m.d.sync += [writing.eq(0), holding.eq(0), cpl_index.eq(cpl_index + 1)]
        return m
