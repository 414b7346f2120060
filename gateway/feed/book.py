"""The books a feed subscriber keeps: the engine's ``MirrorBook`` (every displayed order by
reference, in time order) plus what a consumer of market data asks of it (best prices,
depth per level, last trade, volume).

Driven by book events only (decoded ITCH or the in-process subscription), never by the
venue's engine, so a subscriber outside ``sim/`` can hold one. An event that contradicts
the book raises ``ValueError`` naming it (the subscriber records it and goes on).
"""
from __future__ import annotations

from dataclasses import dataclass

from wirespeed.enums import Side

from .events import BookEvent, CrossTrade, NonDisplayedTrade, OrderExecuted, SystemEvent
from .mirror import MirrorBook, MirrorBooks

FeedBookError = ValueError


@dataclass(frozen=True, slots=True)
class BookReset:
    """Not an ITCH message: a subscriber's word to its sink that every book so far is void
    (a snapshot was loaded, at sequence ``seq``); the snapshot's Add Orders follow. A sink that
    keeps books clears them (``FeedBook`` does). ``ts_ns``: the snapshot's latest order."""
    ts_ns: int
    seq: int


class SymbolBook(MirrorBook):
    __slots__ = ("last_trade", "volume")

    def __init__(self, symbol: str = ""):
        super().__init__(symbol)
        self.last_trade: tuple[int, int] | None = None      # (price, qty)
        self.volume = 0

    def _side(self, side: Side) -> dict[int, int]:
        out: dict[int, int] = {}
        for (s, price), refs in self.levels.items():
            if s == side:
                total = sum(self.orders[r][2] for r in refs)
                if total:
                    out[price] = total
        return out

    @property
    def bids(self) -> dict[int, int]:
        """``{price: displayed shares}`` of the buy side."""
        return self._side(Side.BUY)

    @property
    def asks(self) -> dict[int, int]:
        return self._side(Side.SELL)

    def best_bid(self) -> int | None:
        return self.best(Side.BUY)

    def best_ask(self) -> int | None:
        return self.best(Side.SELL)

    def depth(self, side: Side, levels: int = 5) -> list[tuple[int, int]]:
        book = self._side(side)
        return [(p, book[p]) for p in sorted(book, reverse=side == Side.BUY)[:levels]]

    def price_of(self, ref: int) -> int | None:
        rec = self.orders.get(ref)
        return None if rec is None else rec[1]

    def live_orders(self) -> dict[int, tuple[Side, int, int]]:
        """``{ref: (side, price, shown qty)}`` of the orders showing shares."""
        return {r: (v[0], v[1], v[2]) for r, v in self.orders.items() if v[2]}


class FeedBook(MirrorBooks):
    """Every symbol's ``SymbolBook``; an ``EventSink`` (``feed_book(event)``)."""

    def __init__(self):
        super().__init__()
        self.system: list[str] = []

    def book(self, symbol: str) -> SymbolBook:
        b = self.books.get(symbol)
        if b is None:
            b = self.books[symbol] = SymbolBook(symbol)
        return b

    def apply(self, ev: BookEvent | BookReset) -> None:
        if type(ev) is BookReset:
            self.books.clear()
            return
        if isinstance(ev, SystemEvent):
            self.system.append(ev.code)
            del self.system[:-16]          # the last few codes are all anyone asks for
            return
        b = self.book(ev.symbol)
        if isinstance(ev, (NonDisplayedTrade, CrossTrade)):
            # Trades that do not touch the displayed book: the tape and the volume only.
            if ev.qty:
                b.last_trade = (ev.price, ev.qty)
                b.volume += ev.qty
            return
        if isinstance(ev, OrderExecuted):
            price = ev.price or b.price_of(ev.order_id)     # E carries no price: the order's
            b.apply(ev)
            b.last_trade = (price, ev.qty)
            b.volume += ev.qty
            return
        b.apply(ev)

    __call__ = apply
