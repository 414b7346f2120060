import pytest

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.sim.book import BookOrder, OrderBook


def limit(i, side, price, qty, tif=TimeInForce.DAY):
    return BookOrder(i, side, price, qty, OrdType.LIMIT, tif)


def test_price_then_time_priority():
    book = OrderBook()
    book.submit(limit(1, Side.SELL, 101, 10))
    book.submit(limit(2, Side.SELL, 100, 10))
    book.submit(limit(3, Side.SELL, 100, 10))
    trades, rested = book.submit(limit(4, Side.BUY, 101, 25))
    assert [(t.passive.id, t.price, t.qty) for t in trades] == [(2, 100, 10), (3, 100, 10), (1, 101, 5)]
    assert not rested and book.best_ask() == 101


def test_non_crossing_limit_rests():
    book = OrderBook()
    book.submit(limit(1, Side.SELL, 101, 10))
    trades, rested = book.submit(limit(2, Side.BUY, 100, 5))
    assert trades == [] and rested and book.best_bid() == 100


def test_market_order_sweeps_and_never_rests():
    book = OrderBook()
    book.submit(limit(1, Side.BUY, 99, 5))
    book.submit(limit(2, Side.BUY, 98, 5))
    trades, rested = book.submit(BookOrder(3, Side.SELL, 0, 20, OrdType.MARKET, TimeInForce.DAY))
    assert [t.price for t in trades] == [99, 98] and not rested and book.best_bid() is None


def test_ioc_remainder_is_dropped():
    book = OrderBook()
    book.submit(limit(1, Side.SELL, 100, 5))
    trades, rested = book.submit(limit(2, Side.BUY, 100, 8, TimeInForce.IOC))
    assert sum(t.qty for t in trades) == 5 and not rested and book.best_bid() is None


def test_fok_all_or_nothing():
    book = OrderBook()
    book.submit(limit(1, Side.SELL, 100, 5))
    trades, rested = book.submit(limit(2, Side.BUY, 100, 8, TimeInForce.FOK))
    assert trades == [] and not rested and book.best_ask() == 100
    trades, _ = book.submit(limit(3, Side.BUY, 100, 5, TimeInForce.FOK))
    assert sum(t.qty for t in trades) == 5


def test_cancel_removes_and_cleans_level():
    book = OrderBook()
    book.submit(limit(1, Side.BUY, 100, 5))
    assert book.cancel(1).id == 1 and book.best_bid() is None
    assert book.cancel(1) is None


def test_duplicate_id_raises():
    book = OrderBook()
    book.submit(limit(1, Side.BUY, 100, 5))
    with pytest.raises(ValueError, match="duplicate order id 1"):
        book.submit(limit(1, Side.BUY, 100, 5))


# -- the engine's order types, replace, reserve, STP, fees, queue position, events ---------
from wirespeed.sim.book import STP, FeeSchedule, Reason
from wirespeed.sim.engine import MatchingEngine
from wirespeed.sim.events import AddOrder, OrderCancel, OrderDelete, OrderExecuted, OrderReplace
from wirespeed.sim.mirror import MirrorBooks
from wirespeed.clock import SimClock


def engine_with_events(**kw):
    eng = MatchingEngine("T", ["X"], clock=SimClock(0), **kw)
    events = []
    eng.subscribe(events.append)
    return eng, eng.book("X"), events


def test_result_fields_and_fees_in_fills():
    eng, book, _ = engine_with_events(fees=FeeSchedule(maker_per_share=-2000, taker_per_share=3000))
    book.submit(limit(1, Side.SELL, 100, 10))
    res = book.submit(limit(2, Side.BUY, 100, 4))
    (t,) = res.fills
    assert (t.qty, t.price, t.maker_fee, t.taker_fee) == (4, 100, -8000, 12000)
    assert t.match_id == 1 and not res.rested and res.reason == ""


def test_post_only_that_would_cross_is_refused_whole():
    _, book, events = engine_with_events()
    book.submit(limit(1, Side.SELL, 100, 10))
    o = BookOrder(2, Side.BUY, 100, 5, post_only=True)
    res = book.submit(o)
    assert res.fills == [] and not res.rested and res.reason == Reason.POST_ONLY == o.reason
    assert book.order(1).qty == 10 and len(events) == 1
    assert book.submit(BookOrder(3, Side.BUY, 99, 5, post_only=True)).rested


def test_replace_keeps_priority_only_for_same_price_smaller_qty():
    _, book, events = engine_with_events()
    for i in (1, 2, 3):
        book.submit(limit(i, Side.BUY, 100, 10))
    book.replace(1, 100, 6)                       # down, same price: keeps the front
    assert book.queue_position(1) == (0, 0) and book.queue_position(2) == (1, 6)
    assert events[-1] == OrderCancel(0, "X", book.order(1).ref, 4)
    old_ref = book.order(2).ref
    book.replace(2, 100, 20)                      # up: to the back, new reference
    assert book.queue_position(2) == (2, 16)
    assert isinstance(events[-1], OrderReplace) and events[-1].old_order_id == old_ref
    book.replace(3, 101, 10)                      # new price: its own level
    assert book.best_bid() == 101 and book.queue_position(3) == (0, 0)
    assert book.replace(99, 100, 1) is None


def test_replace_that_crosses_trades_as_a_new_order():
    _, book, events = engine_with_events()
    book.submit(limit(1, Side.SELL, 102, 5))
    book.submit(limit(2, Side.BUY, 100, 8))
    ref = book.order(2).ref
    res = book.replace(2, 102, 8)
    assert [(t.passive.id, t.qty) for t in res.fills] == [(1, 5)] and res.rested
    assert book.best_bid() == 102 and book.order(2).qty == 3
    assert OrderDelete(0, "X", ref) in events


def test_reserve_order_shows_display_and_refreshes_to_the_back():
    _, book, events = engine_with_events()
    book.submit(BookOrder(1, Side.SELL, 100, 30, display=10))
    book.submit(limit(2, Side.SELL, 100, 5))
    assert book.depth(Side.SELL) == [(100, 15)]
    res = book.submit(limit(3, Side.BUY, 100, 12, TimeInForce.IOC))
    # 10 from the shown slice of 1, then 2 (ahead of 1's refreshed slice), nothing left.
    assert [(t.passive.id, t.qty) for t in res.fills] == [(1, 10), (2, 2)]
    assert book.queue_position(1) == (1, 3) and book.order(1).shown == 10 and book.order(1).qty == 20
    kinds = [type(e).__name__ for e in events[2:]]
    assert kinds == ["OrderExecuted", "OrderDelete", "AddOrder", "OrderExecuted"]


@pytest.mark.parametrize("mode, rest_left, incoming_left, trades", [
    (STP.CANCEL_NEWEST, 10, None, []),
    (STP.CANCEL_OLDEST, None, 0, [(3, 4)]),
    (STP.CANCEL_BOTH, None, None, []),
    (STP.DECREMENT, 6, None, []),
])
def test_self_trade_prevention_modes(mode, rest_left, incoming_left, trades):
    _, book, _ = engine_with_events()
    book.submit(BookOrder(1, Side.SELL, 100, 10, participant="A"))
    book.submit(BookOrder(3, Side.SELL, 101, 10, participant="B"))
    o = BookOrder(2, Side.BUY, 101, 4, participant="A", stp=mode)
    res = book.submit(o)
    assert [(t.passive.id, t.qty) for t in res.fills] == trades
    assert (book.order(1).qty if 1 in book else None) == rest_left
    assert (book.order(2).qty if 2 in book else None) is None or incoming_left is not None
    assert all(t.aggressor.participant != t.passive.participant for t in res.fills)
    if mode is not STP.CANCEL_OLDEST:
        assert res.reason == Reason.STP
    if mode in (STP.CANCEL_OLDEST, STP.CANCEL_BOTH):
        assert res.cancelled == [(book.order(1) or res.cancelled[0][0], 10)]


def test_decrement_larger_incoming_goes_on_trading():
    _, book, _ = engine_with_events()
    book.submit(BookOrder(1, Side.SELL, 100, 3, participant="A"))
    book.submit(BookOrder(2, Side.SELL, 100, 5, participant="B"))
    res = book.submit(BookOrder(3, Side.BUY, 100, 6, participant="A", stp=STP.DECREMENT))
    assert [(c[0].id, c[1]) for c in res.cancelled] == [(1, 3)]
    assert [(t.passive.id, t.qty) for t in res.fills] == [(2, 3)] and 1 not in book


def test_fok_counts_hidden_reserve_and_stops_at_own_order():
    _, book, _ = engine_with_events()
    book.submit(BookOrder(1, Side.SELL, 100, 30, display=5))
    assert sum(t.qty for t in book.submit(limit(2, Side.BUY, 100, 25, TimeInForce.FOK)).fills) == 25
    book.submit(BookOrder(3, Side.SELL, 100, 10, participant="A"))
    res = book.submit(BookOrder(4, Side.BUY, 100, 12, tif=TimeInForce.FOK, participant="A"))
    assert res.fills == [] and res.reason == Reason.FOK


def test_events_rebuild_the_book_in_a_mirror():
    eng, book, events = engine_with_events()
    mirror = MirrorBooks()
    eng.subscribe(mirror)
    book.submit(BookOrder(1, Side.SELL, 101, 30, display=10))
    book.submit(limit(2, Side.BUY, 99, 10))
    book.submit(limit(3, Side.BUY, 101, 15))
    book.replace(2, 100, 10)
    book.cancel(3)
    snap = {(s, p): [(o.ref, o.shown) for o in book.orders_at(s, p)]
            for s in (Side.BUY, Side.SELL) for p, _ in book.depth(s, 99)}
    assert mirror.books["X"].snapshot() == snap
    assert isinstance(events[0], AddOrder) and any(isinstance(e, OrderExecuted) for e in events)


def test_engine_unknown_symbol_and_fee_type_errors():
    eng = MatchingEngine("V", ["X"])
    with pytest.raises(KeyError, match="venue V: unknown symbol 'Y'"):
        eng.submit("Y", limit(1, Side.BUY, 1, 1))
    with pytest.raises(TypeError, match="taker_per_share must be an integer"):
        FeeSchedule(0, 0.5)
    with pytest.raises(ValueError, match="already has a book"):
        eng.add_symbol("X")
