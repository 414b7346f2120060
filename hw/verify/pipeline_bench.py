"""The risk pipeline testbench, written once for both simulators (see access.py).

It configures the registers and the limit table over the bus, streams orders with
random input idles, offers fills and cancels for orders the pipeline accepted,
applies random output backpressure, and logs every transfer against the
pipeline's advance count. Orders are decided LATENCY-1 advances after they enter;
a fill is seen by orders decided FILL_VISIBLE advances after it transfers, so it is
logged just after the order decided FILL_VISIBLE-1 advances after it. Replaying the
log in that order through ``RiskModel`` gives the expected output, compared bit for bit.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from wirespeed.layout import ORDER, RISK_OUT
from wirespeed.reasons import reasons_in

from ..regs import map as regmap
from ..risk.model import Fill, LimitEntry, RiskModel
from ..risk.pipeline import FILL_VISIBLE, LATENCY, SEEN_AT
from ..regs.bus import READ_LATENCY, WRITE_LATENCY
from .stimulus import OrderStimulus


@dataclass
class PipelineConfig:
    depth: int = 16
    sessions: int = 4
    window: int = 8
    kill: bool = False
    reduce_only: bool = False
    credit_limit: int = (1 << 64) - 1
    rate_interval: int = 0
    rate_tolerance: int = 0
    table: dict[int, LimitEntry] = field(default_factory=dict)
    session_credit: dict[int, int] = field(default_factory=dict)   # session -> its credit limit
    #: session -> its own (rate interval, rate tolerance), written after the globals' (which set every session's)
    session_rate: dict[int, tuple[int, int]] = field(default_factory=dict)

    def apply_rates(self, m: RiskModel) -> None:
        m.rate_interval, m.rate_tolerance = self.rate_interval, self.rate_tolerance
        for session, (interval, tolerance) in self.session_rate.items():
            m.session_rate_interval[session], m.session_rate_tolerance[session] = interval, tolerance

    def model(self) -> RiskModel:
        m = RiskModel(self.depth, self.sessions, self.window)
        for index, entry in self.table.items():
            m.write(index, entry)
        m.kill, m.reduce_only, m.credit_limit = self.kill, self.reduce_only, self.credit_limit
        self.apply_rates(m)
        for session, limit in self.session_credit.items():
            m.session_credit_limit[session] = limit
        return m


#: Control-register settings the random runs cover ("reduce-only" is run after an
#: "open" phase has built positions, or it would only ever reject).
CONFIGS = {
    "open": {},
    "reduce-only": {"reduce_only": True},
    "tight-credit": {"credit_limit": 3_000_000},
    "session-credit": {"session_credit": {0: 1_500_000, 1: 400_000, 3: 0}},
    "throttle": {"rate_interval": 4, "rate_tolerance": 8},
    # every session at a rate of its own: one off, one strict, one with a burst
    "session-rate": {"rate_interval": 4, "rate_tolerance": 8, "session_rate": {0: (0, 0), 1: (3, 0), 2: (6, 12)}},
    "kill": {"kill": True},
}


def make_config(name: str, seed: int, depth: int = 16, sessions: int = 4, window: int = 8) -> PipelineConfig:
    from .stimulus import random_table
    return PipelineConfig(depth=depth, sessions=sessions, window=window,
                          table=random_table(random.Random(seed), depth), **CONFIGS[name])


@dataclass
class RunResult:
    outputs: list[int] = field(default_factory=list)
    expected: list[int] = field(default_factory=list)
    in_cycles: list[int] = field(default_factory=list)
    out_cycles: list[int] = field(default_factory=list)
    reasons_seen: set = field(default_factory=set)
    fills: int = 0
    cycles: int = 0
    end_now: int = 0
    reads: list[tuple[int, int]] = field(default_factory=list)    # (addr, rdata) of the source's bus reads
    steals: list[int] = field(default_factory=list)              # cycles a state read took the ports
    stalled_steals: int = 0                                      # ... of them with the pipeline stalled
    model: RiskModel | None = None
    trace: "Trace" = field(default_factory=lambda: Trace())

    def mismatches(self) -> list[str]:
        out = []
        for k, (got, want) in enumerate(zip(self.outputs, self.expected)):
            if got != want:
                g, w = RISK_OUT.unpack(got), RISK_OUT.unpack(want)
                diff = {f: (g[f], w[f]) for f in g if g[f] != w[f]}
                out.append(f"output {k} (order_id {w['order_id']}): got != expected {diff}")
        if len(self.outputs) != len(self.expected):
            out.append(f"{len(self.outputs)} outputs, {len(self.expected)} expected")
        return out


async def bus_write(acc, addr: int, data: int) -> None:
    """One write, returning once it has taken effect."""
    acc.set("bus.addr", addr)
    acc.set("bus.wdata", data & 0xFFFFFFFF)
    acc.set("bus.we", 1)
    await acc.step()
    acc.set("bus.we", 0)
    for _ in range(WRITE_LATENCY - 1):
        await acc.step()


async def bus_read(acc, addr: int) -> int:
    acc.set("bus.addr", addr)
    acc.set("bus.re", 1)
    await acc.step()
    acc.set("bus.re", 0)
    for _ in range(READ_LATENCY - 1):
        assert not acc.get("bus.rvalid"), "rvalid before READ_LATENCY cycles"
        await acc.step()
    assert acc.get("bus.rvalid"), f"no rvalid {READ_LATENCY} cycles after re"
    return acc.get("bus.rdata")


async def configure(acc, cfg: PipelineConfig, table: bool = True, from_reset: bool = False) -> None:
    """The globals, every session's credit limit and (``table``) every row. ``from_reset``: the
    pipeline was just reset, so session limits at their reset value (all ones) are not written."""
    g = {r.name: r.offset for r in regmap.GLOBALS}
    await bus_write(acc, g["CTRL"], int(cfg.kill) | int(cfg.reduce_only) << 1)
    await bus_write(acc, g["CREDIT_LIMIT_LO"], cfg.credit_limit)
    await bus_write(acc, g["CREDIT_LIMIT_HI"], cfg.credit_limit >> 32)
    await bus_write(acc, g["RATE_INTERVAL"], cfg.rate_interval)
    await bus_write(acc, g["RATE_TOLERANCE"], cfg.rate_tolerance)
    for session in (sorted(cfg.session_credit) if from_reset else range(cfg.sessions)):
        limit = cfg.session_credit.get(session, (1 << 64) - 1)
        await bus_write(acc, regmap.session_addr(session, 0), limit & 0xFFFFFFFF)
        await bus_write(acc, regmap.session_addr(session, 1), limit >> 32)
    for session, (interval, tolerance) in sorted(cfg.session_rate.items()):
        await bus_write(acc, regmap.session_addr(session, 4), interval)
        await bus_write(acc, regmap.session_addr(session, 5), tolerance)
    if not table:
        return
    # RAM is not cleared by reset: every row is written, as the control plane does at start.
    for index in range(cfg.depth):
        entry = cfg.table.get(index)
        for addr, data in regmap.row_writes(index, entry.pack() if entry else 0):
            await bus_write(acc, addr, data)


def idle_ports(acc) -> None:
    for port in ("i.valid", "fill.valid", "o.ready", "bus.we", "bus.re"):
        acc.set(port, 0)


class RandomTraffic:
    """The random runs' offers: ``OrderStimulus`` orders with input idles, and fills and
    cancels of orders the pipeline accepted (never more than an order has open)."""

    def __init__(self, rng: random.Random, cfg: PipelineConfig, orders: int, idle: float, fill_rate: float):
        self.rng, self.idle, self.fill_rate = rng, idle, fill_rate
        self.stim = OrderStimulus(rng, cfg.table, cfg.depth, cfg.sessions)
        self.total, self.sent = orders, 0
        self.open_orders: list[list[int]] = []           # [symbol, side, remaining, price, session] of accepted orders

    def offer(self, order_free: bool, fill_free: bool):
        """(order, fill, bus write, o.ready: None for the random backpressure); None: nothing new."""
        rng, order, fill = self.rng, None, None
        if order_free and self.sent < self.total and rng.random() >= self.idle:
            order = self.stim.order(self.sent)
            self.sent += 1
        if fill_free and self.open_orders and rng.random() < self.fill_rate:
            k = rng.randrange(len(self.open_orders))
            sym, side, remaining, price, session = self.open_orders[k]
            cancel = rng.random() < 0.25
            qty = remaining if cancel or rng.random() < 0.5 else rng.randint(1, remaining)
            fill = Fill(sym, side, qty, qty * price, cancel, session)
            self.open_orders[k][2] -= qty
            if self.open_orders[k][2] == 0:
                self.open_orders.pop(k)
        return order, fill, None, None

    def decided(self, out: dict) -> None:
        if out["accept"]:
            self.open_orders.append([out["o_symbol"], out["o_side"], out["o_qty"], out["o_price"], out["o_session"]])


@dataclass
class Trace:
    """What one run did, in the pipeline's terms, for coverage: every order's entry advance,
    fields and model mask; every fill's advance; every register change and the first order
    (by sequence) that saw it."""
    orders: list[tuple[int, dict, int, bool]] = field(default_factory=list)  # (entry advance, fields, mask, reduce-only)
    fills: list[tuple[int, Fill]] = field(default_factory=list)
    writes: list[tuple[str, int]] = field(default_factory=list)           # (model field, first order seeing it)


class ShadowRow:
    """The register file's shadow row, followed write by write: a complete commit gives the row."""

    def __init__(self, depth: int):
        self.depth, self.words, self.written = depth, [0] * len(regmap.SHADOW), set()

    def write(self, addr: int, data: int) -> tuple[int, int] | None:
        """(index, packed row) for a commit that the hardware accepts; None otherwise."""
        k = (addr - regmap.SHADOW_BASE) // regmap.WORD
        if 0 <= k < len(self.words) and addr % regmap.WORD == 0:
            self.words[k] = data & 0xFFFFFFFF
            self.written.add(k)
        elif addr == regmap.global_by_name("ROW_COMMIT").offset:
            if len(self.written) == len(self.words) and data < self.depth:
                self.written = set()
                return data, sum(w << (32 * k) for k, w in enumerate(self.words))
        return None


def _write_effects(addr: int, data: int, shadow: ShadowRow) -> list[tuple[str, int]]:
    """The model fields a bus write changes: (field, value); a committed row as ("row", (index, row))."""
    g = {r.name: r.offset for r in regmap.GLOBALS}
    committed = shadow.write(addr, data)
    if committed is not None:
        return [("row", committed)]
    if addr == g["CTRL"]:
        return [("kill", bool(data & 1)), ("reduce_only", bool(data & 2))]
    named = {g["CREDIT_LIMIT_LO"]: "credit_lo", g["CREDIT_LIMIT_HI"]: "credit_hi",
             g["RATE_INTERVAL"]: "rate_interval", g["RATE_TOLERANCE"]: "rate_tolerance"}
    if addr in named:
        return [(named[addr], data)]
    session, word = divmod(addr - regmap.SESSION_BASE, regmap.SESSION_STRIDE)
    if addr >= regmap.SESSION_BASE and word in (0, 4):
        return [("session_credit_hi" if word else "session_credit_lo", (session, data))]
    if addr >= regmap.SESSION_BASE and word in (16, 20):
        return [("session_rate_tolerance" if word == 20 else "session_rate_interval", (session, data))]
    return []


def _apply(model: RiskModel, name: str, value) -> None:
    if name == "row":
        index, row = value
        model.write(index, LimitEntry.unpack(row))
    elif name in ("session_credit_lo", "session_credit_hi"):
        session, data = value
        shift = 0 if name == "session_credit_lo" else 32
        limit = model.session_credit_limit[session]
        model.session_credit_limit[session] = limit & ~(0xFFFFFFFF << shift) | data << shift
    elif name in ("session_rate_interval", "session_rate_tolerance"):
        session, data = value
        getattr(model, name)[session] = data
    elif name in ("credit_lo", "credit_hi"):
        shift = 0 if name == "credit_lo" else 32
        model.credit_limit = model.credit_limit & ~(0xFFFFFFFF << shift) | value << shift
    else:
        setattr(model, name, value)


async def drive(acc, cfg: PipelineConfig, source, *, seed: int = 1, backpressure: float = 0.0, now_step: int = 1,
                check_state: bool = True, model: RiskModel | None = None, start_now: int = 1_000,
                configure_table: bool | None = None, from_reset: bool = False) -> RunResult:
    """The cycle loop every pipeline test shares. Each cycle ``source.offer(order_free,
    fill_free)`` may offer an order (held until it transfers), a fill, a one-cycle bus
    write ``(addr, data)`` or read ``(addr, None)`` (its word in ``result.reads``) and ``o.ready`` (None: drawn with ``backpressure``); ``source.decided(out)`` sees every output. Every transfer is
    logged against the advance count and replayed through the model (see the module doc;
    a register write reaches the model just before the first order that sees it in
    hardware, by ``pipeline.SEEN_AT``). Pass the previous phase's ``result.model`` (and its
    last ``now``) to continue from its state with ``cfg``'s control registers."""
    rng = random.Random(seed ^ 0x5A5A)                   # backpressure: apart from the source's draws
    res = RunResult()
    idle_ports(acc)
    await configure(acc, cfg, table=model is None if configure_table is None else configure_table,
                    from_reset=from_reset)

    log: list[tuple[int, int, int, object, int]] = []   # (advance index, kind, seq, event, now)
    entered: list[int] = []                              # entry advance of each order, by sequence
    entered_set: set[int] = set()
    adv_cycles: list[int] = []                           # the cycle of each advance
    bus_writes: list[tuple[int, int, int]] = []          # (cycle, addr, data)
    reads: list[int] = []                                # addresses of the reads in flight
    steal_at: set[int] = set()                           # the cycles state reads take the ports
    # the pipeline's advance, followed from the ports (skid.py): i.ready is low in a steal cycle
    # whatever it is, and equals it in every other cycle (checked)
    advance, skid_valid, cleared = True, False, False
    offer_order = offer_fill = None
    adv = cycle = 0
    now = start_now
    budget = source.total * 30 + 200
    while len(res.outputs) < source.total:
        if cycle > budget:
            raise AssertionError(f"stalled: {len(res.outputs)}/{source.total} outputs after {cycle} cycles")
        order, fill, write, ready = source.offer(offer_order is None, offer_fill is None)
        if order is not None:
            offer_order = order
            acc.set("i.payload", ORDER.pack(order))
        acc.set("i.valid", int(offer_order is not None))
        if fill is not None:
            offer_fill = fill
            acc.set("fill.payload", fill.pack())
        acc.set("fill.valid", int(offer_fill is not None))
        is_read = write is not None and write[1] is None
        acc.set("bus.we", int(write is not None and not is_read))
        acc.set("bus.re", int(is_read))
        if is_read:
            acc.set("bus.addr", write[0])
            reads.append(write[0])
            if _is_state_read(write[0], cfg.depth):
                steal_at.add(cycle + 1)
        elif write is not None:
            acc.set("bus.addr", write[0])
            acc.set("bus.wdata", write[1])
            bus_writes.append((cycle, *write))
        o_ready = int(rng.random() >= backpressure) if ready is None else int(ready)
        acc.set("o.ready", o_ready)
        acc.set("now", now)
        await acc.settle()
        stolen = cycle in steal_at
        if stolen:
            assert not acc.get("i.ready") and not acc.get("fill.ready"), f"cycle {cycle}: a port ready in a read-back"
            res.steals.append(cycle)
            res.stalled_steals += not advance
        elif cleared:
            assert bool(acc.get("i.ready")) == advance, f"cycle {cycle}: i.ready {acc.get('i.ready')}, advance {advance}"
        else:                                            # after a reset: the memories are cleared first
            advance = cleared = bool(acc.get("i.ready"))
        if acc.get("bus.rvalid"):
            res.reads.append((reads.pop(0), acc.get("bus.rdata")))
        s3_valid = len(adv_cycles) >= 4 and len(adv_cycles) - 4 in entered_set
        free = not acc.get("o.valid") or o_ready
        push = advance and s3_valid
        if advance and not stolen:
            if offer_order is not None:
                log.append((adv + LATENCY - 1, 0, len(log), offer_order, now))
                entered.append(adv)
                entered_set.add(adv)
                res.in_cycles.append(cycle)
                offer_order = None
            # (a fill is not taken while the fill ahead writes its released word: fill.ready low)
            if offer_fill is not None and acc.get("fill.ready"):
                log.append((adv + FILL_VISIBLE - 1, 1, len(log), offer_fill, now))
                res.fills += 1
                offer_fill = None
        if advance:
            adv_cycles.append(cycle)
            adv += 1
        advance, skid_valid = not (not free and (skid_valid or push)), (not free) and (skid_valid or push)
        if acc.get("o.valid") and o_ready:
            word = acc.get("o.payload")
            res.outputs.append(word)
            res.out_cycles.append(cycle)
            out = RISK_OUT.unpack(word)
            res.reasons_seen.update(reasons_in(out["mask"]))
            source.decided(out)
        await acc.step()
        cycle += 1
        now += now_step
    idle_ports(acc)
    for _ in range(READ_LATENCY + 1):                    # the reads still in flight
        if not reads:
            break
        await acc.settle()
        if acc.get("bus.rvalid"):
            res.reads.append((reads.pop(0), acc.get("bus.rdata")))
        await acc.step()
    assert not reads, f"{len(reads)} reads without rvalid"
    res.cycles = cycle

    if model is None:
        model = cfg.model()
    else:
        model.kill, model.reduce_only, model.credit_limit = cfg.kill, cfg.reduce_only, cfg.credit_limit
        cfg.apply_rates(model)
        model.session_credit_limit = [cfg.session_credit.get(s, (1 << 64) - 1) for s in range(cfg.sessions)]
    # each register change goes in just before the first order that sees it
    changes: dict[int, list[tuple[str, object]]] = {}
    shadow = ShadowRow(cfg.depth)                      # the configuration left it committed
    for at, addr, data in bus_writes:
        for name, value in _write_effects(addr, data, shadow):
            offset, delay = SEEN_AT[name]
            first = next((k for k, a in enumerate(entered)
                          if a + offset < len(adv_cycles) and adv_cycles[a + offset] >= at + delay), len(entered))
            changes.setdefault(first, []).append((name, value))
            res.trace.writes.append((name, first))
    res.end_now = now
    seq = 0
    for when, kind, _, event, at in sorted(log, key=lambda e: e[:3]):
        if kind == 0:
            for name, value in changes.pop(seq, []):
                _apply(model, name, value)
            res.expected.append(model.result(event, at))
            res.trace.orders.append((entered[seq], event, RISK_OUT.unpack(res.expected[-1])["mask"], model.reduce_only))
            seq += 1
        else:
            model.fill(event)
            res.trace.fills.append((when - (FILL_VISIBLE - 1), event))
    for name, value in (c for first in sorted(changes) for c in changes[first]):
        _apply(model, name, value)
    res.model = model
    if check_state:
        await _check_state(acc, cfg, model)
    return res


def _is_state_read(addr: int, depth: int) -> bool:
    """A read of a symbol's position state: it takes the state memories' ports (tables.ReadBack)."""
    offset = addr - regmap.TABLE_BASE
    return 0 <= offset < depth * regmap.TABLE_STRIDE and offset % 4 == 0 \
        and (offset % regmap.TABLE_STRIDE) // 4 >= regmap.STATE_BASE_WORD


async def run(acc, cfg: PipelineConfig, orders: int, *, seed: int = 1, idle: float = 0.0,
              backpressure: float = 0.0, fill_rate: float = 0.3, **kw) -> RunResult:
    """One phase of random traffic (see ``drive`` for the rest of the arguments)."""
    source = RandomTraffic(random.Random(seed), cfg, orders, idle, fill_rate)
    return await drive(acc, cfg, source, seed=seed, backpressure=backpressure, **kw)


async def _check_state(acc, cfg: PipelineConfig, model: RiskModel) -> None:
    """Positions, open quantities and credit read back over the bus equal the model's."""
    g = {r.name: r.offset for r in regmap.GLOBALS}
    used = await bus_read(acc, g["CREDIT_USED_LO"]) | await bus_read(acc, g["CREDIT_USED_HI"]) << 32
    assert used == model.credit_used % (1 << 64), f"CREDIT_USED {used} != model {model.credit_used}"
    for s in range(cfg.sessions):
        used = await bus_read(acc, regmap.session_addr(s, 2)) | await bus_read(acc, regmap.session_addr(s, 3)) << 32
        assert used == model.session_used(s) % (1 << 64), f"session {s} CREDIT_USED {used} != {model.session_used(s)}"
    base = regmap.STATE_BASE_WORD
    for index in range(cfg.depth):
        for k, name in enumerate(regmap.STATE_FIELDS):
            lo = await bus_read(acc, regmap.table_addr(index, base + 2 * k))
            hi = await bus_read(acc, regmap.table_addr(index, base + 2 * k + 1))
            value = ((hi << 32) | lo) & ((1 << 48) - 1)
            value -= (1 << 48) if value >> 47 else 0
            want = getattr(model, name)[index]
            assert value == want, f"{name}[{index}] read back {value}, model {want}"


async def directed(acc, cfg: PipelineConfig, events: list) -> tuple[list[int], list[int]]:
    """Events one at a time, each order's decision awaited before the next event:
    ``("order", fields, now)`` or ``("fill", Fill)``. Returns (outputs, model's expected)."""
    idle_ports(acc)
    await configure(acc, cfg)
    model = cfg.model()
    outputs, expected = [], []
    acc.set("o.ready", 1)
    for event in events:
        if event[0] == "fill":
            acc.set("fill.payload", event[1].pack())
            acc.set("fill.valid", 1)
            await acc.settle()
            while not acc.get("fill.ready"):        # the fill ahead writing (counters.py): a cycle
                await acc.step()
                await acc.settle()
            await acc.step()
            acc.set("fill.valid", 0)
            model.fill(event[1])
            continue
        _, fields, now = event
        acc.set("i.payload", ORDER.pack(fields))
        acc.set("i.valid", 1)
        acc.set("now", now)
        await acc.step()
        acc.set("i.valid", 0)
        for _ in range(LATENCY + 2):
            await acc.settle()
            if acc.get("o.valid"):
                outputs.append(acc.get("o.payload"))
                await acc.step()
                break
            await acc.step()
        expected.append(model.result(fields, now))
    return outputs, expected
