"""Directed boundary cases for every check: limit-1, limit, limit+1, zero, maximum widths.

Each probe's mask is asserted twice: equal to the hand-written expectation (which
pins down the model's semantics) and equal to what the pipeline emits.
"""
import dataclasses

import pytest
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.hw.risk.checks import COUNT_WIDTH, NOTIONAL_LIMIT_MAX, headroom
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


def test_counters_cross_their_width():
    """opened / released are cumulative modulo 2**COUNT_WIDTH (checks.COUNT_WIDTH): 16 rounds of
    a full-size buy and sell, each filled, take the symbol's four counters to just below 2**36,
    then the next buy and sell take opened past it while released is not (the difference wraps):
    the limits stay exact at the boundary (the whole long / short limit passes, one more share
    does not) and the read-back equals the model (positions and open quantities of 48 bits)."""
    big = (1 << 32) - 1
    row = LimitEntry(max_qty=big, price_lo=1, price_hi=big, long_limit=big, short_limit=big)
    buy, sell = int(Side.BUY), int(Side.SELL)
    rounds = (1 << COUNT_WIDTH) // big      # 16: every counter just below 2**36, then opened past it
    events = []
    for _ in range(rounds):
        events += [O(symbol=7, qty=big, price=1), ("fill", Fill(7, buy, big, big)),
                   O(symbol=7, side=sell, qty=big, price=1), ("fill", Fill(7, sell, big, big))]
    events += [O(symbol=7, qty=big, price=1), O(symbol=7, qty=1, price=1),
               ("fill", Fill(7, buy, 10, 10, cancel=True)), O(symbol=7, qty=10, price=1), O(symbol=7, qty=1, price=1),
               O(symbol=7, side=sell, qty=big, price=1), O(symbol=7, side=sell, qty=1, price=1)]
    cfg = PipelineConfig(depth=16, sessions=4, window=4, table={7: row})
    box = {}

    async def bench(ctx, dut):
        acc = AmaranthAccess(ctx, dut)
        box["r"] = await pipeline_bench.directed(acc, cfg, events)
        model = cfg.model()
        for e in events:
            model.fill(e[1]) if e[0] == "fill" else model.result(e[1], e[2])
        assert model.open_buy[7] == model.open_sell[7] == big and model.pos[7] == 0
        await pipeline_bench._check_state(acc, cfg, model)

    run_on_pipeline(16, 4, 4, bench)
    outputs, expected = box["r"]
    masks = [RISK_OUT.unpack(o)["mask"] for o in outputs]
    assert outputs == expected, masks[-6:]
    assert masks[:2 * rounds] == [0] * (2 * rounds)
    assert masks[2 * rounds:] == [0, bits(R.POSITION_LIMIT), 0, bits(R.POSITION_LIMIT), 0, bits(R.POSITION_LIMIT)]


def test_headroom_is_the_counters_twos_complement():
    """The model's (and every backend's) headroom: exact while it fits 36-bit two's complement,
    modulo 2**36 beyond (what the hardware's wrapped counters give)."""
    assert [headroom(v) for v in (0, -1, (1 << 35) - 1, -(1 << 35))] == [0, -1, (1 << 35) - 1, -(1 << 35)]
    assert headroom(1 << 35) == -(1 << 35) and headroom(-(1 << 35) - 1) == (1 << 35) - 1
    assert COUNT_WIDTH == 36


def test_max_notional_at_the_widest_value_the_table_stores():
    """max_notional = 2**42 - 2 (NOTIONAL_LIMIT_MAX, the widest short of open): a notional of
    exactly that passes, one more fails; an open row (2**64 - 1) passes the largest notional."""
    assert NOTIONAL_LIMIT_MAX == 26_734 * 164_511_353 == (1 << 42) - 2
    assert 16_257 * 270_532_479 == (1 << 42) - 1
    wide = LimitEntry(max_qty=(1 << 32) - 1, price_lo=1, price_hi=(1 << 32) - 1, max_notional=NOTIONAL_LIMIT_MAX)
    cfg = PipelineConfig(depth=16, sessions=4, window=4, table={8: wide, 9: dataclasses.replace(wide, max_notional=(1 << 64) - 1)})
    events = [O(symbol=8, qty=26_734, price=164_511_353), O(symbol=8, qty=16_257, price=270_532_479),
              O(symbol=9, qty=(1 << 32) - 1, price=(1 << 32) - 1)]
    box = {}

    async def bench(ctx, dut):
        box["r"] = await pipeline_bench.directed(AmaranthAccess(ctx, dut), cfg, events)

    run_on_pipeline(16, 4, 4, bench)
    outputs, expected = box["r"]
    masks = [RISK_OUT.unpack(o)["mask"] for o in outputs]
    assert outputs == expected and masks[:2] == [0, bits(R.MAX_NOTIONAL)]
    assert not masks[2] & bits(R.MAX_NOTIONAL)
