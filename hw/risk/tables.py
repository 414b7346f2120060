"""What the risk pipeline's state memories store, as narrow as the register map lets them be
(issue 14 item 2: 16,384 (symbol, side) entries in the ECP5's block RAM).

The register map is unchanged: the host writes the whole ``SYMBOL_LIMITS`` row (320 bits, ten
word-aligned shadow words) and reads positions back as 48-bit two's complement. What is kept
in block RAM is only what those can ever hold:

- the limit row without its padding (``_pad0``, ``_pad1``: 46 bits that are always zero on the
  bus side and never read): 274 bits a symbol, which the DP16KD's 2,048 x 9 mode stores in 31
  blocks a 2,048 rows (36 before, as 320 bits in 512 x 36);
- the position (read back only, as the low 48 bits of a two's-complement sum: addition modulo
  2**48 gives the same bits as the sum at 64 bits truncated, so the read-back is unchanged):
  48 bits a symbol, 6 blocks a 2,048 rows (8 at 64 bits).

The cumulative ``opened`` / ``released`` counters stay 64 bits (counters.py): every check
subtracts one from the other at full width, so narrowing them changes the checks' arithmetic.
"""
from amaranth import Cat, Const, Mux, Signal

from wirespeed.layout import SYMBOL_LIMITS

#: The limit row's fields as stored (the padding is not)
LIMIT_FIELDS = {name: width for name, width in SYMBOL_LIMITS.fields.items() if not name.startswith("_pad")}
LIMIT_WIDTH = sum(LIMIT_FIELDS.values())
#: The position memory's width: the register map's read-back width (POS, OPEN_BUY, OPEN_SELL)
POSITION_WIDTH = 48


def stored_row(row):
    """The bits of a full ``SYMBOL_LIMITS`` row value that the limit memory stores (wiring only)."""
    return Cat(*(row[SYMBOL_LIMITS.offsets[f]:SYMBOL_LIMITS.offsets[f] + w] for f, w in LIMIT_FIELDS.items()))


def full_row(stored):
    """The full ``SYMBOL_LIMITS`` row value of a stored row, its padding zero (wiring only)."""
    parts, at = [], 0
    for name, width in SYMBOL_LIMITS.fields.items():
        if name.startswith("_pad"):
            parts.append(Const(0, width))
        else:
            parts.append(stored[at:at + width])
            at += width
    return Cat(*parts)


class ReadBack:
    """The register file's reads of a symbol's state, through the pipeline's own read ports.

    A memory with one write port and ``r`` synchronous read ports is ``r`` block-RAM copies
    (yosys: each DP16KD has one write and one read port here), so a read-back port of its own
    cost a copy of ``opened``, ``released`` and ``position`` (160 DP16KD at 8,192 symbols).
    Instead, in the cycle ``steal`` is set (a register: a state read, decoded) the order's
    ports of ``opened`` and ``released`` and the fill's port of ``position`` read ``entry`` /
    ``symbol`` for the register file, and the input and fill ports take nothing (``i.ready``
    and ``fill.ready`` are low: one input cycle a state read; the read's latency is
    unchanged). If the pipeline is stalled then, the words the order in stage 0 and the fill
    in f1 read as they were taken are still to be registered: ``hold`` keeps them.
    """

    def __init__(self, abits: int, count_width: int):
        self.steal = Signal()
        self.entry = Signal(abits + 1)
        self.symbol = Signal(abits)
        self.opened = Signal(count_width)
        self.released = Signal(count_width)
        self.position = Signal(POSITION_WIDTH)


def hold(m, port_data, read_at, taken_at, steal, name: str):
    """The word a read port read for a stage (issued on ``read_at``, registered on ``taken_at``,
    the next advance), kept if the port is taken by a read-back (``steal``) in between: what
    the stage registers on ``taken_at`` instead of ``port_data``. Call it outside any ``m.If``
    (its own conditions are not to be nested in the caller's)."""
    kept_word, held = Signal(len(port_data), name=f"{name}_held"), Signal(name=f"{name}_is_held")
    # the port's data is the stage's until the first read-back after ``read_at``
    with m.If(steal & ~read_at & ~held):
        m.d.sync += [kept_word.eq(port_data), held.eq(1)]
    with m.If(taken_at):
        m.d.sync += held.eq(0)
    return Mux(held, kept_word, port_data)
