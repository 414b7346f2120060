"""NASDAQ TotalView-ITCH 5.0 messages, encoded from and decoded to the book events of
``events.py`` (the layouts are defined here once; encoder and decoder share them).

Every message starts with Message Type (1), Stock Locate u16, Tracking Number u16 and a
6-byte Timestamp (ns since midnight); integers big-endian, alpha fields left-justified
and space-padded, Price(4) an unsigned 4-byte integer with 4 implied decimals. Sizes:
S 12, R 39, A 36, F 40, E 31, C 36, X 23, D 19, U 35, P 44, Q 40.

An event's price is in ticks; ``FeedSymbol.price_scale`` (ticks -> 1/10,000, as the OUCH
encoder has it) converts, so the decoder gives back exactly the ticks it was given. An
Order Executed (E) carries no price: it decodes to ``OrderExecuted`` with ``price=0``,
which means "at the resting order's price" (``FeedBook`` fills it in).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from wirespeed.enums import Side
from wirespeed.prices import TickSize
from ..ouch import OuchSymbol

from .events import (AddOrder, BookEvent, CrossTrade, NonDisplayedTrade, OrderCancel, OrderDelete, OrderExecuted,
                      OrderReplace, SystemEvent)

# type -> struct layout after the 11-byte common header (type, locate, tracking, 6-byte timestamp).
_HEAD = struct.Struct(">cHH6s")
LAYOUTS = {
    b"S": struct.Struct(">c"),
    b"R": struct.Struct(">8sccIcc2scccccIc"),
    b"A": struct.Struct(">QcI8sI"),
    b"F": struct.Struct(">QcI8sI4s"),
    b"E": struct.Struct(">QIQ"),
    b"C": struct.Struct(">QIQcI"),
    b"X": struct.Struct(">QI"),
    b"D": struct.Struct(">Q"),
    b"U": struct.Struct(">QQII"),
    b"P": struct.Struct(">QcI8sIQ"),
    b"Q": struct.Struct(">Q8sIQc"),
}
CROSS_TYPES = ("O", "C", "H", "I")
SIZES = {t: _HEAD.size + s.size for t, s in LAYOUTS.items()}
_SIDE = {Side.BUY: b"B", Side.SELL: b"S", Side.SELL_SHORT: b"S"}
_SIDE_OF = {b"B": Side.BUY, b"S": Side.SELL}
MAX_PRICE4 = (1 << 32) - 1


class ItchError(ValueError):
    """A message that cannot be encoded or decoded; the text says which field and why."""


@dataclass(frozen=True, slots=True)
class FeedSymbol:
    """A symbol as the feed knows it: name (<= 8 chars), locate code and tick -> Price(4) scale."""
    name: str
    locate: int
    price_scale: int
    round_lot: int = 100

    @classmethod
    def of(cls, name: str, locate: int, tick: TickSize, round_lot: int = 100) -> "FeedSymbol":
        if not 1 <= locate <= 0xFFFF:
            raise ItchError(f"locate: must be 1..65535, not {locate!r}")
        return cls(name, locate, OuchSymbol.of(name, tick).price_scale, round_lot)

    @property
    def stock(self) -> bytes:
        return OuchSymbol(self.name, self.price_scale).name_bytes


@dataclass(frozen=True, slots=True)
class StockDirectory:
    """The R message: which locate code stands for which stock (sent at the start of the day)."""
    ts_ns: int
    symbol: str
    locate: int
    round_lot: int


def _ts(ts_ns: int) -> bytes:
    if not 0 <= ts_ns < 1 << 48:
        raise ItchError(f"ts_ns: must fit ITCH's 6-byte timestamp, not {ts_ns!r}")
    return ts_ns.to_bytes(6, "big")


class ItchEncoder:
    """Book events -> ITCH 5.0 message bytes for one venue's symbols."""

    def __init__(self, symbols: list[FeedSymbol]):
        self.symbols = {s.name: s for s in symbols}
        if len({s.locate for s in symbols}) != len(symbols):
            raise ItchError("locate: codes must be unique per feed")

    def _sym(self, name: str) -> FeedSymbol:
        try:
            return self.symbols[name]
        except KeyError:
            raise ItchError(f"symbol: {name!r} is not in this feed's stock directory") from None

    def _price(self, sym: FeedSymbol, ticks: int) -> int:
        p = ticks * sym.price_scale
        if not 0 <= p <= MAX_PRICE4:
            raise ItchError(f"price: {ticks} ticks of {sym.name} do not fit ITCH's Price(4)")
        return p

    def directory(self, ts_ns: int) -> list[bytes]:
        """One Stock Directory (R) per symbol, in locate order."""
        out = []
        for s in sorted(self.symbols.values(), key=lambda s: s.locate):
            out.append(_HEAD.pack(b"R", s.locate, 0, _ts(ts_ns)) + LAYOUTS[b"R"].pack(
                s.stock, b"Q", b"N", s.round_lot, b"N", b"C", b"Z ", b"P", b"N", b" ", b"1", b"N", 0, b"N"))
        return out

    def encode(self, ev: BookEvent, order_price: int | None = None) -> bytes:
        """One event's message. ``order_price`` (ticks) of the executed order picks E (same
        price) or C (a different one); None means E."""
        if isinstance(ev, SystemEvent):
            return _HEAD.pack(b"S", 0, 0, _ts(ev.ts_ns)) + ev.code.encode("ascii")
        s = self._sym(ev.symbol)
        head = (s.locate, 0, _ts(ev.ts_ns))
        if isinstance(ev, AddOrder):
            if ev.mpid:
                return _HEAD.pack(b"F", *head) + LAYOUTS[b"F"].pack(
                    ev.order_id, _SIDE[ev.side], ev.qty, s.stock, self._price(s, ev.price),
                    ev.mpid.encode("ascii")[:4].ljust(4))
            return _HEAD.pack(b"A", *head) + LAYOUTS[b"A"].pack(
                ev.order_id, _SIDE[ev.side], ev.qty, s.stock, self._price(s, ev.price))
        if isinstance(ev, OrderExecuted):
            if order_price is None or order_price == ev.price:
                return _HEAD.pack(b"E", *head) + LAYOUTS[b"E"].pack(ev.order_id, ev.qty, ev.match_id)
            return _HEAD.pack(b"C", *head) + LAYOUTS[b"C"].pack(ev.order_id, ev.qty, ev.match_id, b"Y",
                                                                 self._price(s, ev.price))
        if isinstance(ev, OrderCancel):
            return _HEAD.pack(b"X", *head) + LAYOUTS[b"X"].pack(ev.order_id, ev.qty)
        if isinstance(ev, OrderDelete):
            return _HEAD.pack(b"D", *head) + LAYOUTS[b"D"].pack(ev.order_id)
        if isinstance(ev, OrderReplace):
            return _HEAD.pack(b"U", *head) + LAYOUTS[b"U"].pack(ev.old_order_id, ev.new_order_id, ev.qty,
                                                                 self._price(s, ev.price))
        if isinstance(ev, NonDisplayedTrade):
            return _HEAD.pack(b"P", *head) + LAYOUTS[b"P"].pack(0, _SIDE[ev.side], ev.qty, s.stock,
                                                                 self._price(s, ev.price), ev.match_id)
        if isinstance(ev, CrossTrade):
            if ev.cross_type not in CROSS_TYPES:
                raise ItchError(f"cross_type: must be one of {', '.join(CROSS_TYPES)}, not {ev.cross_type!r}")
            return _HEAD.pack(b"Q", *head) + LAYOUTS[b"Q"].pack(ev.qty, s.stock, self._price(s, ev.price),
                                                                 ev.match_id, ev.cross_type.encode("ascii"))
        raise ItchError(f"event: no ITCH message for {type(ev).__name__}")


class ItchDecoder:
    """ITCH 5.0 message bytes -> book events; learns locate codes from Stock Directory messages."""

    def __init__(self, symbols: list[FeedSymbol] = ()):
        self.by_locate = {s.locate: s for s in symbols}
        self._scales = {s.name: s.price_scale for s in symbols}

    def add_symbol(self, sym: FeedSymbol) -> None:
        self.by_locate[sym.locate] = sym
        self._scales[sym.name] = sym.price_scale

    def decode(self, msg: bytes) -> BookEvent | StockDirectory | None:
        """One message -> its event, a StockDirectory, or None for a type the book does not use."""
        if not msg:
            raise ItchError("message: empty")
        kind = msg[:1]
        layout = LAYOUTS.get(kind)
        if layout is None:
            return None
        if len(msg) != SIZES[kind]:
            raise ItchError(f"{kind.decode()}: {len(msg)} bytes, ITCH 5.0 says {SIZES[kind]}")
        _, locate, _track, ts = _HEAD.unpack_from(msg)
        ts_ns = int.from_bytes(ts, "big")
        body = layout.unpack_from(msg, _HEAD.size)
        if kind == b"S":
            return SystemEvent(ts_ns, body[0].decode("ascii"))
        if kind == b"R":
            name = body[0].decode("ascii").rstrip()
            known = self.by_locate.get(locate)
            if known is None or known.name != name:
                # A directory entry for an unknown stock: its scale is the one the feed documents
                # for unconfigured symbols (Price(4) is 1/10,000, so 1 tick = 1/10,000).
                self.add_symbol(FeedSymbol(name, locate, self._scales.get(name, 1), body[3]))
            return StockDirectory(ts_ns, name, locate, body[3])
        sym = self.by_locate.get(locate)
        if sym is None:
            raise ItchError(f"{kind.decode()}: stock locate {locate} was not in the stock directory")
        name, scale = sym.name, sym.price_scale
        if kind in (b"A", b"F"):
            mpid = body[5].decode("ascii").rstrip() if kind == b"F" else ""
            return AddOrder(ts_ns, name, body[0], _SIDE_OF[body[1]], body[4] // scale, body[2], mpid)
        if kind == b"E":
            return OrderExecuted(ts_ns, name, body[0], body[1], 0, body[2])
        if kind == b"C":
            return OrderExecuted(ts_ns, name, body[0], body[1], body[4] // scale, body[2])
        if kind == b"X":
            return OrderCancel(ts_ns, name, body[0], body[1])
        if kind == b"D":
            return OrderDelete(ts_ns, name, body[0])
        if kind == b"U":
            return OrderReplace(ts_ns, name, body[0], body[1], body[3] // scale, body[2])
        if kind == b"Q":
            return CrossTrade(ts_ns, name, body[0], body[2] // scale, body[3], body[4].decode("ascii"))
        return NonDisplayedTrade(ts_ns, name, _SIDE_OF[body[1]], body[4] // scale, body[2], body[5])
