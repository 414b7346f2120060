"""FIX order messages <-> the core order model.

Decoding never raises on bad content: it returns the RejectReason and a text so
the caller answers with an ExecutionReport 39=8 naming what was wrong.
"""
from __future__ import annotations

import re

from wirespeed.ascii import digits
from wirespeed.enums import ExecType, OrdType, Side, TimeInForce
from wirespeed.order import ExecutionReport, Order
from wirespeed.prices import PriceError
from wirespeed.reasons import RejectReason
from wirespeed.symbols import SymbolTable

from ..native import native_fix, order_maker, report_maker
from . import tags as T
from .message import FixMessage

QTY_MAX = (1 << 32) - 1


class DecodeError(Exception):
    def __init__(self, reason: RejectReason, text: str):
        super().__init__(text)
        self.reason, self.text = reason, text


def _qty(msg: FixMessage) -> int:
    return _qty_of(msg.get(T.OrderQty, ""))


def _qty_of(text: str) -> int:
    whole, _, frac = text.partition(".")
    if not digits(whole) or (frac and frac.strip("0")) or len(whole) > 18:   # (18: never convert thousands)
        raise DecodeError(RejectReason.ZERO_QTY if text in ("", "0") else RejectReason.BAD_FIELD,
                          f"OrderQty(38) must be a whole number of shares, not {text!r}")
    qty = int(whole)
    if qty > QTY_MAX:
        raise DecodeError(RejectReason.BAD_FIELD, f"OrderQty(38) {qty} is out of range")
    return qty


_NOS_TAGS = (T.ClOrdID, T.Symbol, T.Side, T.OrdType, T.TimeInForce, T.OrderQty, T.Price)
# FIX value -> member, and member -> FIX value, as plain dicts: an Enum call costs ~1 us on the
# hot path (``Side(x)`` goes through EnumType.__call__), a dict lookup a few dozen ns.
_SIDE_IN, _TYPE_IN, _TIF_IN = ({m.fix: m for m in cls} for cls in (Side, OrdType, TimeInForce))
_SIDE_OUT, _TYPE_OUT, _TIF_OUT = ({m: m.fix for m in cls} for cls in (Side, OrdType, TimeInForce))
_fix = native_fix()
_NATIVE = None if _fix is None else _fix.OrderDecoder(_SIDE_IN, _TYPE_IN, _TIF_IN, TimeInForce.DAY, OrdType.LIMIT).decode
_ORDER = order_maker() or Order     # Order(...) in one C call (its key too), where built
_REPORT = None if _fix is None else _fix.decode_report
_VENUE_ID = None if _fix is None else _fix.venue_order_id
_VALUES = None if _fix is None else _fix.OrderValues(_SIDE_OUT, _TYPE_OUT, _TIF_OUT, OrdType.LIMIT)
_REPORT_FIELDS = report_maker()    # report_fields' list in one C call, where built (native/report.c)


def _member(table: dict, cls, tag: int, value: str | None, default=None):
    member = table.get(value)
    if member is not None:
        return member
    if value is None:
        if default is not None:
            return default
        raise DecodeError(RejectReason.BAD_FIELD, f"tag {tag} missing")
    raise DecodeError(RejectReason.UNSUPPORTED, f"unsupported {cls.__name__}({tag})={value}")


def decode_new_order(msg: FixMessage, symbols: SymbolTable, order_id: int, session: int) -> Order:
    """NewOrderSingle -> Order. Raises DecodeError(reason, text).

    The values are read in one call (a shape-matched message hands them out of its match
    at once). The enumerations, OrderQty and Price are decoded in C where the native codec is
    built (``_NATIVE``: the same members and integers, tests/gateway/test_native_fix.py); a
    value it does not accept comes here, to the Python decoder, which names the problem."""
    cl_ord_id, name, side, ord_type, tif, qty_text, price_text = msg.values(_NOS_TAGS)
    sym = symbols.by_name(name or "")
    if sym is None:
        raise DecodeError(RejectReason.UNKNOWN_SYMBOL, f"unknown symbol {name!r}")
    if _NATIVE is not None:
        tick = sym.tick
        got = _NATIVE(side, ord_type, tif, qty_text, price_text, tick.units, tick.decimals)
        if got is not None:
            return _ORDER(order_id, cl_ord_id or "", session, sym.index, *got)
    return _decode_values(sym, cl_ord_id, side, ord_type, tif, qty_text, price_text, order_id, session)


def _decode_values(sym, cl_ord_id, side, ord_type, tif, qty_text, price_text, order_id: int, session: int) -> Order:
    """The Python decoder of a NewOrderSingle's values (the reference; every reject's text)."""
    side = _member(_SIDE_IN, Side, T.Side, side)
    ord_type = _member(_TYPE_IN, OrdType, T.OrdType, ord_type)
    tif = _member(_TIF_IN, TimeInForce, T.TimeInForce, tif, TimeInForce.DAY)
    qty = _qty_of(qty_text or "")
    price = 0
    if ord_type is OrdType.LIMIT:
        if price_text is None:
            raise DecodeError(RejectReason.BAD_PRICE, "Price(44) required for a limit order")
        try:
            price = sym.tick.parse_ticks(price_text)
        except PriceError as exc:
            raise DecodeError(RejectReason.BAD_PRICE, str(exc)) from None
        if price > QTY_MAX:
            raise DecodeError(RejectReason.BAD_PRICE, f"Price(44) {price_text} is out of range")
    return Order(order_id, cl_ord_id or "", session, sym.index, side, ord_type, tif, qty, price)


#: The venue NewOrderSingle's body, in order (a market order has no Price): the gateway sends it
#: through a session template of these tags, ``new_order_fields`` pairs them for other callers.
NEW_ORDER_TAGS = (T.ClOrdID, T.Symbol, T.Side, T.TransactTime, T.OrderQty, T.OrdType, T.Price, T.TimeInForce)
NEW_MARKET_ORDER_TAGS = tuple(t for t in NEW_ORDER_TAGS if t != T.Price)


def new_order_values(order: Order, symbols: SymbolTable, cl_ord_id: str, transact_time: str) -> tuple:
    """The values of a venue NewOrderSingle: in ``NEW_ORDER_TAGS`` order for a limit order,
    ``NEW_MARKET_ORDER_TAGS`` otherwise (in C where the native codec is: ``_VALUES``, the same
    tuple; a price it does not render comes out of the Python below)."""
    sym = symbols.by_index(order.symbol)
    if _VALUES is not None:
        tick = sym.tick
        values = _VALUES(order, cl_ord_id, sym.name, tick.units, tick.decimals, transact_time)
        if values is not None:
            return values
    if order.ord_type == OrdType.LIMIT:
        return (cl_ord_id, sym.name, _SIDE_OUT[order.side], transact_time, order.qty, _TYPE_OUT[order.ord_type],
                sym.tick.format(order.price), _TIF_OUT[order.tif])
    return (cl_ord_id, sym.name, _SIDE_OUT[order.side], transact_time, order.qty, _TYPE_OUT[order.ord_type],
            _TIF_OUT[order.tif])


def new_order_fields(order: Order, symbols: SymbolTable, cl_ord_id: str, transact_time: str) -> list:
    values = new_order_values(order, symbols, cl_ord_id, transact_time)
    return list(zip(NEW_ORDER_TAGS if order.ord_type == OrdType.LIMIT else NEW_MARKET_ORDER_TAGS, values))


def venue_cl_ord_id(order_id: int) -> str:
    """The ClOrdID the gateway gives an order at the venue: its id as 8 upper-case hex digits
    (what the hardware encoders emit, with no decimal conversion)."""
    return f"{order_id:08X}"


def venue_order_id(cl_ord_id: str) -> int | None:
    """The gateway order id in a venue ClOrdID (``venue_cl_ord_id``, optionally ``.n`` for a cancel)."""
    if _VENUE_ID is not None:
        return _VENUE_ID(cl_ord_id)
    return _venue_order_id(cl_ord_id)


def _venue_order_id(cl_ord_id: str) -> int | None:
    """venue_order_id in Python (the reference)."""
    base = cl_ord_id.split(".", 1)[0]
    if _HEX8(base) is None:
        return None
    return int(base, 16)


_HEX8 = re.compile("[0-9A-F]{8}").fullmatch   # (one C call per venue report, not a generator over 8 chars)


def exec_report_fields(r: ExecutionReport, symbols: SymbolTable, begin: str = "FIX.4.4") -> list:
    return report_fields(symbols, begin, r.cl_ord_id, r.order_id, r.exec_id, r.exec_type, r.ord_status, r.symbol,
                         r.side, r.qty, r.price, r.last_qty, r.last_px, r.cum_qty, r.leaves_qty, r.avg_px_num,
                         r.reason, r.text, r.ord_type)


def report_fields(symbols: SymbolTable, begin: str, cl_ord_id: str, order_id, exec_id: str, exec_type: ExecType,
                  ord_status, symbol: str, side, qty: int, price: int, last_qty: int, last_px: int, cum_qty: int,
                  leaves_qty: int, avg_px_num: int, reason, text: str, ord_type) -> list:
    """An ExecutionReport's fields from its values (``exec_report_fields`` of an ``ExecutionReport``;
    the order path calls this directly: building the frozen record cost ~3.5 us a report).
    In C where built (``_REPORT_FIELDS``, the same list: tests/gateway/test_native_report.py);
    what it does not take (a number out of its range) is built by ``_report_fields`` below."""
    sym = symbols.by_name(symbol)
    if _REPORT_FIELDS is not None and sym is not None:
        out = _REPORT_FIELDS(begin == "FIX.4.2", cl_ord_id, order_id, exec_id, exec_type, ord_status, symbol, side, qty,
                             price, last_qty, last_px, cum_qty, leaves_qty, avg_px_num, reason, text, ord_type,
                             _tick_args(sym.tick))
        if out is not None:
            return out
    return _report_fields(sym, begin, cl_ord_id, order_id, exec_id, exec_type, ord_status, symbol, side, qty, price,
                          last_qty, last_px, cum_qty, leaves_qty, avg_px_num, reason, text, ord_type)


_TICK_ARGS: dict = {}


def _tick_args(tick) -> tuple:
    """(units, decimals, AvgPx places or -1, a zero AvgPx's text) of a tick, for the C report."""
    args = _TICK_ARGS.get(tick)
    if args is None:
        avg_px_text(tick, 0, 1)                       # (fills _AVG_PLACES for this tick)
        places = _AVG_PLACES[tick]
        args = _TICK_ARGS[tick] = (tick.units, tick.decimals, -1 if places is None else places, avg_px_text(tick, 0, 0))
    return args


def _report_fields(sym, begin: str, cl_ord_id: str, order_id, exec_id: str, exec_type: ExecType, ord_status,
                   symbol: str, side, qty: int, price: int, last_qty: int, last_px: int, cum_qty: int,
                   leaves_qty: int, avg_px_num: int, reason, text: str, ord_type) -> list:
    """report_fields in Python (the reference)."""
    fmt = sym.tick.format if sym else str
    # (text, as it goes out: plain data, which the audit journal's marshal holds)
    avg = avg_px_text(sym.tick, avg_px_num, cum_qty) if sym else "0"
    fields = [(T.OrderID, order_id or "NONE"), (T.ClOrdID, cl_ord_id), (T.ExecID, exec_id)]
    if begin == "FIX.4.2":
        fields.append((T.ExecTransType, "0"))
    fields += [(T.ExecType, _exec_type_42(exec_type) if begin == "FIX.4.2" else exec_type.fix),
               (T.OrdStatus, ord_status.fix), (T.Symbol, symbol), (T.Side, _SIDE_OUT[side]),
               (T.OrderQty, qty), (T.OrdType, _TYPE_OUT[ord_type])]
    if price:
        fields.append((T.Price, fmt(price)))
    fields += [(T.LastQty, last_qty), (T.LastPx, fmt(last_px) if last_qty else "0"),
               (T.LeavesQty, leaves_qty), (T.CumQty, cum_qty), (T.AvgPx, avg)]
    if exec_type is ExecType.REJECTED:
        fields.append((T.OrdRejReason, reason.ord_rej_reason))
    if text:
        fields.append((T.Text, text))
    return fields


_AVG_PLACES: dict = {}     # TickSize -> decimal places of its AvgPx (None: Decimal's own way)


def avg_px_text(tick, avg_px_num: int, cum_qty: int) -> str:
    """AvgPx: ``avg_px_num`` (ticks x shares) / ``cum_qty`` in the tick's currency, to 4 more places
    than the tick's value has, rounded half-even: what ``Decimal`` division then ``quantize``
    gives (its 28 digits cannot land on a false tie for a quotient of integers below 2**64 by
    a quantity below 2**32), in integers: ~10x cheaper on every fill report."""
    places = _AVG_PLACES.get(tick, ...)
    if places is ...:
        exp = (tick.to_decimal(1) / 10**4).as_tuple().exponent
        places = _AVG_PLACES[tick] = -exp if tick.decimals <= -exp <= 18 else None
    if places is None or not 0 <= avg_px_num < 1 << 64 or not 0 <= cum_qty < 1 << 32:
        if not cum_qty:
            return str(tick.to_decimal(0))
        return str((tick.to_decimal(avg_px_num) / cum_qty).quantize(tick.to_decimal(1) / 10**4))
    if not cum_qty:
        return str(tick.to_decimal(0))
    q, rem = divmod(avg_px_num * tick.units * 10 ** (places - tick.decimals), cum_qty)
    if 2 * rem > cum_qty or (2 * rem == cum_qty and q & 1):
        q += 1
    if not places:
        return str(q)
    whole, frac = divmod(q, 10 ** places)
    return f"{whole}.{frac:0{places}d}"


def _exec_type_42(t: ExecType) -> str:
    # FIX 4.2 reports fills as ExecType 1/2 (partial/fill); 4.4 uses F (Trade).
    return "2" if t is ExecType.TRADE else t.fix


_ER_TAGS = (T.ClOrdID, T.ExecID, T.ExecType, T.OrdStatus, T.LastQty, T.LastPx, T.Text, T.OrdRejReason, T.CumQty,
            T.AvgPx)


def decode_exec_report(msg: FixMessage) -> dict:
    """The fields of a venue ExecutionReport the gateway acts on (ints, ticks stay strings).
    (The values in one call: a shape-matched report hands them out of its match at once; the
    dict built in C where the native codec is, ``_decode_report``: the same dict.)"""
    values = msg.values(_ER_TAGS)
    if _REPORT is not None:
        rep = _REPORT(values)
        if rep is not None:
            return rep
    return _decode_report(values)


def _decode_report(values: tuple) -> dict:
    """decode_exec_report's dict in Python (the reference)."""
    cl, exec_id, exec_type, status, last_qty, last_px, text, reason, cum_qty, avg_px = values
    return {
        "cl_ord_id": cl or "",
        "exec_id": exec_id or "",
        "exec_type": exec_type or "",
        "ord_status": status or "",
        "last_qty": _int_qty(last_qty),
        "last_px": "0" if last_px is None else last_px,
        "text": text or "",
        "ord_rej_reason": reason,
        "cum_qty": _int_qty(cum_qty),
        "avg_px": "0" if avg_px is None else avg_px,
    }


def _int_qty(text: str | None) -> int:
    """A venue's quantity as a whole number, -1 when it is not one. Without a data dictionary
    (UseDataDictionary=N) nothing has checked it: only a plain number of at most 18 digits is
    converted (int() of thousands of digits raises; Decimal("1E999999999") would take the memory)."""
    whole, _, frac = (text or "0").partition(".")
    if len(whole) > 18 or len(frac) > 18 or not digits(whole) or (frac and not digits(frac)):
        return -1
    return int(whole)


ExDestination = 100     # the venue a client names for its order (tags.py stays the session layer's)


def decode_replace(msg: FixMessage, sym, cum_qty: int) -> tuple[int, int]:
    """OrderCancelReplaceRequest -> (new total OrderQty, new price in ticks). Raises DecodeError."""
    qty = _qty(msg)
    if qty <= cum_qty:
        raise DecodeError(RejectReason.BAD_FIELD, f"OrderQty(38) {qty} must exceed the filled quantity {cum_qty}")
    text = msg.get(T.Price)
    if text is None:
        raise DecodeError(RejectReason.BAD_PRICE, "Price(44) required to replace a limit order")
    try:
        price = sym.tick.parse_ticks(text)
    except PriceError as exc:
        raise DecodeError(RejectReason.BAD_PRICE, str(exc)) from None
    if price > QTY_MAX or price == 0:
        raise DecodeError(RejectReason.BAD_PRICE, f"Price(44) {text} is out of range")
    return qty, price


def cancel_reject_fields(order_id, cl_ord_id: str, orig: str, status: str, response_to: str, reason: int,
                         text: str) -> list:
    """OrderCancelReject (35=9); ``response_to`` is CxlRejResponseTo: 1 cancel, 2 replace."""
    return [(T.OrderID, order_id or "NONE"), (T.ClOrdID, cl_ord_id), (T.OrigClOrdID, orig), (T.OrdStatus, status),
            (T.CxlRejResponseTo, response_to), (T.CxlRejReason, reason)] + ([(T.Text, text)] if text else [])


def venue_cancel_fields(orig: str, cl_ord_id: str, symbol: str, side: Side, qty: int, transact_time: str) -> list:
    return [(T.OrigClOrdID, orig), (T.ClOrdID, cl_ord_id), (T.Symbol, symbol), (T.Side, side.fix),
            (T.TransactTime, transact_time), (T.OrderQty, qty)]


def venue_replace_fields(order: Order, symbols: SymbolTable, orig: str, cl_ord_id: str, qty: int,
                         transact_time: str) -> list:
    sym = symbols.by_index(order.symbol)
    return [(T.OrigClOrdID, orig), (T.ClOrdID, cl_ord_id), (T.Symbol, sym.name), (T.Side, Side(order.side).fix),
            (T.TransactTime, transact_time), (T.OrderQty, qty), (T.OrdType, OrdType(order.ord_type).fix),
            (T.Price, sym.tick.format(order.price)), (T.TimeInForce, TimeInForce(order.tif).fix)]


def status_request_fields(cl_ord_id: str, symbol: str, side: Side) -> list:
    """OrderStatusRequest (35=H) for one order."""
    return [(T.ClOrdID, cl_ord_id), (T.Symbol, symbol), (T.Side, side.fix)]
