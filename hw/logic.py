"""Comparisons written so that synthesis maps each to one LUT level and a carry chain.

yosys (``synth_xilinx``, abc9) maps ``a > b`` between operands of different widths or
signedness, or against a constant, to two LUT levels before the carry chain, and a wide
``a == b`` to a LUT tree four levels deep. Written as the sign of a subtraction, or as
the carry out of an increment, each is one LUT per bit feeding the carry chain, which
the depth measure (hw/synth.py) counts as zero, as the fabric's carry logic is.
"""
from amaranth import Cat, Const, Mux, Signal, Value, signed


def below(value, limit) -> Value:
    """``value < limit``, signed or unsigned: the sign of ``value - limit``."""
    return (value - limit)[-1]


def exceeds(value, limit) -> Value:
    """``value > limit``: the sign of ``limit - value``."""
    return (limit - value)[-1]


def equal(a, b) -> Value:
    """``a == b`` for same-width unsigned values: all bits of ``~(a ^ b)`` set, which is
    the carry out of adding one to it."""
    width = max(len(a), len(b))
    agree = ~(a ^ b)
    return (agree[:width] + Const(1, 1))[width]


def equal_halves(a, b, half: int = 32) -> Value:
    """``equal(a, b)`` as the AND of the two halves' equalities: no carry chain longer than
    ``half + 1`` bits (a 64-bit key's compare was one 65-bit chain)."""
    width = max(len(a), len(b))
    if width <= half:
        return equal(a, b)
    a, b = (Cat(v, Const(0, width - len(v))) if len(v) < width else v for v in (a, b))
    return equal(a[:half], b[:half]) & equal(a[half:], b[half:])


def any_of(bits) -> Value:
    """Any of ``bits`` set: the carry out of adding all ones to them."""
    bits = Cat(*bits) if isinstance(bits, (list, tuple)) else bits
    n = len(bits)
    return (bits + Const((1 << n) - 1, n))[n]


def pick(sel, if_set, if_clear) -> Value:
    """``Mux(sel, if_set, if_clear)`` for one-bit results, written as AND-OR. yosys
    (``opt_share``) turns a ``Mux`` of two like operations into one operation on muxed
    operands, which puts the mux in front of the carry chain; this keeps the operations
    apart, both computed, the choice made after them."""
    return (sel & if_set) | (~sel & if_clear)


def kept(m, value, name: str):
    """``value`` on a net synthesis keeps (``keep`` attribute): a LUT boundary. abc9 maps for
    its best critical-path delay and then saves area on every other path, and in doing so
    chains small LUTs on paths its delay model sees as short (any path without a long carry
    chain); a kept net at a planned boundary holds the planned depth."""
    sig = Signal(len(value), name=name, attrs={"keep": 1})
    m.d.comb += sig.eq(value)
    return sig


def select(onehot, values):
    """The value whose bit is set in ``onehot`` (AND-OR: one shallow level per bit, where a
    binary-indexed mux of wide registers came out five LUTs deep)."""
    out = Const(0, max(len(v) for v in values))
    for k, v in enumerate(values):
        out = out | Mux(onehot[k], v, 0)
    return out


def select_kept(m, onehot, values, name: str, group: int = 2):
    """``select`` in two kept LUT levels: partial ORs of ``group`` values each (a LUT4 per bit at
    groups of two: two AND pairs; a LUT6 at three), then their OR (up to six parts in one LUT). Left alone, abc chained the
    eighteen-input AND-OR three LUTs deep; with groups of three it split each into two LUT4s."""
    parts = [kept(m, select(onehot[k:k + group], values[k:k + group]), f"{name}_part{k // group}")
             for k in range(0, len(values), group)]
    assert len(parts) <= 6, "more than six parts: a third level"
    out = parts[0]
    for p in parts[1:]:
        out = out | p
    return kept(m, out, name)


#: the attribute that marks a replica register; the synthesis scripts (synth.py, pnr.py) put
#: ``keep`` on the flip-flop cell driving each such net (``REPLICA_KEEP``)
REPLICA = "ws_replica"
#: yosys commands: ``keep`` on the cells driving a replica's net (after ``opt_clean``, which makes a
#: replica read through a port alias one net with its register). yosys's
#: ``opt_merge`` merges identical cells unless both carry ``keep`` on the *cell*; ``keep`` on a
#: net (as Amaranth writes a signal's attribute) does not stop it (checked: four kept copies of
#: a register came out as one TRELLIS_FF, with this step as four)
REPLICA_KEEP = f"proc; opt_clean; setattr -set keep 1 a:{REPLICA} %ci1 c:* %i"


def replicas(names) -> dict:
    """One register per name, ``{name: Signal}``, for copies of one enable that a caller
    drives identically (each copy drives its share of the loads). The ``keep`` attribute
    tells a vendor flow not to merge them (Vivado's equivalent-register removal honours it);
    ``REPLICA`` tells this project's yosys scripts to put ``keep`` on their cells."""
    return {n: replica(Signal(), f"advance_{n}") for n in names}


def replica(like, name: str) -> Signal:
    """A register shaped like ``like`` that a caller drives as ``like`` (a copy synthesis keeps
    apart: ``replicas``), for loads that are to have a copy of their own. Every copy, the first
    included, must be a replica: ``opt_merge`` folds an unkept register into its kept twin."""
    return Signal.like(like, name=name, attrs={"keep": 1, REPLICA: 1})


def sub3(m, a, b, c, width: int, name: str, keep: bool = False) -> Value:
    """``a - b - c`` as ``signed(width)`` in one carry chain behind one LUT level (carry-save:
    the three operands' sum bits and majority bits, then one adder). Written as two
    subtractions, synthesis chains two carry chains in series, and on ECP5 each hop from one
    chain to the next is a route across the die (1.1-1.5 ns on the routed risk pipeline).
    ``width`` must hold the operands and the result. ``keep``: the sum and majority bits on
    kept nets, so each is one LUT (a mux in front of an operand folded in) and the chain's
    input a LUT of two of them; left free, abc mapped them as three levels in series (the
    risk pipeline's credit candidates)."""
    return _carry_save(m, a, b, c, width, name, keep, add_b=False)


def add_sub(m, a, b, c, width: int, name: str, keep: bool = False) -> Value:
    """``a + b - c`` as ``signed(width)``, one carry chain behind one LUT level (``sub3``'s
    carry-save with ``b`` added)."""
    return _carry_save(m, a, b, c, width, name, keep, add_b=True)


def carry_save_bits(m, a, b, c, width: int, name: str, keep: bool = False, add_b: bool = False):
    """The carry-save of ``a - b - c`` (``add_b``: ``a + b - c``) at ``width`` bits: (sum bits,
    majority bits), bitwise functions of the operands' bits (``keep``: on kept nets);
    ``carry_save_total`` adds them."""
    x, y, z = (Signal(signed(width), name=f"{name}_{k}") for k in "abc")
    m.d.comb += [x.eq(a), y.eq(b), z.eq(c)]
    # a - b - c = a + ~b + ~c + 2 (mod 2**width), a + b - c = a + b + ~c + 1: carry-save, then
    # the ones as the adder's carry-in and the free low bit of the shifted carries
    ny, nz = (y.as_unsigned() if add_b else ~y.as_unsigned()), ~z.as_unsigned()
    xu = x.as_unsigned()
    s = xu ^ ny ^ nz
    cy = (xu & ny) | (xu & nz) | (ny & nz)
    if keep:
        s, cy = kept(m, s, f"{name}_sum"), kept(m, cy, f"{name}_maj")
    return s, cy


def carry_save_total(s, cy, width: int, add_b: bool = False) -> Value:
    """``carry_save_bits``' sum and majority bits added: the result, ``signed(width)``."""
    total = Cat(Const(1, 1), s) + Cat(Const(1, 1), Const(int(not add_b), 1), cy[:width - 1])
    return total[1:width + 1].as_signed()


def _carry_save(m, a, b, c, width: int, name: str, keep: bool, add_b: bool) -> Value:
    return carry_save_total(*carry_save_bits(m, a, b, c, width, name, keep, add_b), width, add_b)


def clamp_for_compare(value, width: int) -> Value:
    """``value`` (signed) clamped to [-1, 2**width - 1], as ``signed(width + 1)``: any unsigned
    ``width``-bit operand compares against the result as against ``value`` itself (below 0,
    every operand exceeds it; at 2**width or more, none does). Registered a stage ahead of a
    compare, it shortens the compare's carry chain to ``width + 2`` bits."""
    neg = value[-1]
    big = ~neg & any_of(value[width:len(value) - 1]) if len(value) - 1 > width else Const(0, 1)
    return Mux(neg, Const(-1, signed(width + 1)),
               Mux(big, Const((1 << width) - 1, signed(width + 1)), Cat(value[:width], Const(0, 1)).as_signed()))


def sub_low(m, a, subs, width: int, name: str) -> Value:
    """The low part of ``sub_topped``: ``a``'s low ``width`` bits less ``subs`` (one or two
    unsigned subtrahends of at most ``width`` bits), as ``width + 2`` bits: the difference's
    low ``width`` bits and the change to ``a``'s high part (0, -1 or -2: bits 00, 11, 10). One
    carry chain behind one LUT level (two subtrahends carry-saved: ``sub3``)."""
    assert 1 <= len(subs) <= 2 and all(len(s) <= width for s in subs), "one or two width-bit subtrahends"
    if len(subs) == 2:
        lo = sub3(m, a[:width], subs[0], subs[1], width + 3, f"{name}_lo", keep=True)
    else:
        lo = Signal(signed(width + 3), name=f"{name}_lo")
        m.d.comb += lo.eq(a[:width] - subs[0])
    return lo[:width + 2]


def high_flags(a, width: int) -> Value:
    """``a``'s high part (the bits above ``width``): negative, 0, 1, 2 (4 bits; compares of a
    register, in parallel with ``sub_low``'s chain)."""
    hi = a[width:]
    assert len(hi) >= 3, "a high part of at least 3 bits (2 would read -2 as 2)"
    neg0 = hi[-1] if a.shape().signed else Const(0, 1)
    return Cat(neg0, *(equal(hi, Const(k, len(hi))) for k in range(3)))


def topped(low, flags, width: int) -> Value:
    """``sub_low``'s result and ``high_flags`` of the same ``a`` as ``signed(width + 2)``: the
    low ``width`` bits under a 2-bit top, -1 / 0 / +1 as the difference's high part is negative
    / zero / positive. Any unsigned ``width``-bit operand compares against it as against the
    difference itself (below 2**width it is exact; beyond, negative or at least 2**width, the
    top alone decides). Six inputs a top bit: registered ahead of a compare, each is the LUT
    of the compare's chain at its bit, so the compare is ``width + 3`` bits behind one LUT."""
    neg0, e0, e1, e2 = flags[0], flags[1], flags[2], flags[3]
    q0 = ~low[width + 1]
    q1, q2 = low[width + 1] & low[width], low[width + 1] & ~low[width]
    neg = neg0 | ((q1 | q2) & e0) | (q2 & e1)
    zero = (q0 & e0) | (q1 & e1) | (q2 & e2)
    return Cat(low[:width], ~zero, neg).as_signed()


def sub_topped(m, a, subs, width: int, name: str) -> Value:
    """``topped(sub_low(a - subs), high_flags(a))`` in one cycle (``a`` signed or unsigned)."""
    return topped(sub_low(m, a, subs, width, name), high_flags(a, width), width)
