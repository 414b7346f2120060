"""The risk backends agree: the same limits through the same register writes, the same seeded
stream of orders with fills and cancels interleaved -> the same masks and primary reasons."""
import asyncio
import random

import pytest

from wirespeed.config import ConfigError, load_config
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.risk import ModelRiskBackend, NativeRiskBackend, limit_writes, make_backend
from wirespeed.gateway.risk_amaranth import AmaranthRiskBackend
from wirespeed.gateway.risk_verilator import VerilatorRiskBackend
from wirespeed.hw.regs import map as regmap
from wirespeed.order import Order
from wirespeed.reasons import RejectReason, primary, reasons_in
from wirespeed.symbols import table_from_config

pytestmark = pytest.mark.hw

RISK = {"default": {"max_qty": 500, "collar_ticks": 50, "long_limit": 1500, "short_limit": 1200},
        "symbols": {"MSFT": {"max_qty": 300, "collar_ticks": 30, "max_notional": 300 * 41_000},
                    "SPY": {"max_qty": 100, "restricted": True}},
        "credit_limit": 70_000_000, "session_rate": 1000.0, "session_burst": 4}


def _stream(seed, symbols, n):
    """Orders (and between them fills / cancels of accepted ones), as the gateway would send them."""
    rng = random.Random(seed)
    refs = {s.index: s.reference_ticks for s in symbols}
    for k in range(n):
        sym = rng.choice(list(refs) * 3 + [7])                 # 7: a row loaded invalid
        ref = refs.get(sym, 10_000)
        side = rng.choice([Side.BUY, Side.SELL, Side.SELL_SHORT])
        qty = rng.choice([0] + [rng.randint(1, 100)] * 4 + [rng.randint(100, 600)])
        price = max(ref + rng.choice([rng.randint(-25, 25), rng.randint(-70, 70)]), 0)
        cl = f"C{rng.randint(0, n)}" if rng.random() < 0.9 else f"C{k - 1}"
        yield "order", Order(k + 1, cl, rng.randrange(2), sym, side, OrdType.LIMIT, TimeInForce.DAY, qty, price), \
            rng.choice([0, 0, 100_000, 2_000_000])     # ns to the next order: the throttle bites
        yield "release", rng.random(), rng.random()


def _run(backend, symbols, seed, n, clock):
    for addr, word in limit_writes(load_config(overrides={"risk": RISK}).risk, symbols, backend.depth):
        backend.write_register(addr, word)
    out, open_orders = [], []
    for kind, a, b in _stream(seed, symbols, n):
        if kind == "order":
            mask = backend.check(a)
            out.append(mask)
            if mask == 0:
                open_orders.append([a, a.qty])
            clock[0] += b
        elif open_orders and a < 0.6:
            k = int(b * len(open_orders)) % len(open_orders)
            order, left = open_orders[k]
            cancel = a < 0.2
            qty = left if cancel or b < 0.5 else max(1, left // 2)
            backend.release(order, qty, filled=not cancel)
            open_orders[k][1] -= qty
            if open_orders[k][1] == 0:
                open_orders.pop(k)
        if len(out) == 200 and kind == "order":
            backend.set_controls(kill=False, reduce_only=True)    # and the controls go through the bus too
        if len(out) == 270 and kind == "order":
            backend.set_controls(kill=True, reduce_only=False)
    return out


def test_model_native_amaranth_and_verilator_backends_decide_a_seeded_stream_identically():
    symbols = table_from_config(load_config().symbols)
    # 16 x 4 x 8: the parameters tests/hw/test_vsim.py builds, so the Verilated library is built once
    clocks = {"model": [1_000], "native": [1_000], "amaranth": [1_000], "verilator": [1_000]}
    model = ModelRiskBackend(16, 4, clock=lambda: clocks["model"][0])
    sim = AmaranthRiskBackend(16, 4, clock=lambda: clocks["amaranth"][0])
    hw = VerilatorRiskBackend(16, 4, clock=lambda: clocks["verilator"][0])
    native = NativeRiskBackend(16, 4, clock=lambda: clocks["native"][0])
    want = _run(model, symbols, 11, 300, clocks["model"])
    got = _run(sim, symbols, 11, 300, clocks["amaranth"])
    got_hw = _run(hw, symbols, 11, 300, clocks["verilator"])
    got_c = _run(native, symbols, 11, 300, clocks["native"])
    assert got == want and got_hw == want and got_c == want
    assert [primary(m) for m in got_hw] == [primary(m) for m in want] == [primary(m) for m in got_c]
    seen = {r for m in want for r in reasons_in(m)}
    # the stream is worth comparing: accepts, and every kind of reject the limits above can give
    assert want.count(0) > 30
    assert seen >= {RejectReason.ZERO_QTY, RejectReason.UNKNOWN_SYMBOL, RejectReason.MAX_QTY,
                    RejectReason.PRICE_COLLAR, RejectReason.RESTRICTED_SYMBOL, RejectReason.RATE_LIMIT,
                    RejectReason.DUPLICATE_CLORDID, RejectReason.REDUCE_ONLY, RejectReason.KILL_SWITCH,
                    RejectReason.MAX_NOTIONAL, RejectReason.POSITION_LIMIT, RejectReason.CREDIT_LIMIT}, seen


def test_limits_that_cannot_load_name_the_key():
    symbols = table_from_config(load_config().symbols)
    with pytest.raises(ConfigError, match=r"risk.symbols.TSLA: limits for a symbol that is not configured"):
        limit_writes(load_config(overrides={"risk": {"symbols": {"TSLA": {}}}}).risk, symbols, 8)
    with pytest.raises(ConfigError, match=r"3 symbols do not fit the risk table of 2 rows"):
        limit_writes(load_config().risk, symbols, 2)
    with pytest.raises(ConfigError, match=r"risk.default.max_qty: must be an integer 0..4294967295"):
        load_config(overrides={"risk": {"default": {"max_qty": 1 << 32}}})
    with pytest.raises(ConfigError, match=r"risk.session_rate: .* below the slowest rate"):
        load_config(overrides={"risk": {"session_rate": 0.1}})
    for backend in ("amaranth", "verilator"):          # (refused before anything is built)
        cfg = load_config(overrides={"risk": {"backend": backend}}).risk
        with pytest.raises(ConfigError, match=rf"risk.backend: '{backend}' serves at most 16 client sessions"):
            make_backend(cfg, symbols, sessions=17)


def test_the_model_backend_reads_limits_from_its_registers():
    symbols = table_from_config(load_config().symbols)
    backend = make_backend(load_config(overrides={"risk": RISK}).risk, symbols)
    msft = symbols.by_name("MSFT")
    row = backend.model.table[msft.index]
    assert (row.max_qty, row.price_lo, row.price_hi) == (300, msft.reference_ticks - 30, msft.reference_ticks + 30)
    assert row.max_notional == 300 * 41_000 and not row.restricted
    assert backend.model.table[symbols.by_name("AAPL").index].long_limit == 1500   # risk.default's
    assert backend.model.table[symbols.by_name("SPY").index].restricted
    assert backend.model.credit_limit == 70_000_000 and backend.model.rate_interval == 1_000_000
    assert backend.model.rate_tolerance == 3_000_000
    assert not backend.model.table[5].valid


def test_the_verilator_backend_holds_what_the_config_wrote_through_its_bus():
    symbols = table_from_config(load_config().symbols)
    backend = make_backend(load_config(overrides={"risk": {**RISK, "backend": "verilator"}}).risk, symbols,
                           sessions=4)
    g = {r.name: r.offset for r in regmap.GLOBALS}
    hw = backend.hw
    assert backend.name == "verilator" and (backend.depth, backend.sessions) == (16, 4)
    assert hw.read(g["CREDIT_LIMIT_LO"]) == 70_000_000 and hw.read(g["RATE_INTERVAL"]) == 1_000_000
    assert hw.read(g["RATE_TOLERANCE"]) == 3_000_000 and hw.read(g["CTRL"]) == 0
    backend.set_controls(kill=True, reduce_only=False)
    assert hw.read(g["CTRL"]) == 1
    assert backend.row(symbols.by_name("MSFT").index).max_qty == 300


def test_orders_through_the_gateway_with_the_verilated_pipeline_deciding():
    import uvloop

    from wirespeed.gateway.client import FixClient
    from wirespeed.gateway.fix import tags as T

    from .conftest import Stack

    async def run():
        stack = Stack()
        stack.config = load_config(overrides={"risk": {"backend": "verilator",
                                                       "default": {"max_qty": 1000, "collar_ticks": 100}}})
        async with stack:
            assert stack.gateway.risk.name == "verilator"
            c = FixClient("CLIENT1", stack.config.gateway.comp_id, "127.0.0.1", stack.gateway.port)
            await c.start()
            c.new_order("H1", "AAPL", "1", 100, "190.03")
            c.new_order("H2", "AAPL", "1", 5000, "100.00")
            assert [m[T.ExecType] for m in await c.wait_report("H1", 2)] == ["0", "F"]
            rej = (await c.wait_report("H2"))[0]
            assert rej[T.Text] == "risk: max_qty, price_collar"
            stack.gateway.orders.kill()
            c.new_order("H3", "AAPL", "1", 10, "190.00")
            assert (await c.wait_report("H3"))[0][T.Text] == "risk: kill_switch"
            await c.stop()
    uvloop.run(asyncio.wait_for(run(), 60))


@pytest.mark.parametrize("name", ["model", "native", "amaranth", "verilator"])
def test_restoring_takes_reservations_without_the_time_dependent_checks_then_writes_them_back(name):
    """``restoring()`` (the replay of the audit trail): no rate throttle, collar or stale
    reference inside, the other checks still run; after it the rows and the rate registers are
    as written before, a per-session rate written after the global one included, the throttle
    fresh."""
    symbols = table_from_config(load_config().symbols)
    cfg = load_config(overrides={"risk": {"backend": name, "default": {"max_qty": 500, "collar_ticks": 10},
                                          "session_rate": 50, "session_burst": 2}}).risk
    now = [5_000]
    backend = make_backend(cfg, symbols, sessions=2, clock=lambda: now[0])
    interval = 10_000_000                                   # session 1: 100/s, burst 1 (over the global 50/s)
    backend.write_register(regmap.session_addr(1, 4), interval)
    backend.write_register(regmap.session_addr(1, 5), 0)
    rows = {s.index: backend.row(s.index) for s in symbols}
    sym = symbols.by_name("MSFT")
    order = lambda k, d, session=0, qty=10: Order(k, f"C{k}", session, sym.index, Side.BUY,  # noqa: E731
                                                  OrdType.LIMIT, TimeInForce.DAY, qty, sym.reference_ticks + d)
    with backend.restoring():
        assert [backend.check(order(k, 50, k % 2)) for k in range(6)] == [0] * 6
        assert backend.check(order(9, 0, qty=900)) == RejectReason.MAX_QTY.bit
        assert backend.protection_price(sym.index, Side.BUY) == rows[sym.index].price_hi
    assert {i: backend.row(i) for i in rows} == rows
    rate, collar = RejectReason.RATE_LIMIT.bit, RejectReason.PRICE_COLLAR.bit
    assert [backend.check(order(10 + k, 0)) for k in range(3)] == [0, 0, rate]      # session 0: burst 2, fresh
    assert [backend.check(order(20 + k, 0, 1)) for k in range(2)] == [0, rate]      # session 1: burst 1
    now[0] += interval
    assert backend.check(order(30, 50, 1)) == collar
