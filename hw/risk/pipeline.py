"""The pre-trade risk pipeline: every check, one order per cycle, fixed latency.

    advance 0  order on ``i``; ``now`` sampled; its limit-table row and its (symbol, side)
               entry's opened and released words read from block RAM (synchronous,
               read-first: counters.py)
    stage 0    the order in registers while the block RAMs read; the forwarding flags of
               the writes landing meanwhile (the order 5 ahead's, the fills one and two
               ahead); the read data go straight into registers on the next advance, so
               no logic follows a block-RAM output (its clock-to-out is 4.1 ns on ECP5);
               the notional multiply starts from these registers (partial products in
               stage 1, the product in stage 2); into stage 1, same entry as the orders 1
               and 2 ahead, same session as the orders 1 and 2 ahead (registered flags), and
               the session's credit room (every session's carry-save bits, the order's
               picked, then one chain)
    stage 1    OrderChecks: field codes, zero qty, price, unknown / restricted symbol,
               max qty, collar, stale reference (one comparison each) -> registered;
               the entry's words with the writes that landed as they were read forwarded
               (the released word of the fill one or two ahead, the opened word of the
               order 3, 4 or 5 ahead);
               the order ahead's quantity taken into the headrooms; the order 2 ahead's new
               opened word as if it is accepted; the session's and the gross credit room less
               the order 3 ahead's notional, and the same less the order ahead's (its product
               now) too
    stage 2    notional a register; the order 2 ahead's accept (a register now) picks its
               opened word and takes its notional off; every state check compared here, twice:
               if the order ahead (now in stage 3) is accepted, and if not, each one carry-save
               chain and a LUT (this order's quantity or notional one of its operands); the
               answers registered
    stage 3    each outcome group is a LUT of registered answers and the order ahead's
               registered accept picks; the accepted order's effect goes to the registers
               (window, GCRA, notional) and to the opened word's write register, which writes
               the block RAM in the next cycle
    output     decision valid on ``o``  (LATENCY = 5, whatever the outcome and the depth)

State, per (symbol, side) entry e: ``opened[e]`` (quantity accepted) and ``released[e]``
(quantity released by fills and cancels), cumulative, so an order and a fill never
write the same memory. With ``used = opened - released`` (pos + open_buy for the buy
entry, open_sell - pos for the sell entry) every position check is
``qty > limit - used`` (position limit) or ``qty > -used`` (reduce-only), whatever the
side. Credit, gross and per session (account): ``used = accepted notional - cancelled
notional``, the check ``notional > credit_limit + cancelled - accepted``.

Reset clears the state: registers at once, the memories one entry per cycle (2 x depth
cycles, with ``i.ready`` and ``fill.ready`` low): every counter is set to zero. All stages
advance together, when the output's skid register is empty (``advance`` is a register). A
fill taken on advance u is registered, then written, and is seen by orders decided on
advance u + FILL_VISIBLE onwards; orders already in stages 0-3 are decided without it.
Golden model: ``model.RiskModel`` (the testbench applies each fill after the order
decided FILL_VISIBLE - 1 advances after it).
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.layout import FILL, ORDER, RISK_OUT, SYMBOL_LIMITS
from wirespeed.reasons import CODE_WIDTH, MASK_WIDTH
from wirespeed.reasons import RejectReason as R

from ..mul import Notional
from ..logic import (any_of, below, carry_save_bits, carry_save_total, equal, equal_halves, exceeds, high_flags, kept,
                     pick, replica, replicas, select_kept, sub3, sub_low, topped)
from ..regs import map as regmap
from ..skid import skid_output
from ..regs.bus import RegBus
from .counters import COUNT_WIDTH, RELEASED_ATTRS, FillCounters, Written, order_entry, over_used_if
from .regfile import SessionCredit, register_file
from .slices import state_memory
from .tables import LIMIT_WIDTH, POSITION_WIDTH, ReadBack, full_row, hold

LATENCY = 5
MAX_SESSIONS = 16       # the session room's pick: six groups of three at most (logic.select_kept)
FILL_VISIBLE = 5
#: When a register write reaches the checks: (k, c): the write whose ``we`` is sampled at the end
#: of cycle w is seen by the orders whose k-th advance after entry (0: entry, 3: decision) is
#: in cycle w + c or later. The globals are registered once by the bus (c = 2); the credit limits
#: are taken into the rooms on the advance before stage 1's; a table row is read as the
#: order enters (read-first); the session's rate tolerance is picked as the order enters, its
#: interval as it moves into stage 3 (the global rate registers write every session's).
SEEN_AT = {"kill": (3, 2), "reduce_only": (2, 2), "credit_lo": (1, 2), "credit_hi": (1, 2),
           "session_credit_lo": (1, 2), "session_credit_hi": (1, 2),
           "rate_tolerance": (0, 2), "rate_interval": (3, 2),
           "session_rate_tolerance": (0, 2), "session_rate_interval": (3, 2), "row": (0, 2)}
NOW_WIDTH = 48
NOTIONAL_STATE = 72     # cumulative accepted / cancelled notional


#: The primary reason is found in groups of codes (first, last): the lowest code among the
#: first-stage checks and the kill switch in each group is found in stage 2; stage 3 adds the
#: group's last code, the one check it decides (MAX_NOTIONAL and POSITION_LIMIT close groups of
#: earlier codes), so each group's result is one LUT after that check.
REASON_GROUPS = ((1, R.MAX_NOTIONAL), (R.PRICE_COLLAR, R.POSITION_LIMIT), (R.REDUCE_ONLY, R.REDUCE_ONLY),
                 (R.CREDIT_LIMIT, R.CREDIT_LIMIT), (R.RATE_LIMIT, R.RATE_LIMIT),
                 (R.DUPLICATE_CLORDID, R.DUPLICATE_CLORDID))


def _lowest(mask, codes):
    """(whether any of ``codes`` is set in ``mask``, the lowest set; 0 if none)."""
    code = Const(0, CODE_WIDTH)
    for c in reversed(codes):
        code = Mux(mask[c - 1], c, code)
    return Cat(*(mask[c - 1] for c in codes)).any(), code


def _first_found(found, codes):
    """The primary reason from the groups: the first group with a bit set gives its code."""
    out = Const(0, CODE_WIDTH)
    for hit, code in reversed(list(zip(found, codes))):
        out = Mux(hit, code, out)
    return out


def _add_sub_picked(m, onehot, triples, width: int, name: str):
    """``logic.add_sub`` of the operand triple ``(a, b, c)`` whose bit is set in ``onehot`` (exactly
    one bit set: with none the result is 1, not 0, and with several it is no sum of theirs; the
    session room's one-hot ``s0_shot`` is all zeros only before the first order, whose room is
    then unused), the pick after the carry-save: the sum and majority bits are bitwise, so picking
    them is picking the operands. Each triple's carry-save bits are a kept LUT3 a bit (from
    registers), their pick ``logic.select_kept`` in groups of three (a LUT6 a part, then the parts'
    OR), then the adder's propagate LUT: four levels in front of the chain at up to 18 triples
    (the session room at 8 sessions; three operands picked first, then carry-saved, were five:
    abc split each sum behind the XOR it shares with the majority; each triple's bits ANDed
    with its one-hot bit before the pick were still five, branch hwdepth)."""
    bits = [carry_save_bits(m, a, b, c, width, f"{name}{k}", add_b=True,
                            keep=not all(isinstance(v, (Const, int)) for v in (a, b, c)))
            for k, (a, b, c) in enumerate(triples)]
    return carry_save_total(*(select_kept(m, onehot, [v[j] for v in bits], f"{name}_{part}", group=3)
                              for j, part in enumerate(("sum", "maj"))), width, add_b=True)


def _over_room(m, room, sub, notional, name: str):
    """Whether ``notional`` exceeds ``room - sub`` (``room`` signed, wider than 64 bits; ``sub``
    and ``notional`` 64-bit), all registers: the low 64 bits less both as one carry-save chain
    (``logic.sub_low``) and the sign of the whole from its top and the room's high part
    (``logic.high_flags``, ``logic.topped``): one chain behind one LUT, one LUT after it."""
    return topped(sub_low(m, room, (sub, notional), 64, name), high_flags(room, 64), 64)[-1]


def _one_of(value, enum):
    return Cat(*(value == int(member) for member in enum)).any()


class OrderChecks(wiring.Component):
    """Stage 1: every check that needs only the order, its limit-table row and ``now``."""

    REASONS = (R.BAD_FIELD, R.ZERO_QTY, R.UNKNOWN_SYMBOL, R.BAD_PRICE, R.RESTRICTED_SYMBOL, R.MAX_QTY,
               R.PRICE_COLLAR, R.STALE_REFERENCE)

    def __init__(self, sessions: int, addr_bits: int):
        self.sessions, self.addr_bits = sessions, addr_bits
        super().__init__({
            "order": In(ORDER.layout),
            "row": In(SYMBOL_LIMITS.layout),
            "in_range": In(1),
            "now": In(NOW_WIDTH),
            "mask": Out(MASK_WIDTH),
            "known": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        o, row = self.order, self.row
        known = self.known
        session_bits = (self.sessions - 1).bit_length()
        m.d.comb += known.eq(self.in_range & row.valid)
        # the field checks as carry chains (logic.any_of): as OR trees of 12-14 inputs abc mapped
        # them four LUT levels deep, the deepest path into stage 2's mask
        fails = {
            R.BAD_FIELD: any_of([~_one_of(o.side, Side), ~_one_of(o.ord_type, OrdType), ~_one_of(o.tif, TimeInForce),
                                 *o.session[session_bits:]]),
            R.ZERO_QTY: ~any_of(o.qty),
            R.UNKNOWN_SYMBOL: ~known,
            R.BAD_PRICE: ~any_of(o.price),
            R.RESTRICTED_SYMBOL: known & row.restricted,
            R.MAX_QTY: known & (o.qty > row.max_qty),
            R.PRICE_COLLAR: known & ((o.price < row.price_lo) | (o.price > row.price_hi)),
            R.STALE_REFERENCE: known & (self.now > row.ref_deadline),
        }
        assert set(fails) == set(self.REASONS)
        for reason, fail in fails.items():
            m.d.comb += self.mask[reason.value - 1].eq(fail)
        return m


class RiskPipeline(wiring.Component):
    def __init__(self, depth: int = 64, sessions: int = 8, window: int = 8):
        problem = next((f"{name} must be a power of two >= 2, not {v!r}"
                        for name, v in (("depth", depth), ("sessions", sessions), ("window", window))
                        if not isinstance(v, int) or v < 2 or v & (v - 1)), None)
        if problem is None and depth > regmap.MAX_DEPTH:
            problem = f"depth {depth} does not fit the register map ({regmap.MAX_DEPTH} symbols at most)"
        if problem is None and sessions * regmap.SESSION_STRIDE + regmap.SESSION_BASE > 1 << regmap.ADDR_WIDTH:
            problem = f"sessions {sessions} do not fit the register map"
        if problem is None and sessions > MAX_SESSIONS:
            problem = (f"sessions {sessions} do not fit the session room's pick ({MAX_SESSIONS} at most: "
                       "groups of three in two kept levels, _add_sub_picked)")
        if problem:
            self._MustUse__silence = True   # never elaborated: no "created but never used" warning
            raise TypeError(problem)
        self.depth, self.sessions, self.window = depth, sessions, window
        #: tests only: the order port's read of a ``released`` entry the fill writes at the same
        #: edge gives an inverted word, as synthesis may (counters.FillCounters.order_read)
        self.released_collision_undefined = False
        super().__init__({
            "i": In(stream.Signature(ORDER.layout)),
            "fill": In(stream.Signature(FILL.layout)),
            "o": Out(stream.Signature(RISK_OUT.layout)),
            "now": In(NOW_WIDTH),
            "bus": In(RegBus),
        })

    def elaborate(self, platform):
        m = Module()
        D, S, W = self.depth, self.sessions, self.window
        abits, sbits = (D - 1).bit_length(), (S - 1).bit_length()

        def entry(order):
            return order_entry(order, abits)

        # After reset the state memories are cleared, one entry per cycle, before anything is taken.
        # ``clear_last`` (the last entry is cleared in this cycle) is a register: as the compare
        # ``clear_at == 2 * D - 1`` it was a LUT tree in front of every ``advance`` replica (xcup
        # depth 5 at 16k entries)
        clearing, clear_at, clear_last = Signal(init=1), Signal(abits + 1), Signal()
        with m.If(clearing):
            m.d.sync += [clear_at.eq(clear_at + 1), clear_last.eq(clear_at == 2 * D - 2)]
            with m.If(clear_last):
                m.d.sync += clearing.eq(0)
        # the pipeline moves when the output's skid register is empty (a register: no logic on o.ready).
        # The enable has ~2,500 loads: it is replicated, one copy per group of registers (each
        # loaded exactly as ``advance``), so that no one net spans the die (logic.replicas)
        adv = replicas(("port", "fill", "state", "s0", "s1", "s2", "s3", "dec"))
        advance = adv["port"]
        # a read-back of a symbol's state takes the order's and the fill's read ports for a cycle
        # (tables.ReadBack): nothing is taken from the input and fill ports in that cycle
        readback = ReadBack(abits, COUNT_WIDTH)
        # (nor a fill while the fill ahead writes ``released`` through its read's port: counters.py)
        fill_busy = Signal()
        i_valid, f_valid = self.i.valid & ~readback.steal, self.fill.valid & ~readback.steal & ~fill_busy
        m.d.comb += [self.i.ready.eq(advance & ~readback.steal),
                     self.fill.ready.eq(advance & ~readback.steal & ~fill_busy)]

        # ---- state memories and the register bus ---------------------------------------
        # the limit row without its padding, the position at the read-back's width (tables.py)
        m.submodules.limits = limits = Memory(shape=LIMIT_WIDTH, depth=D, init=[])
        # per (symbol, side) entry, in block RAM (counters.py: synchronous reads, forwarding)
        # in the ECP5 flow, as bit slices once deeper than a 36-bit block (slices.py: at 16,384 entries each bit a
        # DP16KD of 16,384 x 1, no block select between the block's output and the read's register)
        m.submodules.opened = opened = state_memory(Memory, COUNT_WIDTH, 2 * D, platform)
        m.submodules.released = released = state_memory(Memory, COUNT_WIDTH, 2 * D, platform, attrs=RELEASED_ATTRS)
        m.submodules.position = position = state_memory(Memory, POSITION_WIDTH, D, platform)
        accepted_n = Signal(NOTIONAL_STATE)      # notional of every accepted order
        cancelled_n = Signal(NOTIONAL_STATE)     # notional released by cancels
        used = Signal(NOTIONAL_STATE)            # open + filled notional, for the bus
        m.d.sync += used.eq(accepted_n - cancelled_n)
        # per session (account): the notional its accepted orders added and its cancels released
        session_n = SessionCredit([Signal(NOTIONAL_STATE, name=f"session_accepted{k}") for k in range(S)],
                                  [Signal(NOTIONAL_STATE, name=f"session_cancelled{k}") for k in range(S)])
        regs = register_file(m, self.bus, D, limits, readback, used, session_n)

        # ---- fills: registered, then written to the released / position counters ------------
        fills = FillCounters(m, released, position, self.fill.payload, f_valid, adv["fill"], readback,
                             clearing, clear_at, D, fill_busy)
        fr, fr_valid = fills.fr, fills.valid
        # counted from the registered fill (its first stage, as a session's): the credit room taken
        # on the advance after holds it, which the order entering one advance after the cancel
        # sees in its stage 1
        with m.If(adv["state"] & fr_valid & fr.cancel):
            m.d.sync += cancelled_n.eq(cancelled_n + fr.notional)
        # the gross room, limit + cancelled - accepted, taken on an advance like every other stage
        # register (a cancel taken with an order is not the order's to see, however long the
        # pipeline stalls between the cancel's write and the order's stage 1): as an order enters
        # it holds every order decided up to 4 ahead, as a session's room does. The order 3
        # ahead's notional comes off in stage 1, the order 2 ahead's in stage 2, the order ahead's
        # is speculated on: one subtraction a stage (the accepted notional taken off in stage 2
        # beside the order ahead's was a 73-bit chain and a clamp's behind the multiplier's
        # register: the routed critical path, 10.27 ns)
        credit_room = Signal(signed(NOTIONAL_STATE + 3))
        with m.If(adv["state"]):
            m.d.sync += credit_room.eq(regs.credit_limit + cancelled_n - accepted_n)
        # a session's cancels are counted from the registered fill (its session one-hot, decoded
        # from the port as it is taken), so the session rooms taken on the advance after hold
        # them: the order entering one advance after the cancel sees it in its stage 1
        fp = self.fill.payload
        f_cancel = kept(m, f_valid & fp.cancel & ~any_of(Cat(fp.symbol[abits:], fp.session[sbits:])),
                        "fill_cancel_in")       # a cancel, in the table, of a session in range
        fc_hot = Signal(S)                      # the cancel in ``fills.fr``: its session, one-hot
        with m.If(adv["state"]):
            m.d.sync += fc_hot.eq(Mux(f_cancel, 1 << fp.session[:sbits], 0))
        for k in range(S):
            with m.If(adv["state"] & fc_hot[k]):
                m.d.sync += session_n.cancelled[k].eq(session_n.cancelled[k] + fr.notional)
        # (the order's session room, limit + cancelled - accepted, is picked and summed in stage 0:
        # ``s1_sroom``; the order 3 ahead's notional comes off in stage 1, the order 2 ahead's in
        # stage 2, the order ahead's is speculated on)

        # ---- stage 1 --------------------------------------------------------------------
        # ---- stage 0: the order in registers while its words are read; every read port's data
        # is registered as the order moves into stage 1 (no logic after a block-RAM output)
        rd = limits.read_port()                      # read-first: a write in the same cycle is not seen
        row_r = Signal(LIMIT_WIDTH)
        row = SYMBOL_LIMITS.layout(full_row(row_r))
        s0, s0_valid, s0_in_range, s0_now = Signal(ORDER.layout), Signal(), Signal(), Signal(NOW_WIDTH)
        s0_entry, s0_shot, s0_tau = Signal(abits + 1), Signal(S + 1), Signal(32)
        s0_fwd5, s0_fwd_fill1, s0_fwd_fill2 = Signal(), Signal(), Signal()
        s1, s1_valid, s1_in_range, s1_now = Signal(ORDER.layout), Signal(), Signal(), Signal(NOW_WIDTH)
        s1_entry, s2_entry, s3_entry = Signal(abits + 1), Signal(abits + 1), Signal(abits + 1)
        s2, s2_valid, s2_mask, s2_known = Signal(ORDER.layout), Signal(), Signal(MASK_WIDTH), Signal()
        s3 = Signal(ORDER.layout)
        ip = self.i.payload
        m.d.comb += [rd.addr.eq(ip.symbol[:abits]), rd.en.eq(adv["s0"])]
        # the order's entry words, read as it enters (read-first) and registered a stage later;
        # what was written at that edge and after, until the order is in stage 3, is forwarded
        # (counters.py): in stage 1 the released quantity of the fills one and two ahead and the
        # opened quantity of the orders 5, 4 and 3 ahead, in stage 2 of the order 2 ahead; the
        # order ahead is speculated on (stage 2 -> 3).
        o_rd, r_rd = opened.read_port(), released.read_port()
        r_data = fills.order_read(m, r_rd, self.released_collision_undefined)
        rd_addr = Mux(readback.steal, readback.entry, entry(ip))
        m.d.comb += [o_rd.addr.eq(rd_addr), o_rd.en.eq(adv["s0"] | readback.steal),
                     r_rd.addr.eq(rd_addr), r_rd.en.eq(adv["s0"] | readback.steal),
                     readback.opened.eq(o_rd.data), readback.released.eq(fills.read_back(r_data))]
        # orders 3, 4 and 5 ahead, in stage 1
        w_now, w_prev, w_prev2 = Written(abits, "opened_w"), Written(abits, "opened_wp"), Written(abits, "opened_wp2")
        s1_fwd3, s1_fwd4, s1_fwd5, s1_fwd_fill1, s1_fwd_fill2 = Signal(), Signal(), Signal(), Signal(), Signal()
        o_rd_r, r_rd_r = Signal(COUNT_WIDTH), Signal(COUNT_WIDTH)     # the read ports' data, registered
        s1_shot = Signal(S + 1)                      # the order's session, one-hot (bit S: out of range)
        # same entry as the order ahead (in stage 2) and the order 2 ahead (in stage 3), same session
        # as the order 2 ahead: compared a stage early, from registers (the entries move together),
        # so that each is a register in front of the stage-1 chains it gates. Compared in stage 1,
        # the entry's carry chain then the room's was the routed critical path (8.15 ns, 122.74 MHz)
        # The entries and sessions are all zero after reset: equal.
        s1_same1, s1_same2, s1_same2_session = Signal(init=1), Signal(init=1), Signal(init=1)
        s1_same1_session = Signal(init=1)            # same session as the order ahead (in stage 2)
        s1_sroom = Signal(signed(NOTIONAL_STATE + 3))   # the session's room, up to the order 4 ahead
        s1_tau = Signal(32)                          # the session's rate tolerance
        # stage 3's opened candidates (the entry's opened word after the order, if the order ahead
        # is accepted and if not): forwarded to the order 2 behind in its stage 1
        s3_cand_opened = (Signal(COUNT_WIDTH + 1, name="s3_opened_a"), Signal(COUNT_WIDTH + 1, name="s3_opened_b"))
        # the decision of the order decided last (set in stage 3); a copy of its own for the
        # duplicate window's shift enable (a replica: synthesis keeps the two apart)
        acc_prev, acc_win = replica(Signal(), "acc_prev"), replica(Signal(), "acc_prev_window")
        # and one for the pick between the two opened words after stage 2's position chains
        # (counters.over_used_if; ``w_now.en`` as this pick's enable was merged by yosys with
        # ``acc_prev_window`` and fanned out to both)
        acc_opened = replica(Signal(), "acc_prev_opened")
        # and one for stage 1's gross credit rooms (the order 3 ahead's accept folded into their
        # carry-save LUTs): sharing ``acc_prev``'s mux of ``notional_2`` with stage 2's credit
        # compares, abc made it a LUT of its own in front of the rooms' carry-save (xcup depth 4 at
        # 16k: ``s2_groom_a``); for the session rooms, the same accept and the order of this
        # order's session, one register (``acc_prev & s1_same3`` as two was a shared LUT2 in front
        # of ``s2_sroom_a``'s carry-save: depth 4)
        acc_groom, acc_sroom = replica(Signal(), "acc_prev_groom"), replica(Signal(), "acc_prev_sroom")
        notional_2 = Signal(64)                      # its notional
        # the words read as the order entered, kept if a read-back takes the ports before it moves on
        o_rd_word = hold(m, o_rd.data, adv["s0"], adv["s1"], readback.steal, "opened_rd")
        r_rd_word = hold(m, r_data, adv["s0"], adv["s1"], readback.steal, "released_rd")
        with m.If(adv["s0"]):
            # entry: the order 5 ahead is in w_now (writing at this edge), the fills one and two
            # ahead in the fill's stages f1 and f2 (writing at the next two edges)
            m.d.sync += [s0.eq(ip), s0_valid.eq(i_valid), s0_entry.eq(entry(ip)),
                         s0_in_range.eq(below(ip.symbol, D)), s0_now.eq(self.now),
                         s0_fwd5.eq(w_now.hits(entry(ip))),
                         s0_fwd_fill1.eq(fr_valid & equal(fills.entry, entry(ip))),
                         s0_fwd_fill2.eq(fills.valid2 & equal(fills.entry2, entry(ip))),
                         s0_shot.eq(Mux(ip.session[sbits:] == 0, 1 << ip.session[:sbits], 1 << S)),
                         s0_tau.eq(Array(regs.session_rate_tolerance)[ip.session[:sbits]])]
        with m.If(adv["s1"]):
            # stage 0 -> 1: the order 4 ahead is in w_now, the order 3 ahead in stage 3
            m.d.sync += [s1.eq(s0), s1_valid.eq(s0_valid), s1_entry.eq(s0_entry),
                         s1_in_range.eq(s0_in_range), s1_now.eq(s0_now),
                         s1_fwd3.eq(equal(s3_entry, s0_entry)),        # its accept is known in stage 1
                         s1_fwd4.eq(w_now.hits(s0_entry)), s1_fwd5.eq(s0_fwd5),
                         s1_fwd_fill1.eq(s0_fwd_fill1), s1_fwd_fill2.eq(s0_fwd_fill2),
                         s1_shot.eq(s0_shot), s1_tau.eq(s0_tau),
                         s1_same1.eq(equal(s0_entry, s1_entry)), s1_same2.eq(equal(s0_entry, s2_entry)),
                         s1_same2_session.eq(equal(s0.session, s2.session)),
                         s1_same1_session.eq(equal(s0.session, s1.session)),
                         # the order's session room, limit + cancelled - accepted (every order
                         # decided up to the order 4 ahead: the accumulators before this edge's
                         # update): every session's carry-save bits from registers, the order's
                         # picked by its one-hot session, then one chain (_add_sub_picked): a
                         # register in stage 1. (Each session's room registered and picked in
                         # stage 1, the pick was in front of stage 1's chain: the routed critical
                         # path once the compares left stage 3)
                         s1_sroom.eq(_add_sub_picked(m, s0_shot, [*zip(regs.session_credit, session_n.cancelled,
                                                                       session_n.accepted),
                                                                   (Const(1 << NOTIONAL_STATE), 0, 0)],
                                                     NOTIONAL_STATE + 3, "s0_sroom")),
                         row_r.eq(rd.data),
                         o_rd_r.eq(o_rd_word), r_rd_r.eq(r_rd_word)]
        s1_opened = Mux(s1_fwd3 & w_now.en, w_now.value,
                        Mux(s1_fwd4, w_prev.value, Mux(s1_fwd5, w_prev2.value, o_rd_r)))
        s1_released = Mux(s1_fwd_fill1, fills.rel_last, Mux(s1_fwd_fill2, fills.rel_prev, r_rd_r))
        m.submodules.order_checks = chk = OrderChecks(S, abits)
        m.d.comb += [chk.order.eq(s1), chk.row.eq(row), chk.in_range.eq(s1_in_range), chk.now.eq(s1_now)]
        m.submodules.notional = mul = Notional()
        # started from stage 0's registers: the partial products are registers in stage 1, the
        # product in stage 2 (so stage 2 compares it), and ``s3_notional`` its copy in stage 3
        m.d.comb += [mul.qty.eq(s0.qty), mul.price.eq(s0.price), mul.en.eq(adv["s1"])]
        s3_notional = Signal(64)                     # the product of the order in stage 3

        s2_now, s2_side_ok = Signal(NOW_WIDTH), Signal()
        s2_opened = Signal(COUNT_WIDTH)              # opened as of the order 3 ahead
        # ... and as of the order 2 ahead (now in stage 3) if it is accepted: its new opened word
        # when it is on this entry (its value is known from registers before its accept is)
        s2_opened_if = Signal(COUNT_WIDTH)
        s2_room = Signal(COUNT_WIDTH + 1)           # position limit for the side + quantity released
        s2_released = Signal(COUNT_WIDTH)           # quantity released
        # the same less the order ahead's quantity if it is on this entry, and this order's
        # quantity plus it: the order ahead's share of each stage-2 candidate, added in stage 1
        s2_room_a, s2_released_a = Signal(signed(COUNT_WIDTH + 2)), Signal(signed(COUNT_WIDTH + 1))
        s2_qty_a = Signal(34)
        s2_reduce_en = Signal()                      # reduce-only is on and the order's entry is known
        s2_max_n = Signal(SYMBOL_LIMITS.fields["max_notional"])
        s2_deadline = Signal(NOW_WIDTH + 1)          # now + rate tolerance; all ones for a bad session
        s2_same_session = Signal()                   # same session as the order ahead
        # the session's credit room: ``s1_sroom`` (picked and summed in stage 0: up to the order 4
        # ahead) less the order 3 ahead's notional if it was accepted and of the session, in stage
        # 1; the order 2 ahead's comes off in stage 2, the order ahead's in ``s2_sroom_a``
        s2_sroom = Signal(signed(NOTIONAL_STATE + 3))   # the session's room, up to the order 3 ahead
        # the order 2 ahead's notional (in stage 3 as this order is in stage 1: the multiplier's
        # product) if it is of this order's session, else 0; its accept picks in stage 2
        s2_snotional_2 = Signal(64)
        s2_groom = Signal(signed(NOTIONAL_STATE + 4))   # the gross room, up to the order 3 ahead
        # the same two less the order ahead's notional (in stage 2 as this order is in stage 1:
        # the multiplier's product; of this order's session, for the session's): the rooms if the
        # order ahead is accepted, each one carry-save chain of registers (logic.sub3)
        s2_sroom_a = Signal(signed(NOTIONAL_STATE + 4))
        s2_groom_a = Signal(signed(NOTIONAL_STATE + 5))
        s1_side_ok = _one_of(s1.side, Side)
        s1_room = kept(m, Mux(s1.side == Side.BUY, row.long_limit, row.short_limit) + s1_released, "s1_room")
        ahead_1 = Mux(s1_same1, s2.qty, 0)      # the order ahead (in stage 2) on this entry
        notional_3 = Mux(acc_groom, notional_2, 0)   # the order 3 ahead's notional if accepted ...
        snotional_3 = Mux(acc_sroom, notional_2, 0)             # ... and of this order's session
        # the order 2 ahead's new opened word (acc_prev: the order 3 ahead's accept, as it is decided)
        opened_if = Mux(s1_same2, Mux(acc_prev, *s3_cand_opened), s1_opened)
        with m.If(adv["s2"]):
            # only the first-stage bits: the others stay constant zero across the module boundary
            m.d.sync += [s2_mask[r.value - 1].eq(chk.mask[r.value - 1]) for r in OrderChecks.REASONS]
            m.d.sync += [s2.eq(s1), s2_valid.eq(s1_valid), s2_known.eq(chk.known),
                         s2_now.eq(s1_now), s2_side_ok.eq(s1_side_ok),
                         s2_room.eq(s1_room), s2_room_a.eq(s1_room - ahead_1),
                         s2_released.eq(s1_released), s2_released_a.eq(s1_released - ahead_1),
                         s2_qty_a.eq(ahead_1 + s1.qty), s2_opened_if.eq(opened_if),
                         s2_reduce_en.eq(regs.reduce_only & chk.known & s1_side_ok),
                         s2_max_n.eq(row.max_notional),
                         s2_deadline.eq(Mux(s1.session[sbits:] == 0, s1_now + s1_tau, -1)),
                         s2_entry.eq(s1_entry),
                         s2_opened.eq(s1_opened),
                         s2_same_session.eq(s1.session == s2.session),
                         s2_snotional_2.eq(Mux(s1_same2_session, s3_notional, 0)),
                         # acc_prev and notional_2 are the order 3 ahead's while this order is in stage 1
                         s2_groom.eq(credit_room - notional_3),
                         # (the carry-save bits kept: each one LUT with the accept's mux in it)
                         s2_groom_a.eq(sub3(m, credit_room, notional_3, mul.product, NOTIONAL_STATE + 5, "s1_groom_a",
                                            keep=True)),
                         s2_sroom.eq(s1_sroom - snotional_3),
                         s2_sroom_a.eq(sub3(m, s1_sroom, snotional_3, Mux(s1_same1_session, mul.product, 0),
                                            NOTIONAL_STATE + 4, "s1_sroom_a", keep=True))]

        # ---- stage 2: headrooms for both outcomes of the order ahead ----------------------------
        tat = [Signal(NOW_WIDTH, name=f"tat{n}") for n in range(S)]
        rate_sel = Signal()                          # the order ahead conformed, in this order's session
        w_last = Signal(NOW_WIDTH)                   # the order ahead's theoretical arrival time
        # The duplicate window: the keys of the last W accepted orders, most recent first. The
        # decided order's key goes into ``last_key`` on every advance (valid: ``acc_win``, its
        # accept) and into the window on the next, when that accept is a register: so no register
        # has ``take`` as its clock enable (the routed critical path ended at the window's 64-bit
        # key register, ``take``'s fan-out). While an order is in stage 2, ``last_key`` is the
        # order 2 ahead's; the window it sees is ``last_key`` (if accepted) then ``keys``, W in all
        keys = [Signal(64, name=f"recent{k}") for k in range(W)]
        key_valid = [Signal(name=f"recent_valid{k}") for k in range(W)]
        last_key = Signal(64, name="recent_last")
        # opened as of the order ahead (now in stage 3): ``s2_opened_if`` if the order 2 ahead is
        # accepted (its accept a register, ``acc_opened``), else ``s2_opened``. Each use is made
        # from both and the accept picks after (counters.over_used_if): as a mux in front of the
        # chains it was a LUT of its own ahead of every chain it fed (xcup depth 6)
        opened_2 = (s2_opened_if, s2_opened)
        notional = mul.product                               # this order's, in stage 2
        with m.If(adv["dec"]):
            m.d.sync += notional_2.eq(s3_notional)
        # acc_prev is the order 2 ahead's accept while this order is in stage 2, notional_2 its
        # notional. Each credit candidate is one carry chain from registers over the room's low 64
        # bits (logic.sub_low), the order 2 ahead's accept a mux in front of its operand: the room
        # less the order 2 ahead's notional if it was accepted; the "a" rooms (the order ahead
        # accepted, speculated) have its notional off already (stage 1: ``s2_groom_a``, ``s2_sroom_a``).
        # A session out of range is out of reach (rejected as a bad field alone).
        key = s2.cl_ord_key
        # each key compare in halves (two 32 / 33-bit chains, their AND in the window's any_of
        # chain's input LUT), where one 65-bit chain was a Fmax blocker
        seen = [equal_halves(Cat(k, kv), Cat(key, 1)) for k, kv in zip(keys, key_valid)]
        seen_last = equal_halves(Cat(last_key, acc_win), Cat(key, 1))
        # the oldest key counts only when ``last_key`` is not in the window (W in all); if the
        # order ahead is accepted, the oldest two's places are its and ``last_key``'s
        window_b = [seen_last, *seen[:W - 1], seen[W - 1] & ~acc_win]
        window_a = [equal_halves(key, s3.cl_ord_key), seen_last, *seen[:W - 2], seen[W - 2] & ~acc_win]
        cand = {                                             # (if the order ahead is accepted, if not)
            # each state check compared here, its answer registered (stage 3 is the groups of
            # the answers, the pick and the enables; compared in stage 3 from registered
            # candidates, the compare's chain, the groups, `take` and the enables were the routed
            # critical path: 133.96 MHz at the small top). Position / reduce-only: qty > the
            # headroom room - opened (modulo 2**COUNT_WIDTH, as two's complement: the counters
            # wrap): the sign of the headroom or of the headroom less qty, for both opened words,
            # the order 2 ahead's accept picking after the chains (counters.over_used_if)
            "pos": tuple(over_used_if(m, r, *opened_2, acc_opened, s2.qty, f"s2_pos_{k}")
                         for k, r in (("a", s2_room_a), ("b", s2_room))),
            "reduce": tuple(s2_reduce_en & over_used_if(m, r, *opened_2, acc_opened, s2.qty, f"s2_reduce_{k}")
                            for k, r in (("a", s2_released_a), ("b", s2_released))),
            # the entry's opened quantity after this order, if it is accepted (both sums, then the pick)
            "opened": tuple(Mux(acc_opened, *(kept(m, o + q, f"s2_opened_{k}{j}") for j, o in zip(("if", ""), opened_2)))
                            for k, q in (("a", s2_qty_a), ("b", s2.qty))),
            # credit: notional > the room less the order 2 ahead's notional (if accepted): the
            # room's low 64 bits less both carry-saved (logic.sub_low, its sum and majority bits
            # kept: the order 2 ahead's accept folded into them), the sign from the chain's top
            # and the room's high-part flags (pipeline._over_room); the "accepted" room has the
            # order ahead's notional off already (stage 1)
            "credit": tuple(_over_room(m, room, Mux(acc_prev, notional_2, 0), notional, f"credit_{k}")
                            for k, room in (("a", s2_groom_a), ("b", s2_groom))),
            "scredit": tuple(_over_room(m, room, Mux(acc_prev, s2_snotional_2, 0), notional, f"scredit_{k}")
                             for k, room in (("a", s2_sroom_a), ("b", s2_sroom))),
            "dup": (any_of(window_a), any_of(window_b)),
        }
        first_ok = s2_valid & ~any_of(s2_mask) & ~regs.kill             # no first-stage failure, no kill
        cand["ok"] = (first_ok & ~cand["dup"][0], first_ok & ~cand["dup"][1])
        over_max_n = exceeds(notional, s2_max_n)
        s3_cand = {name: (Signal.like(a, name=f"s3_{name}_a"), Signal.like(b, name=f"s3_{name}_b"))
                   for name, (a, b) in cand.items() if name != "opened"}
        s3_cand["opened"] = s3_cand_opened
        s3_valid, s3_mask, s3_known, s3_kill = Signal(), Signal(MASK_WIDTH), Signal(), Signal()
        s3_now = Signal(NOW_WIDTH)
        s3_pos_en, s3_session_ok = Signal(), Signal()
        s3_tat, s3_session_hot = Signal(NOW_WIDTH), Signal(S)
        s3_interval = Signal(32)                     # the session's GCRA emission interval
        # stage 3's two rate compares, made here from registers and registered (a 49-bit chain
        # and a LUT in front of ``rate_go`` was the deepest path of stage 3): the session's TAT
        # as read against the deadline, and the order ahead's new TAT (in stage 3 now, computed
        # there as max(TAT, now) + interval: past the deadline iff its TAT or its now plus the
        # interval is) against it
        s3_late_tat, s3_late_w = Signal(), Signal()

        def late(t):
            # t + interval > deadline: deadline - t - interval < 0, one carry-save chain of
            # registers (logic.sub3); the interval is the order ahead's (``s3_interval``), the
            # one its new TAT is computed with. (Formed in stage 1 as a floor, with the interval
            # picked there, the 8-way pick in front of the carry-save LUTs was xcup depth 6.)
            return sub3(m, s2_deadline, t, s3_interval, NOW_WIDTH + 3, f"late_{t.name}", keep=True)[-1]

        late_w = pick(rate_sel, late(w_last), late(s3_tat)) | late(s3_now)
        late_tat = exceeds(Array(tat)[s2.session[:sbits]], s2_deadline)
        early = Signal(MASK_WIDTH)                   # first-stage failures and the kill switch
        m.d.comb += [early.eq(s2_mask), early[R.KILL_SWITCH.value - 1].eq(regs.kill)]
        reason_pre = [_lowest(early, range(int(first), int(last))) for first, last in REASON_GROUPS]
        s3_reason_pre = [(Signal(name=f"s3_reason_found{k}"), Signal(CODE_WIDTH, name=f"s3_reason_code{k}"))
                         for k in range(len(REASON_GROUPS))]
        s2_session_ok = s2_valid & (s2.session[sbits:] == 0)     # a valid order of a throttled session
        s3_over_max_n = Signal()
        with m.If(adv["s3"]):
            m.d.sync += [s3_notional.eq(notional), s3_over_max_n.eq(over_max_n)]
            m.d.sync += [dst.eq(src) for name in cand for dst, src in zip(s3_cand[name], cand[name])]
            m.d.sync += [d.eq(v) for pair, pre in zip(s3_reason_pre, reason_pre) for d, v in zip(pair, pre)]
            m.d.sync += [s3.eq(s2), s3_entry.eq(s2_entry), s3_valid.eq(s2_valid), s3_mask.eq(s2_mask),
                         s3_known.eq(s2_known), s3_kill.eq(regs.kill), s3_now.eq(s2_now),
                         s3_pos_en.eq(s2_known & s2_side_ok),
                         s3_session_ok.eq(s2_session_ok),
                         s3_tat.eq(Array(tat)[s2.session[:sbits]]),
                         s3_late_tat.eq(late_tat), s3_late_w.eq(late_w),
                         s3_interval.eq(Array(regs.session_rate_interval)[s2.session[:sbits]]),
                         s3_session_hot.eq(Mux(s2_session_ok, 1 << s2.session[:sbits], 0))]

        # ---- stage 3: decide --------------------------------------------------------------------
        notional = s3_notional
        # every compare was made in stage 2 (its answer per outcome of the order ahead registered)
        over = {name: s3_cand[name] for name in ("pos", "reduce", "credit", "scredit")}
        # ``advance`` and the rate check in one LUT: every use of the rate check is taken on an advance
        rate_go = kept(m, adv["dec"] & ~pick(rate_sel, s3_late_w, s3_late_tat), "rate_go")
        state_fails = {
            R.KILL_SWITCH: s3_kill,
            R.RATE_LIMIT: ~rate_go,
            R.DUPLICATE_CLORDID: pick(acc_prev, *s3_cand["dup"]),
            R.CREDIT_LIMIT: pick(acc_prev, *over["credit"]) | pick(acc_prev, *over["scredit"]),
            R.MAX_NOTIONAL: s3_known & s3_over_max_n,
            R.POSITION_LIMIT: s3_pos_en & pick(acc_prev, *over["pos"]),
            R.REDUCE_ONLY: pick(acc_prev, *over["reduce"]),
        }
        mask = Signal(MASK_WIDTH)
        state_bits = Signal(MASK_WIDTH)
        for reason, fail in state_fails.items():
            m.d.comb += state_bits[reason.value - 1].eq(kept(m, fail, f"fails_{reason.name.lower()}"))
        m.d.comb += mask.eq(kept(m, s3_mask | state_bits, "mask"))
        # take = advance & valid & (mask == 0): one group per outcome of the order ahead (the known
        # / side gating is implied by the first-stage checks having passed; the state checks'
        # answers combined in stage 2), then the pick. ``take`` is also the decision: it is only
        # registered on an advance, when it equals the accept.
        # (the two groups share no input: a shared one would be split off into a LUT of its own)
        passes = [kept(m, s3_cand["ok"][k] & ~over["pos"][k] & ~over["reduce"][k] & ~over["credit"][k]
                       & ~over["scredit"][k] & ~s3_over_max_n, f"passes_{'ab'[k]}") for k in (0, 1)]
        take, conf = kept(m, pick(acc_prev, *passes) & rate_go, "take"), Signal()

        m.d.comb += conf.eq(s3_session_ok & rate_go)

        with m.If(adv["dec"]):
            m.d.sync += [acc_prev.eq(take), acc_win.eq(take), acc_opened.eq(take), acc_groom.eq(take),
                         last_key.eq(s3.cl_ord_key),
                         rate_sel.eq(conf & s2_same_session)]   # the next order is in stage 2

        # ---- output register and skid register -------------------------------------------------------
        # The decision, and per reason group (REASON_GROUPS) the first-stage code found in it; the
        # primary reason is picked after the register (a group's last code, decided here, is in the mask).
        dec = Signal(RISK_OUT.layout)
        # the accept bit written out again (not the kept ``take``), so that the output register's
        # load is one LUT of the groups, the pick, rate_go and the skid (skid_output's held_zero:
        # rate_go, hence this, is 0 whenever the skid is full: the pipeline stands)
        m.d.comb += [dec.order_id.eq(s3.order_id), dec.accept.eq(pick(acc_prev, *passes) & rate_go),
                     dec.mask.eq(mask)]
        m.d.comb += [getattr(dec, f"o_{f}").eq(getattr(s3, f)) for f in ORDER.fields if f != "order_id"]
        record = Cat(dec, *(Cat(*pre) for pre in s3_reason_pre))
        accept_at = RISK_OUT.layout["accept"].offset
        main = skid_output(m, self.o, record, advance & s3_valid, room=advance, hold=clearing & ~clear_last,
                           copies=[r for n, r in adv.items() if n != "port"], held_zero=(accept_at,))
        out = RISK_OUT.layout(main[:RISK_OUT.width])
        pre_r = [main[RISK_OUT.width + k * (1 + CODE_WIDTH):][:1 + CODE_WIDTH] for k in range(len(REASON_GROUPS))]
        found_r = [pre[0] | out.mask[last - 1] for (_, last), pre in zip(REASON_GROUPS, pre_r)]
        codes_r = [Mux(pre[0], pre[1:], int(last)) for (_, last), pre in zip(REASON_GROUPS, pre_r)]
        m.d.comb += [self.o.payload.eq(out), self.o.payload.reason.eq(_first_found(found_r, codes_r))]

        # ---- the decided order's effect --------------------------------------------------------------
        # registered, then written (from the registers, again in every stall cycle: the same word)
        with m.If(adv["dec"]):
            m.d.sync += [w_now.en.eq(take), w_now.entry.eq(s3_entry),
                         w_now.value.eq(Mux(acc_prev, *s3_cand["opened"])),
                         w_prev.value.eq(w_now.value), w_prev2.value.eq(w_prev.value)]
        a_wr = opened.write_port()
        m.d.comb += [a_wr.addr.eq(Mux(clearing, clear_at, w_now.entry)), a_wr.data.eq(Mux(clearing, 0, w_now.value)),
                     a_wr.en.eq(w_now.en | clearing)]
        # the accumulators' enables: copies of ``take``, one per accumulator, each a LUT of the
        # decision's own inputs (the groups, the pick, rate_go), so that ``take`` itself drives only
        # the decision's few registers (acc_prev, acc_prev_window, the opened write's enable), where
        # its ~72 x (sessions + 1) clock enables were the critical path's last hop (``take`` ->
        # ``accepted_n``'s enable). A session's copy has its one-hot bit in it (the order is of the
        # session): the adder has no mux in front. The gross copy has ``s3_valid`` (implied by the
        # groups: ``s3_cand["ok"]`` holds it). Each copy's bit is ANDed into both groups before the
        # pick, so that no cell of a copy is one of ``take``'s: written as ``take``'s expression and
        # the bit, yosys (opt_merge) shared the pick and each copy was a LUT after ``take``
        def take_with(bit, name):
            return kept(m, pick(acc_prev, passes[0] & bit, passes[1] & bit) & rate_go, name)

        with m.If(adv["dec"]):
            # the decided order accepted and of the session of the order moving into stage 1 (the
            # order 3 ahead of it there): a copy of ``take`` with the sessions' compare in it
            m.d.sync += acc_sroom.eq(take_with(equal(s0.session, s3.session), "take_sroom"))
        with m.If(take_with(s3_valid, "take_gross")):
            m.d.sync += accepted_n.eq(accepted_n + notional)
        for k, acc in enumerate(session_n.accepted):
            with m.If(take_with(s3_session_hot[k], f"take_session{k}")):
                m.d.sync += acc.eq(acc + notional)
        with m.If(adv["dec"] & acc_win):                  # the order decided last was accepted
            m.d.sync += [keys[0].eq(last_key), key_valid[0].eq(1)]
            m.d.sync += [keys[k].eq(keys[k - 1]) for k in range(1, W)]
            m.d.sync += [key_valid[k].eq(key_valid[k - 1]) for k in range(1, W)]
        # GCRA: a conforming order moves its session's TAT to max(TAT, now) + T
        interval = s3_interval          # the order ahead's, when it is of this session: the same

        def next_tat(t):
            return Mux(exceeds(t, s3_now), t + interval, s3_now + interval)

        w = kept(m, Mux(rate_sel, next_tat(w_last), next_tat(s3_tat)), "tat_next")
        tat_now = Mux(rate_sel, w_last, s3_tat)     # this session's TAT as it stands
        with m.If(adv["dec"]):
            m.d.sync += w_last.eq(w)
        for n in range(S):
            with m.If(adv["dec"] & s3_session_hot[n]):
                m.d.sync += tat[n].eq(Mux(rate_go, w, tat_now))   # written every time: no feedback mux
        return m


