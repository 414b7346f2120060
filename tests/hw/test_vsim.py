"""The Verilated risk pipeline behind the C++ harness (hw/vsim), against the golden model:
per-order calls (the gateway's backend) and whole batches, every control setting."""
import random

import numpy as np
import pytest

from wirespeed.hw.regs import map as regmap
from wirespeed.hw.risk.model import Fill, LimitEntry, RiskModel
from wirespeed.hw.verify import batch
from wirespeed.hw.verify.pipeline_bench import CONFIGS, make_config
from wirespeed.hw.verify.stimulus import OrderStimulus
from wirespeed.hw.vsim import build
from wirespeed.hw.vsim.risk import HarnessError, VerilatedRisk
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.layout import ORDER, RISK_OUT
from wirespeed.order import Order

pytestmark = pytest.mark.hw
DEPTH, SESSIONS, WINDOW = 16, 4, 8


@pytest.fixture(scope="module")
def vr():
    v = VerilatedRisk(DEPTH, SESSIONS, WINDOW)
    yield v
    v.close()


def test_the_library_is_cached_by_content(vr):
    from wirespeed.hw.risk.pipeline import RiskPipeline
    first = build.library(RiskPipeline(DEPTH, SESSIONS, WINDOW))
    assert build.library(RiskPipeline(DEPTH, SESSIONS, WINDOW)) == first      # no second build
    assert first.parent.parent == build.CACHE and first.exists()


@pytest.mark.parametrize("config", list(CONFIGS))
def test_batches_match_the_model(vr, config):
    """A few thousand random orders with fills and cancels interleaved, decision for decision."""
    cfg = make_config(config, seed=sum(map(ord, config)), depth=DEPTH, sessions=SESSIONS, window=WINDOW)
    b = batch.run_random(vr, cfg, 3_000, seed=7, sub=500)
    assert not batch.invariants(b)
    n, bad = batch.model_mismatches(cfg, b)
    assert n == 3_000 and not bad, "\n".join(bad)
    assert b.fill_valid.sum() > 0 or config in ("kill", "reduce-only")   # nothing accepted: nothing to fill


def test_per_order_calls_match_the_model(vr):
    """check / fill one at a time, as the gateway calls them, against RiskModel; the credit used
    read back over the bus."""
    rng = random.Random(3)
    cfg = make_config("tight-credit", seed=3, depth=DEPTH, sessions=SESSIONS, window=WINDOW)
    batch.configure(vr, cfg)
    model = cfg.model()
    stim = OrderStimulus(rng, cfg.table, DEPTH, SESSIONS)
    open_orders = []
    for k in range(600):
        fields = stim.order(k)
        now = 1_000 + 3 * k
        got = RISK_OUT.unpack(vr.check_word(ORDER.pack(fields), now))
        assert got["mask"] == model.order_fields(fields, now), f"order {k}: {fields}"
        if got["accept"]:
            open_orders.append(fields)
        if open_orders and rng.random() < 0.4:
            o = open_orders.pop(rng.randrange(len(open_orders)))
            f = Fill(o["symbol"], o["side"], o["qty"], o["qty"] * o["price"], cancel=rng.random() < 0.3)
            vr.fill(f)
            model.fill(f)
    g = {r.name: r.offset for r in regmap.GLOBALS}
    used = vr.read(g["CREDIT_USED_LO"]) | vr.read(g["CREDIT_USED_HI"]) << 32
    assert used == model.credit_used


def test_gateway_interface(vr):
    """check(order) -> mask, set_limits, release: the calls gateway/risk.py's backends make."""
    vr.reset()
    vr.set_globals()
    for index in range(DEPTH):
        vr.set_limits(index, LimitEntry(0, 0, 0, valid=False))
    vr.set_limits(2, LimitEntry(100, 1, 1_000, long_limit=150))
    model = RiskModel(DEPTH, SESSIONS, WINDOW)
    model.write(2, LimitEntry(100, 1, 1_000, long_limit=150))
    order, again, third = (_order(n, qty=100, symbol=2) for n in (1, 2, 3))
    assert vr.check(order, now=5) == model.order(order, 5) == 0
    assert vr.check(again, now=6) == model.order(again, 6) != 0          # 200 > long limit 150
    vr.release(order, 100, filled=False)
    model.fill(Fill(2, 1, 100, 1_000, cancel=True))
    assert vr.check(third, now=7) == model.order(third, 7) == 0          # the cancel released it


def _order(n: int, qty: int, symbol: int = 1) -> Order:
    return Order(n, f"C{n}", 0, symbol, Side.BUY, OrdType.LIMIT, TimeInForce.DAY, qty, 10, cl_ord_key=100 + n)


def test_bad_input_is_named(vr):
    with pytest.raises(HarnessError, match="0x0000"):
        vr.write(0x000, 1)                                # VERSION is read-only
    vr.write(regmap.global_by_name("CTRL").offset, 0)       # the error was cleared: writes go on
    with pytest.raises(IndexError, match="depth 16"):
        vr.set_limits(DEPTH, LimitEntry(1, 1, 1))
    with pytest.raises(ValueError, match="now values"):
        vr.run(np.zeros((3, 6), np.uint32), np.zeros(2, np.uint64))
    with pytest.raises(ValueError, match="order.qty"):
        vr.check(_order(9, qty=1 << 40))


def test_the_wrapper_registers_every_input_but_the_clock():
    """input_regs.wrap: the same ports in front, each input (not clk) through a register into
    the renamed core; what it cannot read is named."""
    from wirespeed.hw.vsim.input_regs import wrap
    text = ("module top(clk, rst, a, y);\n  input clk;\n  input rst;\n  input [7:0] a;\n  output [3:0] y;\n"
            "  assign y = a[3:0];\nendmodule\n")
    out = wrap(text, "top")
    assert out.startswith("module top(clk, rst, a, y);\n")
    assert "module top__core(clk, rst, a, y);" in out and out.count("module top(") == 1
    for line in ("  reg [7:0] a__q = 0;", "    a__q <= a;", "    rst__q <= rst;", "    .a(a__q)", "    .clk(clk)",
                 "    .y(y)"):
        assert line in out
    assert "clk__q" not in out and "y__q" not in out
    with pytest.raises(ValueError, match="no 'module other"):
        wrap(text, "other")
    with pytest.raises(ValueError, match="no width found for port\\(s\\) a of top"):
        wrap(text.replace("  input [7:0] a;\n", ""), "top")
    with pytest.raises(ValueError, match="top has no input 'clk'"):
        wrap(text.replace("clk", "clock"), "top")
