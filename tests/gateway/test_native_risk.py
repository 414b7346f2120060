"""The ``native`` risk backend (gateway/native/risk.c) against the golden model it ports.

The Python model is the reference: seeded streams of orders with fills, cancels and control
writes interleaved go through both, word for word the same register writes, and every mask
(so every primary reason) and the whole risk state after the stream must agree."""
import random

import pytest

from wirespeed.config import ConfigError, load_config
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.risk import ModelRiskBackend, NativeRiskBackend, limit_writes, make_backend
from wirespeed.hw.risk.checks import NOTIONAL_LIMIT_MAX
from wirespeed.hw.risk.model import Fill, LimitEntry
from wirespeed.order import Order
from wirespeed.reasons import RejectReason, reasons_in
from wirespeed.symbols import table_from_config

from .test_risk_backends import RISK, _run

SYMBOLS = table_from_config(load_config().symbols)


def _state(m):
    return (list(m.pos), list(m.open_buy), list(m.open_sell), list(m.tat), m.open_notional, m.filled_notional,
            list(m.session_open), list(m.session_filled), list(m.recent), m.kill, m.reduce_only)


@pytest.mark.parametrize("seed", [3, 11, 29, 101])
def test_native_decides_seeded_streams_as_the_model(seed):
    clocks = {"model": [1_000], "native": [1_000]}
    model = ModelRiskBackend(16, 4, clock=lambda: clocks["model"][0])
    native = NativeRiskBackend(16, 4, clock=lambda: clocks["native"][0])
    want = _run(model, SYMBOLS, seed, 2_000, clocks["model"])
    got = _run(native, SYMBOLS, seed, 2_000, clocks["native"])
    assert got == want
    assert _state(native.model) == _state(model.model)
    seen = {r for m in want for r in reasons_in(m)}
    assert want.count(0) > 30 and len(seen) >= 10, seen    # the stream exercises the checks (killed after 270)


def _fresh(cls, **risk):
    b = cls(16, 4, clock=lambda: 0)
    for addr, word in limit_writes(load_config(overrides={"risk": {**RISK, **risk}}).risk, SYMBOLS, b.depth):
        b.write_register(addr, word)
    return b


def test_native_agrees_at_the_edges_of_its_fields():
    """Values at 32 and 64 bits, where C arithmetic would wrap and Python's does not."""
    rng = random.Random(5)
    for trial in range(80):
        model, native = _fresh(ModelRiskBackend, credit_limit=rng.choice([0, 1, (1 << 64) - 1, 1 << 40])), None
        native = _fresh(NativeRiskBackend, credit_limit=model.model.credit_limit)
        big = LimitEntry(rng.choice([0, (1 << 32) - 1]), 0, rng.choice([(1 << 32) - 1, 5]),
                         long_limit=rng.choice([0, (1 << 32) - 1]), short_limit=rng.choice([0, (1 << 32) - 1]),
                         max_notional=rng.choice([(1 << 64) - 1, 1, NOTIONAL_LIMIT_MAX]))
        model.set_limits(2, big)
        native.set_limits(2, big)
        for k in range(8):
            o = Order(k + 1, f"E{trial}.{k}", rng.randrange(6), rng.choice([2, 2, 9, 15]),
                      rng.choice(list(Side)), rng.choice(list(OrdType)), rng.choice(list(TimeInForce)),
                      rng.choice([0, 1, (1 << 32) - 1]), rng.choice([0, 1, (1 << 32) - 1]))
            assert native.check(o) == model.check(o), (trial, k, o)
            if rng.random() < 0.5:
                qty = rng.choice([1, o.qty])
                filled = rng.random() < 0.5
                model.release(o, qty, filled)
                native.release(o, qty, filled)
        assert _state(native.model) == _state(model.model)


def test_native_model_keeps_the_models_interface():
    native = _fresh(NativeRiskBackend)
    msft = SYMBOLS.by_name("MSFT")
    o = Order(1, "X1", 0, msft.index, Side.BUY, OrdType.LIMIT, TimeInForce.DAY, 10, msft.reference_ticks)
    assert native.check(o) == 0 and native.model.open_buy[msft.index] == 10
    native.model.fill(Fill(msft.index, int(Side.BUY), 4, 4 * o.price))          # the model's own call
    native.model.fill(Fill(-1, int(Side.BUY), 4, 4 * o.price))                  # outside the table: ignored
    assert native.model.pos[msft.index] == 4 and native.model.open_buy[msft.index] == 6
    assert native.check(o) == RejectReason.DUPLICATE_CLORDID.bit
    assert native.model.credit_limit == 70_000_000 and native.model.rate_interval == 1_000_000
    assert native.row(msft.index).max_qty == 300 and native.name == "native"


def test_native_refuses_values_outside_the_hardware_fields():
    native = _fresh(NativeRiskBackend)
    with pytest.raises(ValueError, match=r"qty .* outside 0..2\*\*64-1"):
        native.check(Order(1, "Q", 0, 0, Side.BUY, OrdType.LIMIT, TimeInForce.DAY, 1 << 64, 1))
    with pytest.raises(ValueError, match=r"price -1 is outside"):
        native.check(Order(1, "Q", 0, 0, Side.BUY, OrdType.LIMIT, TimeInForce.DAY, 1, -1))
    with pytest.raises(TypeError, match=r"depth must be a positive power of two, not 12"):
        NativeRiskBackend(12, 4)
    with pytest.raises(IndexError, match=r"symbol index 16 outside the limit table \(depth 16\)"):
        native.model.write(16, LimitEntry(1, 0, 1))


def test_the_config_selects_the_native_backend():
    backend = make_backend(load_config(overrides={"risk": {**RISK, "backend": "native"}}).risk, SYMBOLS)
    assert backend.name == "native" and backend.model.depth == 256
    with pytest.raises(ConfigError, match=r"risk.backend"):
        load_config(overrides={"risk": {"backend": "nativ"}})


def test_native_takes_per_session_registers_as_the_model():
    """Each session's own credit limit and GCRA (S_CREDIT_LIMIT_LO/HI, S_RATE_INTERVAL/TOLERANCE,
    written word by word after the globals) decide as in the model: sessions with a tight rate
    are throttled, others not, and the read-back lists agree."""
    from wirespeed.hw.regs import map as regmap
    model, native = _fresh(ModelRiskBackend, session_rate=1000.0, session_burst=2), None
    native = _fresh(NativeRiskBackend, session_rate=1000.0, session_burst=2)
    rng = random.Random(17)
    for s in range(4):
        base = regmap.SESSION_BASE + s * regmap.SESSION_STRIDE
        credit = rng.choice([0, 5_000, 1 << 40])
        words = [(base, credit & 0xFFFFFFFF), (base + regmap.WORD, credit >> 32),
                 (base + 4 * regmap.WORD, rng.choice([0, 10, 1_000_000])),
                 (base + 5 * regmap.WORD, rng.choice([0, 5, 3_000_000]))]
        for addr, word in words:
            model.write_register(addr, word)
            native.write_register(addr, word)
    for name in ("session_credit_limit", "session_rate_interval", "session_rate_tolerance"):
        assert list(getattr(native.model, name)) == list(getattr(model.model, name)), name
    msft = SYMBOLS.by_name("MSFT")
    now = 1_000
    masks = {"model": [], "native": []}
    for k in range(400):
        now += rng.choice([0, 1, 7, 400_000])
        o = Order(k + 1, f"S{k}", rng.randrange(4), msft.index, rng.choice([Side.BUY, Side.SELL]),
                  OrdType.LIMIT, TimeInForce.DAY, rng.choice([1, 10, 100]), msft.reference_ticks)
        for name, b in (("model", model), ("native", native)):
            b.clock = lambda now=now: now
            masks[name].append(b.check(o))
    assert masks["native"] == masks["model"]
    assert _state(native.model) == _state(model.model)
    seen = {r for m in masks["model"] for r in reasons_in(m)}
    assert RejectReason.RATE_LIMIT in seen and masks["model"].count(0) > 20, seen
