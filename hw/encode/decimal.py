"""Binary to decimal ASCII for the FIX encoder, every piece at most 3 LUT levels between registers.

- ``Dabble``: iterative double dabble, three shift-and-add-3 steps a cycle (one LUT level each).
- ``digits_above``: the thermometer ``value >= 10**k`` (one subtraction each), from which a
  number's digit count is known before its digits are.
- ``top_index``: how many bits of a thermometer are set (two levels);
  ``highest_nonzero``: the index of a BCD value's highest non-zero digit.
- ``digit_run``: eight ASCII digits ``s, s-1, ...`` of a BCD value, picked by a register ``s``
  through ``mux16`` (4-way muxes, one LUT each).
- ``bcd3``: the three BCD digits of an 8-bit value (a table, two register stages).
- ``byte_mask``, ``keep_bytes``: the bytes of a value below a length.
- ``summed``: a sum of many terms, two adders per register stage.
"""
from amaranth import Array, Cat, Const, Mux, Signal

from ..logic import any_of, below, kept

STEPS = 3           # double-dabble steps per cycle


def digit(bcd, i):
    return bcd[4 * i:4 * i + 4]


def ascii_digit(bcd, i):
    """Digit ``i`` of ``bcd`` as an ASCII character (8 bits)."""
    return Cat(digit(bcd, i), Const(3, 4))


def _step(m, bcd, bit, ndigits: int, name: str):
    """One double-dabble step: every digit >= 5 gets 3 added, then all shift left, ``bit`` in.
    Each result bit is a function of one digit: one LUT level, held apart from the next step."""
    adjusted = Cat(*(Mux(digit(bcd, i) >= 5, digit(bcd, i) + 3, digit(bcd, i))[:4] for i in range(ndigits)))
    return kept(m, Cat(bit, adjusted)[:4 * ndigits], name)


class Dabble:
    """``value`` (``width`` bits) to ``ndigits`` BCD digits in ``cycles`` cycles after ``start``;
    the digits hold while ``run`` is low. ``start`` clears the digits (a synchronous reset, no
    logic in the data path)."""

    def __init__(self, m, name: str, width: int, ndigits: int):
        self.cycles = -(-width // STEPS)
        self.m, self.name, self.ndigits = m, name, ndigits
        self.bcd = Signal(4 * ndigits, name=f"{name}_bcd")
        self.bin = Signal(self.cycles * STEPS, name=f"{name}_bin")

    def drive(self, start, value, run):
        m, bcd = self.m, self.bcd
        for k in range(STEPS):
            bcd = _step(m, bcd, self.bin[-1 - k], self.ndigits, f"{self.name}_step{k}")
        with m.If(start):
            m.d.sync += [self.bcd.eq(0), self.bin.eq(value)]
        with m.Elif(run):
            m.d.sync += [self.bcd.eq(bcd), self.bin.eq(self.bin << STEPS)]


def digits_above(value, count: int):
    """Bit k-1 set when ``value >= 10**k``, k = 1..count: a thermometer (one carry chain each)."""
    return Cat(*(~below(value, 10 ** k) for k in range(1, count + 1)))


def top_index(therm, width: int = 4):
    """How many bits of the thermometer ``therm`` are set (its top index + 1), from the edges
    ``therm[k-1] & ~therm[k]`` one-hot: each result bit an OR of a few of them."""
    n = len(therm)
    edge = [therm[k - 1] & (~therm[k] if k < n else 1) for k in range(1, n + 1)]   # edge[k-1]: exactly k set
    return Cat(*(Cat(*(edge[k - 1] for k in range(1, n + 1) if k >> b & 1)).any() for b in range(width)))


def highest_nonzero(m, bcd, ndigits: int, name: str):
    """The index of the highest non-zero digit (0 when all are zero), three registers later:
    the non-zero digits, the thermometer "a digit at or above k is non-zero" (a carry chain
    each), then its count."""
    nz = Signal(ndigits, name=f"{name}_nz")
    m.d.sync += nz.eq(Cat(*(digit(bcd, i).any() for i in range(ndigits))))
    therm = Signal(ndigits - 1, name=f"{name}_therm")
    m.d.sync += therm.eq(Cat(*(any_of(nz[k:]) for k in range(1, ndigits))))
    top = Signal(4, name=f"{name}_top")
    m.d.sync += top.eq(top_index(therm))
    return top


def digit_run(m, bcd, ndigits: int, s, name: str):
    """Registered: byte j is the ASCII digit ``s - j`` of ``bcd`` (a digit outside it reads 0)."""
    assert len(s) == 4
    out = Signal(64, name=name)
    for j in range(8):
        cases = [digit(bcd, v - j) if 0 <= v - j < ndigits else Const(0, 4) for v in range(16)]
        m.d.sync += out[8 * j:8 * j + 4].eq(mux16(m, cases, s, f"{name}{j}"))
        m.d.comb += out[8 * j + 4:8 * j + 8].eq(3)            # the ASCII digits' upper nibble
    return out


def mux16(m, cases, s, name: str):
    """``cases[s]`` for a 3- or 4-bit ``s`` (8 or 16 cases) as 4-way muxes on ``s[:2]`` (one LUT6
    each, held apart), then a 2- or 4-way mux on the rest."""
    assert len(cases) == 1 << len(s) and len(s) in (3, 4)
    quarter = [kept(m, Array(cases[4 * g:4 * g + 4])[s[:2]], f"{name}_q{g}") for g in range(len(cases) // 4)]
    return Array(quarter)[s[2:]]


BCD3_STAGES = 2


def bcd3(m, value, name: str):
    """The three BCD digits of an 8-bit value, from a table, ``BCD3_STAGES`` registers later:
    each digit bit is four functions of the low 6 bits (one LUT6 each, registered), one of
    which the top 2 bits pick."""
    out = Signal(12, name=name)
    value = value[:8]
    top = Signal(2, name=f"{name}_top")
    m.d.sync += top.eq(value[6:])
    for bit in range(12):
        parts = Signal(4, name=f"{name}_{bit}")
        for t in range(4):
            table = Array([Const(int(f"{(t << 6) + v:03d}", 16) >> bit & 1, 1) for v in range(64)])
            m.d.sync += parts[t].eq(table[value[:6]])
        m.d.sync += out[bit].eq(parts.bit_select(top, 1))
    return out


def byte_mask(length):
    """Byte j kept while j < ``length`` (a 4-bit length: one LUT a bit)."""
    return Cat(*(length > j for j in range(8)))


def keep_bytes(value, mask):
    """The 8 bytes of ``value`` with byte j cleared unless ``mask[j]`` is set."""
    return Cat(*(value[8 * j:8 * j + 8] & mask[j].replicate(8) for j in range(8)))


def summed(m, terms, width: int, name: str):
    """(the sum of ``terms`` modulo 2**width, registered, its latency in cycles): a tree of
    two-input adders, two adder levels between registers."""
    level, stages = list(terms), 0
    while len(level) > 1 or stages == 0:
        for _ in range(2):
            if len(level) > 1:
                level = [(level[i] + level[i + 1])[:width] if i + 1 < len(level) else level[i]
                         for i in range(0, len(level), 2)]
        regs = [Signal(width, name=f"{name}_{stages}_{k}") for k in range(len(level))]
        m.d.sync += [r.eq(v) for r, v in zip(regs, level)]
        level, stages = regs, stages + 1
    return level[0], stages
