"""The risk pipeline's side of the register bus: the global registers, the shadow row and
its commit into the limit table, and the read-back of every register and of each symbol's
position state.

A commit writes all of the shadow row (320 bits; the 252 bits of its fields as stored, tables.py) in one write of the limit memory, two edges
after the one that samples ``we`` (as any write), if every shadow word has been written
since the last commit, the index is in the table and the row's max_notional is one the table
stores (below 2**42 - 1, or open: 2**64 - 1); otherwise nothing is written and the
error flag is set. A shadow word written and then changed before the commit is simply the
later value.

Every access is first registered with its address decoded. A write then takes effect on
the next edge (two edges after the one that samples ``we``). A read returns ``rdata``
with ``rvalid`` ``READ_LATENCY`` (regs/bus.py) cycles after ``re`` (a read may start every cycle):
decode, read of the state memories, position and open quantities formed from their
counters, the word chosen; one step per cycle, so that no step is more than three LUT
levels deep. A bad access changes nothing and sets the error flag (STATUS bit 0,
mirrored on ``err``) two edges after it is sampled.
"""
from dataclasses import dataclass

from amaranth import Array, Cat, Const, Mux, Signal
from amaranth.lib.memory import Memory

from wirespeed.layout import SYMBOL_LIMITS

from ..logic import any_of, below, equal, kept, select_kept
from ..regs import map as regmap
from .checks import COUNT_WIDTH
from .tables import NOTIONAL_STORED, ReadBack, stored_row



@dataclass
class Globals:
    kill: Signal
    reduce_only: Signal
    credit_limit: Signal
    rate_interval: Signal
    rate_tolerance: Signal
    session_credit: list        # per session: its credit limit
    session_rate_interval: list     # per session: its GCRA emission interval (its rate limit) ...
    session_rate_tolerance: list    # ... and tolerance (RATE_INTERVAL / RATE_TOLERANCE write every session's)


@dataclass
class SessionCredit:
    """Per session: the notional its accepted orders added and its cancels released (pipeline.py)."""
    accepted: list
    cancelled: list




def register_file(m, bus, depth: int, limits: Memory, readback: ReadBack, used: Signal,
                  sessions: SessionCredit) -> Globals:
    abits = (depth - 1).bit_length()
    S = len(sessions.accepted)
    sbits = max(1, (S - 1).bit_length())
    words = SYMBOL_LIMITS.width // 32
    g = Globals(kill=Signal(), reduce_only=Signal(), credit_limit=Signal(64, init=(1 << 64) - 1),
                rate_interval=Signal(32), rate_tolerance=Signal(32),
                session_credit=[Signal(64, init=(1 << 64) - 1, name=f"session_credit_limit{k}") for k in range(S)],
                session_rate_interval=[Signal(32, name=f"session_rate_interval{k}") for k in range(S)],
                session_rate_tolerance=[Signal(32, name=f"session_rate_tolerance{k}") for k in range(S)])
    bus_error = Signal()

    # ---- step 0: the access and its address's predicates, registered ----------------------------
    addr = bus.addr
    b_we, b_re, b_wdata, b_addr = Signal(), Signal(), Signal(32), Signal(len(addr))
    b_table, b_limit_word, b_rw, b_any = Signal(), Signal(), Signal(), Signal()
    b_glob = Signal(len(regmap.GLOBALS))                 # one-hot
    is_global = [equal(addr, Const(r.offset, len(addr))) for r in regmap.GLOBALS]   # offsets are aligned
    table_end = regmap.TABLE_BASE + depth * regmap.TABLE_STRIDE
    table = (addr[:2] == 0) & ~below(addr, regmap.TABLE_BASE) & below(addr, table_end)
    limit_word = addr[2:6] < words
    session_end = regmap.SESSION_BASE + S * regmap.SESSION_STRIDE
    in_session = (addr[:2] == 0) & ~below(addr, regmap.SESSION_BASE) & below(addr, session_end)
    s_word = addr[2:5]              # 0, 1: the credit limit (RW); 2, 3: used (RO); 4, 5: the rate (RW)
    b_session_w, b_session_r = Signal(), Signal()
    m.d.sync += [b_session_w.eq(in_session & ((s_word < 2) | (s_word[1:] == 2))),
                 b_session_r.eq(in_session & (s_word < 6))]
    # a read of a symbol's state takes the state memories' order and fill ports in the next cycle
    m.d.sync += readback.steal.eq(bus.re & table & ~limit_word)
    m.d.sync += [b_we.eq(bus.we), b_re.eq(bus.re), b_wdata.eq(bus.wdata), b_addr.eq(addr),
                 b_table.eq(table), b_limit_word.eq(limit_word), b_glob.eq(Cat(*is_global)),
                 b_any.eq(any_of([hit for hit, r in zip(is_global, regmap.GLOBALS) if r.access != "WO"])),
                 b_rw.eq(any_of([hit for hit, r in zip(is_global, regmap.GLOBALS) if r.access != "RO"]))]
    sel = {r.name: b_glob[k] for k, r in enumerate(regmap.GLOBALS)}
    t_index = (b_addr - regmap.TABLE_BASE)[6:6 + abits]
    write_bad = b_we & ~(b_rw | b_session_w)              # no table word is written in place
    read_bad = b_re & ~((b_table & ~b_limit_word) | b_any | b_session_r)
    s_index = (b_addr - regmap.SESSION_BASE)[5:5 + sbits]
    for k, limit in enumerate(g.session_credit):
        mine = b_we & b_session_w & (s_index == k)
        with m.If(mine & ~b_addr[4] & ~b_addr[2]):
            m.d.sync += limit[:32].eq(b_wdata)
        with m.If(mine & ~b_addr[4] & b_addr[2]):
            m.d.sync += limit[32:].eq(b_wdata)
        # the session's rate: its own word, or the global register (which writes every session's)
        with m.If((mine & b_addr[4] & ~b_addr[2]) | (b_we & sel["RATE_INTERVAL"])):
            m.d.sync += g.session_rate_interval[k].eq(b_wdata)
        with m.If((mine & b_addr[4] & b_addr[2]) | (b_we & sel["RATE_TOLERANCE"])):
            m.d.sync += g.session_rate_tolerance[k].eq(b_wdata)

    # ---- writes ---------------------------------------------------------------------------
    shadow = [Signal(32, name=f"shadow{k}") for k in range(words)]
    written = Signal(words)                               # shadow words written since the last commit
    commit = b_we & sel["ROW_COMMIT"]
    # whether a commit is taken is decided as it is registered (step 0), so the memory's write
    # enable and ``written``'s clear come from a register. ``early`` follows ``written`` a step
    # ahead: a shadow word's bit is set as its write is registered, all are cleared as a commit
    # is taken, so at step 0 it holds every word written since the last commit (an AND of the
    # bits as a carry chain, where ``written`` and the access ahead's word were four LUT levels)
    commit_ok = Signal()
    early = Signal(words)
    is_shadow = [equal(addr, Const(reg.offset, len(addr))) for reg in regmap.SHADOW]
    # (a word written as the commit ahead is taken counts: it comes after that commit)
    # the commit is taken if the shadow's max_notional is one the table stores (tables.py: below
    # 2**42 - 1, or open); otherwise refused like an incomplete row (error flag, nothing written,
    # the shadow as it was). The shadow is complete in the cycle ``commit_ok`` is set
    # Whether it does is kept in flags of the shadow's two max_notional words, each registered
    # as its word is (from the bus's registered data: one compare of 32 bits), so ``taken`` is
    # one LUT of registers. As ``notional_fits_hw`` of the shadow words, ``taken`` was five LUT
    # levels in front of the limit memory's write enable: the small top's routed critical path
    # (8.00 ns, 125.03 MHz)
    n_at = SYMBOL_LIMITS.offsets["max_notional"]
    assert n_at % 32 == 0 and SYMBOL_LIMITS.fields["max_notional"] == 64 and 32 < NOTIONAL_STORED < 64
    n_lo, n_hi = n_at // 32, n_at // 32 + 1                 # the shadow words of max_notional
    hi_stored = NOTIONAL_STORED - 32                      # the stored bits in the high word
    lo_ones, hi_ones = Signal(), Signal()                 # the word is all ones
    hi_top_zero = Signal(init=1)                          # the high word's bits above the stored ones are 0
    hi_stored_ones = Signal()                             # ... its stored bits are all ones
    with m.If(b_we & sel[regmap.SHADOW[n_lo].name]):
        m.d.sync += lo_ones.eq(equal(b_wdata, Const(0xFFFFFFFF, 32)))
    with m.If(b_we & sel[regmap.SHADOW[n_hi].name]):
        m.d.sync += [hi_ones.eq(equal(b_wdata, Const(0xFFFFFFFF, 32))),
                     hi_top_zero.eq(~any_of(b_wdata[hi_stored:])),
                     hi_stored_ones.eq(equal(b_wdata[:hi_stored], Const((1 << hi_stored) - 1, hi_stored)))]
    fits = (hi_top_zero & ~(lo_ones & hi_stored_ones)) | (lo_ones & hi_ones)     # notional_fits_hw
    taken = Signal()
    m.d.comb += taken.eq(kept(m, commit_ok & fits, "commit_taken"))
    m.d.sync += early.eq(Mux(taken, 0, early) | Mux(bus.we, Cat(*is_shadow), 0))
    full_next = ~taken & (early + 1)[words]               # all ones, unless the access ahead committed
    m.d.sync += commit_ok.eq(bus.we & equal(addr, Const(regmap.global_by_name("ROW_COMMIT").offset, len(addr)))
                             & full_next & below(bus.wdata, depth))
    wr = limits.write_port()
    m.d.comb += [wr.addr.eq(b_wdata[:abits]), wr.data.eq(stored_row(Cat(*shadow))), wr.en.eq(taken)]
    for k, reg in enumerate(regmap.SHADOW):
        with m.If(b_we & sel[reg.name]):
            m.d.sync += [shadow[k].eq(b_wdata), written[k].eq(1)]
    with m.If(taken):
        m.d.sync += written.eq(0)
    with m.If(b_we):
        with m.If(sel["CTRL"]):
            m.d.sync += [g.kill.eq(b_wdata[0]), g.reduce_only.eq(b_wdata[1])]
        with m.If(sel["CREDIT_LIMIT_LO"]):
            m.d.sync += g.credit_limit[:32].eq(b_wdata)
        with m.If(sel["CREDIT_LIMIT_HI"]):
            m.d.sync += g.credit_limit[32:].eq(b_wdata)
        with m.If(sel["RATE_INTERVAL"]):
            m.d.sync += g.rate_interval.eq(b_wdata)
        with m.If(sel["RATE_TOLERANCE"]):
            m.d.sync += g.rate_tolerance.eq(b_wdata)
    with m.If(write_bad | read_bad | (commit & ~taken)):
        m.d.sync += bus_error.eq(1)
    with m.Elif(b_we & sel["STATUS"] & b_wdata[0]):
        m.d.sync += bus_error.eq(0)
    m.d.comb += bus.err.eq(bus_error)

    # ---- read step 1: the decoded address ------------------------------------------------------
    readable = [r for r in regmap.GLOBALS if r.access != "WO"]
    r1_valid, r1_ok, r1_state, r1_hi = Signal(), Signal(), Signal(), Signal()
    r1_field = Signal(3)                                 # field one-hot: pos, open_buy, open_sell
    r1_glob = Signal(len(readable))
    state_sel = b_addr[2:6] - words                           # 0..5: pos lo/hi, open_buy lo/hi, open_sell lo/hi
    r1_session, r1_sidx, r1_sused = Signal(), Signal(sbits), Signal()
    r1_srate, r1_stol = Signal(), Signal()               # a session's rate word (4: interval, 5: tolerance)
    m.d.sync += [r1_session.eq(b_session_r & ~b_addr[4]), r1_sidx.eq(s_index), r1_sused.eq(b_addr[3]),
                 r1_srate.eq(b_session_r & b_addr[4]), r1_stol.eq(b_addr[2])]
    m.d.sync += [r1_valid.eq(b_re), r1_ok.eq(b_re & ~read_bad), r1_state.eq(b_table & ~b_limit_word),
                 r1_hi.eq(state_sel[0]),
                 r1_field.eq(Cat(*(state_sel[1:3] == k for k in range(3)))),
                 r1_glob.eq(Cat(*(sel[r.name] for r in readable)))]

    # ---- read step 2: the state memories and the global's value -----------------------------------
    values = {"VERSION": Const(regmap.VERSION, 32), "CTRL": Cat(g.kill, g.reduce_only), "STATUS": bus_error,
              "CREDIT_LIMIT_LO": g.credit_limit[:32], "CREDIT_LIMIT_HI": g.credit_limit[32:],
              "CREDIT_USED_LO": used[:32], "CREDIT_USED_HI": used[32:64],
              "RATE_INTERVAL": g.rate_interval, "RATE_TOLERANCE": g.rate_tolerance, "SHADOW_WRITTEN": written}
    # synchronous reads (block RAM), issued a step early from the decoded access (step 1's
    # inputs), so that the data go straight into step 2's registers: no logic after a block-RAM
    # output (on ECP5 its clock-to-out is most of a 200 MHz cycle)
    # through the order's and the fill's read ports (tables.ReadBack: no read-back copy of a
    # memory), which take no order and no fill in the cycle the read is issued
    side_entry = Cat(t_index, state_sel[1:3] == 2)        # open_sell reads the sell entries
    m.d.comb += [readback.entry.eq(side_entry), readback.symbol.eq(t_index)]
    reads = (readback.opened, readback.released, readback.position)
    r2 = [Signal(len(d), name=f"r2_mem{k}") for k, d in enumerate(reads)]
    m.d.sync += [r.eq(d) for r, d in zip(r2, reads)]
    r2_glob = Signal(32)
    r2_valid, r2_ok, r2_state, r2_hi, r2_field = Signal(), Signal(), Signal(), Signal(), Signal(3)
    # a session's words: its limit, or accepted - cancelled (steps 2, 3), in place of the global's
    r2_slimit, r2_sacc, r2_scan = Signal(64), Signal(len(sessions.accepted[0])), Signal(len(sessions.accepted[0]))
    r2_session, r2_sused = Signal(), Signal()
    m.d.sync += [r2_slimit.eq(Array(g.session_credit)[r1_sidx]), r2_sacc.eq(Array(sessions.accepted)[r1_sidx]),
                 r2_scan.eq(Array(sessions.cancelled)[r1_sidx]), r2_session.eq(r1_session), r2_sused.eq(r1_sused)]
    # a session's rate word, in a register of its own (chosen in step 3 beside the credit words)
    rates = Array([v for k in range(S) for v in (g.session_rate_interval[k], g.session_rate_tolerance[k])])
    r2_rate, r2_srate = Signal(32), Signal()
    m.d.sync += [r2_rate.eq(rates[Cat(r1_stol, r1_sidx)]), r2_srate.eq(r1_srate)]
    # the global's value picked in two kept levels (parts of three, then their OR): as one AND-OR
    # of ten, abc chained it four LUTs deep (xcup depth 4 at 16k entries)
    m.d.sync += [r2_glob.eq(select_kept(m, r1_glob, [values[r.name] for r in readable], "r2_glob_pick", group=3)),
                 r2_valid.eq(r1_valid), r2_ok.eq(r1_ok), r2_state.eq(r1_state), r2_hi.eq(r1_hi),
                 r2_field.eq(r1_field)]

    # ---- read steps 3 and 4: position = P, open_buy = (A_buy - G_buy) - P, open_sell = (A_sell - G_sell) + P
    # (A - G: the entry's used quantity, modulo 2**COUNT_WIDTH as two's complement, sign-extended
    # to the 48 bits read back: checks.headroom, exact in every consistent state)
    opened, released, pos = r2
    r3_net, r3_pos, r3_glob = Signal(48), Signal(48), Signal(32)
    r3_sval = Mux(r2_sused, r2_sacc - r2_scan, r2_slimit)
    r3_valid, r3_ok, r3_state, r3_hi, r3_field = Signal(), Signal(), Signal(), Signal(), Signal(3)
    m.d.sync += [r3_net.eq((opened - released)[:COUNT_WIDTH].as_signed()), r3_pos.eq(Mux(r2_field[1], -pos, pos)),
                 r3_glob.eq(Mux(r2_session, Mux(r2_hi, r3_sval[32:64], r3_sval[:32]), Mux(r2_srate, r2_rate, r2_glob))),
                 r3_valid.eq(r2_valid), r3_ok.eq(r2_ok), r3_state.eq(r2_state),
                 r3_hi.eq(r2_hi), r3_field.eq(r2_field)]
    r4_v, r4_glob = Signal(48), Signal(32)
    r4_valid, r4_ok, r4_state, r4_hi = Signal(), Signal(), Signal(), Signal()
    m.d.sync += [r4_v.eq(Mux(r3_field[0], r3_pos, r3_net + r3_pos)), r4_glob.eq(r3_glob),
                 r4_valid.eq(r3_valid), r4_ok.eq(r3_ok), r4_state.eq(r3_state), r4_hi.eq(r3_hi)]

    # ---- read step 5: the word -------------------------------------------------------------------
    word = Mux(r4_state, Mux(r4_hi, r4_v[32:].as_signed(), r4_v[:32]), r4_glob)
    m.d.sync += [bus.rvalid.eq(r4_valid), bus.rdata.eq(Mux(r4_ok, word, 0))]
    return g

