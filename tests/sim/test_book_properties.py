"""Invariants of the matching engine over random order streams (hypothesis)."""
from hypothesis import given, settings, strategies as st

from wirespeed.clock import SimClock
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.sim.book import STP, BookOrder
from wirespeed.sim.engine import MatchingEngine
from wirespeed.sim.mirror import MirrorBooks

new_order = st.tuples(
    st.just("new"), st.sampled_from([Side.BUY, Side.SELL]), st.integers(97, 103), st.integers(1, 30),
    st.sampled_from([OrdType.LIMIT] * 6 + [OrdType.MARKET]),
    st.sampled_from([TimeInForce.DAY] * 4 + [TimeInForce.IOC, TimeInForce.FOK]),
    st.sampled_from([False] * 7 + [True]), st.sampled_from([0, 0, 0, 4]), st.sampled_from([None, "A", "B", "C"]),
    st.sampled_from(list(STP)))
cancel = st.tuples(st.just("cancel"), st.integers(0, 40))
replace = st.tuples(st.just("replace"), st.integers(0, 40), st.integers(97, 103), st.integers(0, 30))
streams = st.lists(st.one_of(new_order, new_order, new_order, cancel, replace), min_size=15, max_size=80)


def book_snapshot(book):
    return {(s, p): [(o.ref, o.shown) for o in book.orders_at(s, p)]
            for s in (Side.BUY, Side.SELL) for p, _ in book.depth(s, 1000)}


def queues(book, side):
    return {p: [o.id for o in book.orders_at(side, p)] for p, _ in book.depth(side, 1000)}


def check_fills(res, order, before, book, snapshot_queues):
    buy = order.side == Side.BUY
    prices = [t.price for t in res.fills]
    assert prices == sorted(prices, reverse=not buy), "price priority: best prices first"
    for t in res.fills:
        assert t.qty > 0 and t.aggressor is order and t.passive.side != order.side
        assert t.price == t.passive.price, "fills at the resting order's price"
        if order.ord_type == OrdType.LIMIT:
            assert (t.price <= order.price) if buy else (t.price >= order.price), "no fill worse than the limit"
        assert order.participant is None or t.passive.participant != order.participant, "STP"
    # Time priority: at each price, the resting orders are first touched in queue order.
    by_price = {}
    for t in res.fills:
        seen = by_price.setdefault(t.price, [])
        if t.passive.id not in seen:
            seen.append(t.passive.id)
    for price, ids in by_price.items():
        queue = snapshot_queues.get(price, [])
        pos = [queue.index(i) for i in ids if i in queue]
        assert pos == sorted(pos), f"time priority at {price}: {ids} vs queue {queue}"
    after_best = book.best_ask() if buy else book.best_bid()
    if res.fills and after_best is not None:
        assert (after_best >= prices[-1]) if buy else (after_best <= prices[-1])


@settings(max_examples=150, deadline=None)
@given(streams)
def test_random_streams_keep_the_invariants(ops):
    eng = MatchingEngine("P", ["X"], clock=SimClock(0))
    mirror = MirrorBooks()
    eng.subscribe(mirror)
    book = eng.book("X")
    expected: dict[int, int] = {}        # id -> open qty the test accounts for
    next_id = 1
    for op in ops:
        if op[0] == "new":
            _, side, price, qty, ord_type, tif, post_only, display, who, stp = op
            order = BookOrder(next_id, side, price, qty, ord_type, tif, display=display, participant=who,
                              stp=stp, post_only=post_only)
            next_id += 1
            snap = queues(book, Side.SELL if side == Side.BUY else Side.BUY)
            res = book.submit(order)
            check_fills(res, order, None, book, snap)
            incoming = qty - sum(t.qty for t in res.fills)
            if stp == STP.DECREMENT:
                incoming -= sum(q for _, q in res.cancelled)
            if res.rested:
                assert book.order(order.id).qty == incoming
                expected[order.id] = incoming
            else:
                assert order.id not in book
        elif op[0] == "cancel":
            removed = book.cancel(op[1])
            assert (removed is None) == (op[1] not in expected)
            if removed is not None:
                assert removed.qty == expected.pop(op[1])
            continue
        else:
            _, oid, price, qty = op
            target = book.order(oid)
            side = target.side if target else Side.BUY
            snap = queues(book, Side.SELL if side == Side.BUY else Side.BUY)
            res = book.replace(oid, price, qty)
            if target is None:
                assert res is None and oid not in expected
                continue
            check_fills(res, target, None, book, snap)
            expected.pop(oid)
            if res.rested:
                left = qty - sum(t.qty for t in res.fills)
                if target.stp == STP.DECREMENT:
                    left -= sum(q for _, q in res.cancelled)
                assert book.order(oid).qty == left
                expected[oid] = left
            res_fills, order = res.fills, target
        # quantity conserved: passive fills and STP cuts account for every resting change
        for t in res.fills:
            if t.passive.id in expected:
                expected[t.passive.id] -= t.qty
        for o, q in res.cancelled:
            if o.id in expected:
                expected[o.id] -= q
        for oid in [i for i, q in expected.items() if q == 0]:
            del expected[oid]
        assert {o.id: o.qty for o in book.orders()} == expected
        # never crossed; levels' totals are their displayed quantity
        bb, ba = book.best_bid(), book.best_ask()
        assert bb is None or ba is None or bb < ba
        for o in book.orders():
            assert 0 < o.shown <= o.qty and (o.display == 0 and o.shown == o.qty or o.shown <= o.display)
        for s in (Side.BUY, Side.SELL):
            for p, total in book.depth(s, 1000):
                assert total == sum(o.shown for o in book.orders_at(s, p)) > 0
        # the events alone rebuild the same book
        assert (mirror.books["X"].snapshot() if "X" in mirror.books else {}) == book_snapshot(book)
