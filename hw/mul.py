"""A 32 x 32 multiply in registered DSP stages, shared by the risk pipeline's notional
(qty x price) and the OUCH encoder's price in OUCH units (price x the symbol's scale)."""
from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

#: cycles from the inputs (registers of the caller) to ``product``, with ``en`` high throughout
LATENCY = 2


class Notional(wiring.Component):
    """qty x price in two registered stages: the four 16 x 16 partial products, each one
    multiplier (a MULT18X18D on ECP5, a DSP48E2 on xcup) with its output register, then their
    sum, the P register (written out because yosys neither retimes nor packs registers
    into the DSP: a 32 x 32 product in one step was four multipliers and their adders in
    one path). Inputs registered by the caller; ``en`` advances both stages."""

    qty: In(32)
    price: In(32)
    en: In(1)
    product: Out(64)

    def elaborate(self, platform):
        m = Module()
        q, p = (self.qty[:16], self.qty[16:]), (self.price[:16], self.price[16:])
        pp = {(i, j): Signal(32, name=f"pp{i}{j}") for i in range(2) for j in range(2)}
        with m.If(self.en):
            m.d.sync += [pp[i, j].eq(q[i] * p[j]) for (i, j) in pp]
            m.d.sync += self.product.eq(pp[0, 0] + ((pp[0, 1] + pp[1, 0]) << 16) + (pp[1, 1] << 32))
        return m
