"""A book rebuilt from book events alone: what a feed subscriber sees of a venue.

``MirrorBook.apply(event)`` takes the records of ``events.py`` (for one symbol, or for
all of them: ``MirrorBooks``) and keeps every displayed order by its feed reference number
in price-time order. The engine's tests replay its events into one and compare; a feed
subscriber can use it to rebuild books. An event that does not fit the book so far (an
unknown reference, more executed than shown) raises ``ValueError`` naming it.
"""
from __future__ import annotations

from wirespeed.enums import Side

from .events import AddOrder, OrderCancel, OrderDelete, OrderExecuted, OrderReplace


class MirrorBook:
    __slots__ = ("symbol", "orders", "levels")

    def __init__(self, symbol: str = ""):
        self.symbol = symbol
        self.orders: dict[int, list] = {}                        # ref -> [side, price, qty]
        self.levels: dict[tuple[Side, int], dict[int, None]] = {}  # (side, price) -> refs in time order

    def apply(self, ev) -> None:
        t = type(ev)
        if t is AddOrder:
            self._add(ev.order_id, ev.side, ev.price, ev.qty, ev)
        elif t is OrderExecuted:
            self._reduce(ev.order_id, ev.qty, ev)
        elif t is OrderCancel:
            self._reduce(ev.order_id, ev.qty, ev)
        elif t is OrderDelete:
            self._remove(ev.order_id, ev)
        elif t is OrderReplace:
            side = self._get(ev.old_order_id, ev)[0]
            self._remove(ev.old_order_id, ev)
            self._add(ev.new_order_id, side, ev.price, ev.qty, ev)

    def _get(self, ref: int, ev) -> list:
        try:
            return self.orders[ref]
        except KeyError:
            raise ValueError(f"{type(ev).__name__}: unknown order reference {ref} ({ev!r})") from None

    def _add(self, ref: int, side: Side, price: int, qty: int, ev) -> None:
        if ref in self.orders:
            raise ValueError(f"{type(ev).__name__}: order reference {ref} already in the book")
        self.orders[ref] = [side, price, qty]
        self.levels.setdefault((side, price), {})[ref] = None

    def _reduce(self, ref: int, qty: int, ev) -> None:
        rec = self._get(ref, ev)
        if qty > rec[2]:
            raise ValueError(f"{type(ev).__name__}: {qty} from order {ref} showing only {rec[2]}")
        rec[2] -= qty
        if rec[2] == 0:
            # ITCH: an order executed (or cancelled) to nothing has left the book.
            self._remove(ref, ev)

    def _remove(self, ref: int, ev) -> None:
        side, price, _ = self.orders.pop(ref, None) or self._get(ref, ev)
        level = self.levels[(side, price)]
        del level[ref]
        if not level:
            del self.levels[(side, price)]

    def snapshot(self) -> dict[tuple[Side, int], list[tuple[int, int]]]:
        """``{(side, price): [(ref, shown qty), ...] front first}``."""
        return {key: [(r, self.orders[r][2]) for r in refs] for key, refs in self.levels.items()}

    def best(self, side: Side) -> int | None:
        prices = [p for (s, p) in self.levels if s == side]
        if not prices:
            return None
        return max(prices) if side == Side.BUY else min(prices)


class MirrorBooks:
    """One ``MirrorBook`` per symbol, fed from a venue's whole event stream (an ``EventSink``)."""

    def __init__(self):
        self.books: dict[str, MirrorBook] = {}

    def __call__(self, ev) -> None:
        symbol = getattr(ev, "symbol", None)
        if symbol is None:
            return                      # SystemEvent: nothing to keep
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = MirrorBook(symbol)
        book.apply(ev)
