"""A 32 x 32 multiply in registered DSP stages, shared by the risk pipeline's notional
(qty x price) and the OUCH encoder's price in OUCH units (price x the symbol's scale)."""
from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .ecp5 import is_ecp5, mult18x18d

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
    them (one carry chain a stage), for a cycle more of latency.

    ``input_regs=True``: the caller hands over the values to *load* (``qty``, ``price``) with
    their load enables (``qty_en``, ``price_en``) and the input registers are Notional's own,
    the cycles unchanged (the latency counts from them, as from the caller's registers). That is
    what lets the ECP5 flow (``hw/ecp5.py``: platform ``ECP5``) put them, and the partial
    products' registers, inside the MULT18X18Ds (their A/B input and output registers), where
    yosys's mapping leaves the multiplier combinational between fabric registers (3.07 ns of
    the OUCH encoder's 5.64 ns critical path). Any other platform gets the same registers in
    Amaranth code."""

    def __init__(self, stages: int = LATENCY, input_regs: bool = False):
        if stages not in (2, 3):
            self._MustUse__silence = True
            raise ValueError(f"stages: {stages!r} is not 2 (products, sum) or 3 (products, middle sum, sum)")
        if not isinstance(input_regs, bool):
            self._MustUse__silence = True
            raise TypeError(f"input_regs: must be True or False, not {input_regs!r}")
        self.stages, self.input_regs = stages, input_regs
        members = {"qty": In(32), "price": In(32), "en": In(1), "product": Out(64)}
        if input_regs:
            members.update({"qty_en": In(1), "price_en": In(1)})
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        pp = {(i, j): Signal(32, name=f"pp{i}{j}") for i in range(2) for j in range(2)}
        if self.input_regs and is_ecp5(platform):
            for (i, j), sig in pp.items():
                p = mult18x18d(m, f"mult{i}{j}", self.qty[16 * i:16 * i + 16], self.price[16 * j:16 * j + 16],
                               ce_a=self.qty_en, ce_b=self.price_en, ce_p=self.en)
                m.d.comb += sig.eq(p[:32])
        else:
            qty, price = self.qty, self.price
            if self.input_regs:
                qty, price = Signal(32, name="qty_r"), Signal(32, name="price_r")
                with m.If(self.qty_en):
                    m.d.sync += qty.eq(self.qty)
                with m.If(self.price_en):
                    m.d.sync += price.eq(self.price)
            q, p = (qty[:16], qty[16:]), (price[:16], price[16:])
            with m.If(self.en):
                m.d.sync += [pp[i, j].eq(q[i] * p[j]) for (i, j) in pp]
        with m.If(self.en):
            mid, ends = pp[0, 1] + pp[1, 0], Cat(pp[0, 0], pp[1, 1])
            if self.stages == 3:
                mid_r, ends_r = Signal(33, name="mid"), Signal(64, name="ends")
                m.d.sync += [mid_r.eq(mid), ends_r.eq(ends)]
                mid, ends = mid_r, ends_r
            m.d.sync += self.product.eq(ends + (mid << 16))
        return m
