"""Directed boundary cases for every check: limit-1, limit, limit+1, zero, maximum widths.

Each probe's mask is asserted twice: equal to the hand-written expectation (which
pins down the model's semantics) and equal to what the pipeline emits.
"""
import pytest
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.hw.risk.model import Fill, LimitEntry
from wirespeed.hw.verify import pipeline_bench
from wirespeed.hw.verify.access import AmaranthAccess
from wirespeed.hw.verify.pipeline_bench import PipelineConfig
from wirespeed.layout import RISK_OUT
from wirespeed.reasons import RejectReason as R

from .pipeline_sim import run_on_pipeline

pytestmark = pytest.mark.hw

ROW = LimitEntry(max_qty=100, price_lo=990, price_hi=1010, max_notional=100_000, long_limit=500,
                 short_limit=300, ref_deadline=5_000)
ids = iter(range(1, 10**6))


def order(**kw):
    base = {"order_id": next(ids), "cl_ord_key": next(ids), "session": 0, "symbol": 3, "side": int(Side.BUY),
            "ord_type": int(OrdType.LIMIT), "tif": int(TimeInForce.DAY), "qty": 10, "price": 1000}
    return {**base, **kw}


def run(events, **cfg_kw):
    cfg = PipelineConfig(depth=16, sessions=4, window=4, table={3: ROW, 5: LimitEntry(10, 1, 10, restricted=True),
                                                                6: LimitEntry(10, 1, 10, valid=False)}, **cfg_kw)
    box = {}

    async def bench(ctx, dut):
        box["r"] = await pipeline_bench.directed(AmaranthAccess(ctx, dut), cfg, events)

    run_on_pipeline(16, 4, 4, bench)
    outputs, expected = box["r"]
    assert outputs == expected, [(RISK_OUT.unpack(g)["mask"], RISK_OUT.unpack(w)["mask"])
                                 for g, w in zip(outputs, expected)]
    return [RISK_OUT.unpack(o)["mask"] for o in outputs]


def bits(*reasons):
    return sum(r.bit for r in reasons)


O = lambda now=100, **kw: ("order", order(**kw), now)  # noqa: E731


@pytest.mark.parametrize("kw,want", [
    ({"qty": 99}, 0), ({"qty": 100}, 0), ({"qty": 101, "price": 990}, bits(R.MAX_QTY)),
    ({"price": 989}, bits(R.PRICE_COLLAR)), ({"price": 990}, 0), ({"price": 1010}, 0),
    ({"price": 1011}, bits(R.PRICE_COLLAR)),
    ({"qty": 100, "price": 1000}, 0), ({"qty": 100, "price": 1001}, bits(R.MAX_NOTIONAL)),
    ({"qty": 0}, bits(R.ZERO_QTY)), ({"price": 0}, bits(R.BAD_PRICE, R.PRICE_COLLAR)),
    ({"side": 0}, bits(R.BAD_FIELD)), ({"tif": 2}, bits(R.BAD_FIELD)), ({"ord_type": 3}, bits(R.BAD_FIELD)),
    ({"session": 4}, bits(R.BAD_FIELD)), ({"session": 255}, bits(R.BAD_FIELD)),
    ({"symbol": 4}, bits(R.UNKNOWN_SYMBOL)), ({"symbol": 6}, bits(R.UNKNOWN_SYMBOL)),
    ({"symbol": 16}, bits(R.UNKNOWN_SYMBOL)), ({"symbol": 0xFFFF, "qty": 0}, bits(R.ZERO_QTY, R.UNKNOWN_SYMBOL)),
    ({"symbol": 5, "price": 5}, bits(R.RESTRICTED_SYMBOL)),
    ({"qty": (1 << 32) - 1, "price": (1 << 32) - 1},
     bits(R.MAX_QTY, R.MAX_NOTIONAL, R.PRICE_COLLAR, R.POSITION_LIMIT)),
    ({"ord_type": int(OrdType.MARKET), "price": 1010}, 0),
])
def test_single_order_boundaries(kw, want):
    assert run([O(**kw)]) == [want]


def test_stale_reference_boundary():
    assert run([O(now=5_000), O(now=5_001)]) == [0, bits(R.STALE_REFERENCE)]


def test_long_position_limit_counts_open_orders():
    assert run([O(qty=100), O(qty=100), O(qty=100), O(qty=100), O(qty=100), O(qty=1)]) == [0] * 5 + [bits(R.POSITION_LIMIT)]


def test_short_position_limit_and_fills():
    sell = int(Side.SELL)
    events = [O(side=sell, qty=100), O(side=sell, qty=100), O(side=sell, qty=100), O(side=sell, qty=1),
              ("fill", Fill(3, sell, 100, 100_000, cancel=True)), O(side=sell, qty=100), O(side=sell, qty=1)]
    assert run(events) == [0, 0, 0, bits(R.POSITION_LIMIT), 0, bits(R.POSITION_LIMIT)]


def test_reduce_only_after_a_fill():
    # A long position of 50 (from a fill); reduce-only lets sells take it to 0 and no further.
    got = run([("fill", Fill(3, int(Side.BUY), 50, 0)), O(side=int(Side.SELL), qty=50),
               O(side=int(Side.SELL_SHORT), qty=1), O(qty=1)], reduce_only=True)
    assert got == [0, bits(R.REDUCE_ONLY), bits(R.REDUCE_ONLY)]


def test_credit_limit_boundary():
    # used = 10 x 1000 after the first order; limit 20,000 allows exactly one more.
    assert run([O(), O(), O(qty=1, price=1000)], credit_limit=20_000) == [0, 0, bits(R.CREDIT_LIMIT)]


def test_duplicate_clordid_window():
    first = order(cl_ord_key=77)
    others = [("order", order(), 100) for _ in range(4)]
    events = [("order", first, 100), ("order", order(cl_ord_key=77), 100)] + others + \
             [("order", order(cl_ord_key=77), 100)]
    got = run(events)
    assert got[1] == bits(R.DUPLICATE_CLORDID)     # within the window of 4
    assert got[-1] == 0                            # pushed out by 4 newer accepted orders


def test_rate_limit_gcra():
    # T=10, tau=0: one order per 10 time units; an early one is refused and does not count.
    assert run([O(now=100), O(now=105), O(now=110), O(now=119)], rate_interval=10, rate_tolerance=0) == \
        [0, bits(R.RATE_LIMIT), 0, bits(R.RATE_LIMIT)]


def test_kill_switch_rejects_everything():
    assert run([O(), O(symbol=4)], kill=True) == [bits(R.KILL_SWITCH), bits(R.KILL_SWITCH, R.UNKNOWN_SYMBOL)]
