"""The risk pipeline behind standard interfaces, for a vendor shell.

    s_axis_order  AXI4-Stream in, one ORDER record (wirespeed/layout.py) per frame
    s_axis_fill   AXI4-Stream in, one FILL record per frame
    m_axis_decision  AXI4-Stream out, one RISK_OUT record per frame; ``tuser`` bit 0 is the
                  decision's ``accept`` on every beat, so a shell can route without decoding
    s_axil        AXI4-Lite, the register map of docs/hw/registers.md
    now           the pipeline's time input, as before
    dropped       pulses when an input frame of the wrong length is dropped (bit 0 order, bit 1 fill)

Records go in and out ``width`` bits per beat (hw/axi/stream.py), so at 64 bits an order
takes 3 cycles on the wire and a decision 4: the pipeline inside still decides one order
per cycle with a fixed latency; the adapters add one cycle in and one out.
"""
from amaranth import Cat, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from wirespeed.layout import FILL, ORDER, RISK_OUT

from ..risk.pipeline import NOW_WIDTH, RiskPipeline
from .lite import AxiLiteRegs, axi_lite
from .stream import AxisToRecord, RecordToAxis, axis

ACCEPT = RISK_OUT.offsets["accept"]


class AxiRiskPipeline(wiring.Component):
    def __init__(self, depth: int = 64, sessions: int = 8, window: int = 8, width: int = 64):
        self.pipeline = RiskPipeline(depth, sessions, window)
        self.depth, self.width = depth, width
        super().__init__({
            "s_axis_order": In(axis(width)),
            "s_axis_fill": In(axis(width)),
            "m_axis_decision": Out(axis(width, 1)),
            "s_axil": In(axi_lite()),
            "now": In(NOW_WIDTH),
            "dropped": Out(2),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.pipeline = p = self.pipeline
        m.submodules.order_in = order_in = AxisToRecord(ORDER.width, self.width)
        m.submodules.fill_in = fill_in = AxisToRecord(FILL.width, self.width)
        m.submodules.decision_out = out = RecordToAxis(RISK_OUT.width, self.width,
                                                       user_of=lambda rec: rec[ACCEPT], user_bits=1)
        m.submodules.regs = regs = AxiLiteRegs(self.depth)
        wiring.connect(m, wiring.flipped(self.s_axis_order), order_in.s)
        wiring.connect(m, wiring.flipped(self.s_axis_fill), fill_in.s)
        wiring.connect(m, out.m, wiring.flipped(self.m_axis_decision))
        wiring.connect(m, wiring.flipped(self.s_axil), regs.s)
        wiring.connect(m, order_in.o, p.i)
        wiring.connect(m, fill_in.o, p.fill)
        wiring.connect(m, p.o, out.i)
        wiring.connect(m, regs.bus, p.bus)
        m.d.comb += [p.now.eq(self.now), self.dropped.eq(Cat(order_in.dropped, fill_in.dropped))]
        return m
