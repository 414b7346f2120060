"""Book events: what a venue's matching engine tells its market-data feed.

Defined once here so the engine (``sim/book.py`` and what grows from it), the ITCH 5.0
feed, the in-process subscriptions of accelerated backtests and the book rebuilt by a
feed subscriber all speak the same records. Each maps onto one ITCH 5.0 message:

=================  ====  =====================================================
event              ITCH  meaning
=================  ====  =====================================================
``AddOrder``       A/F   a displayed order (or the displayed part of a reserve
                         order) joins the book; ``mpid`` set -> 'F' (attributed)
``OrderExecuted``  E/C   a resting displayed order traded ``qty`` at ``price``
                         ('C' when ``price`` differs from the order's price)
``OrderCancel``    X     ``qty`` of a resting order removed, the rest stays
``OrderDelete``    D     a resting order left the book entirely
``OrderReplace``   U     an order replaced by a new id, price and quantity
                         (loses its time priority: it is a new order)
``NonDisplayedTrade`` P  an execution against non-displayed (hidden) quantity
``CrossTrade``     Q     an auction's cross: its volume at the cross price
``SystemEvent``    S     start/end of messages, system hours, market hours
=================  ====  =====================================================

Prices are integer ticks of the symbol's tick size, quantities integer shares,
``ts_ns`` nanoseconds since midnight of the trading day on the venue's clock (ITCH's
timestamp), ``match_id`` unique per venue and day. As on ITCH, an order executed in full
leaves the book with that ``OrderExecuted`` (no ``OrderDelete`` follows). A queue-position
change of the hidden rest of a reserve order (refresh to the back) is an ``AddOrder`` with
a new ``order_id`` once the old displayed part is gone (executed in full, or removed by an
``OrderDelete``), as ITCH venues show it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

from wirespeed.enums import Side


@dataclass(frozen=True, slots=True)
class AddOrder:
    ts_ns: int
    symbol: str
    order_id: int
    side: Side
    price: int
    qty: int
    mpid: str = ""


@dataclass(frozen=True, slots=True)
class OrderExecuted:
    ts_ns: int
    symbol: str
    order_id: int
    qty: int
    price: int
    match_id: int


@dataclass(frozen=True, slots=True)
class OrderCancel:
    ts_ns: int
    symbol: str
    order_id: int
    qty: int          # cancelled quantity (not what remains)


@dataclass(frozen=True, slots=True)
class OrderDelete:
    ts_ns: int
    symbol: str
    order_id: int


@dataclass(frozen=True, slots=True)
class OrderReplace:
    ts_ns: int
    symbol: str
    old_order_id: int
    new_order_id: int
    price: int
    qty: int


@dataclass(frozen=True, slots=True)
class NonDisplayedTrade:
    ts_ns: int
    symbol: str
    side: Side        # side of the resting (hidden) order
    price: int
    qty: int
    match_id: int


@dataclass(frozen=True, slots=True)
class CrossTrade:
    ts_ns: int
    symbol: str
    qty: int          # shares matched in the cross (0: interest did not cross)
    price: int
    match_id: int
    cross_type: str = "C"    # ITCH: O opening, C closing, H halted/IPO, I intraday


#: ITCH System Event codes.
START_OF_MESSAGES, START_OF_SYSTEM_HOURS, START_OF_MARKET_HOURS = "O", "S", "Q"
END_OF_MARKET_HOURS, END_OF_SYSTEM_HOURS, END_OF_MESSAGES = "M", "E", "C"


@dataclass(frozen=True, slots=True)
class SystemEvent:
    ts_ns: int
    code: str


BookEvent = Union[AddOrder, OrderExecuted, OrderCancel, OrderDelete, OrderReplace,
                  NonDisplayedTrade, CrossTrade, SystemEvent]
#: A subscriber: called synchronously, in order, for every event of a venue.
EventSink = Callable[[BookEvent], None]
