"""A book rebuilt from the feed: per symbol, every displayed order and the depth per price.

Driven by book events only (decoded ITCH or the in-process subscription), never by the
venue's engine, so a subscriber outside ``sim/`` can hold one. Order of orders within a
level is kept (dicts keep insertion order), which is the venue's time priority for what
the feed shows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from wirespeed.enums import Side

from ..events import (AddOrder, BookEvent, NonDisplayedTrade, OrderCancel, OrderDelete, OrderExecuted,
                      OrderReplace, SystemEvent)


class FeedBookError(ValueError):
    """An event that contradicts the book (unknown order, more shares than rest): the feed is
    out of step with the venue and the book must be rebuilt."""


@dataclass(slots=True)
class _Resting:
    side: Side
    price: int
    qty: int


@dataclass(slots=True)
class SymbolBook:
    symbol: str
    orders: dict = field(default_factory=dict)                 # order id -> _Resting
    bids: dict = field(default_factory=dict)                   # price -> shares
    asks: dict = field(default_factory=dict)
    last_trade: tuple | None = None                            # (price, qty)
    volume: int = 0

    def _level(self, side: Side) -> dict:
        return self.bids if side == Side.BUY else self.asks

    def _take(self, order_id: int, qty: int, what: str) -> _Resting:
        o = self.orders.get(order_id)
        if o is None:
            raise FeedBookError(f"{self.symbol}: {what} of unknown order {order_id}")
        if qty > o.qty:
            raise FeedBookError(f"{self.symbol}: {what} of {qty} shares, order {order_id} has {o.qty}")
        o.qty -= qty
        level = self._level(o.side)
        level[o.price] -= qty
        if not level[o.price]:
            del level[o.price]
        if not o.qty:
            del self.orders[order_id]
        return o

    def add(self, order_id: int, side: Side, price: int, qty: int) -> None:
        if order_id in self.orders:
            raise FeedBookError(f"{self.symbol}: order {order_id} added twice")
        self.orders[order_id] = _Resting(side, price, qty)
        level = self._level(side)
        level[price] = level.get(price, 0) + qty

    def best_bid(self) -> int | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> int | None:
        return min(self.asks) if self.asks else None

    def depth(self, side: Side, levels: int = 5) -> list[tuple[int, int]]:
        book = self._level(side)
        return [(p, book[p]) for p in sorted(book, reverse=side == Side.BUY)[:levels]]

    def price_of(self, order_id: int) -> int | None:
        o = self.orders.get(order_id)
        return None if o is None else o.price


class FeedBook:
    """Every symbol's ``SymbolBook``; ``apply`` is an ``EventSink``."""

    def __init__(self):
        self.books: dict[str, SymbolBook] = {}
        self.system: list[str] = []

    def book(self, symbol: str) -> SymbolBook:
        b = self.books.get(symbol)
        if b is None:
            b = self.books[symbol] = SymbolBook(symbol)
        return b

    def __call__(self, ev: BookEvent) -> None:
        self.apply(ev)

    def apply(self, ev: BookEvent) -> None:
        if isinstance(ev, SystemEvent):
            self.system.append(ev.code)
            del self.system[:-16]          # the last few codes are all anyone asks for
            return
        b = self.book(ev.symbol)
        if isinstance(ev, AddOrder):
            b.add(ev.order_id, ev.side, ev.price, ev.qty)
        elif isinstance(ev, OrderExecuted):
            o = b._take(ev.order_id, ev.qty, "execution")
            b.last_trade = (ev.price or o.price, ev.qty)
            b.volume += ev.qty
        elif isinstance(ev, OrderCancel):
            b._take(ev.order_id, ev.qty, "cancel")
        elif isinstance(ev, OrderDelete):
            o = b.orders.get(ev.order_id)
            if o is None:
                raise FeedBookError(f"{ev.symbol}: delete of unknown order {ev.order_id}")
            b._take(ev.order_id, o.qty, "delete")
        elif isinstance(ev, OrderReplace):
            o = b.orders.get(ev.old_order_id)
            if o is None:
                raise FeedBookError(f"{ev.symbol}: replace of unknown order {ev.old_order_id}")
            b._take(ev.old_order_id, o.qty, "replace")
            b.add(ev.new_order_id, o.side, ev.price, ev.qty)
        elif isinstance(ev, NonDisplayedTrade):
            b.last_trade = (ev.price, ev.qty)
            b.volume += ev.qty
