"""The matching engine's order book: one symbol, price-time priority, integer ticks.

Public API (stable; the venue front ends, the feed, the market and the backtest build on it)
--------------------------------------------------------------------------------------------
``BookOrder(id, side, price, qty, ord_type=LIMIT, tif=DAY, owner=None, *, display=0,
participant=None, stp=STP.CANCEL_NEWEST, post_only=False)``
    ``id`` is the caller's handle (unique in the book; stable across refreshes and replaces);
    ``price`` in ticks (ignored for MARKET); ``qty`` the open quantity (counts down as it fills);
    ``display`` > 0 makes a reserve (iceberg) order showing at most ``display``; ``participant``
    is the self-trade-prevention key (None: no STP); ``stp`` the mode applied when this order
    takes liquidity from the same participant. After a call: ``filled``, ``qty`` (open),
    ``shown`` (displayed part), ``ref`` (the feed's order reference number, which changes when
    the order loses its place in the queue), ``reason`` (why an unfilled rest did not rest).

``OrderBook.submit(order) -> Result``
    Match, then rest what is left if it may. ``Result.fills`` (sequence of ``Trade``),
    ``Result.rested``, ``Result.cancelled`` (resting orders that STP removed or reduced, as
    ``(order, qty)``), ``Result.reason``. A ``Result`` unpacks as ``(fills, rested)``; it is
    read-only (the answer of an order that simply rests is one shared object).
``OrderBook.cancel(id) -> BookOrder | None``
``OrderBook.replace(id, price, qty) -> Result | None``
    ``qty`` is the new open quantity. Same price and less quantity keeps the queue place;
    anything else is a new order at the back (and may trade, like any incoming order).
``OrderBook.move(id, price) -> Result | None``: replace keeping the open quantity.
``OrderBook.queue_position(id) -> (orders_ahead, shares_ahead) | None``
``best_bid()``, ``best_ask()``, ``depth(side, levels)``, ``orders_at(side, price)``, ``order(id)``

``Trade(aggressor, passive, price, qty, match_id, maker_fee, taker_fee)``: fees are integer
micro-currency units (1e-6), negative is a rebate; fees come from the book's ``FeeSchedule``.

Every change of the displayed book is reported to the ``EventSink``s in ``sinks`` as the
records of ``sim/events.py``: AddOrder, OrderExecuted, OrderCancel, OrderDelete,
OrderReplace. As on ITCH, an aggressor never appears before it rests, and an order executed
in full leaves the book with its last OrderExecuted (no OrderDelete follows). A reserve
order's refresh is an AddOrder of a new reference at the back (after the old slice's last
execution, or after its OrderDelete when STP decremented it away).

Why it looks like this: the book is the hot path of every backtest. Orders and levels use
``__slots__``, levels are deques (a resting order's removal is a C-level identity scan of
one short level), the sorted price keys are a plain list kept by ``bisect`` (a few hundred
levels at most), and events are only built when someone subscribed.
"""
from __future__ import annotations

import bisect
from bisect import insort
import itertools
from collections import deque
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Callable

from wirespeed.enums import OrdType, Side, TimeInForce

from .events import AddOrder, OrderCancel, OrderDelete, OrderExecuted, OrderReplace

_BUY, _SELL = Side.BUY, Side.SELL
_MARKET = OrdType.MARKET
_RESTING_TIF = (TimeInForce.DAY, TimeInForce.GTC)
_FOK = TimeInForce.FOK
DAY_NS = 86_400_000_000_000


class STP(IntEnum):
    """Self-trade prevention mode of the incoming (newest) order."""
    CANCEL_NEWEST = 1   # the incoming order's rest is cancelled; the resting one stays
    CANCEL_OLDEST = 2   # the resting order is cancelled; the incoming one goes on matching
    CANCEL_BOTH = 3     # both are cancelled
    DECREMENT = 4       # both are reduced by the smaller quantity; whichever reaches 0 is gone


class Reason:
    """Why an order's open quantity did not rest (``BookOrder.reason``)."""
    NONE = ""
    IOC = "IOC: unfilled quantity canceled"
    FOK = "FOK: not enough quantity to fill in full"
    MARKET = "market order: unfilled quantity canceled"
    POST_ONLY = "post-only order would take liquidity"
    STP = "self-trade prevention"


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Per-share fees in micro-currency units (1e-6); negative is a rebate (maker rebates)."""
    maker_per_share: int = 0
    taker_per_share: int = 0

    def __post_init__(self):
        for name in ("maker_per_share", "taker_per_share"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool):
                raise TypeError(f"FeeSchedule.{name} must be an integer (micro-currency per share), not {v!r}")


NO_FEES = FeeSchedule()


class BookOrder:
    __slots__ = ("id", "side", "price", "qty", "ord_type", "tif", "owner", "filled", "display", "shown",
                 "participant", "stp", "post_only", "ref", "reason")

    def __init__(self, id: int, side: Side, price: int, qty: int, ord_type: OrdType = OrdType.LIMIT,
                 tif: TimeInForce = TimeInForce.DAY, owner: Any = None, filled: int = 0, *, display: int = 0,
                 participant: Any = None, stp: STP = STP.CANCEL_NEWEST, post_only: bool = False):
        self.id = id
        self.side = side
        self.price = price
        self.qty = qty
        self.ord_type = ord_type
        self.tif = tif
        self.owner = owner
        self.filled = filled
        self.display = display
        self.shown = display if 0 < display < qty else qty
        self.participant = participant
        self.stp = stp
        self.post_only = post_only
        self.ref = 0
        self.reason = ""

    def __repr__(self) -> str:
        return (f"BookOrder(id={self.id}, side={self.side.name}, price={self.price}, qty={self.qty}, "
                f"shown={self.shown}, filled={self.filled}, ref={self.ref})")


class Trade:
    """One fill: ``passive`` is the resting (maker) order, ``aggressor`` the taker."""
    __slots__ = ("aggressor", "passive", "price", "qty", "match_id", "maker_fee", "taker_fee")

    def __init__(self, aggressor: BookOrder, passive: BookOrder, price: int, qty: int, match_id: int = 0,
                 maker_fee: int = 0, taker_fee: int = 0):
        self.aggressor = aggressor
        self.passive = passive
        self.price = price
        self.qty = qty
        self.match_id = match_id
        self.maker_fee = maker_fee
        self.taker_fee = taker_fee

    def __repr__(self) -> str:
        return (f"Trade(aggressor={self.aggressor.id}, passive={self.passive.id}, price={self.price}, "
                f"qty={self.qty}, match_id={self.match_id})")


Fill = Trade


class Result:
    __slots__ = ("fills", "rested", "cancelled", "reason")

    def __init__(self, fills: list, rested: bool, cancelled: list, reason: str):
        self.fills = fills
        self.rested = rested
        self.cancelled = cancelled
        self.reason = reason

    def __iter__(self):
        # ``trades, rested = book.submit(o)``: the shape the first venue was written against.
        return iter((self.fills, self.rested))

    def __repr__(self) -> str:
        return f"Result(fills={self.fills!r}, rested={self.rested}, cancelled={self.cancelled!r}, reason={self.reason!r})"


class Level(deque):
    """The FIFO queue at one price; ``total`` is its displayed quantity."""
    __slots__ = ("total",)

    def __init__(self):
        super().__init__()
        self.total = 0


#: The answer of every order that simply rests (shared: Results are read-only).
_RESTED = Result((), True, (), "")


class _Side:
    """Price levels of one side; ``prices`` holds ``sign * price`` ascending, so best first."""
    __slots__ = ("sign", "prices", "levels")

    def __init__(self, sign: int):
        self.sign = sign
        self.prices: list[int] = []
        self.levels: dict[int, Level] = {}

    def best(self) -> int | None:
        return self.sign * self.prices[0] if self.prices else None

    def add(self, order: BookOrder) -> None:
        level = self.levels.get(order.price)
        if level is None:
            level = self.levels[order.price] = Level()
            bisect.insort(self.prices, self.sign * order.price)
        level.append(order)
        level.total += order.shown

    def remove_level(self, price: int) -> None:
        del self.levels[price]
        self.prices.pop(bisect.bisect_left(self.prices, self.sign * price))

    def depth(self, levels: int = 5) -> list[tuple[int, int]]:
        sign, lv = self.sign, self.levels
        return [(sign * k, lv[sign * k].total) for k in self.prices[:levels]]

    def top(self, levels: int = 5) -> tuple[tuple[int, int], ...]:
        """``depth`` as a tuple (what a market-data snapshot keeps), built in one pass."""
        sign, lv = self.sign, self.levels
        return tuple([(sign * k, lv[sign * k].total) for k in self.prices[:levels]])


class OrderBook:
    """One symbol's book. ``refs`` and ``match_ids`` are shared by the books of one venue
    (feed reference numbers and match numbers are unique per venue and day); ``ts`` gives
    the events' timestamp (ns since midnight on the venue's clock)."""

    def __init__(self, symbol: str = "", *, fees: FeeSchedule = NO_FEES, sinks: list | None = None,
                 ts: Callable[[], int] | None = None, refs=None, match_ids=None):
        self.symbol = symbol
        self.bids = _Side(-1)
        self.asks = _Side(+1)
        self._orders: dict[int, BookOrder] = {}
        self.fees = fees
        self.sinks: list = sinks if sinks is not None else []
        self._ts = ts or (lambda: 0)
        self._refs = refs if refs is not None else itertools.count(1)
        self._match_ids = match_ids if match_ids is not None else itertools.count(1)

    # -- queries -----------------------------------------------------------------
    def best_bid(self) -> int | None:
        return self.bids.best()

    def best_ask(self) -> int | None:
        return self.asks.best()

    def __contains__(self, order_id: int) -> bool:
        return order_id in self._orders

    def __len__(self) -> int:
        return len(self._orders)

    def order(self, order_id: int) -> BookOrder | None:
        return self._orders.get(order_id)

    def orders(self):
        return self._orders.values()

    def depth(self, side: Side, levels: int = 5) -> list[tuple[int, int]]:
        """``[(price, displayed qty), ...]`` best first."""
        return (self.bids if side == _BUY else self.asks).depth(levels)

    def orders_at(self, side: Side, price: int) -> list[BookOrder]:
        """The queue at ``price``, front first."""
        return list((self.bids if side == _BUY else self.asks).levels.get(price, ()))

    def queue_position(self, order_id: int) -> tuple[int, int] | None:
        """``(orders ahead, displayed shares ahead)`` of a resting order in its level."""
        order = self._orders.get(order_id)
        if order is None:
            return None
        n = shares = 0
        for o in (self.bids if order.side == _BUY else self.asks).levels[order.price]:
            if o is order:
                return n, shares
            n += 1
            shares += o.shown
        raise AssertionError("resting order missing from its level")  # pragma: no cover

    # -- events ------------------------------------------------------------------
    def _emit(self, event) -> None:
        for sink in self.sinks:
            sink(event)

    # -- order entry ---------------------------------------------------------------
    def submit(self, order: BookOrder) -> Result:
        """Match ``order`` against the book, then rest what is left if its type lets it."""
        orders = self._orders
        if order.id in orders:
            raise ValueError(f"duplicate order id {order.id}")
        if order.qty <= 0 or (order.price <= 0 and order.ord_type is not _MARKET) or order.display < 0:
            raise ValueError(self._bad(order.id, order.price, order.qty, order.display, order.ord_type))
        # Fast path (most orders of a day): a DAY/GTC limit that does not cross just joins
        # its level; written out here because every call and lookup counts at 10^6 a second.
        if order.side == _BUY:
            opp, own = self.asks, self.bids
            passive = not opp.prices or opp.prices[0] > order.price
        else:
            opp, own = self.bids, self.asks
            passive = not opp.prices or -opp.prices[0] < order.price
        if passive and order.ord_type is not _MARKET and order.tif in _RESTING_TIF:
            order.ref = ref = next(self._refs)
            price = order.price
            level = own.levels.get(price)
            if level is None:
                level = own.levels[price] = Level()
                insort(own.prices, own.sign * price)
            level.append(order)
            level.total += order.shown
            orders[order.id] = order
            sinks = self.sinks
            if sinks:
                ev = AddOrder(self._ts(), self.symbol, ref, order.side, price, order.shown)
                for sink in sinks:
                    sink(ev)
            return _RESTED
        return self._enter(order, None)

    @staticmethod
    def _bad(oid, price, qty, display=0, ord_type=OrdType.LIMIT) -> str:
        if qty <= 0:
            return f"order {oid}: qty must be a positive integer (shares), not {qty!r}"
        if display < 0:
            return f"order {oid}: display must be >= 0 (0: not a reserve order), not {display!r}"
        return f"order {oid}: price must be a positive integer (ticks) for a {ord_type.name} order, not {price!r}"

    def _enter(self, order: BookOrder, replaced_ref: int | None) -> Result:
        buy = order.side == _BUY
        opp = self.asks if buy else self.bids
        fills: list = []
        cancelled: list = []
        reason = ""
        market = order.ord_type is _MARKET
        limit = order.price
        prices = opp.prices
        if prices:
            best = opp.sign * prices[0]
            crosses = market or (best <= limit if buy else best >= limit)
        else:
            crosses = False
        if crosses:
            if order.post_only:
                reason = Reason.POST_ONLY
            elif order.tif == _FOK and not self._fok_fillable(order, opp):
                reason = Reason.FOK
            else:
                if replaced_ref is not None and self.sinks:
                    self._emit(OrderDelete(self._ts(), self.symbol, replaced_ref))
                replaced_ref = None
                reason = self._match(order, opp, fills, cancelled, market, limit, buy)
        elif order.tif == _FOK:
            reason = Reason.FOK
        if order.qty and not reason:
            if market:
                reason = Reason.MARKET
            elif order.tif not in _RESTING_TIF:
                reason = Reason.IOC
            else:
                self._rest(order, replaced_ref)
                return Result(fills, True, cancelled, "") if fills or cancelled else _RESTED
        if replaced_ref is not None and self.sinks:
            self._emit(OrderDelete(self._ts(), self.symbol, replaced_ref))
        order.reason = reason
        return Result(fills, False, cancelled, reason)

    def _rest(self, order: BookOrder, replaced_ref: int | None) -> None:
        if order.display > 0:
            order.shown = order.display if order.display < order.qty else order.qty
        else:
            order.shown = order.qty
        order.ref = ref = next(self._refs)
        (self.bids if order.side == _BUY else self.asks).add(order)
        self._orders[order.id] = order
        if self.sinks:
            if replaced_ref is None:
                self._emit(AddOrder(self._ts(), self.symbol, ref, order.side, order.price, order.shown))
            else:
                self._emit(OrderReplace(self._ts(), self.symbol, replaced_ref, ref, order.price, order.shown))

    def _fok_fillable(self, order: BookOrder, opp: _Side) -> bool:
        """Whether the whole order would fill: hidden reserve counts (it refreshes within the
        sweep); an own order stops the count unless STP cancels the resting one."""
        need = order.qty
        buy = order.side == _BUY
        market = order.ord_type == _MARKET
        me = order.participant
        skip_own = order.stp == STP.CANCEL_OLDEST
        sign, levels = opp.sign, opp.levels
        for key in opp.prices:
            price = sign * key
            if not market and (price > order.price if buy else price < order.price):
                return False
            for o in levels[price]:
                if me is not None and o.participant == me:
                    if skip_own:
                        continue
                    return False
                need -= o.qty
                if need <= 0:
                    return True
        return False

    def _match(self, order: BookOrder, opp: _Side, fills: list, cancelled: list, market: bool, limit: int,
               buy: bool) -> str:
        prices, levels, sign = opp.prices, opp.levels, opp.sign
        orders = self._orders
        sinks = self.sinks
        ts = self._ts() if sinks else 0
        symbol = self.symbol
        match_ids = self._match_ids
        maker_rate, taker_rate = self.fees.maker_per_share, self.fees.taker_per_share
        me = order.participant
        reason = ""
        while order.qty and prices:
            price = sign * prices[0]
            if not market and (price > limit if buy else price < limit):
                break
            level = levels[price]
            while order.qty and level:
                passive = level[0]
                if me is not None and passive.participant == me:
                    reason = self._self_match(order, passive, level, price, opp, cancelled, ts)
                    if reason:
                        break
                    continue
                want = order.qty
                qty = passive.shown if passive.shown < want else want
                order.qty = want - qty
                order.filled += qty
                passive.qty -= qty
                passive.shown -= qty
                passive.filled += qty
                level.total -= qty
                mid = next(match_ids)
                fills.append(Trade(order, passive, price, qty, mid, qty * maker_rate, qty * taker_rate))
                if sinks:
                    ev = OrderExecuted(ts, symbol, passive.ref, qty, price, mid)
                    for sink in sinks:
                        sink(ev)
                if passive.shown == 0:
                    # Executed in full: gone from the book with no Delete, as on ITCH.
                    level.popleft()
                    if passive.qty:          # reserve: the next slice goes to the back
                        self._refresh(passive, level, ts)
                    else:
                        del orders[passive.id]
            if not level:
                opp.remove_level(price)
            if reason:
                break
        return reason

    def _refresh(self, order: BookOrder, level: Level, ts: int) -> None:
        """A reserve order's next displayed slice, at the back under a new reference (the old
        slice is already off the book: executed in full, or deleted by the caller)."""
        order.shown = order.display if order.display < order.qty else order.qty
        order.ref = next(self._refs)
        level.append(order)
        level.total += order.shown
        if self.sinks:
            self._emit(AddOrder(ts, self.symbol, order.ref, order.side, order.price, order.shown))

    def _self_match(self, order: BookOrder, passive: BookOrder, level: Level, price: int, opp: _Side,
                    cancelled: list, ts: int) -> str:
        """Apply the incoming order's STP mode; returns a reason when the incoming order stops."""
        mode = order.stp
        if mode == STP.CANCEL_NEWEST:
            return Reason.STP
        if mode == STP.DECREMENT and passive.shown > order.qty:
            qty = order.qty
            order.qty = 0
            passive.qty -= qty
            passive.shown -= qty
            level.total -= qty
            cancelled.append((passive, qty))
            if self.sinks:
                self._emit(OrderCancel(ts, self.symbol, passive.ref, qty))
            return Reason.STP
        # CANCEL_OLDEST, CANCEL_BOTH, or DECREMENT where the resting displayed part is used up.
        level.popleft()
        level.total -= passive.shown
        if mode == STP.DECREMENT:
            qty = passive.shown
            order.qty -= qty
            passive.qty -= qty
            passive.shown = 0
            cancelled.append((passive, qty))
            if passive.qty:
                # only the displayed slice was decremented; the reserve refreshes to the back
                if self.sinks:
                    self._emit(OrderDelete(ts, self.symbol, passive.ref))
                self._refresh(passive, level, ts)
                return "" if order.qty else Reason.STP
        else:
            cancelled.append((passive, passive.qty))
            passive.qty = passive.shown = 0
        del self._orders[passive.id]
        passive.reason = Reason.STP
        if self.sinks:
            self._emit(OrderDelete(ts, self.symbol, passive.ref))
        if mode == STP.CANCEL_BOTH:
            return Reason.STP
        return "" if order.qty else Reason.STP

    def cancel(self, order_id: int) -> BookOrder | None:
        """Remove a resting order; returns it (``qty`` still its open quantity), or None."""
        order = self._orders.pop(order_id, None)
        if order is None:
            return None
        side = self.bids if order.side == _BUY else self.asks
        level = side.levels[order.price]
        level.remove(order)
        level.total -= order.shown
        if not level:
            side.remove_level(order.price)
        sinks = self.sinks
        if sinks:
            ev = OrderDelete(self._ts(), self.symbol, order.ref)
            for sink in sinks:
                sink(ev)
        return order

    def _unlink(self, order: BookOrder) -> None:
        side = self.bids if order.side == _BUY else self.asks
        level = side.levels[order.price]
        level.remove(order)
        level.total -= order.shown
        if not level:
            side.remove_level(order.price)

    def replace(self, order_id: int, price: int, qty: int) -> Result | None:
        """Cancel/replace a resting order to ``price`` and open quantity ``qty``.

        Same price and a smaller quantity keep the queue place (OrderCancel of the difference
        in the displayed part); otherwise the order goes to the back as a new order and may
        trade (OrderReplace, or OrderDelete then executions when it crosses). ``qty <= 0``
        cancels. Returns None for an unknown order."""
        order = self._orders.get(order_id)
        if order is None:
            return None
        if price <= 0:
            raise ValueError(self._bad(order_id, price, 1))
        if qty <= 0:
            self.cancel(order_id)
            return Result((), False, (), "")
        if price == order.price and qty <= order.qty:
            order.qty = qty
            if order.shown > qty:
                shown_cut = order.shown - qty
                order.shown = qty
                side = self.bids if order.side == _BUY else self.asks
                side.levels[price].total -= shown_cut
                if self.sinks:
                    self._emit(OrderCancel(self._ts(), self.symbol, order.ref, shown_cut))
            # (only hidden reserve went: nothing displayed changed, so no event)
            return _RESTED
        return self._requeue(order, price, qty)

    def _requeue(self, order: BookOrder, price: int, qty: int) -> Result:
        """Take ``order`` out and enter it again at ``price`` / ``qty`` as a new order."""
        del self._orders[order.id]
        buy = order.side == _BUY
        side, opp = (self.bids, self.asks) if buy else (self.asks, self.bids)
        level = side.levels[order.price]
        level.remove(order)
        level.total -= order.shown
        if not level:
            side.remove_level(order.price)
        old_ref = order.ref
        order.price = price
        order.qty = qty
        order.shown = order.display if 0 < order.display < qty else qty
        prices = opp.prices
        if prices and (prices[0] <= price if buy else -prices[0] >= price):
            return self._enter(order, old_ref)
        # Fast path: it does not cross, so it only joins the back of its new level.
        order.ref = ref = next(self._refs)
        level = side.levels.get(price)
        if level is None:
            level = side.levels[price] = Level()
            insort(side.prices, side.sign * price)
        level.append(order)
        level.total += order.shown
        self._orders[order.id] = order
        sinks = self.sinks
        if sinks:
            ev = OrderReplace(self._ts(), self.symbol, old_ref, ref, price, order.shown)
            for sink in sinks:
                sink(ev)
        return _RESTED

    def move(self, order_id: int, price: int) -> Result | None:
        """Replace to a new price keeping the open quantity (the exchange-core "move")."""
        order = self._orders.get(order_id)
        if order is None:
            return None
        if price == order.price:
            return _RESTED
        if price <= 0:
            raise ValueError(self._bad(order_id, price, 1))
        return self._requeue(order, price, order.qty)
