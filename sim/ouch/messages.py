"""OUCH 5.0 messages as a venue sees them: inbound decoded, outbound encoded.

Inbound (client -> venue; the Enter Order layout is the one ``gateway/ouch`` encodes):

    O Enter Order   47 + appendage: UserRefNum u32, Side, Quantity u32, Symbol 8, Price i64,
                    TimeInForce, Display, Capacity, InterMarketSweep, CrossType, ClOrdID 14,
                    Appendage Length u16
    U Replace Order 40 + appendage: OrigUserRefNum u32, UserRefNum u32, Quantity u32,
                    Price i64, TimeInForce, Display, InterMarketSweep, ClOrdID 14, Appendage Length
    X Cancel Order  9: UserRefNum u32, Quantity u32 (what is to remain; 0 cancels all)

Outbound (venue -> client), each with Timestamp u64 (ns since midnight) after the type:

    S System Event   10: Event Code
    A Accepted       64: UserRefNum, Side, Quantity, Symbol, Price, TimeInForce, Display,
                     OrderReferenceNumber u64, Capacity, InterMarketSweep, CrossType,
                     OrderState, ClOrdID, Appendage Length
    U Replaced       68: OrigUserRefNum, then as Accepted
    C Canceled       18: UserRefNum, Quantity (canceled), Reason
    E Executed       36: UserRefNum, Quantity, Price i64, Liquidity Flag, Match Number u64,
                     Appendage Length
    J Rejected       29: UserRefNum, Reason u16, ClOrdID

Prices are i64 with 4 implied decimals. Appendages (OUCH 5.0 optional fields) are
accepted and skipped; none changes how this venue handles an order.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from wirespeed.enums import Side, TimeInForce
from wirespeed.gateway.ouch.encoder import ENTER_ORDER_BYTES, SIDE
from wirespeed.gateway.ouch.messages import (ACCEPTED, CANCEL, CANCELED, ENTER, EXECUTED, REJECTED, REPLACE,  # noqa: F401
                                             REPLACED, SYSTEM)

assert ENTER.size == ENTER_ORDER_BYTES

SIDE_OF = {v: k for k, v in SIDE.items()}
TIF_OF = {b"0": TimeInForce.DAY, b"3": TimeInForce.IOC}
TIF_BYTE = {TimeInForce.DAY: b"0", TimeInForce.IOC: b"3", TimeInForce.FOK: b"3", TimeInForce.GTC: b"0"}
LIVE, DEAD = b"L", b"D"
ADDED, REMOVED = b"A", b"R"                      # liquidity flags: maker, taker


class OuchReject(IntEnum):
    """OUCH 5.0 Rejected Order reasons (Appendix), the ones this venue gives."""
    DESTINATION_CLOSED = 0x0002
    INVALID_DISPLAY = 0x0003
    INVALID_SIDE = 0x0009
    PROCESSING_ERROR = 0x000A
    OTHER = 0x000F
    INVALID_QUANTITY = 0x0013
    INVALID_CROSS_ORDER = 0x0014
    REPLACE_NOT_ALLOWED = 0x0015
    INVALID_SYMBOL = 0x0017
    INVALID_PRICE = 0x001D
    MAX_QUANTITY_EXCEEDED = 0x0031


class CancelReason:
    IMMEDIATE, USER_REQUESTED, SELF_MATCH, SYSTEM, POST_ONLY = b"I", b"U", b"Q", b"Z", b"G"


class OuchError(ValueError):
    """An inbound message that cannot be read: ``user_ref`` (if readable) and ``reason`` say
    how to reject it."""

    def __init__(self, text: str, user_ref: int | None = None, reason: OuchReject = OuchReject.OTHER):
        super().__init__(text)
        self.user_ref, self.reason = user_ref, reason


@dataclass(frozen=True, slots=True)
class EnterOrder:
    user_ref: int
    side: Side
    qty: int
    symbol: str
    price4: int          # 1/10,000
    tif: TimeInForce
    display: bytes
    cross: bytes
    cl_ord_id: str


@dataclass(frozen=True, slots=True)
class ReplaceOrder:
    orig_user_ref: int
    user_ref: int
    qty: int
    price4: int
    tif: TimeInForce
    display: bytes
    cl_ord_id: str


@dataclass(frozen=True, slots=True)
class CancelOrder:
    user_ref: int
    qty: int


def _appendage(msg: bytes, fixed: int, declared: int, kind: str, user_ref: int) -> None:
    if len(msg) != fixed + declared:
        raise OuchError(f"{kind}: {len(msg)} bytes, expected {fixed} + appendage {declared}", user_ref)


def decode(msg: bytes) -> EnterOrder | ReplaceOrder | CancelOrder:
    """One inbound OUCH message (a SoupBinTCP Unsequenced Data payload). Raises OuchError."""
    kind = msg[:1]
    if kind == b"O":
        if len(msg) < ENTER.size:
            ref = int.from_bytes(msg[1:5], "big") if len(msg) >= 5 else None
            raise OuchError(f"Enter Order: {len(msg)} bytes, OUCH 5.0 says at least {ENTER.size}", ref)
        _, ref, side, qty, sym, price, tif, display, _cap, _iso, cross, cl, app = ENTER.unpack_from(msg)
        _appendage(msg, ENTER.size, app, "Enter Order", ref)
        if side not in SIDE_OF:
            raise OuchError(f"Enter Order: side {side!r} is not B, S or T", ref, OuchReject.INVALID_SIDE)
        if tif not in TIF_OF:
            raise OuchError(f"Enter Order: time in force {tif!r} is not supported (0 Day, 3 IOC)", ref)
        return EnterOrder(ref, SIDE_OF[side], qty, sym.decode("ascii", "replace").rstrip(), price, TIF_OF[tif],
                          display, cross, cl.decode("ascii", "replace").rstrip())
    if kind == b"U":
        if len(msg) < REPLACE.size:
            raise OuchError(f"Replace Order: {len(msg)} bytes, OUCH 5.0 says at least {REPLACE.size}")
        _, orig, ref, qty, price, tif, display, _iso, cl, app = REPLACE.unpack_from(msg)
        _appendage(msg, REPLACE.size, app, "Replace Order", ref)
        if tif not in TIF_OF:
            raise OuchError(f"Replace Order: time in force {tif!r} is not supported (0 Day, 3 IOC)", ref)
        return ReplaceOrder(orig, ref, qty, price, TIF_OF[tif], display, cl.decode("ascii", "replace").rstrip())
    if kind == b"X":
        if len(msg) != CANCEL.size:
            raise OuchError(f"Cancel Order: {len(msg)} bytes, OUCH 5.0 says {CANCEL.size}")
        _, ref, qty = CANCEL.unpack(msg)
        return CancelOrder(ref, qty)
    raise OuchError(f"message type {kind!r} is not supported (O Enter, U Replace, X Cancel)")


def _cl(cl_ord_id: str) -> bytes:
    return cl_ord_id.encode("ascii", "replace")[:14].ljust(14)


def accepted(ts: int, o: EnterOrder, order_ref: int, state: bytes = LIVE) -> bytes:
    return ACCEPTED.pack(b"A", ts, o.user_ref, SIDE[o.side], o.qty, o.symbol.encode().ljust(8), o.price4,
                         TIF_BYTE[o.tif], o.display, order_ref, b"A", b"N", o.cross, state, _cl(o.cl_ord_id), 0)


def replaced(ts: int, r: ReplaceOrder, side: Side, symbol: str, order_ref: int, state: bytes = LIVE) -> bytes:
    return REPLACED.pack(b"U", ts, r.orig_user_ref, r.user_ref, SIDE[side], r.qty, symbol.encode().ljust(8),
                         r.price4, TIF_BYTE[r.tif], r.display, order_ref, b"A", b"N", b"N", state,
                         _cl(r.cl_ord_id), 0)


def canceled(ts: int, user_ref: int, qty: int, reason: bytes) -> bytes:
    return CANCELED.pack(b"C", ts, user_ref, qty, reason)


def executed(ts: int, user_ref: int, qty: int, price4: int, liquidity: bytes, match: int) -> bytes:
    return EXECUTED.pack(b"E", ts, user_ref, qty, price4, liquidity, match, 0)


def rejected(ts: int, user_ref: int, reason: OuchReject, cl_ord_id: str = "") -> bytes:
    return REJECTED.pack(b"J", ts, user_ref, int(reason), _cl(cl_ord_id))


def system_event(ts: int, code: bytes) -> bytes:
    return SYSTEM.pack(b"S", ts, code)
