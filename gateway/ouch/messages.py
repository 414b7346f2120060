"""OUCH 5.0 as the gateway (a venue's client) speaks it: what it sends, what it reads back.

Sent (SoupBinTCP Unsequenced Data): Enter Order (``encoder.enter_order``, the hardware
encoder's golden model), Replace Order, Cancel Order. Read (Sequenced Data): System Event,
Accepted, Replaced, Canceled, Executed, Rejected. Layouts as OUCH 5.0 gives them
(big-endian, alpha fields space-padded, prices i64 with 4 implied decimals, every venue
message with a u64 timestamp after its type):

    U Replace Order  OrigUserRefNum u32, UserRefNum u32, Quantity u32, Price i64, TimeInForce,
                     Display, InterMarketSweep, ClOrdID 14, Appendage Length u16
    X Cancel Order   UserRefNum u32, Quantity u32 (what is to remain; 0 cancels all)
    A Accepted       UserRefNum, Side, Quantity, Symbol 8, Price, TimeInForce, Display,
                     OrderReferenceNumber u64, Capacity, InterMarketSweep, CrossType,
                     OrderState, ClOrdID 14, Appendage Length
    U Replaced       OrigUserRefNum, then as Accepted
    C Canceled       UserRefNum, Quantity (canceled now), Reason
    E Executed       UserRefNum, Quantity, Price, Liquidity Flag, Match Number u64, Appendage Length
    J Rejected       UserRefNum, Reason u16, ClOrdID 14
    S System Event   Event Code
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from wirespeed.enums import TimeInForce

from .encoder import TIF

# The OUCH 5.0 layouts, defined once: the gateway's venue session and sim's OUCH venue both use
# these (client -> venue: Enter, Replace, Cancel; venue -> client: the rest).
ENTER = struct.Struct(">cIcI8sq5c14sH")
REPLACE = struct.Struct(">cIIIqccc14sH")
CANCEL = struct.Struct(">cII")
ACCEPTED = struct.Struct(">cQIcI8sqccQcccc14sH")
REPLACED = struct.Struct(">cQIIcI8sqccQcccc14sH")
CANCELED = struct.Struct(">cQIIc")
EXECUTED = struct.Struct(">cQIIqcQH")
REJECTED = struct.Struct(">cQIH14s")
SYSTEM = struct.Struct(">cQc")
_IN = {b"A": ACCEPTED, b"U": REPLACED, b"C": CANCELED, b"E": EXECUTED, b"J": REJECTED, b"S": SYSTEM}


class OuchDecodeError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class VenueMessage:
    """One venue message, the fields the order path acts on (the rest is in ``raw``)."""

    kind: str                 # accepted, replaced, canceled, executed, rejected, system
    user_ref: int = 0
    orig_user_ref: int = 0    # replaced: the order it replaced
    qty: int = 0              # accepted/replaced: the order's; canceled: taken away now; executed: the fill
    price4: int = 0
    match: int = 0            # executed: the venue's match number (unique per execution)
    reason: str = ""          # canceled: reason code; rejected: the u16 reason as 0xNNNN
    live: bool = True         # accepted/replaced: OrderState L (live) or D (dead)
    raw: bytes = b""


def replace_order(orig_ref: int, new_ref: int, qty: int, price4: int, tif: TimeInForce) -> bytes:
    cl = f"{new_ref:08X}".encode().ljust(14)
    return REPLACE.pack(b"U", orig_ref, new_ref, qty, price4, TIF[tif], b"Y", b"N", cl, 0)


def cancel_order(user_ref: int, remain: int = 0) -> bytes:
    return CANCEL.pack(b"X", user_ref, remain)


def decode(msg: bytes) -> VenueMessage:
    """One Sequenced Data payload. Raises OuchDecodeError naming what is wrong."""
    kind = msg[:1]
    layout = _IN.get(kind)
    if layout is None:
        raise OuchDecodeError(f"venue message type {kind!r} is not one OUCH 5.0 sends (A U C E J S)")
    if len(msg) < layout.size:
        raise OuchDecodeError(f"venue message {kind.decode()}: {len(msg)} bytes, OUCH 5.0 says {layout.size}")
    f = layout.unpack_from(msg)
    if kind == b"A":
        return VenueMessage("accepted", f[2], 0, f[4], f[6], live=f[13] == b"L", raw=msg)
    if kind == b"U":
        return VenueMessage("replaced", f[3], f[2], f[5], f[7], live=f[14] == b"L", raw=msg)
    if kind == b"C":
        return VenueMessage("canceled", f[2], 0, f[3], reason=f[4].decode("ascii", "replace"), raw=msg)
    if kind == b"E":
        return VenueMessage("executed", f[2], 0, f[3], f[4], match=f[6], raw=msg)
    if kind == b"J":
        return VenueMessage("rejected", f[2], reason=f"0x{f[3]:04X}", raw=msg)
    return VenueMessage("system", reason=f[2].decode("ascii", "replace"), raw=msg)
