"""OUCH 5.0 Enter Order, framed as a SoupBinTCP Unsequenced Data packet.

Enter Order (47 bytes, big-endian integers, alpha fields left-justified and space-padded):

    0  Type 'O'         1  UserRefNum u32     5  Side            6  Quantity u32
    10 Symbol alpha 8   18 Price i64 (4 implied decimals)        26 TimeInForce
    27 Display          28 Capacity          29 InterMarketSweepEligibility
    30 CrossType        31 ClOrdID alpha 14  45 Appendage Length u16 (0: none)

SoupBinTCP prepends Packet Length u16 (bytes that follow) and Packet Type 'U'.
UserRefNum is the gateway order id (day-unique, increasing); ClOrdID is the same id
as 8 upper-case hex digits (so the hardware encoder needs no decimal conversion).
OUCH has no GTC or FOK: GTC goes as Day and FOK as IOC; the control plane re-enters
GTC orders daily, and routes FOK orders to venues that support them.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from wirespeed.enums import Side, TimeInForce
from wirespeed.order import Order
from wirespeed.prices import TickSize

ENTER_ORDER_BYTES = 47
ENTER_ORDER_FRAME_BYTES = ENTER_ORDER_BYTES + 3
SIDE = {Side.BUY: b"B", Side.SELL: b"S", Side.SELL_SHORT: b"T"}
TIF = {TimeInForce.DAY: b"0", TimeInForce.GTC: b"0", TimeInForce.IOC: b"3", TimeInForce.FOK: b"3"}
DISPLAY, CAPACITY, ISO, CROSS = b"Y", b"A", b"N", b"N"



@dataclass(frozen=True, slots=True)
class OuchSymbol:
    """What an encoder needs per symbol: its 8-byte name and ticks -> 1/10,000 multiplier."""
    name: str
    price_scale: int

    @classmethod
    def of(cls, name: str, tick: TickSize) -> "OuchSymbol":
        if tick.decimals > 4:
            raise ValueError(f"tick {tick} is finer than OUCH's 4 implied decimals")
        return cls(name, tick.units * 10 ** (4 - tick.decimals))

    @property
    def name_bytes(self) -> bytes:
        raw = self.name.encode("ascii")
        if len(raw) > 8:
            raise ValueError(f"OUCH symbols are at most 8 characters, not {self.name!r}")
        return raw.ljust(8, b" ")


def enter_order(order: Order, symbol: OuchSymbol) -> bytes:
    """The 47-byte Enter Order message for ``order``."""
    cl = f"{order.order_id:08X}".encode().ljust(14, b" ")
    price = order.price * symbol.price_scale
    if price >= 1 << 63:
        raise ValueError(f"price {order.price} x scale {symbol.price_scale} exceeds OUCH's 8-byte price")
    return struct.pack(">cIcI8sq5c14sH", b"O", order.order_id, SIDE[Side(order.side)], order.qty, symbol.name_bytes,
                       price, TIF[TimeInForce(order.tif)], DISPLAY, CAPACITY, ISO, CROSS,
                       cl, 0)


def soup_unsequenced(message: bytes) -> bytes:
    """SoupBinTCP Unsequenced Data packet around ``message``."""
    return struct.pack(">H", len(message) + 1) + b"U" + message
