"""The pre-trade risk pipeline: every check, one order per cycle, fixed latency.

    cycle 0  order accepted on ``i``; ``now`` sampled; limit-table row read by symbol
    cycle 1  OrderChecks: field codes, zero qty, price, unknown / restricted symbol,
             max qty, collar, stale reference (each one comparison) -> registered;
             the notional multiply starts (DSP: registered inputs, M register)
    cycle 2  notional in the DSP's P register
    cycle 3  StateChecks: kill switch, throttle, duplicate ClOrdID, max notional,
             gross credit, position limit, reduce-only against the live state; the
             accepted order (and any fill this cycle) updates the state
    cycle 4  decision valid on ``o``  (LATENCY = 4, whatever the outcome)

All stages advance together (``advance = ~o.valid | o.ready``); the fill stream is
taken only on advancing cycles, so a fill and the order decided in the same cycle
apply in a fixed order (the order is checked first). Deciding every state-dependent
check in one stage means back-to-back orders on one symbol see each other with no
forwarding logic. Golden model: ``model.RiskModel``.
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.layout import FILL, ORDER, RISK_OUT, SYMBOL_LIMITS
from wirespeed.reasons import MASK_WIDTH, RISK_REASONS
from wirespeed.reasons import RejectReason as R

from ..regs import map as regmap
from ..regs.bus import RegBus

LATENCY = 4
NOW_WIDTH = 48
STATE_WIDTH = 48        # positions and open quantities, two's complement
NOTIONAL_STATE = 72     # open / filled / used notional, two's complement


def _one_of(value, enum):
    return Cat(*(value == int(member) for member in enum)).any()


class Notional(wiring.Component):
    """qty x price on a DSP: inputs registered by the caller, then the M and P registers
    a vendor flow packs into the DSP slice (written here because yosys neither retimes
    nor packs them). ``en`` advances both stages."""

    qty: In(32)
    price: In(32)
    en: In(1)
    product: Out(64)

    def elaborate(self, platform):
        m = Module()
        m_reg = Signal(64)
        with m.If(self.en):
            m.d.sync += [m_reg.eq(self.qty * self.price), self.product.eq(m_reg)]
        return m


class OrderChecks(wiring.Component):
    """Stage 1: every check that needs only the order, its limit-table row and ``now``."""

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
        fails = {
            R.BAD_FIELD: ~_one_of(o.side, Side) | ~_one_of(o.ord_type, OrdType) | ~_one_of(o.tif, TimeInForce)
                         | (o.session[session_bits:] != 0),
            R.ZERO_QTY: o.qty == 0,
            R.UNKNOWN_SYMBOL: ~known,
            R.BAD_PRICE: o.price == 0,
            R.RESTRICTED_SYMBOL: known & row.restricted,
            R.MAX_QTY: known & (o.qty > row.max_qty),
            R.PRICE_COLLAR: known & ((o.price < row.price_lo) | (o.price > row.price_hi)),
            R.STALE_REFERENCE: known & (self.now > row.ref_deadline),
        }
        for reason, fail in fails.items():
            m.d.comb += self.mask[reason.value - 1].eq(fail)
        return m


class RiskPipeline(wiring.Component):
    def __init__(self, depth: int = 64, sessions: int = 8, window: int = 8):
        problem = next((f"{name} must be a power of two >= 2, not {v!r}"
                        for name, v in (("depth", depth), ("sessions", sessions), ("window", window))
                        if not isinstance(v, int) or v < 2 or v & (v - 1)), None)
        if problem is None and depth * regmap.TABLE_STRIDE + regmap.TABLE_BASE > 1 << regmap.ADDR_WIDTH:
            problem = f"depth {depth} does not fit the {regmap.ADDR_WIDTH}-bit register map"
        if problem:
            self._MustUse__silence = True   # never elaborated: no "created but never used" warning
            raise TypeError(problem)
        self.depth, self.sessions, self.window = depth, sessions, window
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

        advance = Signal()
        m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance),
                     self.fill.ready.eq(advance)]

        # ---- registers written over the bus -------------------------------------------
        kill, reduce_only = Signal(), Signal()
        credit_limit = Signal(64, init=(1 << 64) - 1)
        rate_interval, rate_tolerance = Signal(32), Signal(32)
        bus_error = Signal()

        # ---- limit table ----------------------------------------------------------------
        words = SYMBOL_LIMITS.width // 32
        m.submodules.limits = limits = Memory(shape=SYMBOL_LIMITS.width, depth=D, init=[])
        wr = limits.write_port(granularity=32)
        rd = limits.read_port(transparent_for=(wr,))
        row = SYMBOL_LIMITS.layout(rd.data)

        # ---- stage 1 --------------------------------------------------------------------
        s1, s1_valid, s1_in_range, s1_now = Signal(ORDER.layout), Signal(), Signal(), Signal(NOW_WIDTH)
        m.d.comb += [rd.addr.eq(self.i.payload.symbol[:abits]), rd.en.eq(advance)]
        with m.If(advance):
            m.d.sync += [s1.eq(self.i.payload), s1_valid.eq(self.i.valid),
                         s1_in_range.eq(self.i.payload.symbol[abits:] == 0), s1_now.eq(self.now)]
        m.submodules.order_checks = chk = OrderChecks(S, abits)
        m.d.comb += [chk.order.eq(s1), chk.row.eq(row), chk.in_range.eq(s1_in_range), chk.now.eq(s1_now)]
        m.submodules.notional = mul = Notional()
        m.d.comb += [mul.qty.eq(s1.qty), mul.price.eq(s1.price), mul.en.eq(advance)]

        # ---- stage 2: carry what stage 3 needs ------------------------------------------------
        s2, s2_valid, s2_mask, s2_known = Signal(ORDER.layout), Signal(), Signal(MASK_WIDTH), Signal()
        s2_now = Signal(NOW_WIDTH)
        s2_lim = {k: Signal(SYMBOL_LIMITS.fields[k], name=f"s2_{k}") for k in ("max_notional", "long_limit", "short_limit")}
        s3, s3_valid, s3_mask, s3_known = Signal(ORDER.layout), Signal(), Signal(MASK_WIDTH), Signal()
        s3_now = Signal(NOW_WIDTH)
        s3_lim = {k: Signal(v.shape(), name=f"s3_{k}") for k, v in s2_lim.items()}
        with m.If(advance):
            m.d.sync += [s2.eq(s1), s2_valid.eq(s1_valid), s2_mask.eq(chk.mask), s2_known.eq(chk.known),
                         s2_now.eq(s1_now)]
            m.d.sync += [s2_lim[k].eq(getattr(row, k)) for k in s2_lim]
            m.d.sync += [s3.eq(s2), s3_valid.eq(s2_valid), s3_mask.eq(s2_mask), s3_known.eq(s2_known),
                         s3_now.eq(s2_now)]
            m.d.sync += [s3_lim[k].eq(s2_lim[k]) for k in s2_lim]

        # ---- stage 3: state-dependent checks ---------------------------------------------------
        pos = Array(Signal(signed(STATE_WIDTH), name=f"pos{n}") for n in range(D))
        open_buy = Array(Signal(signed(STATE_WIDTH), name=f"open_buy{n}") for n in range(D))
        open_sell = Array(Signal(signed(STATE_WIDTH), name=f"open_sell{n}") for n in range(D))
        tat = Array(Signal(NOW_WIDTH, name=f"tat{n}") for n in range(S))
        open_n = Signal(signed(NOTIONAL_STATE))
        filled_n = Signal(signed(NOTIONAL_STATE))
        used = Signal(signed(NOTIONAL_STATE))
        keys = [Signal(64, name=f"recent{k}") for k in range(W)]
        key_valid = [Signal(name=f"recent_valid{k}") for k in range(W)]

        sym = s3.symbol[:abits]
        qty, notional = s3.qty, mul.product
        is_buy = s3.side == Side.BUY
        valid_side = _one_of(s3.side, Side)
        p, ob, os_ = pos[sym], open_buy[sym], open_sell[sym]
        buy_worst = p + ob + qty
        sell_worst = p - os_ - qty
        session = s3.session[:sbits]
        session_ok = s3.session[sbits:] == 0
        tat_now = tat[session]
        rate_fail = session_ok & (tat_now > s3_now + rate_tolerance)
        dup = Cat(*(kv & (k == s3.cl_ord_key) for k, kv in zip(keys, key_valid))).any()
        state_fails = {
            R.KILL_SWITCH: kill,
            R.RATE_LIMIT: rate_fail,
            R.DUPLICATE_CLORDID: dup,
            R.CREDIT_LIMIT: used + notional > credit_limit,
            R.MAX_NOTIONAL: s3_known & (notional > s3_lim["max_notional"]),
            R.POSITION_LIMIT: s3_known & valid_side & Mux(is_buy, buy_worst > s3_lim["long_limit"],
                                                           sell_worst < -s3_lim["short_limit"]),
            R.REDUCE_ONLY: reduce_only & s3_known & valid_side & Mux(is_buy, buy_worst > 0, sell_worst < 0),
        }
        mask = Signal(MASK_WIDTH)
        state_bits = Signal(MASK_WIDTH)
        for reason, fail in state_fails.items():
            m.d.comb += state_bits[reason.value - 1].eq(fail)
        m.d.comb += mask.eq(s3_mask | state_bits)
        accept = Signal()
        m.d.comb += accept.eq(mask == 0)
        reason = Signal(len(self.o.payload.reason))
        for r in sorted(RISK_REASONS, reverse=True):   # last assignment wins: lowest code is primary
            with m.If(mask[r.value - 1]):
                m.d.comb += reason.eq(r.value)

        out = self.o.payload
        with m.If(advance):
            m.d.sync += [self.o.valid.eq(s3_valid), out.order_id.eq(s3.order_id), out.accept.eq(accept),
                         out.reason.eq(reason), out.mask.eq(mask)]
            m.d.sync += [getattr(out, f"o_{f}").eq(getattr(s3, f)) for f in ORDER.fields if f != "order_id"]

        # ---- state updates: the accepted order, then this cycle's fill ------------------------
        take = Signal()
        m.d.comb += take.eq(advance & s3_valid & accept)
        fp = self.fill.payload
        f_take = Signal()
        m.d.comb += f_take.eq(advance & self.fill.valid & (fp.symbol[abits:] == 0))
        f_sym, f_buy = fp.symbol[:abits], fp.side == Side.BUY
        for n in range(D):
            hit_o = take & (sym == n)
            hit_f = f_take & (f_sym == n)
            m.d.sync += [
                open_buy[n].eq(open_buy[n] + Mux(hit_o & is_buy, qty, 0) - Mux(hit_f & f_buy, fp.qty, 0)),
                open_sell[n].eq(open_sell[n] + Mux(hit_o & ~is_buy, qty, 0) - Mux(hit_f & ~f_buy, fp.qty, 0)),
                pos[n].eq(pos[n] + Mux(hit_f & ~fp.cancel, Mux(f_buy, fp.qty, -fp.qty), 0)),
            ]
        f_any = advance & self.fill.valid & (fp.symbol[abits:] == 0)
        m.d.sync += [
            open_n.eq(open_n + Mux(take, notional, 0) - Mux(f_any, fp.notional, 0)),
            filled_n.eq(filled_n + Mux(f_any & ~fp.cancel, fp.notional, 0)),
            used.eq(used + Mux(take, notional, 0) - Mux(f_any & fp.cancel, fp.notional, 0)),
        ]
        tat_next = Mux(tat_now > s3_now, tat_now, s3_now) + rate_interval
        for n in range(S):
            with m.If(advance & s3_valid & session_ok & ~rate_fail & (session == n)):
                m.d.sync += tat[n].eq(tat_next)
        with m.If(take):
            m.d.sync += [keys[0].eq(s3.cl_ord_key), key_valid[0].eq(1)]
            m.d.sync += [keys[k].eq(keys[k - 1]) for k in range(1, W)]
            m.d.sync += [key_valid[k].eq(key_valid[k - 1]) for k in range(1, W)]

        # ---- register bus ------------------------------------------------------------------------
        bus = self.bus
        addr = bus.addr
        aligned = addr[:2] == 0
        in_table = (addr >> 6) >= (regmap.TABLE_BASE >> 6)
        t_index = (addr >> 6) - (regmap.TABLE_BASE >> 6)
        t_ok = in_table & (t_index < D) & aligned
        t_word = addr[2:6]
        is_limit_word = t_word < words
        g = {r.name: aligned & ~in_table & (addr == r.offset) for r in regmap.GLOBALS}
        any_global = Cat(*g.values()).any()
        rw_sel = Cat(*(g[r.name] for r in regmap.GLOBALS if r.access in ("RW", "W1C"))).any()
        m.d.comb += [wr.addr.eq(t_index[:abits]), wr.data.eq(Cat(*([bus.wdata] * words)))]
        with m.If(bus.we & t_ok & is_limit_word):
            m.d.comb += wr.en.eq(1 << t_word)
        write_bad = bus.we & ~((t_ok & is_limit_word) | rw_sel)
        read_bad = bus.re & ~((t_ok & ~is_limit_word) | any_global)
        with m.If(bus.we):
            with m.If(g["CTRL"]):
                m.d.sync += [kill.eq(bus.wdata[0]), reduce_only.eq(bus.wdata[1])]
            with m.If(g["CREDIT_LIMIT_LO"]):
                m.d.sync += credit_limit[:32].eq(bus.wdata)
            with m.If(g["CREDIT_LIMIT_HI"]):
                m.d.sync += credit_limit[32:].eq(bus.wdata)
            with m.If(g["RATE_INTERVAL"]):
                m.d.sync += rate_interval.eq(bus.wdata)
            with m.If(g["RATE_TOLERANCE"]):
                m.d.sync += rate_tolerance.eq(bus.wdata)
        with m.If(write_bad | read_bad):
            m.d.sync += bus_error.eq(1)
        with m.Elif(bus.we & g["STATUS"] & bus.wdata[0]):
            m.d.sync += bus_error.eq(0)
        m.d.comb += bus.err.eq(bus_error)

        rdata = Signal(32)
        state_sel = t_word - words          # 0..5: pos lo/hi, open_buy lo/hi, open_sell lo/hi
        t_sym = t_index[:abits]
        state_vals = [pos[t_sym], open_buy[t_sym], open_sell[t_sym]]
        with m.If(t_ok & ~is_limit_word):
            with m.Switch(state_sel):
                for k, v in enumerate(state_vals):
                    with m.Case(2 * k):
                        m.d.comb += rdata.eq(v[:32])
                    with m.Case(2 * k + 1):
                        m.d.comb += rdata.eq(v[32:].as_signed())
                with m.Default():
                    m.d.comb += rdata.eq(0)
        with m.Elif(g["VERSION"]):
            m.d.comb += rdata.eq(regmap.VERSION)
        with m.Elif(g["CTRL"]):
            m.d.comb += rdata.eq(Cat(kill, reduce_only))
        with m.Elif(g["STATUS"]):
            m.d.comb += rdata.eq(bus_error)
        with m.Elif(g["CREDIT_LIMIT_LO"]):
            m.d.comb += rdata.eq(credit_limit[:32])
        with m.Elif(g["CREDIT_LIMIT_HI"]):
            m.d.comb += rdata.eq(credit_limit[32:])
        with m.Elif(g["CREDIT_USED_LO"]):
            m.d.comb += rdata.eq(used[:32])
        with m.Elif(g["CREDIT_USED_HI"]):
            m.d.comb += rdata.eq(used[32:64])
        with m.Elif(g["RATE_INTERVAL"]):
            m.d.comb += rdata.eq(rate_interval)
        with m.Elif(g["RATE_TOLERANCE"]):
            m.d.comb += rdata.eq(rate_tolerance)
        m.d.sync += [bus.rvalid.eq(bus.re), bus.rdata.eq(Mux(bus.re & ~read_bad, rdata, 0))]
        return m
