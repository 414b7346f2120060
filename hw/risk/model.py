"""Golden model of the risk stage, and the gateway's software risk backend.

``RiskModel.check`` is bit-for-bit what ``RiskStage`` (stage.py) computes: the
same failing-check mask for the same order record and limit table.
"""
from __future__ import annotations

from dataclasses import dataclass

from wirespeed.layout import SYMBOL_LIMITS, pack_decision
from wirespeed.order import Order
from wirespeed.reasons import RejectReason as R

from . import checks


@dataclass(frozen=True, slots=True)
class LimitEntry:
    """One row of the per-symbol limit table."""

    max_qty: int
    price_lo: int
    price_hi: int
    valid: bool = True

    def pack(self) -> int:
        return SYMBOL_LIMITS.pack({"valid": int(self.valid), "max_qty": self.max_qty,
                                   "price_lo": self.price_lo, "price_hi": self.price_hi})


class RiskModel:
    """Per-symbol limit table plus the checks, one order at a time.

    ``depth`` is the number of table rows; a symbol index at or beyond it, or a
    row never written, is an unknown symbol.
    """

    __slots__ = ("depth", "table")

    def __init__(self, depth: int = 256):
        if not isinstance(depth, int) or depth <= 0 or depth & (depth - 1):
            raise TypeError(f"depth must be a positive power of two, not {depth!r}")
        self.depth = depth
        self.table: dict[int, LimitEntry] = {}

    def write(self, index: int, entry: LimitEntry) -> None:
        if not 0 <= index < self.depth:
            raise IndexError(f"symbol index {index} outside the limit table (depth {self.depth})")
        self.table[index] = entry

    def check_fields(self, *, symbol: int, side: int, ord_type: int, tif: int, qty: int, price: int, **_) -> int:
        """The failing-check mask for one order record's fields (0 = accept)."""
        mask = 0
        if checks.bad_field(side, ord_type, tif):
            mask |= R.BAD_FIELD.bit
        if checks.zero_qty(qty):
            mask |= R.ZERO_QTY.bit
        if checks.bad_price(ord_type, price):
            mask |= R.BAD_PRICE.bit
        entry = self.table.get(symbol) if symbol < self.depth else None
        if entry is None or not entry.valid:
            # Without a row there are no limits to compare against: the symbol
            # check alone fails, rather than limit checks against garbage.
            return mask | R.UNKNOWN_SYMBOL.bit
        if checks.max_qty(qty, entry.max_qty):
            mask |= R.MAX_QTY.bit
        if checks.price_collar(ord_type, price, entry.price_lo, entry.price_hi):
            mask |= R.PRICE_COLLAR.bit
        return mask

    def check(self, order: Order) -> int:
        return self.check_fields(symbol=order.symbol, side=int(order.side), ord_type=int(order.ord_type),
                                 tif=int(order.tif), qty=order.qty, price=order.price)

    def decision(self, fields: dict[str, int]) -> int:
        """The packed DECISION record the hardware emits for an unpacked ORDER record."""
        return pack_decision(fields["order_id"], self.check_fields(**fields))
