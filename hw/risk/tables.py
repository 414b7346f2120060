"""What the risk pipeline's state memories store, as narrow as the register map lets them be
(issue 14 item 2: 16,384 (symbol, side) entries in the ECP5's block RAM).

The register map's layout is unchanged: the host writes the whole ``SYMBOL_LIMITS`` row (320 bits, ten
word-aligned shadow words) and reads positions back as 48-bit two's complement. What is kept
in block RAM is only what those can ever hold:

- the limit row without its padding (``_pad0``, ``_pad1``: 46 bits that are always zero on the
  bus side and never read) and with ``max_notional`` in 42 bits (all ones: open, the bus's
  2**64 - 1; a commit of any other value of 2**42 - 1 or more is refused: error flag, nothing
  written): 252 bits a symbol, 7 x 36, which the DP16KD's 512 x 36 (or 2,048 x 9) mode stores
  in 28 blocks a 2,048 rows (31 at 274 bits, 36 as 320 bits in 512 x 36);
- the position (read back only, as the low 48 bits of a two's-complement sum: addition modulo
  2**48 gives the same bits as the sum at 64 bits truncated, so the read-back is unchanged):
  48 bits a symbol, 6 blocks a 2,048 rows (8 at 64 bits).

The cumulative ``opened`` / ``released`` counters are 36 bits, modulo 2**36 (checks.py says
why that is exact; counters.over_used).
"""
from amaranth import Cat, Const, Mux, Signal

from wirespeed.layout import SYMBOL_LIMITS

from .checks import NOTIONAL_LIMIT_MAX, NOTIONAL_OPEN, NOTIONAL_STORED, notional_fits  # noqa: F401

#: The limit row's fields as stored (the padding is not; max_notional narrowed)
LIMIT_FIELDS = {name: (NOTIONAL_STORED if name == "max_notional" else width)
                for name, width in SYMBOL_LIMITS.fields.items() if not name.startswith("_pad")}
LIMIT_WIDTH = sum(LIMIT_FIELDS.values())


def notional_fits_hw(value):
    """``notional_fits`` of a 64-bit value (logic): the stored bits decode to the value."""
    return (value[NOTIONAL_STORED:] == 0) & (value[:NOTIONAL_STORED] != (1 << NOTIONAL_STORED) - 1) \
        | (value == NOTIONAL_OPEN)
#: The position memory's width: the register map's read-back width (POS, OPEN_BUY, OPEN_SELL)
POSITION_WIDTH = 48


def stored_row(row):
    """The bits of a full ``SYMBOL_LIMITS`` row value that the limit memory stores (wiring only:
    the low bits of each field; a max_notional that fits is its low 42 bits, open all ones)."""
    return Cat(*(row[SYMBOL_LIMITS.offsets[f]:SYMBOL_LIMITS.offsets[f] + w] for f, w in LIMIT_FIELDS.items()))


def full_row(stored):
    """The full ``SYMBOL_LIMITS`` row value of a stored row, its padding zero (wiring, and
    max_notional's all ones decoded as open: 2**64 - 1)."""
    parts, at = [], 0
    for name, width in SYMBOL_LIMITS.fields.items():
        if name.startswith("_pad"):
            parts.append(Const(0, width))
            continue
        field = stored[at:at + LIMIT_FIELDS[name]]
        if name == "max_notional":
            field = Mux(field == (1 << NOTIONAL_STORED) - 1, NOTIONAL_OPEN, field)
        parts.append(field[:width] if len(field) >= width else Cat(field, Const(0, width - len(field))))
        at += LIMIT_FIELDS[name]
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
