"""Constrained-random stimulus for hardware verification and benchmarks.

Values cluster on the boundaries that matter (limit-1, limit, limit+1, zero,
the maximum a field holds) and include out-of-range codes, unknown symbols,
repeated ClOrdIDs and sizes that run positions and credit into their limits, so
every reject reason is exercised. Seeded: a failing run is reproducible.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.layout import ORDER

from ..risk.checks import NOTIONAL_LIMIT_MAX, collar_bounds, notional_fits
from ..risk.model import LimitEntry

W = ORDER.fields


def _near(rng: random.Random, value: int, width: int) -> int:
    top = (1 << width) - 1
    return min(max(value + rng.choice([-1, 0, 1, rng.randint(-50, 50)]), 0), top)


def random_table(rng: random.Random, depth: int, fill: float = 0.75, now_hint: int = 10_000) -> dict[int, LimitEntry]:
    table = {}
    for index in range(depth):
        if rng.random() >= fill:
            continue
        ref = rng.choice([rng.randint(1, 50_000), rng.randint(1, 200), (1 << 32) - 10])
        lo, hi = collar_bounds(ref, rng.choice([0, 1, 50, 1_000, ref]))
        max_qty = rng.choice([1, 100, rng.randint(1, 5_000), (1 << 32) - 1])
        # (the limit table stores max_notional up to NOTIONAL_LIMIT_MAX, or open)
        max_notional = rng.choice([(1 << 64) - 1, rng.randint(1, 10**8), max_qty * hi])
        max_notional = max_notional if notional_fits(max_notional) else NOTIONAL_LIMIT_MAX
        table[index] = LimitEntry(
            max_qty, lo, hi, valid=rng.random() < 0.95, restricted=rng.random() < 0.12,
            max_notional=max_notional, long_limit=rng.choice([0, rng.randint(1, 20_000), (1 << 32) - 1]),
            short_limit=rng.choice([0, rng.randint(1, 20_000), (1 << 32) - 1]),
            ref_deadline=rng.choice([(1 << 48) - 1, rng.randint(0, 2 * now_hint)]))
    return table


@dataclass
class OrderStimulus:
    rng: random.Random
    table: dict[int, LimitEntry]
    depth: int
    sessions: int
    keys: list[int] = field(default_factory=list)

    def order(self, order_id: int) -> dict[str, int]:
        rng = self.rng
        symbol = rng.choice([rng.randrange(self.depth)] * 12 + [self.depth, (1 << W["symbol"]) - 1])
        entry = self.table.get(symbol)
        side = int(rng.choice(list(Side))) if rng.random() > 0.03 else 0
        ord_type = int(rng.choice(list(OrdType))) if rng.random() > 0.03 else 3
        tif = int(rng.choice(list(TimeInForce))) if rng.random() > 0.03 else rng.choice([2, 5, 6, 7])
        session = rng.randrange(self.sessions) if rng.random() > 0.03 else rng.randrange(self.sessions, 256)
        if entry is not None and rng.random() < 0.85:
            price = _near(rng, rng.choice([entry.price_lo, entry.price_hi, (entry.price_lo + entry.price_hi) // 2]),
                          W["price"])
            pick = rng.random()
            if pick < 0.3:
                qty = _near(rng, entry.max_qty, W["qty"])
            elif pick < 0.5 and price:
                qty = _near(rng, min(entry.max_notional // price, (1 << 32) - 1), W["qty"])
            elif pick < 0.8:
                qty = _near(rng, min(entry.long_limit, entry.short_limit, 5_000) // rng.choice([1, 2, 4, 8]), W["qty"])
            else:
                qty = rng.randint(1, 300)
        else:
            qty = rng.choice([0, 1, rng.randint(1, 1 << 20), (1 << W["qty"]) - 1])
            price = rng.choice([0, 1, rng.randint(1, 1 << 24), (1 << W["price"]) - 1])
        if rng.random() < 0.03:
            qty = 0
        if rng.random() < 0.03:
            price = 0
        key = rng.choice(self.keys[-12:]) if self.keys and rng.random() < 0.08 else rng.getrandbits(W["cl_ord_key"])
        self.keys.append(key)
        return {"order_id": order_id, "cl_ord_key": key, "session": session, "symbol": symbol, "side": side,
                "ord_type": ord_type, "tif": tif, "qty": qty, "price": price}


def random_decision(rng: random.Random, i: int, depth: int) -> dict:
    """A risk decision for an order encoder (``RISK_OUT`` fields; accepted 85 % of the time):
    quantities and prices on decimal digit-count boundaries and at the widths' maxima."""
    return {"order_id": rng.choice([i, rng.getrandbits(32), 0xFFFFFFFF]), "accept": int(rng.random() < 0.85),
            "reason": 0, "mask": 0, "o_cl_ord_key": 0, "o_session": 0, "o_symbol": rng.randrange(depth),
            "o_side": int(rng.choice(list(Side))), "o_ord_type": int(rng.choice(list(OrdType))),
            "o_tif": int(rng.choice(list(TimeInForce))),
            "o_qty": rng.choice([1, 9, 10, 99_999_999, 100_000_000, rng.getrandbits(32), (1 << 32) - 1]),
            "o_price": rng.choice([1, 5, 99, 100, 12_345, rng.getrandbits(32), (1 << 32) - 1])}
