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
#: The width of the hardware's cumulative per-entry counters (opened, released: hw/risk/counters.py).
#: Every position check compares against ``limit - used`` (``used = opened - released``), which the
#: hardware forms modulo 2**COUNT_WIDTH and reads as two's complement: ``headroom`` below. With
#: consistent fills (no fill or cancel releases more than is open) every entry's ``used`` stays in
#: [-(2**32 - 1), 2**32 - 1]: an accepted buy keeps pos + open_buy <= long_limit < 2**32 and only
#: accepted buys raise it; it is >= pos >= -(open_sell - pos) >= -(2**32 - 1) as open quantities
#: are >= 0 (the sell entry likewise). So ``limit - used`` is in [-(2**32 - 1), 2**33 - 2] and
#: ``-used`` in +-(2**32 - 1): both exact in 34-bit two's complement, the smallest width that holds
#: them. 36 is used: the same DP16KD count (512 x 36), and 4x the room for a venue that over-fills.
COUNT_WIDTH = 36
#: ``max_notional`` as the limit table stores it: 42 bits, all ones for "open" (2**64 - 1 on the
#: bus); a row with any other value of 2**42 - 1 or more is refused (``notional_fits``)
NOTIONAL_STORED = 42
NOTIONAL_OPEN = (1 << 64) - 1
#: the largest max_notional short of open (4.4e12 ticks x shares)
NOTIONAL_LIMIT_MAX = (1 << NOTIONAL_STORED) - 2


def notional_fits(value: int) -> bool:
    """Whether a row's ``max_notional`` is one the limit table stores (at most NOTIONAL_LIMIT_MAX, or open)."""
    return 0 <= value <= NOTIONAL_LIMIT_MAX or value == NOTIONAL_OPEN


def headroom(value: int) -> int:
    """``value`` modulo 2**COUNT_WIDTH as two's complement: what the hardware compares a
    quantity against (``limit - used`` or ``-used``); ``value`` itself whenever it fits."""
    value &= (1 << COUNT_WIDTH) - 1
    return value - (1 << COUNT_WIDTH) if value >> (COUNT_WIDTH - 1) else value


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
    """Worst case: every open order on this side fills, then this one (buy: pos + open_buy + qty
    > long_limit; sell: pos - open_sell - qty < -short_limit), the headroom as the hardware keeps it."""
    if side == Side.BUY:
        return qty > headroom(long_limit - (pos + open_buy))
    return qty > headroom(short_limit - (open_sell - pos))


def reduce_only(side: int, qty: int, pos: int, open_buy: int, open_sell: int) -> bool:
    """In reduce-only mode an order may only shrink the position, even in the worst case
    (buy: pos + open_buy + qty > 0; sell: pos - open_sell - qty < 0; ``headroom`` as above)."""
    if side == Side.BUY:
        return qty > headroom(-(pos + open_buy))
    return qty > headroom(-(open_sell - pos))


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
