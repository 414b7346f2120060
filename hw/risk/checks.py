"""Each pre-trade check as a small named predicate over plain integers.

This is the single statement of each check's semantics. The golden model (and so
the gateway's software risk path) calls these; the hardware stage implements the
same comparisons and is verified against the model. A predicate returns True
when the order FAILS the check.
"""
from __future__ import annotations

from wirespeed.enums import OrdType, Side, TimeInForce

_SIDES = frozenset(int(s) for s in Side)
_ORD_TYPES = frozenset(int(t) for t in OrdType)
_TIFS = frozenset(int(t) for t in TimeInForce)
PRICE_MAX = (1 << 32) - 1


def bad_field(side: int, ord_type: int, tif: int) -> bool:
    return side not in _SIDES or ord_type not in _ORD_TYPES or tif not in _TIFS


def zero_qty(qty: int) -> bool:
    return qty == 0


def bad_price(ord_type: int, price: int) -> bool:
    """A limit order needs a non-zero price."""
    return ord_type == OrdType.LIMIT and price == 0


def max_qty(qty: int, limit: int) -> bool:
    return qty > limit


def price_collar(ord_type: int, price: int, lo: int, hi: int) -> bool:
    """A limit price outside the band [lo, hi] around the reference. Market orders have no price to collar."""
    return ord_type == OrdType.LIMIT and (price < lo or price > hi)


def collar_bounds(reference: int, collar: int) -> tuple[int, int]:
    """The band a collar of ``collar`` ticks allows around ``reference``, clamped to the price field."""
    return max(reference - collar, 0), min(reference + collar, PRICE_MAX)


def collar_bounds_bps(reference: int, bps: int) -> tuple[int, int]:
    """The same band for a collar in basis points of the reference (rounded inwards, so never wider)."""
    return collar_bounds(reference, reference * bps // 10_000)
