"""Bit layouts shared by hardware and software, each defined once.

A ``RecordFormat`` is an ordered list of named unsigned fields. From it come both
the Amaranth ``data.StructLayout`` the hardware uses and the Python pack/unpack of
exactly the same bits (field 0 at bit 0, as StructLayout lays them out), so a
record packed in Python is the integer a testbench drives onto the port.
"""
from __future__ import annotations

from functools import cached_property
from typing import Mapping

from amaranth.hdl import unsigned
from amaranth.lib import data

from .order import Order
from .reasons import CODE_WIDTH, MASK_WIDTH, RejectReason
from .enums import OrdType, Side, TimeInForce


class RecordFormat:
    __slots__ = ("name", "fields", "offsets", "width", "__dict__")

    def __init__(self, name: str, fields: Mapping[str, int]):
        for fname, width in fields.items():
            if not isinstance(width, int) or width <= 0:
                raise TypeError(f"{name}.{fname}: width must be a positive integer, not {width!r}")
        self.name = name
        self.fields = dict(fields)
        self.offsets: dict[str, int] = {}
        off = 0
        for fname, width in self.fields.items():
            self.offsets[fname] = off
            off += width
        self.width = off

    @cached_property
    def layout(self) -> data.StructLayout:
        return data.StructLayout({f: unsigned(w) for f, w in self.fields.items()})

    def pack(self, values: Mapping[str, int]) -> int:
        word = 0
        for fname, width in self.fields.items():
            v = int(values[fname])
            if not 0 <= v < (1 << width):
                raise ValueError(f"{self.name}.{fname}={v} does not fit in {width} bits")
            word |= v << self.offsets[fname]
        return word

    def unpack(self, word: int) -> dict[str, int]:
        if not 0 <= word < (1 << self.width):
            raise ValueError(f"{self.name}: {word:#x} is wider than {self.width} bits")
        return {f: (word >> self.offsets[f]) & ((1 << w) - 1) for f, w in self.fields.items()}

    def __repr__(self) -> str:
        return f"RecordFormat({self.name!r}, {self.width} bits)"


#: The order record risk checks and encoders consume.
ORDER = RecordFormat("order", {
    "order_id": 32,     # gateway id: venue ClOrdID, OUCH UserRefNum
    "cl_ord_key": 64,   # clordid_key() of the client's ClOrdID (duplicate check)
    "session": 8,       # client session / account index
    "symbol": 16,       # symbol table index (0 = none)
    "side": 2,          # Side
    "ord_type": 2,      # OrdType
    "tif": 3,           # TimeInForce
    "qty": 32,          # shares
    "price": 32,        # ticks; 0 for market orders
})

#: What the risk pipeline says about one order.
DECISION = RecordFormat("decision", {
    "order_id": 32,
    "accept": 1,
    "reason": CODE_WIDTH,   # primary RejectReason (0 when accepted)
    "mask": MASK_WIDTH,     # bit (code-1) set for every failing check
})


def pack_order(order: Order) -> int:
    return ORDER.pack({
        "order_id": order.order_id, "cl_ord_key": order.cl_ord_key, "session": order.session,
        "symbol": order.symbol, "side": int(order.side), "ord_type": int(order.ord_type),
        "tif": int(order.tif), "qty": order.qty, "price": order.price,
    })


def unpack_order(word: int, cl_ord_id: str = "") -> Order:
    """Unpack a record. Enum fields are kept as raw ints when they hold no valid code,
    so out-of-range records (which risk must reject) survive the round trip."""
    f = ORDER.unpack(word)

    def enum(cls, v):
        try:
            return cls(v)
        except ValueError:
            return v

    return Order(f["order_id"], cl_ord_id, f["session"], f["symbol"], enum(Side, f["side"]),
                 enum(OrdType, f["ord_type"]), enum(TimeInForce, f["tif"]), f["qty"], f["price"],
                 cl_ord_key=f["cl_ord_key"])


#: One row of the per-symbol limit table the risk hardware reads (the control plane
#: writes it through the register bus, one 32-bit word at a time). The collar is
#: stored as the price band it allows, computed in software, so the hardware
#: compares instead of subtracting; likewise the reference's expiry time.
SYMBOL_LIMITS = RecordFormat("symbol_limits", {
    # Word-aligned (word k = bits 32k..32k+31) so the register bus writes whole fields.
    "valid": 1,          # the symbol index is configured
    "restricted": 1,     # no new orders
    "_pad0": 30,
    "max_qty": 32,
    "price_lo": 32,      # lowest price allowed, ticks
    "price_hi": 32,      # highest price allowed, ticks
    "max_notional": 64,  # qty * price, ticks x shares
    "long_limit": 32,    # position + open buys + order <= long_limit
    "short_limit": 32,   # position - open sells - order >= -short_limit
    "ref_deadline": 48,  # the reference (and so the band) is stale once now > ref_deadline
    "_pad1": 16,
})

#: A fill or cancel flowing back into the risk state. ``notional`` is the part of the
#: order's reserved notional it releases (qty x order price), computed by the host.
FILL = RecordFormat("fill", {
    "symbol": 16,
    "side": 2,
    "cancel": 1,         # 0: fill (position moves), 1: cancel (open quantity released)
    "qty": 32,
    "notional": 64,
    "session": 8,        # the session (account) of the order it releases: its credit
})

#: What the risk pipeline emits per order: the decision and the order it is about,
#: so an encoder can follow it directly.
RISK_OUT = RecordFormat("risk_out", {
    **DECISION.fields,
    **{f"o_{name}": width for name, width in ORDER.fields.items() if name != "order_id"},
})


#: One beat of an encoded byte stream: 8 bytes, byte k of the beat in data bits 8k..8k+7
#: (byte 0 goes on the wire first), keep bit k set when byte k is valid, last on a frame's end.
BEAT = RecordFormat("beat", {"data": 64, "keep": 8, "last": 1})

#: Per-symbol row of the OUCH encoder's table: the 8-byte symbol (byte 0 in bits 0..7) and the
#: multiplier from ticks to OUCH's 1/10,000 price units.
OUCH_SYMBOL = RecordFormat("ouch_symbol", {"name": 64, "price_scale": 32})


#: Per-symbol row of the FIX encoder's table: the symbol (byte 0 in bits 0..7) and its length,
#: and the tick size as units x 10^-decimals (TickSize), to render a price exactly.
FIX_SYMBOL = RecordFormat("fix_symbol", {"name": 64, "name_len": 4, "units": 8, "decimals": 4})

#: Host ring descriptor (4 x 64-bit words in host memory, little-endian): the order record.
DESCRIPTOR = RecordFormat("descriptor", {**ORDER.fields, "_pad": 256 - ORDER.width})

#: Completion record the hardware writes back (4 x 64-bit words): the decision, when the
#: descriptor was fetched, when it was decided and when its frame's first byte went out (0 for
#: a rejected order), in the card's nanoseconds (hw/time), and a phase bit that flips on every
#: pass around the ring so the host can poll for new entries.
COMPLETION = RecordFormat("completion", {
    **DECISION.fields,
    "phase": 1,
    "_pad0": 64 - DECISION.width - 1,
    "t_fetch": 64,
    "t_decide": 64,
    "t_tx": 64,
})


def beats(frame: bytes) -> list[int]:
    """A frame as packed BEAT records (what a BEAT stream carries for it)."""
    out = []
    for start in range(0, len(frame), 8):
        chunk = frame[start:start + 8]
        out.append(BEAT.pack({"data": int.from_bytes(chunk, "little"), "keep": (1 << len(chunk)) - 1,
                              "last": int(start + 8 >= len(frame))}))
    return out


__all__ = ["RecordFormat", "ORDER", "DECISION", "SYMBOL_LIMITS", "FILL", "RISK_OUT", "BEAT", "OUCH_SYMBOL", "FIX_SYMBOL", "beats", "DESCRIPTOR",
           "COMPLETION", "pack_order", "unpack_order", "RejectReason"]
