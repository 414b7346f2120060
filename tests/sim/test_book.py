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
