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

from ..book import STP, BookOrder, Reason, Result
from ..engine import MatchingEngine
from ..events import EventSink
from .config import VenueSpec

MARKET_MAKER = "MM"
MAX_ORDERS = 200_000          # orders kept for status; beyond it finished ones are forgotten
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
    orig_client_id: str = ""
    display: int = 0         # reserve order: shares shown at a time (0: all)
    post_only: bool = False
    participant: Any = None  # self-trade prevention key: orders of one participant never trade
    book: BookOrder | None = None

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
    why: str = ""                 # canceled: "user", "ioc" (unfilled rest), "post_only", "stp"
    request: Any = None           # the front end's request (rejects of orders that never existed)


class VenueCore:
    def __init__(self, spec: VenueSpec, *, clock: Clock = WALL, sink: EventSink | None = None):
        self.spec, self.clock = spec, clock
        self.symbols = spec.symbol_table()
        self.listing = {s.name: s for s in spec.symbols}
        # Fees are the venue's (bps of notional, below), so the engine's per-share schedule stays empty.
        self.engine = MatchingEngine(spec.name, [s.name for s in spec.symbols], clock=clock)
        if sink is not None:
            self.engine.subscribe(sink)
        self.books = self.engine.books
        self.stp = STP[spec.stp.upper()]
        self.orders: dict[int, VenueOrder] = {}
        self._maker = Decimal(str(spec.maker_fee_bps)) / 10_000
        self._taker = Decimal(str(spec.taker_fee_bps)) / 10_000
        self.stats = {"orders": 0, "fills": 0, "filled_qty": 0, "notional": Decimal(0), "fees": Decimal(0),
                      "rejects": 0, "cancels": 0, "replaces": 0}

    def start(self) -> None:
        """Put up the resident market maker's quotes (after the feed's start of day)."""
        for name in self.books:
            self._quote(name)

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
                    o = VenueOrder(self.engine.next_id(), None, MARKET_MAKER, symbol, side, OrdType.LIMIT,
                                   TimeInForce.DAY, listing.level_qty, price)
                    self._enter(o)

    # -- orders ------------------------------------------------------------------
    def reject(self, owner, request, reason: VenueReject, text: str) -> None:
        """A request refused before it became an order (a front end found the problem, or we did)."""
        self.stats["rejects"] += 1
        owner.on_report(Report("rejected", None, reason=reason, text=text, request=request))

    def new_order(self, owner, request, client_id: str, symbol: str, side: Side, ord_type: OrdType,
                  tif: TimeInForce, qty: int, price: int, *, display: int = 0, post_only: bool = False,
                  participant: Any = None) -> VenueOrder | None:
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
        if display < 0 or (display and ord_type != OrdType.LIMIT):
            self.reject(owner, request, VenueReject.UNSUPPORTED, "a reserve order is a limit order showing > 0")
            return None
        self.stats["orders"] += 1
        if len(self.orders) >= MAX_ORDERS:
            self.orders = {k: v for k, v in self.orders.items() if v.open}
        o = VenueOrder(self.engine.next_id(), owner, client_id, symbol, side, ord_type, tif, qty,
                       price if ord_type == OrdType.LIMIT else 0, display=display, post_only=post_only,
                       participant=participant)
        self.orders[o.id] = o
        owner.on_report(Report("new", o, request=request))
        self._enter(o)
        return o

    def _enter(self, o: VenueOrder) -> None:
        bo = BookOrder(o.id, o.side, o.price, o.qty - o.cum, o.ord_type, o.tif, owner=o, display=o.display,
                       participant=o.participant, stp=self.stp, post_only=o.post_only)
        o.book = bo
        self._after(o, self.engine.submit(o.symbol, bo))

    def _after(self, o: VenueOrder, res: Result) -> None:
        """Report what an engine call did: fills, STP removals of resting orders, the unfilled
        rest of ``o`` that did not rest; then re-quote the maker where it was taken."""
        for t in res.fills:
            self._fill(t.aggressor.owner, t.passive.owner, t.qty, t.price, t.match_id)
        for bo, qty in res.cancelled:
            victim = bo.owner
            victim.qty -= qty
            if bo.qty == 0:
                victim.open = False
            if victim.owner is not None:
                victim.owner.on_report(Report("canceled", victim, canceled_qty=qty, why="stp", text=Reason.STP))
        if not res.rested and o.open:
            left = o.qty - o.cum
            o.open = False
            if left and o.owner is not None:
                why = {Reason.POST_ONLY: "post_only", Reason.STP: "stp"}.get(res.reason, "ioc")
                o.owner.on_report(Report("canceled", o, canceled_qty=left, why=why, text=res.reason or "canceled"))
        elif res.rested and o.book is not None and o.cum + o.book.qty != o.qty:
            o.qty = o.cum + o.book.qty          # STP decrement took shares off the incoming order
        if res.fills or res.cancelled:
            self._quote(o.symbol)

    def _fill(self, taker: VenueOrder, maker: VenueOrder, qty: int, price: int, match: int) -> None:
        self.stats["fills"] += 1
        self.stats["filled_qty"] += qty
        notional = qty * self.symbols.by_name(taker.symbol).price(price)
        self.stats["notional"] += notional
        for o, rate, flag in ((taker, self._taker, b"R"), (maker, self._maker, b"A")):
            o.cum += qty
            o.px_num += qty * price
            if o.cum >= o.qty:
                o.open = False
            if o.owner is not None:
                self.stats["fees"] += (notional * rate).quantize(Decimal("0.0001"))
                o.owner.on_report(Report("trade", o, last_qty=qty, last_px=price, match_id=match, liquidity=flag))

    def find(self, order_id: int) -> VenueOrder | None:
        return self.orders.get(order_id)

    def cancel(self, owner, order: VenueOrder, request, client_id: str = "", *, remain: int = 0) -> bool:
        """Cancel ``order`` down to ``remain`` open shares (0: all); a reduction keeps its queue
        place. False if it is not open (or not this owner's)."""
        if order.owner is not owner or not order.open:
            return False
        leaves = order.qty - order.cum
        if remain >= leaves:
            return True                                        # nothing to take away
        cut = leaves - remain
        if remain:
            if self.engine.replace(order.symbol, order.id, order.price, remain) is None:
                return False
            order.qty -= cut
        else:
            if self.engine.cancel(order.symbol, order.id) is None:
                return False
            order.open = False
        if client_id:
            order.orig_client_id, order.client_id = order.client_id, client_id
        self.stats["cancels"] += 1
        owner.on_report(Report("canceled", order, canceled_qty=cut, why="user", request=request))
        return True

    def replace(self, owner, order: VenueOrder, request, client_id: str, qty: int, price: int) -> str | None:
        """Cancel/replace to a total ``qty`` at ``price``; returns why not, or None when done.

        The engine keeps the time priority of a same-price size-down (as venues do); any other
        change is a new order at the back, which may trade on entry."""
        if order.owner is not owner or not order.open:
            return "unknown or no longer working order"
        if qty <= order.cum:
            return f"new quantity {qty} is not above the {order.cum} already filled"
        if qty > self.listing[order.symbol].max_qty:
            return f"quantity {qty} over this venue's {self.listing[order.symbol].max_qty}"
        if order.ord_type == OrdType.LIMIT and price <= 0:
            return "a limit order needs a positive price"
        res = self.engine.replace(order.symbol, order.id, price, qty - order.cum)
        if res is None:
            return "unknown or no longer working order"
        self.stats["replaces"] += 1
        order.orig_client_id, order.client_id = order.client_id, client_id
        order.qty, order.price = qty, price
        owner.on_report(Report("replaced", order, request=request))
        self._after(order, res)
        return None

    def queue_position(self, order: VenueOrder) -> tuple[int, int] | None:
        """``(orders ahead, displayed shares ahead)`` of a resting order, or None."""
        return self.engine.queue_position(order.symbol, order.id) if order.open else None
