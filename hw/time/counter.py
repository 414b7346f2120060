"""TimeCounter: free-running nanoseconds since the epoch, set and slewed by the host, with the
UTC text for the FIX encoder ticking beside it. Golden model and host values: hw/time/model.py.

Each cycle adds the clock period in 2^-32 ns (a fractional accumulator: a 6.4 ns period
adds 6 or 7 ns a cycle and keeps the rate to 2^-32 ns a cycle), plus the slew step while ``slew_left`` counts down. The host:

- sets the time: ``set`` for one cycle with ``set_ns``, ``set_utc`` (the 17 BCD digits of its
  millisecond) and ``set_sub`` (ns into that millisecond), all from ``model.set_fields(ns)``;
  the next cycle reads exactly ``set_ns``;
- slews (bounded rate adjust, as NTP/PTP servos do): ``slew_load`` with ``slew_step`` (signed,
  2^-32 ns a cycle) and ``slew_cycles``; a step beyond ``max_slew_ppm`` of the period is clamped
  to it (``clamped`` says so), so time is monotone: every cycle adds at least period x (1 - bound);
- gives ``next_date`` (BCD YYYYMMDD of the next day) ahead of midnight, when the date digits take it.

The UTC digits tick from the nanoseconds: a millisecond boundary is crossed when the ns carried
out of the fraction take ``sub`` past 999,999, so no division by 10^6 happens in hardware.
"""
from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..logic import any_of, below, equal, exceeds
from .model import FRAC_BITS, NS_PER_MS, TS_DIGITS, max_slew_units, period_units

SUB_BITS = 20           # ns into the millisecond: 0..999,999


def _digit(bcd, k):
    return bcd[4 * k:4 * k + 4]


class TimeCounter(wiring.Component):
    def __init__(self, period_ns=4, max_slew_ppm: int = 1000):
        try:
            self.inc = period_units(period_ns)
            self.max_slew = max_slew_units(period_ns, max_slew_ppm)
            # The slew_step port is signed FRAC_BITS wide (+-0.5 ns a cycle): a larger bound
            # could never be reached by a step the host can write, so it is refused, not ignored
            if self.max_slew >= 1 << (FRAC_BITS - 1):
                most = ((1 << (FRAC_BITS - 1)) - 1) * 1_000_000 // self.inc
                raise ValueError(f"max_slew_ppm {max_slew_ppm} at {period_ns} ns is a step beyond the "
                                 f"slew_step port's +-0.5 ns a cycle: at most {most} at this period")
        except (TypeError, ValueError):
            self._MustUse__silence = True
            raise
        self.period_ns, self.max_slew_ppm = period_ns, max_slew_ppm
        super().__init__({
            "set": In(1), "set_ns": In(64), "set_utc": In(4 * TS_DIGITS), "set_sub": In(SUB_BITS),
            "next_date": In(32),
            "slew_load": In(1), "slew_step": In(signed(FRAC_BITS)), "slew_cycles": In(32),
            "ns": Out(64), "utc": Out(4 * TS_DIGITS), "slewing": Out(1), "clamped": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        frac = Signal(FRAC_BITS)
        ns, utc = self.ns, self.utc
        sub = Signal(SUB_BITS)
        left = Signal(32)
        # ``left != 0`` as a register (a 32-input OR is three LUT levels in front of the add)
        slewing = self.slewing

        # ---- the increment: the period, plus the slew step while it lasts --------------------
        # A register, loaded with what it is to be next cycle (as ``slewing`` is): the step's add
        # and the slewing mux in front of the fraction's add made the ns path four LUT levels
        inc = Signal(FRAC_BITS + 11, init=self.inc)     # always positive: the step is below the period
        frac_sum = Signal(FRAC_BITS + 12)
        m.d.comb += frac_sum.eq(frac + inc)
        carried = frac_sum[FRAC_BITS:]          # whole ns this cycle
        sub_sum = Signal(SUB_BITS + 1)
        m.d.comb += sub_sum.eq(sub + carried)
        tick = ~below(sub_sum, NS_PER_MS)       # a millisecond boundary crossed (a subtraction's sign)

        # ---- the UTC digits: one millisecond forward on ``tick`` (digit 0 = first character) -----
        nxt = [_digit(utc, k) for k in range(TS_DIGITS)]
        carry = tick
        for k, top in ((16, 9), (15, 9), (14, 9), (13, 9), (12, 5), (11, 9), (10, 5)):
            d = _digit(utc, k)
            nxt[k] = Mux(carry, Mux(d == top, 0, d + 1), d)[:4]
            carry = carry & (d == top)
        h1, h0 = _digit(utc, 8), _digit(utc, 9)
        midnight = carry & (h1 == 2) & (h0 == 3)
        nxt[8] = Mux(midnight, 0, Mux(carry & (h0 == 9), h1 + 1, h1))[:4]
        nxt[9] = Mux(carry, Mux(midnight | (h0 == 9), 0, h0 + 1), h0)[:4]
        for k in range(8):
            nxt[k] = Mux(midnight, _digit(self.next_date, k), _digit(utc, k))

        with m.If(self.set):
            m.d.sync += [ns.eq(self.set_ns), frac.eq(0), sub.eq(self.set_sub), utc.eq(self.set_utc)]
        with m.Else():
            m.d.sync += [ns.eq(ns + carried), frac.eq(frac_sum[:FRAC_BITS]),
                         sub.eq(Mux(tick, sub_sum - NS_PER_MS, sub_sum)), utc.eq(Cat(*nxt))]

        # ---- slew: a bounded step for a number of cycles --------------------------------------
        bound = self.max_slew
        s = self.slew_step
        too_fast, too_slow = exceeds(s, bound), below(s, -bound)
        ending = slewing & equal(left, Const(1, 32))     # the slew's last cycle
        with m.If(self.slew_load):
            # the period plus the clamped step: the three candidates added apart, then picked
            clamped_inc = Mux(too_fast, self.inc + bound, Mux(too_slow, self.inc - bound, self.inc + s))
            m.d.sync += [inc.eq(Mux(any_of(self.slew_cycles), clamped_inc, self.inc)),
                         left.eq(self.slew_cycles), self.clamped.eq(too_fast | too_slow)]
        with m.Elif(slewing):
            m.d.sync += left.eq(left - 1)
            with m.If(ending):
                m.d.sync += inc.eq(self.inc)
        # the 32-bit compares as carry chains (logic.any_of / equal): as LUT trees behind the
        # load's mux they were five LUT levels, the deepest path of host_ring
        m.d.sync += slewing.eq(Mux(self.slew_load, any_of(self.slew_cycles), slewing & ~ending))
        return m
