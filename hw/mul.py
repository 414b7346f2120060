"""A 32 x 32 multiply in registered DSP stages, shared by the risk pipeline's notional
(qty x price) and the OUCH encoder's price in OUCH units (price x the symbol's scale)."""
from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

#: cycles from the inputs (registers of the caller) to ``product`` at the default ``stages``
LATENCY = 2


class Notional(wiring.Component):
    """qty x price in two registered stages: the four 16 x 16 partial products, each one
    multiplier (a MULT18X18D on ECP5, a DSP48E2 on xcup) with its output register, then their
    sum, the P register (written out because yosys neither retimes nor packs registers
    into the DSP: a 32 x 32 product in one step was four multipliers and their adders in
    one path). Inputs registered by the caller; ``en`` advances every stage.

    pp00 and pp11 do not overlap, so the sum is ``Cat(pp00, pp11) + ((pp01 + pp10) << 16)``:
    two carry chains in series (written as three adds it was three: 6.46 ns on ECP5, 155 MHz,
    in the OUCH encoder). ``stages=3`` registers the middle sum and the concatenation between
    them (one carry chain a stage), for a cycle more of latency."""

    qty: In(32)
    price: In(32)
    en: In(1)
    product: Out(64)

    def __init__(self, stages: int = LATENCY):
        if stages not in (2, 3):
            self._MustUse__silence = True
            raise ValueError(f"stages: {stages!r} is not 2 (products, sum) or 3 (products, middle sum, sum)")
        self.stages = stages
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        q, p = (self.qty[:16], self.qty[16:]), (self.price[:16], self.price[16:])
        pp = {(i, j): Signal(32, name=f"pp{i}{j}") for i in range(2) for j in range(2)}
        with m.If(self.en):
            m.d.sync += [pp[i, j].eq(q[i] * p[j]) for (i, j) in pp]
            mid, ends = pp[0, 1] + pp[1, 0], Cat(pp[0, 0], pp[1, 1])
            if self.stages == 3:
                mid_r, ends_r = Signal(33, name="mid"), Signal(64, name="ends")
                m.d.sync += [mid_r.eq(mid), ends_r.eq(ends)]
                mid, ends = mid_r, ends_r
            m.d.sync += self.product.eq(ends + (mid << 16))
        return m
