"""The runner (algorithm + router + tape) on the in-process backtest context, with a hand-built
market: resting liquidity on three venues and a taker every second."""
import itertools

import pytest

from wirespeed.enums import Side, TimeInForce
from wirespeed.control.algorithms import create
from wirespeed.control.algorithms.twap import TwapConfig
from wirespeed.control.marketdata import MarketState
from wirespeed.control.model import ParentOrder
from wirespeed.control.routing import Router, VenueInfo
from wirespeed.control.runner import ParentRunner
from wirespeed.control.tca.metrics import analyse
from wirespeed.control.tca.tape import ChildRecord, DoneRecord, ExecRecord
from wirespeed.sim.backtest.context import BacktestContext

S = 1_000_000_000
VENUES = [VenueInfo("A", 0.3, 0.2), VenueInfo("B", 0.2, 0.1), VenueInfo("C", 0.1, 0.0)]


def market(ctx, until_s):
    """Makers re-quote 10 levels of 300 each side of 10000 on every venue every 10 s; a taker
    alternately buys and sells 200 on a rotating venue every second."""
    def quote(t):
        for v in ctx.venues:
            for k in range(1, 11):
                for side, px in ((Side.BUY, 10_000 - k), (Side.SELL, 10_000 + k)):
                    ctx.external(v, side, px, 300)
        if t + 10 < until_s:
            ctx.at((t + 10) * S, quote, t + 10)

    def take(t):
        v = "ABC"[t % 3]
        ctx.external(v, Side.BUY if t % 2 else Side.SELL, 0, 200, TimeInForce.IOC)
        if t + 1 < until_s:
            ctx.at((t + 1) * S, take, t + 1)
    ctx.at(0, quote, 0)
    ctx.at(S // 2, take, 0)


def setup(qty=6_000, minutes=10, algo="twap", cfg=None, venues=VENUES):
    ctx = BacktestContext("XYZ", venues, latency_ns={"A": 100_000, "B": 300_000, "C": 500_000})
    market(ctx, minutes * 60 + 30)
    parent = ParentOrder("P", "XYZ", Side.BUY, qty, 5 * S, (5 + minutes * 60) * S)
    a = create(algo, parent, cfg or TwapConfig(decision_s=20, finish_s=30, seed=1), MarketState("XYZ"))
    runner = ParentRunner(a, Router(venues), ctx)
    ctx.runner = runner
    ctx.at(4 * S, runner.submit, 4 * S)
    return ctx, runner


def test_twap_through_router_fills_on_several_venues_and_tape_balances():
    ctx, runner = setup()
    ctx.run(700 * S)
    assert runner.algo.filled == 6_000 and runner.finished
    tape = runner.tape
    execs = [e for e in tape.of(ExecRecord)]
    assert sum(e.qty for e in execs) == 6_000
    assert len({e.venue for e in execs}) >= 2
    assert all(c.reason for c in tape.of(ChildRecord))
    r = analyse(tape, "P")
    assert r.fill_rate == 1.0 and r.latency_p50_us > 0
    assert sum(v.filled for v in r.venues) == 6_000
    assert abs(r.slippage_bps) < 10


def test_venue_loss_never_loses_the_parents_quantity():
    ctx, runner = setup(qty=9_000)
    lost = []

    def lose_a_venue_with_our_order():
        live = [l.order.venue for l in runner.legs.values() if l.live]
        if not live:
            ctx.at(ctx.now_ns() + S // 10, lose_a_venue_with_our_order)
            return
        lost.append(live[0])
        ctx.venue_down(live[0])
    ctx.at(200 * S, lose_a_venue_with_our_order)
    ctx.run(700 * S)
    tape = runner.tape
    down = [d for d in tape.of(DoneRecord) if d.reason == "venue down"]
    assert down and down[0].venue == lost[0] and down[0].unfilled > 0
    assert all(c.venue != lost[0] for c in tape.of(ChildRecord) if c.ts_ns > down[0].ts_ns)
    assert runner.algo.filled == 9_000


def test_rejects_are_rerouted_or_returned():
    # C (the cheapest to take from) rejects every order of more than one share
    ctx, runner = setup(qty=3_000)
    ctx.venues["C"].max_qty = 1
    ctx.run(700 * S)
    rejects = [d for d in runner.tape.of(DoneRecord) if d.rejected]
    assert rejects and all(d.venue == "C" and d.reason == "order quantity above 1" for d in rejects)
    rerouted = [c for c in runner.tape.of(ChildRecord) if c.reason.startswith("re-route after")]
    assert rerouted
    for c in rerouted:
        tried = c.reason.split(":")[0].removeprefix("re-route after ").split(", ")
        assert c.venue not in tried
    assert runner.algo.filled == 3_000


def test_algorithm_restricted_to_venues_and_unknown_venue_refused():
    from wirespeed.control.model import ExecutionRefused
    ctx, runner = setup(qty=3_000, cfg=TwapConfig(decision_s=20, finish_s=30, seed=1, venues=("A", "C")))
    ctx.run(700 * S)
    assert runner.algo.filled == 3_000
    assert {c.venue for c in runner.tape.of(ChildRecord)} <= {"A", "C"}
    with pytest.raises(ExecutionRefused, match="Cannot execute order: unknown venue 'Z'"):
        setup(cfg=TwapConfig(venues=("A", "Z")))


def test_tape_records_are_whole_immutable_and_match_their_legs():
    """The runner builds its legs and tape records as bare tuples of their named-tuple types (no
    generated __new__, so no arity check): each has its type's every field, is immutable, and a
    child record says what its leg was sent as."""
    from wirespeed.control.tca.tape import KINDS, ScheduleRecord
    ctx, runner = setup(qty=2_000, minutes=3)
    ctx.run(300 * S)
    kinds = {type(r) for r in runner.tape.records}
    assert {ChildRecord, ScheduleRecord, ExecRecord} <= kinds
    for r in runner.tape.records:
        assert type(r) in KINDS.values() and len(r) == len(type(r)._fields)
        with pytest.raises(AttributeError):
            r.ts_ns = 0
    children = runner.tape.of(ChildRecord)
    assert children
    for c in children:
        o = runner.legs[c.order_id].order              # (its price and size as last replaced)
        assert len(o) == len(o._fields)
        assert (c.venue, c.side, c.tif, c.child_id, c.parent_id, c.algo) == (
            o.venue, int(o.side), int(o.tif), o.child_id, o.parent_id, o.algo)
        assert repr(c).startswith(f"ChildRecord(ts_ns={c.ts_ns}, order_id={c.order_id!r}, ")
