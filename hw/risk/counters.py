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

Every read port's data goes straight into a register (taken on the next advance), so no
logic follows a block-RAM output (on ECP5 a DP16KD's clock-to-out without its output
register is 4.1 ns); the forwarding is applied after that register.

Fills (``FillCounters``): a fill taken on an advance has its entries' words read at that
edge and registered on the next; they are added to and written back in the following
cycles, from the fill's second register stage. The fills taken one and two advances
earlier on the same entry are still writing: their new values are forwarded.
"""
from amaranth import Cat, Mux, Signal, Value

from wirespeed.enums import Side
from wirespeed.layout import FILL

from ..logic import below, equal, kept, pick, sub3
from .checks import COUNT_WIDTH as CHECKED_WIDTH
from .tables import POSITION_WIDTH, hold

#: Cumulative quantities per entry, kept modulo 2**COUNT_WIDTH (checks.py states why 36 bits
#: are exact: every check uses ``used = opened - released`` modulo 2**COUNT_WIDTH as two's
#: complement, ``over_used``, which the consistent state bounds to +-(2**32 - 1))
COUNT_WIDTH = CHECKED_WIDTH


def over_used(m, a, b, qty, name: str) -> Value:
    """``qty > headroom(a - b)`` (``checks.headroom``; ``qty`` unsigned, at most 32 bits): ``a``
    and ``b`` are the room and the opened word (any widths, congruent modulo 2**COUNT_WIDTH to the
    true values: the counters wrap). With h = headroom(a - b) in [-2**35, 2**35): if h < 0, every
    quantity exceeds it; if h >= 0, h - qty is in (-2**32, 2**35), so its sign modulo 2**36 is
    exact. So ``qty > h`` is the sign of ``a - b`` or that of ``a - b - qty``, both modulo
    2**COUNT_WIDTH: two chains side by side (the second carry-saved, ``logic.sub3``), one LUT
    after them (where the halves of before, ``sub_used``, took two LUTs after three chains)."""
    n = COUNT_WIDTH
    h = Signal(n, name=f"{name}_h")
    m.d.comb += h.eq(a[:n] - b[:n])
    low = sub3(m, a[:n], b[:n], qty, n, f"{name}_q", keep=True)
    return h[-1] | low[-1]


def over_used_if(m, a, b_if, b_not, sel, qty, name: str) -> Value:
    """``over_used(a, Mux(sel, b_if, b_not), qty)`` as both answers and the pick after them
    (``sel`` a register decided late): no mux in front of the chains, where the pick, shared by
    every chain it fed, came out of synthesis as a LUT of its own ahead of each (xcup depth 6)."""
    return pick(sel, over_used(m, a, b_if, qty, f"{name}_if"), over_used(m, a, b_not, qty, name))


#: ``released``'s attributes: a read and a write of one entry at the same edge from the two
#: ports (the order's read, the fill's write) may read either word in synthesis (yosys's
#: ``no_rw_check``; simulation stays read-first). Without it yosys emulates read-first across
#: the ports and will not share the fill's read and write on one port: a second copy of the
#: memory (64 DP16KD at 16,384 entries, not 32). Each such collision's word is not used: the
#: order's is forwarded (the fill two ahead's, ``rel_prev``), a read-back's replaced by the word
#: before the write (``FillCounters.read_back``).
RELEASED_ATTRS = {"no_rw_check": 1}


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

    Two register stages, so that no block-RAM read port drives logic (its clock-to-out is most
    of a 200 MHz cycle on ECP5): a fill taken on advance u is in ``fr`` (stage f1) while its
    words are read, in ``f2`` with the words in registers on advance u + 1, and written from
    ``f2`` (new value = word + quantity) at the edges after that. Its read at edge u misses
    the writes of the two fills ahead (the one ahead writes at u + 2, the one two ahead at
    u + 1), so both are forwarded: ``rel_last`` / ``rel_prev`` (and the position's) hold the
    new words of the fill one and two ahead while a fill is in f2.
    """

    def __init__(self, m, released, position, fp, fill_valid, advance, readback, clearing, clear_at, depth: int,
                 busy):
        abits = (depth - 1).bit_length()
        self.fr, self.valid = Signal(FILL.layout), Signal()
        #: ``busy`` (a register, the caller's): the fill in f2 writes ``released`` at the coming
        #: edge through the port its read uses, so no fill is taken in this cycle (``fill_valid``
        #: and the port's ready must be low: the caller gates them)
        self.busy = busy
        fr = self.fr
        self.entry = Signal(abits + 1)
        signed_qty = Signal(range(-(1 << 32), 1 << 32))       # the position change
        in_table = below(fp.symbol, depth)
        moves = self.valid & ~fr.cancel                       # the fill in f1 moves a position
        #: stage f2: the fill, its entry, its words read from the memories
        self.f2, self.valid2, self.entry2 = Signal(FILL.layout), Signal(), Signal(abits + 1)
        f2_signed_qty, f2_moves = Signal.like(signed_qty), Signal()
        rel_raw, pos_raw = Signal(COUNT_WIDTH), Signal(POSITION_WIDTH)
        # forwards to the fill in f2: the fill ahead's new word (fwd*_1), the fill 2 ahead's (fwd*_2)
        fwd_rel1, fwd_rel2, fwd_pos1, fwd_pos2 = Signal(), Signal(), Signal(), Signal()
        f1_rel1, f1_rel2, f1_pos1, f1_pos2 = Signal(), Signal(), Signal(), Signal()
        # the port's decodes as kept nets (one LUT each): abc, free to, chained two-input LUTs
        # from the side bits to the forwarding flags four deep
        side_bit = kept(m, fill_entry(fp, abits)[-1], "fill_side_entry")
        is_buy = kept(m, fp.side == Side.BUY, "fill_is_buy")
        same_symbol = kept(m, equal(fr.symbol[:abits], fp.symbol[:abits]), "fill_same_symbol")
        same_symbol2 = kept(m, equal(self.f2.symbol[:abits], fp.symbol[:abits]), "fill_same_symbol2")
        with m.If(advance):
            m.d.sync += [fr.eq(fp), self.valid.eq(fill_valid & in_table),
                         signed_qty.eq(Mux(is_buy, fp.qty, -fp.qty)),
                         self.entry.eq(Cat(fp.symbol[:abits], side_bit)),
                         f1_rel1.eq(self.valid & same_symbol & (self.entry[-1] == side_bit)),
                         f1_rel2.eq(self.valid2 & same_symbol2 & (self.entry2[-1] == side_bit)),
                         f1_pos1.eq(moves & same_symbol),
                         f1_pos2.eq(f2_moves & same_symbol2)]
            m.d.sync += [self.f2.eq(fr), self.valid2.eq(self.valid), self.entry2.eq(self.entry),
                         f2_signed_qty.eq(signed_qty), f2_moves.eq(moves),
                         fwd_rel1.eq(f1_rel1), fwd_rel2.eq(f1_rel2), fwd_pos1.eq(f1_pos1), fwd_pos2.eq(f1_pos2)]
        # read at the edge the fill is taken (read-first), registered on the next advance
        # (the position's port is the register file's read-back too: tables.ReadBack; no fill is
        # taken in that cycle, and the words of the fill in f1 are held if it is stalled)
        rel_rd, pos_rd = released.read_port(), position.read_port()
        steal = readback.steal
        # ``released``'s fill read and write share one address (one DP16KD port, read or write
        # in a cycle: ``busy``), so the memory is one block-RAM copy with the order's port
        # (see the class's doc); the write lands one edge after f2 is loaded, as before
        rel_addr = Signal(abits + 1)
        m.d.comb += rel_addr.eq(Mux(clearing, clear_at, Mux(busy, self.entry2, fill_entry(fp, abits))))
        m.d.sync += busy.eq(advance & self.valid)
        m.d.comb += [rel_rd.addr.eq(rel_addr), rel_rd.en.eq(advance & ~busy),
                     pos_rd.addr.eq(Mux(steal, readback.symbol, fp.symbol[:abits])), pos_rd.en.eq(advance | steal),
                     readback.position.eq(pos_rd.data)]
        pos_word = hold(m, pos_rd.data, advance, advance, steal, "position_rd")     # (not under an If)
        with m.If(advance):
            m.d.sync += [rel_raw.eq(rel_rd.data), pos_raw.eq(pos_word)]
        #: the new words of the fills one (``rel_last``) and two (``rel_prev``) ahead of the one in
        #: f2 (held across stalls): forwarded to the next fills and to orders
        self.rel_last, self.rel_prev = Signal(COUNT_WIDTH), Signal(COUNT_WIDTH)
        # the position modulo 2**48: the register map reads it back as 48 bits (tables.py)
        pos_last, pos_prev = Signal(POSITION_WIDTH), Signal(POSITION_WIDTH)
        rel_old = Mux(fwd_rel1, self.rel_last, Mux(fwd_rel2, self.rel_prev, rel_raw))   # the entry's word now
        rel_new = rel_old + self.f2.qty
        # a read-back of the entry being written at the same edge (``no_rw_check``): its word is
        # the one before the write (read-first), kept here for ``read_back``
        self._collided, self._old_word = Signal(), Signal(COUNT_WIDTH)
        m.d.sync += [self._collided.eq(readback.steal & busy & equal(readback.entry, self.entry2)),
                     self._old_word.eq(rel_old)]
        pos_new = Mux(fwd_pos1, pos_last, Mux(fwd_pos2, pos_prev, pos_raw)) + f2_signed_qty
        rel_new_r, pos_new_r = Signal(COUNT_WIDTH), Signal(POSITION_WIDTH)
        m.d.comb += [rel_new_r.eq(rel_new), pos_new_r.eq(pos_new)]
        with m.If(advance):
            m.d.sync += [self.rel_last.eq(rel_new_r), pos_last.eq(pos_new_r),
                         self.rel_prev.eq(self.rel_last), pos_prev.eq(pos_last)]
        rel_wr, pos_wr = released.write_port(), position.write_port()
        self.rel_wr = rel_wr
        m.d.comb += [rel_wr.addr.eq(rel_addr),
                     rel_wr.data.eq(Mux(clearing, 0, rel_new_r)),
                     rel_wr.en.eq(busy | clearing),
                     pos_wr.addr.eq(Mux(clearing, clear_at, self.f2.symbol)),
                     pos_wr.data.eq(Mux(clearing, 0, pos_new_r)),
                     pos_wr.en.eq(f2_moves | clearing)]

    def order_read(self, m, port, undefined: bool = False):
        """The data of the order's read port of ``released`` (``port``). In synthesis a read of
        the entry the fill writes at the same edge is undefined (``no_rw_check``); simulation
        reads first. ``undefined`` (tests only: ``RiskPipeline.released_collision_undefined``)
        inverts every such word, so a test shows that no decision or read-back depends on it."""
        if not undefined:
            return port.data
        hit = Signal(name="released_collision")
        wr = self.rel_wr
        m.d.sync += hit.eq(Mux(port.en, wr.en & (port.addr == wr.addr), hit))
        return Mux(hit, ~port.data, port.data)

    def read_back(self, port_data):
        """What a read-back of ``released`` through the order's port reads (``port_data`` as
        read-first, but for the collision with the fill's write: its word before the write)."""
        return Mux(self._collided, self._old_word, port_data)
