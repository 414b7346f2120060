"""The per-entry state memories of the risk pipeline in block RAM, and the forwarding that
keeps their read-modify-writes exact at one order per cycle.

Every memory has synchronous read ports only (so yosys infers DP16KD on ECP5, RAMB /
URAM on xcup) and one write port. A read is issued on an advance from the address on the
input ports and is *read-first*: a write landing at the same clock edge is not seen. Each
writer keeps what it wrote (entry and value) in registers for as long as a reader issued
before the write landed can still use it, and the reader takes the newest of those whose
entry is its own instead of the memory's word (value forwarding: the registers hold whole
new values, so forwarding a write that has since landed changes nothing).

Writes are made from registers in every cycle the write register holds them (the same
entry and value again in a stall: idempotent), so no write enable comes from the decision
logic of the same cycle and none is gated by ``advance``.

Fills (``FillCounters``): a fill taken on an advance has its entries' words read at that
edge; they are added to and written back in the following cycles, from the registered
fill. The fill taken one advance earlier on the same entry wrote at this edge: its new
value is forwarded.
"""
from amaranth import Cat, Mux, Signal

from wirespeed.enums import Side
from wirespeed.layout import FILL

from ..logic import below, equal, kept

COUNT_WIDTH = 64        # cumulative quantities per entry (read back as 48-bit two's complement)


def fill_entry(fill, abits: int):
    """The entry a fill or cancel releases: a buy fill the sell entry (the position rises as
    the open buy falls), a buy cancel the buy entry; a sell fill the buy entry, a sell cancel
    the sell entry (buy entries first, then sell entries, as ``order_entry``)."""
    return Cat(fill.symbol[:abits], (fill.side == Side.BUY) != fill.cancel)


def order_entry(order, abits: int):
    """An order's (symbol, side) entry: buy entries first, then sell entries."""
    return Cat(order.symbol[:abits], order.side != Side.BUY)


class Written:
    """What a writer wrote at its last write and what it writes next: ``(en, entry, value)``
    registers, for the readers' forwarding."""

    def __init__(self, abits: int, name: str):
        self.en = Signal(name=f"{name}_en")
        self.entry = Signal(abits + 1, name=f"{name}_entry")
        self.value = Signal(COUNT_WIDTH, name=f"{name}_value")

    def hits(self, entry):
        """This write is valid and on ``entry`` (compared on the registers' values)."""
        return self.en & equal(self.entry, entry)


class FillCounters:
    """``released`` (quantity released per entry) and ``position`` (per symbol) updated by
    fills and cancels: the registered fill ``fr``, its forwarded / read words, the writes.

    The fill on ``fp`` is taken on the advances where ``fill_valid``; ``clearing`` / ``clear_at``
    zero every word after reset (the fill stream is held off meanwhile).
    """

    def __init__(self, m, released, position, fp, fill_valid, advance, clearing, clear_at, depth: int):
        abits = (depth - 1).bit_length()
        self.fr, self.valid = Signal(FILL.layout), Signal()
        fr = self.fr
        self.entry = Signal(abits + 1)
        signed_qty = Signal(range(-(1 << 32), 1 << 32))       # the position change
        fwd_rel, fwd_pos = Signal(), Signal()                 # the fill ahead wrote this entry / symbol
        in_table = below(fp.symbol, depth)
        moves = self.valid & ~fr.cancel                       # the fill ahead moves a position
        # the port's decodes as kept nets (one LUT each): abc, free to, chained two-input LUTs
        # from the side bits to the forwarding flags four deep
        side_bit = kept(m, fill_entry(fp, abits)[-1], "fill_side_entry")
        is_buy = kept(m, fp.side == Side.BUY, "fill_is_buy")
        same_symbol = kept(m, equal(fr.symbol[:abits], fp.symbol[:abits]), "fill_same_symbol")
        with m.If(advance):
            m.d.sync += [fr.eq(fp), self.valid.eq(fill_valid & in_table),
                         signed_qty.eq(Mux(is_buy, fp.qty, -fp.qty)),
                         self.entry.eq(Cat(fp.symbol[:abits], side_bit)),
                         fwd_rel.eq(self.valid & same_symbol & (self.entry[-1] == side_bit)),
                         fwd_pos.eq(moves & same_symbol)]
        # read at the edge the fill is taken (read-first), written from the registers after it
        rel_rd, pos_rd = released.read_port(), position.read_port()
        m.d.comb += [rel_rd.addr.eq(fill_entry(fp, abits)), rel_rd.en.eq(advance),
                     pos_rd.addr.eq(fp.symbol[:abits]), pos_rd.en.eq(advance)]
        #: the value each wrote last (held across stalls): forwarded to the next fill and to orders
        self.rel_last = Signal(COUNT_WIDTH)
        pos_last = Signal(COUNT_WIDTH)
        rel_new = Mux(fwd_rel, self.rel_last, rel_rd.data) + fr.qty
        pos_new = Mux(fwd_pos, pos_last, pos_rd.data) + signed_qty
        rel_new_r, pos_new_r = Signal(COUNT_WIDTH), Signal(COUNT_WIDTH)
        m.d.comb += [rel_new_r.eq(rel_new), pos_new_r.eq(pos_new)]
        with m.If(advance):
            m.d.sync += [self.rel_last.eq(rel_new_r), pos_last.eq(pos_new_r)]
        rel_wr, pos_wr = released.write_port(), position.write_port()
        m.d.comb += [rel_wr.addr.eq(Mux(clearing, clear_at, self.entry)),
                     rel_wr.data.eq(Mux(clearing, 0, rel_new_r)),
                     rel_wr.en.eq(self.valid | clearing),
                     pos_wr.addr.eq(Mux(clearing, clear_at, fr.symbol)),
                     pos_wr.data.eq(Mux(clearing, 0, pos_new_r)),
                     pos_wr.en.eq(moves | clearing)]
