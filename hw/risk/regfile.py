"""The risk pipeline's side of the register bus: the global registers, limit-table writes,
and the read-back of every register and of each symbol's position state.

Every access is first registered with its address decoded. A write then takes effect on
the next edge (two edges after the one that samples ``we``). A read returns ``rdata``
with ``rvalid`` ``READ_LATENCY`` (regs/bus.py) cycles after ``re`` (a read may start every cycle):
decode, read of the state memories, position and open quantities formed from their
counters, the word chosen; one step per cycle, so that no step is more than three LUT
levels deep. A bad access changes nothing and sets the error flag (STATUS bit 0,
mirrored on ``err``) two edges after it is sampled.
"""
from dataclasses import dataclass

from amaranth import Cat, Const, Mux, Signal
from amaranth.lib.memory import Memory

from wirespeed.layout import SYMBOL_LIMITS

from ..logic import any_of, below, equal, kept
from ..regs import map as regmap



@dataclass
class Globals:
    kill: Signal
    reduce_only: Signal
    credit_limit: Signal
    rate_interval: Signal
    rate_tolerance: Signal


@dataclass
class Counters:
    """The per-symbol state memories (see pipeline.py): ``opened`` (accepted quantity per
    symbol and side), ``released`` (quantity released per symbol and side) and ``position``."""
    opened: Memory
    released: Memory
    position: Memory


def register_file(m, bus, depth: int, limits: Memory, counters: Counters, used: Signal) -> Globals:
    abits = (depth - 1).bit_length()
    words = SYMBOL_LIMITS.width // 32
    g = Globals(kill=Signal(), reduce_only=Signal(), credit_limit=Signal(64, init=(1 << 64) - 1),
                rate_interval=Signal(32), rate_tolerance=Signal(32))
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
    m.d.sync += [b_we.eq(bus.we), b_re.eq(bus.re), b_wdata.eq(bus.wdata), b_addr.eq(addr),
                 b_table.eq(table), b_limit_word.eq(limit_word),
 b_glob.eq(Cat(*is_global)), b_any.eq(any_of(is_global)),
                 b_rw.eq(any_of([hit for hit, r in zip(is_global, regmap.GLOBALS) if r.access in ("RW", "W1C")]))]
    sel = {r.name: b_glob[k] for k, r in enumerate(regmap.GLOBALS)}
    t_index = (b_addr - regmap.TABLE_BASE)[6:6 + abits]
    write_bad = b_we & ~((b_table & b_limit_word) | b_rw)
    read_bad = b_re & ~((b_table & ~b_limit_word) | b_any)

    # ---- writes ---------------------------------------------------------------------------
    wr = limits.write_port(granularity=32)
    m.d.comb += [wr.addr.eq(t_index), wr.data.eq(Cat(*([b_wdata] * words)))]
    table_write = kept(m, b_we & b_table & b_limit_word, "table_write")
    m.d.comb += wr.en.eq(Mux(table_write, 1 << b_addr[2:6], 0))
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
    with m.If(write_bad | read_bad):
        m.d.sync += bus_error.eq(1)
    with m.Elif(b_we & sel["STATUS"] & b_wdata[0]):
        m.d.sync += bus_error.eq(0)
    m.d.comb += bus.err.eq(bus_error)

    # ---- read step 1: the decoded address ------------------------------------------------------
    readable = [r for r in regmap.GLOBALS if r.access != "WO"]
    r1_valid, r1_ok, r1_state, r1_hi = Signal(), Signal(), Signal(), Signal()
    r1_sym, r1_field = Signal(abits), Signal(3)          # field one-hot: pos, open_buy, open_sell
    r1_glob = Signal(len(readable))
    state_sel = b_addr[2:6] - words                           # 0..5: pos lo/hi, open_buy lo/hi, open_sell lo/hi
    m.d.sync += [r1_valid.eq(b_re), r1_ok.eq(b_re & ~read_bad), r1_state.eq(b_table & ~b_limit_word),
                 r1_hi.eq(state_sel[0]), r1_sym.eq(t_index),
                 r1_field.eq(Cat(*(state_sel[1:3] == k for k in range(3)))),
                 r1_glob.eq(Cat(*(sel[r.name] for r in readable)))]

    # ---- read step 2: the state memories and the global's value -----------------------------------
    values = {"VERSION": Const(regmap.VERSION, 32), "CTRL": Cat(g.kill, g.reduce_only), "STATUS": bus_error,
              "CREDIT_LIMIT_LO": g.credit_limit[:32], "CREDIT_LIMIT_HI": g.credit_limit[32:],
              "CREDIT_USED_LO": used[:32], "CREDIT_USED_HI": used[32:64],
              "RATE_INTERVAL": g.rate_interval, "RATE_TOLERANCE": g.rate_tolerance}
    reads = [mem.read_port(domain="comb") for mem in (counters.opened, counters.released, counters.position)]
    side_entry = Cat(r1_sym, r1_field[2])                # open_sell reads the sell entries
    m.d.comb += [reads[0].addr.eq(side_entry), reads[1].addr.eq(side_entry), reads[2].addr.eq(r1_sym)]
    r2 = [Signal(len(p.data), name=f"r2_{k}") for k, p in enumerate(reads)]
    r2_glob = Signal(32)
    r2_valid, r2_ok, r2_state, r2_hi, r2_field = Signal(), Signal(), Signal(), Signal(), Signal(3)
    m.d.sync += [r.eq(p.data) for r, p in zip(r2, reads)]
    m.d.sync += [r2_glob.eq(_or_select(r1_glob, [values[r.name] for r in readable])),
                 r2_valid.eq(r1_valid), r2_ok.eq(r1_ok), r2_state.eq(r1_state), r2_hi.eq(r1_hi),
                 r2_field.eq(r1_field)]

    # ---- read steps 3 and 4: position = P, open_buy = (A_buy - G_buy) - P, open_sell = (A_sell - G_sell) + P
    opened, released, pos = r2
    r3_net, r3_pos, r3_glob = Signal(48), Signal(48), Signal(32)
    r3_valid, r3_ok, r3_state, r3_hi, r3_field = Signal(), Signal(), Signal(), Signal(), Signal(3)
    m.d.sync += [r3_net.eq(opened - released), r3_pos.eq(Mux(r2_field[1], -pos, pos)),
                 r3_glob.eq(r2_glob), r3_valid.eq(r2_valid), r3_ok.eq(r2_ok), r3_state.eq(r2_state),
                 r3_hi.eq(r2_hi), r3_field.eq(r2_field)]
    r4_v, r4_glob = Signal(48), Signal(32)
    r4_valid, r4_ok, r4_state, r4_hi = Signal(), Signal(), Signal(), Signal()
    m.d.sync += [r4_v.eq(Mux(r3_field[0], r3_pos, r3_net + r3_pos)), r4_glob.eq(r3_glob),
                 r4_valid.eq(r3_valid), r4_ok.eq(r3_ok), r4_state.eq(r3_state), r4_hi.eq(r3_hi)]

    # ---- read step 5: the word -------------------------------------------------------------------
    word = Mux(r4_state, Mux(r4_hi, r4_v[32:].as_signed(), r4_v[:32]), r4_glob)
    m.d.sync += [bus.rvalid.eq(r4_valid), bus.rdata.eq(Mux(r4_ok, word, 0))]
    return g


def _or_select(onehot, values):
    """The value whose bit is set in ``onehot`` (AND-OR: no priority chain)."""
    out = Const(0, 32)
    for k, v in enumerate(values):
        out = out | Mux(onehot[k], v, 0)
    return out
