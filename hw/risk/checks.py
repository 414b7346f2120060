"""Each pre-trade check as a small named predicate over plain integers.

This is the single statement of each check's semantics. The golden model (and so
the gateway's software risk path) calls these; the hardware implements the same
comparisons and is verified against the model. A predicate returns True when
the order FAILS the check. ``side`` is a Side code: BUY adds to the position,
SELL and SELL_SHORT take from it.
"""
from __future__ import annotations

from wirespeed.enums import OrdType, Side, TimeInForce

_SIDES = frozenset(int(s) for s in Side)
_ORD_TYPES = frozenset(int(t) for t in OrdType)
_TIFS = frozenset(int(t) for t in TimeInForce)
PRICE_MAX = (1 << 32) - 1


def bad_field(side: int, ord_type: int, tif: int, session: int, n_sessions: int) -> bool:
    return side not in _SIDES or ord_type not in _ORD_TYPES or tif not in _TIFS or session >= n_sessions


def zero_qty(qty: int) -> bool:
    return qty == 0


def bad_price(price: int) -> bool:
    """Every order carries a price: a limit order its limit, a market order its protection
    price (set by the gateway), so notional and collar are always defined."""
    return price == 0


def max_qty(qty: int, limit: int) -> bool:
    return qty > limit


def max_notional(notional: int, limit: int) -> bool:
    return notional > limit


def price_collar(price: int, lo: int, hi: int) -> bool:
    """A price outside the band [lo, hi] around the reference."""
    return price < lo or price > hi


def stale_reference(now: int, deadline: int) -> bool:
    return now > deadline


def position_limit(side: int, qty: int, pos: int, open_buy: int, open_sell: int, long_limit: int,
                   short_limit: int) -> bool:
    """Worst case: every open order on this side fills, then this one."""
    if side == Side.BUY:
        return pos + open_buy + qty > long_limit
    return pos - open_sell - qty < -short_limit


def reduce_only(side: int, qty: int, pos: int, open_buy: int, open_sell: int) -> bool:
    """In reduce-only mode an order may only shrink the position, even in the worst case."""
    if side == Side.BUY:
        return pos + open_buy + qty > 0
    return pos - open_sell - qty < 0


def credit_limit(used: int, notional: int, limit: int) -> bool:
    return used + notional > limit


def rate_limit(now: int, tat: int, tau: int) -> bool:
    """GCRA (virtual scheduling): an order conforms unless it is more than ``tau`` early."""
    return tat > now + tau


def next_tat(now: int, tat: int, interval: int) -> int:
    return max(tat, now) + interval


def collar_bounds(reference: int, collar: int) -> tuple[int, int]:
    """The band a collar of ``collar`` ticks allows around ``reference``, clamped to the price field."""
    return max(reference - collar, 0), min(reference + collar, PRICE_MAX)


def collar_bounds_bps(reference: int, bps: int) -> tuple[int, int]:
    """The same band for a collar in basis points of the reference (rounded inwards, so never wider)."""
    return collar_bounds(reference, reference * bps // 10_000)
