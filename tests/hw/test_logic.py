"""hw/logic.py helpers whose arithmetic the pipeline relies on, against plain Python."""
import random

import pytest
from amaranth import Module, Signal, signed
from amaranth.sim import Simulator

from wirespeed.hw.logic import add_sub, clamp_for_compare, equal_halves, exceeds, sub3, sub_topped

pytestmark = pytest.mark.hw


def test_a_clamped_limit_compares_as_the_limit_itself():
    """value > clamp(limit) == value > limit for every width-bit value, limits far below 0,
    around 0, around 2**width and far above (the pipeline's stage-3 compares)."""
    width = 8
    limit, value = Signal(signed(20)), Signal(width)
    m = Module()
    over = Signal()
    m.d.comb += over.eq(exceeds(value, clamp_for_compare(limit, width)))
    rng = random.Random(3)
    limits = [-(1 << 19), -300, -2, -1, 0, 1, 254, 255, 256, 257, (1 << 19) - 1] + \
             [rng.randrange(-(1 << 19), 1 << 19) for _ in range(30)]
    bad = []

    async def bench(ctx):
        for lim in limits:
            for v in (0, 1, 127, 254, 255, rng.randrange(256)):
                ctx.set(limit, lim)
                ctx.set(value, v)
                if ctx.get(over) != (v > lim):
                    bad.append((v, lim, ctx.get(over)))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert not bad, bad[:5]



@pytest.mark.parametrize("op, sign", [(sub3, -1), (add_sub, 1)], ids=["sub3", "add_sub"])
def test_the_carry_saved_three_operand_subtraction_is_exact(op, sign):
    """sub3(a, b, c) == a - b - c and add_sub(a, b, c) == a + b - c over signed and unsigned
    operands of different widths, at their extremes and at random (the pipeline's credit rooms
    less two notionals; a session's room, limit + cancelled - accepted)."""
    a, b, c = Signal(signed(20)), Signal(12), Signal(signed(14))
    width = 22
    m = Module()
    out = Signal(signed(width))
    m.d.comb += out.eq(op(m, a, b, c, width, "t"))
    rng = random.Random(5)
    edges = [(-(1 << 19), (1 << 12) - 1, (1 << 13) - 1), ((1 << 19) - 1, 0, -(1 << 13)), (0, 0, 0), (-1, 1, -1)]
    cases = edges + [(rng.randrange(-(1 << 19), 1 << 19), rng.randrange(1 << 12),
                      rng.randrange(-(1 << 13), 1 << 13)) for _ in range(300)]
    bad = _mismatches(m, (a, b, c), out, cases, lambda va, vb, vc: va + sign * vb - vc)
    assert not bad, bad[:5]


def _mismatches(m, inputs, output, cases, expect) -> list:
    """The cases (a value per input) where ``output`` is not ``expect(*values)``, simulated."""
    bad = []

    async def bench(ctx):
        for values in cases:
            for sig, v in zip(inputs, values):
                ctx.set(sig, v)
            if ctx.get(output) != expect(*values):
                bad.append((*values, ctx.get(output)))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    return bad


@pytest.mark.parametrize("operands", [1, 2], ids=["one", "two"])
@pytest.mark.parametrize("a_signed", [True, False], ids=["signed", "unsigned"])
def test_the_topped_difference_is_its_low_bits_under_the_sign_of_its_high_part(operands, a_signed):
    """sub_topped(a, subs, w): the difference's low w bits under -1 / 0 / +1 as the bits above w
    are negative / zero / positive, at every high part the borrow (0, 1, 2) moves it across
    (-1, 0, 1, 2, 3) and at random; a w-bit operand compares against it as against the difference."""
    width = 8
    a = Signal(signed(12) if a_signed else 12)
    subs = [Signal(width, name=f"s{k}") for k in range(operands)]
    m = Module()
    got = Signal(signed(width + 2))
    m.d.comb += got.eq(sub_topped(m, a, subs, width, "t"))
    probe = Signal(width)
    over_got, over_whole = Signal(), Signal()
    m.d.comb += [over_got.eq(exceeds(probe, got)), over_whole.eq(exceeds(probe, a - sum(subs)))]
    rng = random.Random(11)
    highs = [-2, -1, 0, 1, 2, 3, 5] if a_signed else [0, 1, 2, 3, 5]
    lows = [0, 1, 127, 254, 255]
    sub_values = [0, 1, 128, 255]
    cases = [(h * 256 + lo, vs) for h in highs for lo in lows
             for vs in ([(v,) for v in sub_values] if operands == 1 else [(v, u) for v in sub_values for u in sub_values])]
    lo_a = -(1 << 11) if a_signed else 0
    cases += [(rng.randrange(lo_a, lo_a + (1 << 12)), tuple(rng.randrange(256) for _ in subs)) for _ in range(300)]
    bad = []

    async def bench(ctx):
        for va, vs in cases:
            d = va - sum(vs)
            top = -1 if d < 0 else (0 if d < (1 << width) else 1)
            want = top * (1 << width) + (d % (1 << width))
            ctx.set(a, va)
            for s, v in zip(subs, vs):
                ctx.set(s, v)
            for vp in (0, 1, d % (1 << width), (d + 1) % (1 << width), 255):
                ctx.set(probe, vp)
                if ctx.get(got) != want or ctx.get(over_got) != ctx.get(over_whole):
                    bad.append((va, vs, vp, ctx.get(got), want))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert len(cases) > 300 and not bad, bad[:5]


def test_equal_in_halves():
    """equal_halves(a, b) == (a == b) for 65-bit values differing in one bit anywhere (either
    half, the boundary bits 31 / 32, the top bit), equal, and at random."""
    a, b = Signal(65), Signal(65)
    m = Module()
    got = Signal()
    m.d.comb += got.eq(equal_halves(a, b))
    rng = random.Random(17)
    base = [0, (1 << 65) - 1, rng.randrange(1 << 65), rng.randrange(1 << 65)]
    cases = [(v, v) for v in base] + [(v, v ^ (1 << k)) for v in base for k in range(65)]
    cases += [(rng.randrange(1 << 65), rng.randrange(1 << 65)) for _ in range(50)]
    bad = []

    async def bench(ctx):
        for va, vb in cases:
            ctx.set(a, va)
            ctx.set(b, vb)
            if ctx.get(got) != (va == vb):
                bad.append((va, vb))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert not bad, bad[:5]


def test_a_quantity_is_compared_with_the_wrapped_headroom_a_stage_early():
    """counters.over_used(a, b, qty) == qty > headroom(a - b) (the sign of a - b or of a - b - qty,
    modulo 2**COUNT_WIDTH): the room and the opened word
    modulo 2**COUNT_WIDTH, the headroom read as two's complement (checks.headroom), at the
    edges of the low half's borrow, of zero and of the wrap, and at random (the pipeline's
    position and reduce-only compares, made in stage 2)."""
    from wirespeed.hw.risk.checks import COUNT_WIDTH, headroom
    from wirespeed.hw.risk.counters import over_used
    a, b, qty = Signal(signed(COUNT_WIDTH + 2)), Signal(COUNT_WIDTH), Signal(32)
    m = Module()
    over = Signal()
    m.d.comb += over.eq(over_used(m, a, b, qty, "t"))
    rng = random.Random(11)
    wrap, top = 1 << COUNT_WIDTH, (1 << 32) - 1
    diffs = [0, 1, -1, top, top + 1, -top, -(top + 1), (1 << 33) - 2, (1 << 35) - 1, -(1 << 35), 1 << 35,
             (1 << 32) + 5, -(1 << 32) - 5, 7 << 32]
    cases = []
    for d in diffs + [rng.randrange(-(1 << 36), 1 << 36) for _ in range(60)]:
        for vb in (0, 1, top, top + 1, rng.randrange(wrap)):
            va = (vb + d) % wrap if rng.random() < 0.5 else (vb + d) % wrap - wrap   # a signed, congruent
            va = max(min(va, (1 << (COUNT_WIDTH + 1)) - 1), -(1 << (COUNT_WIDTH + 1)))
            for q in (0, 1, top, rng.randrange(1 << 32), (headroom(va - vb) + 1) % (1 << 32), headroom(va - vb) % (1 << 32)):
                cases.append((va, vb, q))
    bad = _mismatches(m, (a, b, qty), over, cases, lambda va, vb, q: q > headroom(va - vb))
    assert not bad, bad[:5]


def test_the_two_opened_words_are_compared_apart_and_picked_after():
    """counters.over_used_if(a, b_if, b_not, sel, qty) == qty > headroom(a - (b_if if sel else
    b_not)): the pipeline's stage-2 position and reduce-only compares with the order 2 ahead's
    accept picking after the chains; b_if and b_not far apart, so a pick of the wrong word (or
    of one word for both) fails."""
    from wirespeed.hw.risk.checks import COUNT_WIDTH, headroom
    from wirespeed.hw.risk.counters import over_used_if
    a, b_if, b_not, qty, sel = (Signal(signed(COUNT_WIDTH + 2)), Signal(COUNT_WIDTH), Signal(COUNT_WIDTH),
                                Signal(32), Signal())
    m = Module()
    over = Signal()
    m.d.comb += over.eq(over_used_if(m, a, b_if, b_not, sel, qty, "t"))
    rng = random.Random(13)
    wrap = 1 << COUNT_WIDTH
    cases = []
    for _ in range(150):
        vb_if, vb_not = rng.randrange(wrap), rng.randrange(wrap)
        for vs in (0, 1):
            vb = vb_if if vs else vb_not
            va = (vb + rng.randrange(-(1 << 33), 1 << 33)) % wrap
            for q in (1, (headroom(va - vb) + 1) % (1 << 32), headroom(va - vb) % (1 << 32), rng.randrange(1 << 32)):
                cases.append((va, vb_if, vb_not, q, vs))
    bad = _mismatches(m, (a, b_if, b_not, qty, sel), over, cases,
                      lambda va, vi, vn, q, vs: q > headroom(va - (vi if vs else vn)))
    assert not bad, bad[:5]


@pytest.mark.parametrize("sessions", [2, 8, 16])
def test_the_room_picked_after_its_carry_save_is_the_picked_sessions_sum(sessions):
    """pipeline._add_sub_picked(onehot, triples) == a + b - c of the triple whose one-hot bit is
    set, for every session at the pick's group boundaries (groups of three: 2/3, 5/6, the last
    group short) and at the operands' extremes (the session room: limit + cancelled - accepted)."""
    from wirespeed.hw.risk.pipeline import _add_sub_picked

    width = 16
    onehot = Signal(sessions)
    triples = [(Signal(12, name=f"a{k}"), Signal(12, name=f"b{k}"), Signal(13, name=f"c{k}")) for k in range(sessions)]
    m = Module()
    out = Signal(signed(width))
    m.d.comb += out.eq(_add_sub_picked(m, onehot, triples, width, "t"))
    rng = random.Random(7)
    flat = [s for t in triples for s in t]
    cases = []
    for _ in range(12):
        values = [rng.choice([0, 1, (1 << 12) - 1, rng.randrange(1 << 12)]) for _ in range(2 * sessions)]
        ops = [(values[2 * k], values[2 * k + 1], rng.choice([0, (1 << 13) - 1, rng.randrange(1 << 13)]))
               for k in range(sessions)]
        for k in range(sessions):
            cases.append((1 << k, *(v for t in ops for v in t)))

    def expect(hot, *vals):
        k = hot.bit_length() - 1
        a, b, c = vals[3 * k:3 * k + 3]
        return a + b - c
    bad = _mismatches(m, (onehot, *flat), out, cases, expect)
    assert not bad, bad[:3]
