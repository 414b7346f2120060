"""FIX order messages <-> the core order model.

Decoding never raises on bad content: it returns the RejectReason and a text so
the caller answers with an ExecutionReport 39=8 naming what was wrong.
"""
from __future__ import annotations

from decimal import Decimal

from wirespeed.enums import ExecType, OrdType, Side, TimeInForce
from wirespeed.order import ExecutionReport, Order
from wirespeed.prices import PriceError
from wirespeed.reasons import RejectReason
from wirespeed.symbols import SymbolTable

from . import tags as T
from .message import FixMessage
from wirespeed.ascii import digits

QTY_MAX = (1 << 32) - 1


class DecodeError(Exception):
    def __init__(self, reason: RejectReason, text: str):
        super().__init__(text)
        self.reason, self.text = reason, text


def _enum(cls, msg: FixMessage, tag: int, default=None):
    value = msg.get(tag)
    if value is None:
        if default is not None:
            return default
        raise DecodeError(RejectReason.BAD_FIELD, f"tag {tag} missing")
    try:
        return cls.from_fix(value)
    except ValueError:
        raise DecodeError(RejectReason.UNSUPPORTED, f"unsupported {cls.__name__}({tag})={value}") from None


def _qty(msg: FixMessage) -> int:
    text = msg.get(T.OrderQty, "")
    whole, _, frac = text.partition(".")
    if not digits(whole) or (frac and frac.strip("0")):
        raise DecodeError(RejectReason.ZERO_QTY if text in ("", "0") else RejectReason.BAD_FIELD,
                          f"OrderQty(38) must be a whole number of shares, not {text!r}")
    qty = int(whole)
    if qty > QTY_MAX:
        raise DecodeError(RejectReason.BAD_FIELD, f"OrderQty(38) {qty} is out of range")
    return qty


def decode_new_order(msg: FixMessage, symbols: SymbolTable, order_id: int, session: int) -> Order:
    """NewOrderSingle -> Order. Raises DecodeError(reason, text)."""
    cl_ord_id = msg.get(T.ClOrdID, "")
    sym = symbols.by_name(msg.get(T.Symbol, ""))
    if sym is None:
        raise DecodeError(RejectReason.UNKNOWN_SYMBOL, f"unknown symbol {msg.get(T.Symbol)!r}")
    side = _enum(Side, msg, T.Side)
    ord_type = _enum(OrdType, msg, T.OrdType)
    tif = _enum(TimeInForce, msg, T.TimeInForce, TimeInForce.DAY)
    qty = _qty(msg)
    price = 0
    if ord_type is OrdType.LIMIT:
        text = msg.get(T.Price)
        if text is None:
            raise DecodeError(RejectReason.BAD_PRICE, "Price(44) required for a limit order")
        try:
            price = sym.tick.parse_ticks(text)
        except PriceError as exc:
            raise DecodeError(RejectReason.BAD_PRICE, str(exc)) from None
        if price > QTY_MAX:
            raise DecodeError(RejectReason.BAD_PRICE, f"Price(44) {text} is out of range")
    return Order(order_id, cl_ord_id, session, sym.index, side, ord_type, tif, qty, price)


def new_order_fields(order: Order, symbols: SymbolTable, cl_ord_id: str, transact_time: str) -> list:
    sym = symbols.by_index(order.symbol)
    fields = [(T.ClOrdID, cl_ord_id), (T.Symbol, sym.name), (T.Side, Side(order.side).fix),
              (T.TransactTime, transact_time), (T.OrderQty, order.qty), (T.OrdType, OrdType(order.ord_type).fix)]
    if order.ord_type == OrdType.LIMIT:
        fields.append((T.Price, sym.tick.format(order.price)))
    fields.append((T.TimeInForce, TimeInForce(order.tif).fix))
    return fields


def venue_cl_ord_id(order_id: int) -> str:
    """The ClOrdID the gateway gives an order at the venue: its id as 8 upper-case hex digits
    (what the hardware encoders emit, with no decimal conversion)."""
    return f"{order_id:08X}"


def venue_order_id(cl_ord_id: str) -> int | None:
    """The gateway order id in a venue ClOrdID (``venue_cl_ord_id``, optionally ``.n`` for a cancel)."""
    base = cl_ord_id.split(".", 1)[0]
    if len(base) != 8 or not base.isascii() or any(c not in "0123456789ABCDEF" for c in base):
        return None
    return int(base, 16)


def exec_report_fields(r: ExecutionReport, symbols: SymbolTable, begin: str = "FIX.4.4") -> list:
    sym = symbols.by_name(r.symbol)
    fmt = sym.tick.format if sym else str
    avg = sym.tick.to_decimal(0) if sym else 0
    if r.cum_qty and sym:
        avg = (sym.tick.to_decimal(r.avg_px_num) / r.cum_qty).quantize(sym.tick.to_decimal(1) / 10**4)
    fields = [(T.OrderID, r.order_id or "NONE"), (T.ClOrdID, r.cl_ord_id), (T.ExecID, r.exec_id)]
    if begin == "FIX.4.2":
        fields.append((T.ExecTransType, "0"))
    fields += [(T.ExecType, _exec_type_42(r.exec_type) if begin == "FIX.4.2" else r.exec_type.fix),
               (T.OrdStatus, r.ord_status.fix), (T.Symbol, r.symbol), (T.Side, Side(r.side).fix),
               (T.OrderQty, r.qty), (T.OrdType, OrdType(r.ord_type).fix)]
    if r.price:
        fields.append((T.Price, fmt(r.price)))
    fields += [(T.LastQty, r.last_qty), (T.LastPx, fmt(r.last_px) if r.last_qty else "0"),
               (T.LeavesQty, r.leaves_qty), (T.CumQty, r.cum_qty), (T.AvgPx, avg)]
    if r.exec_type is ExecType.REJECTED:
        fields.append((T.OrdRejReason, r.reason.ord_rej_reason))
    if r.text:
        fields.append((T.Text, r.text))
    return fields


def _exec_type_42(t: ExecType) -> str:
    # FIX 4.2 reports fills as ExecType 1/2 (partial/fill); 4.4 uses F (Trade).
    return "2" if t is ExecType.TRADE else t.fix


def decode_exec_report(msg: FixMessage) -> dict:
    """The fields of a venue ExecutionReport the gateway acts on (ints, ticks stay strings)."""
    return {
        "cl_ord_id": msg.get(T.ClOrdID, ""),
        "exec_id": msg.get(T.ExecID, ""),
        "exec_type": msg.get(T.ExecType, ""),
        "ord_status": msg.get(T.OrdStatus, ""),
        "last_qty": _int_qty(msg.get(T.LastQty)),
        "last_px": msg.get(T.LastPx, "0"),
        "text": msg.get(T.Text, ""),
        "ord_rej_reason": msg.get(T.OrdRejReason),
        "cum_qty": _int_qty(msg.get(T.CumQty)),
        "avg_px": msg.get(T.AvgPx, "0"),
    }


def _int_qty(text: str | None) -> int:
    try:
        return int(Decimal(text or "0"))
    except ArithmeticError:
        return -1


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
            (T.CxlRejResponseTo, response_to), (T.CxlRejReason, reason), (T.Text, text)]


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
