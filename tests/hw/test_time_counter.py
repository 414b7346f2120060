"""TimeCounter against its model cycle by cycle: set, slew (bounded), monotone, the UTC digits
equal to the model's text for the counter's value across second, hour and midnight boundaries."""
from fractions import Fraction

import pytest
from amaranth.sim import Simulator

from wirespeed.hw.time.counter import TimeCounter
from wirespeed.hw.time.model import FRAC_BITS, TimeModel, bcd_digits, set_fields, utc_text

pytestmark = pytest.mark.hw
MIDNIGHT = 1_767_225_600 * 10**9        # 2026-01-01T00:00:00Z


def simulate(period, events: dict, cycles: int, ppm: int = 1000):
    """events: cycle -> ("set", ns) | ("slew", step, n). Returns [(ns, utc digits, clamped)] per cycle
    and the model's [(ns, text)] for the same cycles."""
    dut, model = TimeCounter(period, ppm), TimeModel(period, ppm)
    got, want = [], []

    async def bench(ctx):
        for c in range(cycles):
            ctx.set(dut.set, 0)
            ctx.set(dut.slew_load, 0)
            ev = events.get(c)
            if ev and ev[0] == "set":
                for name, value in set_fields(ev[1]).items():
                    ctx.set(getattr(dut, name), value)
                ctx.set(dut.set, 1)
            elif ev:
                ctx.set(dut.slew_step, ev[1])
                ctx.set(dut.slew_cycles, ev[2])
                ctx.set(dut.slew_load, 1)
            got.append((ctx.get(dut.ns), ctx.get(dut.utc), ctx.get(dut.clamped)))
            want.append((model.ns, utc_text(model.ns)))
            if ev and ev[0] == "set":
                model.set(ev[1])
            else:
                model.tick()
                if ev:
                    model.slew(ev[1], ev[2])
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return got, want


@pytest.mark.parametrize("period", [4, Fraction(32, 5)], ids=["4ns", "6.4ns"])
def test_counts_and_ticks_the_utc_text_across_boundaries(period):
    """Set just before a millisecond that carries into the second, minute, hour (09 -> 10, 12 -> 13)
    and the date (midnight, and the last of February): digits equal the model's text each cycle."""
    hour = 3600 * 10**9
    starts = [MIDNIGHT - 13, MIDNIGHT - 14 * hour - 9, MIDNIGHT + 9 * hour + 3599_999_999_990,
              MIDNIGHT + 58 * 24 * hour + 23 * hour + 3599_999_999_997, MIDNIGHT + 123_456_789_012_345]
    events = {1 + 20 * k: ("set", ns) for k, ns in enumerate(starts)}
    got, want = simulate(period, events, 20 * len(starts) + 1)
    assert [got[2 + 20 * k][0] for k in range(len(starts))] == starts        # the cycle after a set reads it
    for (ns, utc, _), (model_ns, text) in zip(got[2:], want[2:]):
        assert ns == model_ns and utc == bcd_digits(text), (ns, text)
    texts = {t for _, t in want[2:]}
    assert {"20251231-23:59:59.999", "20260101-00:00:00.000", "20260101-10:00:00.000", "20251231-10:00:00.000",
            "20260228-23:59:59.999", "20260301-00:00:00.000"} <= texts, sorted(texts)
    for k in range(len(starts)):                                              # monotone between sets
        run = [g[0] for g in got[2 + 20 * k:1 + 20 * (k + 1)]]
        assert run == sorted(run)


def test_fractional_period_keeps_the_rate():
    """6.4 ns a cycle: the fraction carries, so 1000 cycles are 6400 ns less the rounding of the
    period to 2^-32 ns (under 0.1 ppb), never the 6000 an integer 6 ns counter would give."""
    got, want = simulate(Fraction(32, 5), {0: ("set", 10**18)}, 1002)
    span = got[1001][0] - got[1][0]
    assert span == want[1001][0] - want[1][0] and 6399 <= span <= 6400
    assert {b[0] - a[0] for a, b in zip(got[1:1001], got[2:1002])} == {6, 7}


def test_slew_is_bounded_and_ends():
    step = 1 << (FRAC_BITS - 4)              # +1/16 ns a cycle: 15,625 ppm of 4 ns, beyond the 1000 ppm bound
    got, want = simulate(4, {0: ("set", 5 * 10**17), 3: ("slew", step, 500), 4: ("slew", -(1 << 20), 500)}, 1300)
    assert [g[0] for g in got[1:]] == [w[0] for w in want[1:]]
    assert got[4][2] == 1 and got[5][2] == 0                                  # the first step was clamped
    # 500 cycles at 4 ns minus 2^20/2^32 ns, then back to 4 ns a cycle
    assert got[505][0] - got[5][0] == 500 * 4 - 500 * (1 << 20) // (1 << FRAC_BITS) - 1
    assert got[1205][0] - got[705][0] == 2000
    deltas = [b[0] - a[0] for a, b in zip(got[1:], got[2:])]
    assert min(deltas) >= 3                                                   # never stands still


@pytest.mark.parametrize("args,message", [((0,), "period_ns must be in"), (("4",), "period_ns must be a number"),
                                          ((4, 0), "max_slew_ppm must be an integer in 1..500000"),
                                          # the step port's +-0.5 ns a cycle: 125,000 ppm of 4 ns
                                          ((4, 125_001), r"max_slew_ppm 125001 at 4 ns is a step beyond the "
                                                         r"slew_step port's \+-0.5 ns a cycle: at most 124999")])
def test_bad_parameters_are_named(args, message):
    with pytest.raises((TypeError, ValueError), match=message):
        TimeCounter(*args)


def test_slew_beyond_the_bound_downwards_is_clamped_and_ends_cycle_exact():
    # the increment is a register loaded a cycle ahead: each of the step's three cases (above,
    # below, within the bound), a slew of one cycle, a slew of none and a reload while slewing,
    # against the model; a bound of 10 % of the period (0.4 ns a cycle, within the step port's
    # signed 32 bits of 2^-32 ns), so that a cycle's increment off by a step shows in the ns at once
    big = (1 << 31) - 1                        # 0.5 ns a cycle: beyond the bound either way
    events = {0: ("set", 7 * 10**17), 2: ("slew", -big - 1, 40), 50: ("slew", 1 << 30, 1), 53: ("slew", big, 30),
              60: ("slew", -(1 << 30), 0), 62: ("slew", -(1 << 30), 20)}
    got, want = simulate(4, events, 120, ppm=100_000)
    assert [g[0] for g in got[1:]] == [w[0] for w in want[1:]]
    assert got[3][2] == 1 and got[54][2] == 1 and got[51][2] == 0
