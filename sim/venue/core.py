"""A venue's order handling, sans-IO: the front ends (FIX, OUCH) translate their messages into
these calls and these ``Report``s back into their messages.

The core validates what the front ends cannot (symbol listed, quantity in range, a live
order to cancel or replace), runs the book, charges fees (taker on the aggressor, maker
on the resting side; the resident market maker is the venue's own and pays none),
keeps every order's state for status requests, and emits the book events of the feed.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from wirespeed.clock import WALL, Clock
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.reasons import RejectReason

from ..book import BookOrder, OrderBook
from ..events import AddOrder, EventSink, OrderCancel, OrderDelete, OrderExecuted, OrderReplace
from .config import VenueSpec

MARKET_MAKER = "MM"
NS_PER_DAY = 86_400 * 1_000_000_000


class VenueReject(Enum):
    """Why a venue refuses an order: (FIX reason -> OrdRejReason 103, OUCH 5.0 reason code)."""
    UNKNOWN_SYMBOL = (RejectReason.UNKNOWN_SYMBOL, 0x0017)
    OFF_TICK = (RejectReason.BAD_PRICE, 0x001D)
    BAD_PRICE = (RejectReason.BAD_PRICE, 0x001D)
    BAD_QTY = (RejectReason.ZERO_QTY, 0x0013)
    MAX_QTY = (RejectReason.MAX_QTY, 0x0031)
    UNSUPPORTED = (RejectReason.UNSUPPORTED, 0x000F)
    MALFORMED = (RejectReason.BAD_FIELD, 0x000F)
    DUPLICATE = (RejectReason.DUPLICATE_CLORDID, 0x000F)
    UNKNOWN_ORDER = (RejectReason.VENUE_REJECT, 0x000F)
    TOO_LATE = (RejectReason.VENUE_REJECT, 0x0015)

    @property
    def fix(self) -> RejectReason:
        return self.value[0]

    @property
    def ouch(self) -> int:
        return self.value[1]


@dataclass(slots=True)
class VenueOrder:
    id: int                  # the venue's OrderID, fixed for the order's life
    owner: Any               # the front end's session object; None for the market maker
    client_id: str           # current ClOrdID / UserRefNum
    symbol: str
    side: Side
    ord_type: OrdType
    tif: TimeInForce
    qty: int                 # total ordered (after replaces)
    price: int
    cum: int = 0
    px_num: int = 0          # sum of qty x price of fills (ticks)
    open: bool = True
    book_ref: int = 0        # the order reference number in the book and on the feed
    orig_client_id: str = ""

    @property
    def leaves(self) -> int:
        return self.qty - self.cum if self.open else 0


@dataclass(frozen=True, slots=True)
class Report:
    """One answer to a front end. ``kind``: new, trade, canceled, replaced, rejected."""
    kind: str
    order: VenueOrder | None
    last_qty: int = 0
    last_px: int = 0
    match_id: int = 0
    liquidity: bytes = b""        # b"A" added (maker), b"R" removed (taker)
    reason: VenueReject | None = None
    text: str = ""
    canceled_qty: int = 0
    why: str = ""                 # canceled: "user", "ioc" (unfilled rest), "replace"
    request: Any = None           # the front end's request (rejects of orders that never existed)


class VenueCore:
    def __init__(self, spec: VenueSpec, *, clock: Clock = WALL, sink: EventSink | None = None):
        self.spec, self.clock = spec, clock
        self.symbols = spec.symbol_table()
        self.listing = {s.name: s for s in spec.symbols}
        self.books = {s.name: OrderBook(s.name) for s in spec.symbols}
        self.sink: EventSink = sink or (lambda ev: None)
        self.orders: dict[int, VenueOrder] = {}
        self._by_ref: dict[int, VenueOrder] = {}
        self._ids = itertools.count(1)
        self._refs = itertools.count(1)
        self._matches = itertools.count(1)
        self._maker = Decimal(str(spec.maker_fee_bps)) / 10_000
        self._taker = Decimal(str(spec.taker_fee_bps)) / 10_000
        self.stats = {"orders": 0, "fills": 0, "filled_qty": 0, "notional": Decimal(0), "fees": Decimal(0),
                      "rejects": 0, "cancels": 0, "replaces": 0}

    def start(self) -> None:
        """Put up the resident market maker's quotes (after the feed's start of day)."""
        for name in self.books:
            self._quote(name)

    def _ts(self) -> int:
        return self.clock.time_ns() % NS_PER_DAY

    def tick_of(self, symbol: str):
        sym = self.symbols.by_name(symbol)
        return None if sym is None else sym.tick

    # -- market maker ------------------------------------------------------------
    def _quote(self, symbol: str) -> None:
        """Fill any empty level of the maker's ladder around the reference price."""
        listing, sym, book = self.listing[symbol], self.symbols.by_name(symbol), self.books[symbol]
        ref = sym.reference_ticks
        for k in range(1, listing.levels + 1):
            for side, price in ((Side.BUY, ref - k), (Side.SELL, ref + k)):
                levels = (book.bids if side == Side.BUY else book.asks).levels
                if price > 0 and price not in levels:
                    o = VenueOrder(next(self._ids), None, MARKET_MAKER, symbol, side, OrdType.LIMIT, TimeInForce.DAY,
                                   listing.level_qty, price)
                    self._enter(o)

    # -- orders ------------------------------------------------------------------
    def reject(self, owner, request, reason: VenueReject, text: str) -> None:
        """A request refused before it became an order (a front end found the problem, or we did)."""
        self.stats["rejects"] += 1
        owner.on_report(Report("rejected", None, reason=reason, text=text, request=request))

    def new_order(self, owner, request, client_id: str, symbol: str, side: Side, ord_type: OrdType,
                  tif: TimeInForce, qty: int, price: int) -> VenueOrder | None:
        listing = self.listing.get(symbol)
        if listing is None:
            self.reject(owner, request, VenueReject.UNKNOWN_SYMBOL, f"unknown symbol {symbol!r}")
            return None
        if qty <= 0:
            self.reject(owner, request, VenueReject.BAD_QTY, f"quantity must be positive, not {qty}")
            return None
        if qty > listing.max_qty:
            self.reject(owner, request, VenueReject.MAX_QTY, f"quantity {qty} over this venue's {listing.max_qty}")
            return None
        if ord_type == OrdType.LIMIT and price <= 0:
            self.reject(owner, request, VenueReject.BAD_PRICE, "a limit order needs a positive price")
            return None
        self.stats["orders"] += 1
        o = VenueOrder(next(self._ids), owner, client_id, symbol, side, ord_type, tif, qty,
                       price if ord_type == OrdType.LIMIT else 0)
        self.orders[o.id] = o
        owner.on_report(Report("new", o, request=request))
        self._enter(o)
        return o

    def _enter(self, o: VenueOrder) -> None:
        """Submit the open rest of ``o`` to its book: fills, then rest (feed AddOrder) or cancel."""
        book = self.books[o.symbol]
        o.book_ref = next(self._refs)
        bo = BookOrder(o.book_ref, o.side, o.price, o.qty - o.cum, o.ord_type, o.tif, owner=o)
        trades, rested = book.submit(bo)
        for t in trades:
            self._fill(o, t.passive.owner, t.qty, t.price)
        if rested:
            self._by_ref[o.book_ref] = o
            self.sink(AddOrder(self._ts(), o.symbol, o.book_ref, o.side, o.price, bo.qty))
        elif o.open and o.cum < o.qty:
            left = o.qty - o.cum
            o.open = False
            if o.owner is not None:
                o.owner.on_report(Report("canceled", o, canceled_qty=left, why="ioc",
                                         text="unfilled quantity canceled (IOC/FOK/market)"))
        if trades:
            self._quote(o.symbol)

    def _fill(self, taker: VenueOrder, maker: VenueOrder, qty: int, price: int) -> None:
        match = next(self._matches)
        self.sink(OrderExecuted(self._ts(), maker.symbol, maker.book_ref, qty, price, match))
        self.stats["fills"] += 1
        self.stats["filled_qty"] += qty
        notional = qty * self.symbols.by_name(taker.symbol).price(price)
        self.stats["notional"] += notional
        for o, rate, flag in ((taker, self._taker, b"R"), (maker, self._maker, b"A")):
            o.cum += qty
            o.px_num += qty * price
            if o.cum >= o.qty:
                o.open = False
                self._by_ref.pop(o.book_ref, None)
            if o.owner is not None:
                self.stats["fees"] += (notional * rate).quantize(Decimal("0.0001"))
                o.owner.on_report(Report("trade", o, last_qty=qty, last_px=price, match_id=match, liquidity=flag))

    def find(self, order_id: int) -> VenueOrder | None:
        return self.orders.get(order_id)

    def cancel(self, owner, order: VenueOrder, request, client_id: str = "", *, remain: int = 0) -> bool:
        """Cancel ``order`` down to ``remain`` open shares (0: all). False if it is not open."""
        if order.owner is not owner or not order.open:
            return False
        book = self.books[order.symbol]
        leaves = order.qty - order.cum
        if remain >= leaves:
            return True                                        # nothing to take away
        cut = leaves - remain
        if remain:
            self._reduce(order, cut)
        else:
            book.cancel(order.book_ref)
            self._by_ref.pop(order.book_ref, None)
            order.open = False
            self.sink(OrderDelete(self._ts(), order.symbol, order.book_ref))
        order.qty -= cut if remain else 0
        if client_id:
            order.orig_client_id, order.client_id = order.client_id, client_id
        self.stats["cancels"] += 1
        owner.on_report(Report("canceled", order, canceled_qty=cut, why="user", request=request))
        return True

    def _reduce(self, order: VenueOrder, cut: int) -> None:
        """Take ``cut`` shares off a resting order in place: it keeps its time priority."""
        book = self.books[order.symbol]
        side = book.bids if order.side == Side.BUY else book.asks
        for bo in side.levels[order.price]:
            if bo.id == order.book_ref:
                bo.qty -= cut
                break
        self.sink(OrderCancel(self._ts(), order.symbol, order.book_ref, cut))

    def replace(self, owner, order: VenueOrder, request, client_id: str, qty: int, price: int) -> str | None:
        """Cancel/replace to a total ``qty`` at ``price``; returns why not, or None when done.

        Same price and less quantity keeps the order's time priority (as venues do); any
        other change is a new order in the book (and on the feed an Order Replace)."""
        if order.owner is not owner or not order.open:
            return "unknown or no longer working order"
        if qty <= order.cum:
            return f"new quantity {qty} is not above the {order.cum} already filled"
        if qty > self.listing[order.symbol].max_qty:
            return f"quantity {qty} over this venue's {self.listing[order.symbol].max_qty}"
        if order.ord_type == OrdType.LIMIT and price <= 0:
            return "a limit order needs a positive price"
        self.stats["replaces"] += 1
        old_leaves = order.qty - order.cum
        order.orig_client_id, order.client_id = order.client_id, client_id
        if price == order.price and qty - order.cum <= old_leaves:
            if qty - order.cum < old_leaves:
                self._reduce(order, old_leaves - (qty - order.cum))
            order.qty = qty
            owner.on_report(Report("replaced", order, request=request))
            return None
        book = self.books[order.symbol]
        book.cancel(order.book_ref)
        self._by_ref.pop(order.book_ref, None)
        old_ref = order.book_ref
        order.qty, order.price = qty, price
        owner.on_report(Report("replaced", order, request=request))
        # Crossing on entry: the old order leaves the feed, the new one trades, then rests.
        opp = book.asks if order.side == Side.BUY else book.bids
        best = opp.best()
        crosses = best is not None and (price >= best if order.side == Side.BUY else price <= best)
        if crosses:
            self.sink(OrderDelete(self._ts(), order.symbol, old_ref))
            self._enter(order)
            return None
        order.book_ref = next(self._refs)
        book.submit(BookOrder(order.book_ref, order.side, price, qty - order.cum, order.ord_type, order.tif,
                              owner=order))
        self._by_ref[order.book_ref] = order
        self.sink(OrderReplace(self._ts(), order.symbol, old_ref, order.book_ref, price, qty - order.cum))
        return None

    def queue_position(self, order: VenueOrder) -> int | None:
        """Shares ahead of ``order`` at its price (None if it does not rest)."""
        if not order.open or order.book_ref not in self._by_ref:
            return None
        book = self.books[order.symbol]
        level = (book.bids if order.side == Side.BUY else book.asks).levels.get(order.price, ())
        ahead = 0
        for bo in level:
            if bo.id == order.book_ref:
                return ahead
            ahead += bo.qty
        return None

