"""Per-session rate limits through the gateway's three risk backends (model, Amaranth,
Verilator): the same register writes (the config's limits, then one session's own rate and
credit words) and the same back-to-back orders of three sessions give the same masks."""
import random

import pytest

from wirespeed.config import load_config
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.risk import ModelRiskBackend, limit_writes
from wirespeed.gateway.risk_amaranth import AmaranthRiskBackend
from wirespeed.gateway.risk_verilator import VerilatorRiskBackend
from wirespeed.hw.regs import map as regmap
from wirespeed.order import Order
from wirespeed.reasons import RejectReason
from wirespeed.symbols import table_from_config

pytestmark = pytest.mark.hw

RISK = {"default": {"max_qty": 500, "collar_ticks": 50}, "session_rate": 1000.0, "session_burst": 2}
#: session 1: 4 orders per 10 us after a burst of 3; session 2: off; session 0: the config's rate
SESSION_WRITES = [(regmap.session_addr(1, 4), 2_500), (regmap.session_addr(1, 5), 5_000),
                  (regmap.session_addr(2, 4), 0), (regmap.session_addr(2, 5), 0),
                  (regmap.session_addr(0, 0), 3_000_000), (regmap.session_addr(0, 1), 0)]


def _run(backend, symbols, clock, n=120):
    for addr, word in limit_writes(load_config(overrides={"risk": RISK}).risk, symbols, backend.depth) + SESSION_WRITES:
        backend.write_register(addr, word)
    rng = random.Random(5)
    sym = symbols.by_name("AAPL")
    out = []
    for k in range(n):
        session = rng.choice([0, 1, 1, 2])
        order = Order(k + 1, f"R{k}", session, sym.index, Side.BUY, OrdType.LIMIT, TimeInForce.DAY,
                      rng.randint(1, 400), sym.reference_ticks)
        out.append((session, backend.check(order)))
        clock[0] += rng.choice([100, 400, 1_000, 3_000])
    return out


def test_three_backends_apply_each_session_s_own_rate_identically():
    symbols = table_from_config(load_config().symbols)
    clocks = {name: [1_000] for name in ("model", "amaranth", "verilator")}
    backends = {"model": ModelRiskBackend(16, 4, clock=lambda: clocks["model"][0]),
                "amaranth": AmaranthRiskBackend(16, 4, clock=lambda: clocks["amaranth"][0]),
                "verilator": VerilatorRiskBackend(16, 4, clock=lambda: clocks["verilator"][0])}
    runs = {name: _run(b, symbols, clocks[name]) for name, b in backends.items()}
    assert runs["amaranth"] == runs["model"] and runs["verilator"] == runs["model"]
    throttled = {s for s, mask in runs["model"] if mask & RejectReason.RATE_LIMIT.bit}
    credit = {s for s, mask in runs["model"] if mask & RejectReason.CREDIT_LIMIT.bit}
    # the stream is worth comparing: session 1 and 0 are throttled at their own rates, 2 never;
    # session 0's own credit limit bites
    assert throttled == {0, 1} and credit == {0}, (throttled, credit)
    per = {s: sum(1 for t, m in runs["model"] if t == s and m == 0) for s in (0, 1, 2)}
    assert all(per.values()), per


def test_the_model_backend_refuses_a_session_word_the_register_file_refuses():
    backend = ModelRiskBackend(16, 4)
    with pytest.raises(ValueError, match="not a writable register"):
        backend.write_register(regmap.session_addr(1, 2), 5)          # S_CREDIT_USED_LO: read-only
    with pytest.raises(ValueError, match="not a writable register"):
        backend.write_register(regmap.session_addr(4, 4), 5)          # beyond the sessions
    backend.write_register(regmap.session_addr(3, 5), 77)
    assert backend.model.session_rate_tolerance == [0, 0, 0, 77]
